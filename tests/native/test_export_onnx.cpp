// Export: model.onnx / model.web.onnx / model.json against outside references.
//
//   onnxruntime (npm onnxruntime-node, via tests/reference/ort_parity.mjs) runs the exported
//   files; LibTorch (nets::Model, itself checked against torchvision by test_nets) runs the
//   same weights. Weights: the nets fixture's torchvision AlexNet (tests/reference/
//   alexnet_parity.py, random Kaiming weights so activations are O(1)), and Google's TFLite
//   MobileNet V2 from ../shared with a head trained here on real photos.
#include "test_export_util.h"  // first: torch before Catch (see there)
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <onnx/onnx_pb.h>
#include "catdog/model_info.h"
#include "data/dataset.h"
#include "export/export_model.h"
#include "nets/model_io.h"
#include "nets/pretrained.h"
#include "train/config.h"
#include "train/run.h"
#include "weights/pth_reader.h"

using namespace catdog;
using namespace export_test;

namespace {

std::string nets_fixtures() {
    const char* d = std::getenv("CATDOG_NETS_FIXTURES");
    if (!d || !*d) FAIL("CATDOG_NETS_FIXTURES is not set: run through ctest (its fixture makes alexnet_zip.pth)");
    return d;
}

std::vector<std::string> holdout(size_t n) {
    auto all = jpegs(catdog_test::dataset("holdout-dev"));
    // Cats and dogs alike: take from both ends.
    std::vector<std::string> v;
    for (size_t i = 0; i < n; ++i) v.push_back(i % 2 ? all[all.size() - 1 - i / 2] : all[i / 2]);
    return v;
}

onnx::ModelProto read_onnx(const std::string& path) {
    onnx::ModelProto m;
    std::ifstream f(path, std::ios::binary);
    REQUIRE(f.good());
    REQUIRE(m.ParseFromIstream(&f));
    return m;
}

std::vector<std::string> output_names(const onnx::ModelProto& m) {
    std::vector<std::string> v;
    for (auto& o : m.graph().output()) v.push_back(o.name());
    return v;
}

// Compares logits, probs and every tap of `model` on `x` with onnxruntime's outputs.
void check_parity(nets::Model& model, const torch::Tensor& x, const OrtResult& ort, double tol) {
    torch::NoGradGuard no_grad;
    nets::Taps taps;
    torch::Tensor logits = model.forward(x, false, &taps);
    const double dl = max_abs_diff(logits, ort.out.at("logits"));
    const double dp = max_abs_diff(torch::softmax(logits, 1), ort.out.at("probs"));
    std::printf("  %s: ORT vs LibTorch: logits max |diff| %.3g (|logits| up to %.3g), probs %.3g\n",
                model.spec().backbone.c_str(), dl, logits.abs().max().item<double>(), dp);
    CHECK(dl <= tol);
    CHECK(dp <= tol);
    REQUIRE(taps.size() == model.spec().view_layers().size());
    double worst = 0;
    std::string worst_name;
    for (auto& [name, t] : taps) {
        INFO("intermediate output " << name);
        REQUIRE(ort.out.count(name));
        const double d = max_abs_diff(t, ort.out.at(name));
        // Absolute for O(1) maps; relative to the map's range above 1 (ReLU6 maps reach 6 and
        // sum large folded-BN terms, so float rounding differs by ~1e-5 of their scale).
        CHECK(d <= tol * std::max(1.0, t.abs().max().item<double>()));
        if (d >= worst) worst = d, worst_name = name;
    }
    std::printf("  %s: %zu intermediate outputs, worst max |diff| %.3g at %s\n",
                model.spec().backbone.c_str(), taps.size(), worst, worst_name.c_str());
}

// Features of photos through the frozen trunk, in batches.
torch::Tensor trunk_features(nets::Model& m, const std::vector<std::string>& paths) {
    torch::NoGradGuard no_grad;
    std::vector<torch::Tensor> parts;
    for (size_t i = 0; i < paths.size(); i += 32) {
        std::vector<std::string> chunk(paths.begin() + i, paths.begin() + std::min(paths.size(), i + 32));
        parts.push_back(m.trunk(photo_batch(chunk, m.spec().transform), false));
    }
    return torch::cat(parts);
}

// The seed's head training on cached features: fresh Linear, Adam 1e-3, cross-entropy.
void train_head(nets::Model& m, const torch::Tensor& feats, const torch::Tensor& y, int steps) {
    torch::manual_seed(0);
    m.reset_head(2);
    m.set_trainable(0);
    torch::optim::Adam opt(m.head_parameters(), torch::optim::AdamOptions(1e-3));
    for (int s = 0; s < steps; ++s) {
        opt.zero_grad();
        torch::Tensor loss = torch::nll_loss(torch::log_softmax(m.head(feats), 1), y);
        loss.backward();
        opt.step();
    }
}

struct Photos {
    std::vector<std::string> paths;
    std::vector<int64_t> labels;
    torch::Tensor y() const { return torch::tensor(labels, torch::kInt64); }
};

// A seeded split of dogs-vs-cats-3k: `ntrain` training photos (both classes) and the whole
// 20 % val split; holdout-dev is appended to the evaluation set.
void split_photos(size_t ntrain, Photos& train, Photos& eval) {
    data::Dataset ds = data::scan_folder(catdog_test::dataset("dogs-vs-cats-3k"));
    data::Split sp = data::stratified_split(ds, 0.2, 0);
    for (size_t i = 0; i < ntrain; ++i) {
        const auto& s = sp.train[(i * sp.train.size()) / ntrain];  // spread over both classes
        train.paths.push_back(s.path), train.labels.push_back(s.label);
    }
    for (auto& s : sp.val) eval.paths.push_back(s.path), eval.labels.push_back(s.label);
    for (auto& p : jpegs(catdog_test::dataset("holdout-dev"))) {
        eval.paths.push_back(p);
        eval.labels.push_back(fs::path(p).filename().string().rfind("dog", 0) == 0 ? 1 : 0);
    }
}

// Writes photos as input batch files of up to `per_file` images; returns their paths.
std::vector<std::string> write_batches(const std::string& dir, const std::vector<std::string>& paths,
                                       const TransformSpec& spec, size_t per_file = 64) {
    std::vector<std::string> files;
    for (size_t i = 0; i < paths.size(); i += per_file) {
        std::vector<std::string> chunk(paths.begin() + i, paths.begin() + std::min(paths.size(), i + per_file));
        files.push_back(dir + "/batch" + std::to_string(per_file) + "_" + std::to_string(files.size()) + ".bin");
        write_f32(files.back(), photo_batch(chunk, spec));
    }
    return files;
}

}  // namespace

TEST_CASE("alexnet model.onnx: checker passes and onnxruntime matches LibTorch", "[export][alexnet]") {
    nets::Model m(nets::make_spec("alexnet", 1000));
    REQUIRE(nets::load_weights(m, weights::read_pth(nets_fixtures() + "/alexnet_zip.pth"), true) == 16);
    const std::string dir = work_dir("alexnet1000");
    std::vector<std::string> labels;
    for (int i = 0; i < 1000; ++i) labels.push_back("class" + std::to_string(i));
    exporter::ExportOptions opt;
    opt.write_web = false;
    opt.write_explain = false;  // model.explain.onnx has its own tests (test_explain.py)
    exporter::ExportResult r = exporter::export_model(m, labels, dir, opt);
    std::printf("  alexnet (1000 classes) model.onnx: %.1f MiB\n", r.onnx_bytes / 1048576.0);

    onnx::ModelProto p = read_onnx(r.onnx_path);
    REQUIRE_NOTHROW(exporter::check_onnx(p));
    CHECK(p.opset_import(0).version() >= 13);
    const std::vector<std::string> want{"logits", "probs", "features.0", "features.3",
                                        "features.6", "features.8", "features.10"};
    CHECK(output_names(p) == want);
    REQUIRE(p.graph().input_size() == 1);
    CHECK(p.graph().input(0).name() == "input");
    CHECK(p.graph().input(0).type().tensor_type().shape().dim(0).dim_param() == "N");

    torch::Tensor x = photo_batch(holdout(4), m.spec().transform);
    write_f32(dir + "/input.bin", x);
    OrtResult ort = run_ort(r.onnx_path, {dir + "/input.bin"}, dir + "/ort");
    check_parity(m, x, ort, 1e-4);
}

TEST_CASE("mobilenet_v2 trained run: export_run writes model.onnx/web/json that onnxruntime matches",
          "[export][mobilenet]") {
    const std::string tfl = catdog_test::shared_dir() +
                            "/weights/mobilenet_v2_1.0_224_quant/mobilenet_v2_1.0_224_quant.tflite";
    nets::Model m(nets::make_spec("mobilenet_v2", 2));
    nets::load_weights(m, nets::load_pretrained("mobilenet_v2", tfl), false);

    // A real (small) training: the head on 160 photos' features.
    Photos train, eval;
    split_photos(160, train, eval);
    train_head(m, trunk_features(m, train.paths), train.y(), 150);

    // A run folder as the trainer leaves it: config.json + model.ckpt.
    const std::string dir = work_dir("mobilenet_run");
    train::TrainConfig cfg;
    cfg.backbone = "mobilenet_v2";
    cfg.data = catdog_test::dataset("dogs-vs-cats-3k");
    cfg.labels = {"cat", "dog"};
    cfg.transform = m.spec().transform;
    std::ofstream(dir + "/config.json") << train::to_json(cfg).dump(1);
    nets::save_model(m, dir + "/model.ckpt");

    exporter::ExportResult r = exporter::export_run(dir);
    std::printf("  mobilenet_v2 model.onnx %.2f MiB, model.web.onnx %.2f MiB\n", r.onnx_bytes / 1048576.0,
                r.web_bytes / 1048576.0);
    REQUIRE(fs::exists(dir + "/model.onnx"));
    REQUIRE(fs::exists(dir + "/model.web.onnx"));
    REQUIRE(fs::exists(dir + "/model.json"));
    for (auto& e : fs::directory_iterator(dir)) CHECK(e.path().extension() != ".tmp");

    // model.json: what the page needs, consistent with the ONNX graph.
    std::ifstream jf(dir + "/model.json");
    std::string text((std::istreambuf_iterator<char>(jf)), std::istreambuf_iterator<char>());
    ModelInfo info = parse_model_info(text);
    CHECK(info.backbone == "mobilenet_v2");
    CHECK((info.labels == std::vector<std::string>{"cat", "dog"}));
    CHECK(info.transform.mean[0] == 0.5f);
    CHECK(info.transform.std[2] == 0.5f);
    CHECK(info.transform.crop == 224);
    CHECK(info.conv1_weight == "features.0.0.weight");
    CHECK((info.conv1_shape == std::vector<int64_t>{32, 3, 3, 3}));
    // TFLite's stem: stride 2, SAME padding (the extra row/column at the bottom/right), folded BN
    // bias, ReLU6; the playground re-runs it from these (test_filter holds it to onnxruntime).
    CHECK(info.conv1_bias == "features.0.0.bias");
    CHECK(info.conv1_stride == 2);
    CHECK((info.conv1_pad == std::array<int, 4>{0, 0, 1, 1}));
    CHECK(info.conv1_activation == "relu6");
    CHECK(info.conv1_view == "features.0.0");
    REQUIRE(info.layers.size() == 35);  // stem, 16 blocks' expand/depthwise convs, features.18
    CHECK(info.layers.front().name == "features.0.0");
    CHECK((info.layers.front().shape == std::vector<int64_t>{32, 112, 112}));
    CHECK(info.layers.back().name == "features.18.0");
    CHECK((info.layers.back().shape == std::vector<int64_t>{1280, 7, 7}));
    CHECK(info.layers[1].kind == "dwconv");  // features.1.conv.0.0: block 1's depthwise conv

    onnx::ModelProto p = read_onnx(r.onnx_path);
    REQUIRE_NOTHROW(exporter::check_onnx(p));
    auto names = output_names(p);
    REQUIRE(names.size() == info.layers.size() + 2);
    bool found_conv1 = false;
    for (auto& init : p.graph().initializer())
        if (init.name() == info.conv1_weight)
            found_conv1 = std::vector<int64_t>(init.dims().begin(), init.dims().end()) == info.conv1_shape;
    CHECK(found_conv1);
    for (size_t i = 0; i < info.layers.size(); ++i) CHECK(names[i + 2] == info.layers[i].name);

    torch::Tensor x = photo_batch(holdout(4), m.spec().transform);
    write_f32(dir + "/input.bin", x);
    OrtResult ort = run_ort(r.onnx_path, {dir + "/input.bin"}, dir + "/ort");
    check_parity(m, x, ort, 1e-4);
    // The head (1280 x 2) is below the int8 threshold: the web model is the same network.
    OrtResult web = run_ort(r.web_path, {dir + "/input.bin"}, dir + "/ort_web", "node", "logits");
    CHECK(max_abs_diff(web.out.at("logits"), ort.out.at("logits")) <= 1e-5);

    // onnxruntime-web (the page's runtime, wasm backend under node) on the same files.
    OrtResult wasm = run_ort(r.web_path, {dir + "/input.bin"}, dir + "/ort_wasm", "web", "logits,features.0.0");
    std::printf("  mobilenet_v2 onnxruntime-web vs LibTorch: logits max |diff| %.3g\n",
                max_abs_diff(wasm.out.at("logits"), ort.out.at("logits")));
    CHECK(max_abs_diff(wasm.out.at("logits"), ort.out.at("logits")) <= 1e-4);
    CHECK(max_abs_diff(wasm.out.at("features.0.0"), ort.out.at("features.0.0")) <= 1e-4);
}

TEST_CASE("alexnet model.web.onnx: int8 size and top-1 agreement on val split + holdout-dev",
          "[export][alexnet][int8]") {
    nets::Model m(nets::make_spec("alexnet", 2));
    REQUIRE(nets::load_weights(m, weights::read_pth(nets_fixtures() + "/alexnet_zip.pth"), false) == 14);
    Photos train, eval;
    split_photos(240, train, eval);
    train_head(m, trunk_features(m, train.paths), train.y(), 300);

    const std::string dir = work_dir("alexnet_int8");
    // Bias correction from the training photos, as export_run does from a run's split.
    exporter::ExportOptions eo;
    eo.linear_input_mean = exporter::calibrate_linears(m, photo_batch(train.paths, m.spec().transform));
    REQUIRE(eo.linear_input_mean.size() == 2);  // classifier.1 and classifier.4
    eo.write_explain = false;
    exporter::ExportResult r = exporter::export_model(m, {"cat", "dog"}, dir, eo);
    std::printf("  alexnet (2 classes): model.onnx %.1f MiB (%.1f MB), model.web.onnx %.1f MiB (%.1f MB)\n",
                r.onnx_bytes / 1048576.0, r.onnx_bytes / 1e6, r.web_bytes / 1048576.0, r.web_bytes / 1e6);
    CHECK(r.web_bytes <= 64ll * 1024 * 1024);
    REQUIRE_NOTHROW(exporter::check_onnx(read_onnx(r.web_path)));

    // LibTorch logits for the evaluation photos, and the same photos as ORT input batches.
    torch::Tensor ref;
    {
        torch::NoGradGuard no_grad;
        ref = m.head(trunk_features(m, eval.paths));
    }
    // fp32 in batches; the int8 model as the page runs it: one photo per run, DequantizeLinear
    // folded at load (and a Dynamic encoding's activation scale is each photo's own).
    auto batches = write_batches(dir, eval.paths, m.spec().transform);
    auto singles = write_batches(dir, eval.paths, m.spec().transform, 1);
    OrtResult fp32 = run_ort(r.onnx_path, batches, dir + "/fp32", "node", "logits");
    std::vector<torch::Tensor> parts;  // a few hundred runs per node process (more crash onnxruntime-node)
    for (size_t i = 0; i < singles.size(); i += 240) {
        std::vector<std::string> some(singles.begin() + i, singles.begin() + std::min(singles.size(), i + 240));
        parts.push_back(run_ort(r.web_path, some, dir + "/int8_" + std::to_string(i), "node", "logits", 0, true)
                            .out.at("logits"));
    }
    const torch::Tensor lf = fp32.out.at("logits"), lq = torch::cat(parts);
    const torch::Tensor a = lf.argmax(1), b = lq.argmax(1);
    const int64_t n = a.size(0), same = (a == b).sum().item<int64_t>();
    const double agree = double(same) / n;
    // Photos the fp32 model is not on the fence about (top-1 probability >= 0.56).
    const torch::Tensor sure = (lf.select(1, 0) - lf.select(1, 1)).abs() >= 0.25;
    const int64_t n_sure = sure.sum().item<int64_t>();
    const int64_t same_sure = ((a == b) & sure).sum().item<int64_t>();
    const double dq = max_abs_diff(lq, lf), scale = lf.abs().max().item<double>();
    const torch::Tensor y = eval.y();
    std::printf("  alexnet ORT fp32 vs LibTorch over %lld photos: logits max |diff| %.3g\n", (long long)n,
                max_abs_diff(lf, ref));
    std::printf("  alexnet int8 vs fp32 top-1 agreement: %lld/%lld = %.2f %%; on photos with top-1 prob >= 0.56: "
                "%lld/%lld; logits max |diff| %.3g (|logits| up to %.3g); accuracy fp32 %.1f %%, int8 %.1f %% "
                "(random-weight backbone: many near-ties)\n",
                (long long)same, (long long)n, 100 * agree, (long long)same_sure, (long long)n_sure, dq, scale,
                100 * (a == y).to(torch::kFloat).mean().item<double>(),
                100 * (b == y).to(torch::kFloat).mean().item<double>());
    CHECK(max_abs_diff(lf, ref) <= 1e-4);
    // int8 error stays a few percent of the logit range, so no confident prediction flips.
    CHECK(dq <= 0.05 * scale);
    CHECK(same_sure == n_sure);
    CHECK(agree >= 0.995);
}

TEST_CASE("web model encodings: onnxruntime-web and -node speed (benchmark)", "[.bench]") {
    torch::manual_seed(0);
    nets::Model m(nets::make_spec("alexnet", 2));
    const std::string dir = work_dir("web_bench");
    write_f32(dir + "/input.bin", photo_batch(holdout(1), m.spec().transform));
    for (auto [name, enc, fold] : {std::tuple{"fp32", exporter::WebLinear::None, false},
                                   std::tuple{"dequantize", exporter::WebLinear::Dequantize, false},
                                   std::tuple{"dq folded", exporter::WebLinear::Dequantize, true},
                                   std::tuple{"dynamic", exporter::WebLinear::Dynamic, false}}) {
        exporter::ExportOptions opt;
        opt.web_linear = enc;
        opt.write_explain = false;
        auto r = exporter::export_model(m, {"cat", "dog"}, dir, opt);
        for (const std::string backend : {"web", "node"}) {
            OrtResult o = run_ort(r.web_path, {dir + "/input.bin"}, dir + "/" + backend, backend, "logits", 10, fold);
            std::vector<double> t = o.meta.at("run_ms").get<std::vector<double>>();
            std::sort(t.begin() + 1, t.end());
            std::printf("  %-10s %5.1f MiB  onnxruntime-%s: create %.0f ms, median run %.1f ms (1 thread, 1 image)\n",
                        name, r.web_bytes / 1048576.0, backend.c_str(), o.meta.at("create_ms").get<double>(),
                        t[1 + (t.size() - 1) / 2]);
        }
    }
}
