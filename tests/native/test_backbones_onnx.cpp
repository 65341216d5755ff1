// tests/native/test_backbones_onnx.cpp - SqueezeNet 1.1 (Concat, a conv head), ResNet-18 and
// torchvision's MobileNet V2 (BatchNormalization) exported to ONNX: onnxruntime (node, and
// onnxruntime-web's wasm backend as the page runs it) against LibTorch within 1e-4, logits and
// every view; model.json lists the views. Weights: tests/reference/backbones_parity.py's files.
#include "test_export_util.h"  // first: torch before Catch (see there)
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <iterator>
#include "catdog/model_info.h"
#include "export/export_model.h"
#include "nets/model_io.h"
#include "nets/pretrained.h"

using namespace catdog;
using namespace export_test;

namespace {

std::string fixtures() {
    const char* d = std::getenv("CATDOG_BACKBONE_FIXTURES");
    if (!d || !*d) FAIL("CATDOG_BACKBONE_FIXTURES is not set: run through ctest (its fixture makes the files)");
    return d;
}

}  // namespace

TEST_CASE("backbones: model.onnx and model.web.onnx in onnxruntime match LibTorch within 1e-4", "[backbones][export]") {
    const std::vector<std::pair<std::string, std::string>> nets_files{
        {"squeezenet1_1", catdog_test::shared_dir() + "/weights/squeezenet1_1/squeezenet1_1.pth"},
        {"resnet18", fixtures() + "/resnet18.pth"},
        {"mobilenet_v2_torchvision", fixtures() + "/mobilenet_v2_tv.pth"}};
    auto photos = jpegs(catdog_test::dataset("holdout-dev"));
    photos = {photos[0], photos[photos.size() / 2], photos.back()};
    for (const auto& [backbone, file] : nets_files) {
        DYNAMIC_SECTION(backbone) {
            nets::Model m(nets::make_spec(backbone, 1000), nets::Model::Init::None);
            nets::load_weights(m, nets::load_pretrained(backbone, file), true);
            // A 2-class head as after training, so the web model's head is the product's.
            torch::manual_seed(0);
            m.reset_head(2);
            const std::string dir = work_dir("backbone_" + backbone);
            exporter::ExportOptions opt;
            exporter::ExportResult r = exporter::export_model(m, {"cat", "dog"}, dir, opt);
            std::printf("  %s: model.onnx %.2f MiB, model.web.onnx %.2f MiB\n", backbone.c_str(),
                        r.onnx_bytes / 1048576.0, r.web_bytes / 1048576.0);
            std::ifstream jf(dir + "/model.json");
            const ModelInfo info =
                parse_model_info(std::string((std::istreambuf_iterator<char>(jf)), std::istreambuf_iterator<char>()));
            CHECK(info.backbone == backbone);
            REQUIRE(info.layers.size() == m.spec().view_layers().size());

            torch::Tensor x = photo_batch(photos, m.spec().transform);
            write_f32(dir + "/input.bin", x);
            torch::NoGradGuard no_grad;
            nets::Taps taps;
            const torch::Tensor logits = m.forward(x, false, &taps);
            OrtResult ort = run_ort(r.onnx_path, {dir + "/input.bin"}, dir + "/ort");
            const double dl = max_abs_diff(logits, ort.out.at("logits"));
            std::printf("  %s: ORT vs LibTorch logits max |diff| %.3g (|logits| up to %.3g)\n", backbone.c_str(), dl,
                        logits.abs().max().item<double>());
            CHECK(dl <= 1e-4);
            CHECK(max_abs_diff(torch::softmax(logits, 1), ort.out.at("probs")) <= 1e-4);
            double worst = 0;
            for (size_t i = 0; i < taps.size(); ++i) {
                const auto& [name, t] = taps[i];
                INFO(name);
                CHECK(info.layers[i].name == name);
                REQUIRE(ort.out.count(name));
                const double d = max_abs_diff(t, ort.out.at(name));
                CHECK(d <= 1e-4 * std::max(1.0, t.abs().max().item<double>()));
                worst = std::max(worst, d);
            }
            std::printf("  %s: %zu views, worst max |diff| %.3g\n", backbone.c_str(), taps.size(), worst);
            // The page's runtime on the page's file.
            OrtResult wasm = run_ort(r.web_path, {dir + "/input.bin"}, dir + "/ort_wasm", "web", "logits");
            const double dw = max_abs_diff(wasm.out.at("logits"), logits);
            std::printf("  %s: onnxruntime-web (model.web.onnx) vs LibTorch logits max |diff| %.3g\n", backbone.c_str(), dw);
            CHECK(dw <= 1e-4);
        }
    }
}
