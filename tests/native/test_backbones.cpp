// tests/native/test_backbones.cpp - SqueezeNet 1.1, ResNet-18 and torchvision's MobileNet V2
// against torchvision 0.14 (tests/reference/backbones_parity.py, run by the ctest fixture
// backbones_fixture into $CATDOG_BACKBONE_FIXTURES):
//   - the specs' parameters are the .pth files' state_dict keys and shapes, in order;
//   - eval-mode logits and every view within 1e-4, torch and oneDNN engines (BatchNorm folded
//     into the convs there), NCHW and channels_last, zip and legacy files;
//   - SqueezeNet's real ImageNet weights classify holdout-dev as torchvision does, photo for
//     photo, through the shared core's own preprocessing;
//   - `--unfreeze 2` on ResNet-18: the unfrozen BatchNorms use batch statistics, update their
//     running statistics and get torch's gradients, the frozen ones stay in inference mode.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include <torch/torch.h>
#undef CHECK
#include <catch2/catch.hpp>

#include "catdog/image.h"
#include "catdog/transforms.h"
#include "nets/model.h"
#include "nets/model_io.h"
#include "nets/netspec.h"
#include "nets/pretrained.h"
#include "test_paths.h"
#include "torch_dict.h"
#include "weights/pth_reader.h"

using namespace catdog;
using nets::Model;
namespace fs = std::filesystem;

namespace {

std::string fixtures() {
    const char* d = std::getenv("CATDOG_BACKBONE_FIXTURES");
    if (!d || !*d) FAIL("CATDOG_BACKBONE_FIXTURES is not set: run this test through ctest (its fixture makes the files)");
    return d;
}

std::string squeezenet_file(bool legacy) {
    return catdog_test::shared_dir() + "/weights/squeezenet1_1/squeezenet1_1" + (legacy ? "-legacy" : "") + ".pth";
}


double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
    REQUIRE(a.sizes() == b.sizes());
    return (a.to(torch::kCPU).to(torch::kFloat) - b.to(torch::kCPU).to(torch::kFloat)).abs().max().item<double>();
}

struct Case {
    const char* backbone;
    std::vector<std::string> files;
    std::string ref;
};

std::vector<Case> cases() {
    return {{"squeezenet1_1", {squeezenet_file(false), squeezenet_file(true)}, fixtures() + "/squeezenet1_1_ref.pt"},
            {"resnet18", {fixtures() + "/resnet18.pth", fixtures() + "/resnet18_legacy.pth"}, fixtures() + "/resnet18_ref.pt"},
            {"mobilenet_v2_torchvision", {fixtures() + "/mobilenet_v2_tv.pth"}, fixtures() + "/mobilenet_v2_tv_ref.pt"}};
}

}  // namespace

TEST_CASE("backbone specs hold the .pth files' state_dict keys and shapes, in order", "[backbones]") {
    for (const Case& c : cases()) {
        INFO(c.backbone);
        const weights::WeightMap w = weights::read_pth(c.files[0]);
        const nets::NetSpec s = nets::make_spec(c.backbone, 1000);
        auto ref = catdog_test::load_torch_dict(c.ref);
        std::vector<std::string> keys;  // torchvision's state_dict order (../shared's file has its own)
        std::istringstream in(ref.at("state_dict_keys").toStringRef());
        for (std::string k; std::getline(in, k);) keys.push_back(k);
        std::vector<std::string> names;
        for (const auto& p : s.params()) {
            names.push_back(p.name);
            INFO(p.name);
            REQUIRE(w.tensors.count(p.name));
            CHECK(w.tensors.at(p.name).shape == p.shape);
        }
        CHECK(names == keys);
    }
    const nets::NetSpec sq = nets::make_spec("squeezenet1_1", 2);
    int64_t n = 0;
    for (const auto& p : sq.params()) {
        int64_t k = 1;
        for (auto d : p.shape) k *= d;
        n += k;
    }
    CHECK(n == 723522);  // 1,235,496 with the 1000-class head, minus 512 x 998 + 998
    CHECK(sq.layers[sq.feature_layer].out_shape == std::vector<int64_t>{512, 13, 13});
    CHECK(sq.layers[sq.find("features.12")].out_shape == std::vector<int64_t>{512, 13, 13});
    const nets::NetSpec rn = nets::make_spec("resnet18", 2);
    CHECK(rn.layers[rn.find("layer4.1")].out_shape == std::vector<int64_t>{512, 7, 7});
    CHECK(rn.backbone_param_layers().size() == 20);  // 17 convs + 3 downsample convs
}

TEST_CASE("backbones: logits and every view vs torchvision within 1e-4", "[backbones]") {
    for (const Case& c : cases()) {
        auto ref = catdog_test::load_torch_dict(c.ref);
        const torch::Tensor x = ref.at("input").toTensor();
        const torch::Tensor want = ref.at("logits").toTensor();
        REQUIRE(want.std().item<double>() > 0.3);  // a check at 1e-4 that could fail
        for (const std::string& file : c.files) {
            for (bool channels_last : {false, true}) {
                DYNAMIC_SECTION(c.backbone << " " << fs::path(file).filename().string()
                                           << (channels_last ? " channels_last" : "")) {
                    Model m(nets::make_spec(c.backbone, 1000), Model::Init::None);
                    nets::load_weights(m, nets::load_pretrained(c.backbone, file), true);
                    m.set_channels_last(channels_last);
                    torch::NoGradGuard no_grad;
                    nets::Taps taps;
                    const torch::Tensor logits = m.forward(x, false, &taps);
                    const double d = max_abs_diff(logits, want);
                    std::cout << c.backbone << " " << fs::path(file).filename().string()
                              << (channels_last ? " (channels_last)" : "") << ": max |logit diff| " << d
                              << " (|logits| up to " << want.abs().max().item<double>() << ")\n";
                    CHECK(d < 1e-4);
                    REQUIRE(taps.size() == m.spec().view_layers().size());
                    // Views: 1e-4 absolute for O(1) maps, relative to the map's range above 1
                    // (SqueezeNet's real activations reach ~360, where float32 steps are 3e-5).
                    double worst = 0, worst_rel = 0;
                    for (const auto& [name, t] : taps) {
                        INFO(name);
                        REQUIRE(ref.count(name));
                        const torch::Tensor r = ref.at(name).toTensor();
                        const double dv = max_abs_diff(t, r), scale = std::max(1.0, r.abs().max().item<double>());
                        CHECK(dv < 1e-4 * scale);
                        worst = std::max(worst, dv);
                        worst_rel = std::max(worst_rel, dv / scale);
                    }
                    std::cout << "  " << taps.size() << " views, worst max |diff| " << worst
                              << ", worst relative to the map's range " << worst_rel << "\n";
                    CHECK(max_abs_diff(m.head(m.trunk(x, false)), want) < 1e-4);
                    if (Model::onednn_available() && !channels_last) {
                        m.set_trunk_engine(Model::Engine::OneDnn);
                        const double dn = max_abs_diff(m.head(m.trunk(x, false)), want);
                        std::cout << "  oneDNN trunk (BatchNorm folded): max |logit diff| " << dn << "\n";
                        CHECK(dn < 1e-4);
                    }
                }
            }
        }
    }
}

TEST_CASE("squeezenet1_1 real weights: holdout-dev's ImageNet top-1 equals torchvision's", "[backbones]") {
    auto ref = catdog_test::load_torch_dict(fixtures() + "/squeezenet1_1_ref.pt");
    std::vector<std::string> files;
    std::istringstream in(ref.at("holdout_files").toStringRef());
    for (std::string f; std::getline(in, f);) files.push_back(f);
    const torch::Tensor want = ref.at("holdout_top1").toTensor();
    REQUIRE((int64_t)files.size() == want.size(0));
    REQUIRE(files.size() > 100);
    Model m(nets::make_spec("squeezenet1_1", 1000), Model::Init::None);
    nets::load_weights(m, nets::load_pretrained("squeezenet1_1", squeezenet_file(false)), true);
    m.set_trunk_engine(Model::onednn_available() ? Model::Engine::OneDnn : Model::Engine::Torch);
    const TransformSpec tf = m.spec().transform;
    torch::NoGradGuard no_grad;
    int same = 0, kinds = 0;
    for (size_t i = 0; i < files.size(); ++i) {
        torch::Tensor x = torch::empty({1, 3, 224, 224});
        val_tensor(load_image(catdog_test::dataset("holdout-dev") + "/" + files[i]), tf, x.data_ptr<float>());
        const int64_t got = m.forward(x, false).argmax(1).item<int64_t>();
        const int64_t w = want[(int64_t)i].item<int64_t>();
        INFO(files[i]);
        CHECK(got == w);
        same += got == w;
        const bool dog = files[i].rfind("dog", 0) == 0;
        kinds += dog ? (got >= 151 && got <= 268) : (got >= 281 && got <= 285);
    }
    std::cout << "squeezenet1_1 holdout-dev: " << same << "/" << files.size() << " top-1 equal to torchvision's; "
              << kinds << " of the right kind (cat 281-285, dog 151-268)\n";
}

TEST_CASE("resnet18 --unfreeze 2: the unfrozen BatchNorms train as PyTorch's, the rest stay frozen", "[backbones]") {
    auto ref = catdog_test::load_torch_dict(fixtures() + "/resnet18_ref.pt");
    Model m(nets::make_spec("resnet18", 1000), Model::Init::None);
    nets::load_weights(m, nets::load_pretrained("resnet18", fixtures() + "/resnet18.pth"), true);
    m.set_trainable(2);
    std::set<std::string> trains;
    for (auto& [n, t] : m.params())
        if (t.requires_grad()) trains.insert(n);
    CHECK(trains == std::set<std::string>{"fc.weight", "fc.bias", "layer4.1.conv1.weight", "layer4.1.conv2.weight",
                                          "layer4.1.bn1.weight", "layer4.1.bn1.bias", "layer4.1.bn2.weight",
                                          "layer4.1.bn2.bias"});
    CHECK(m.unfrozen_backbone_parameters().size() == 6);
    const torch::Tensor before = m.params().at("layer4.0.bn1.running_mean").clone();
    const torch::Tensor logits = m.forward(ref.at("train.input").toTensor(), /*train=*/true);
    CHECK(max_abs_diff(logits, ref.at("train.logits").toTensor()) < 1e-4);
    (logits * ref.at("train.seed").toTensor()).sum().backward();
    for (const char* bn : {"layer4.1.bn1", "layer4.1.bn2"}) {
        INFO(bn);
        const std::string p = bn;
        CHECK(max_abs_diff(m.params().at(p + ".running_mean"), ref.at("train." + p + ".running_mean").toTensor()) < 1e-5);
        CHECK(max_abs_diff(m.params().at(p + ".running_var"), ref.at("train." + p + ".running_var").toTensor()) < 1e-5);
        const torch::Tensor gw = ref.at("train." + p + ".weight.grad").toTensor();
        const double tol = 1e-4 * std::max(1.0, gw.abs().max().item<double>());
        CHECK(max_abs_diff(m.params().at(p + ".weight").grad(), gw) < tol);
        CHECK(max_abs_diff(m.params().at(p + ".bias").grad(), ref.at("train." + p + ".bias.grad").toTensor()) < tol);
    }
    CHECK(torch::equal(before, m.params().at("layer4.0.bn1.running_mean")));  // frozen: inference mode
    CHECK(!m.params().at("layer4.1.bn1.running_mean").requires_grad());
}

TEST_CASE("backbones: bf16 trunk and a 2-class head, save -> load_file round trip", "[backbones]") {
    for (const Case& c : cases()) {
        INFO(c.backbone);
        auto ref = catdog_test::load_torch_dict(c.ref);
        const torch::Tensor x = ref.at("input").toTensor();
        Model m(nets::make_spec(c.backbone, 1000), Model::Init::None);
        nets::load_weights(m, nets::load_pretrained(c.backbone, c.files[0]), true);
        torch::NoGradGuard no_grad;
        m.set_trunk_dtype(torch::kBFloat16);
        const torch::Tensor lp = m.head(m.trunk(x, false));
        const torch::Tensor want = ref.at("logits").toTensor();
        const double d = max_abs_diff(lp, want) / want.abs().max().item<double>();
        std::cout << c.backbone << " bf16 trunk: max |logit diff| / max |logit| " << d << "\n";
        CHECK(d < 0.25);  // bf16 keeps 8 mantissa bits; MobileNet's 52 layers drift furthest
        m.set_trunk_dtype(torch::kFloat);
        m.reset_head(2);
        CHECK(m.forward(x, false).sizes() == at::IntArrayRef({2, 2}));
        CHECK(m.trunk(x, false).sizes() == at::IntArrayRef({2, m.spec().feature_dim}));
        const std::string path = catdog_test::binary_dir() + "/tests/native/backbone_" + c.backbone + ".ckpt";
        nets::save_model(m, path);
        Model b(nets::make_spec(c.backbone, 1000), Model::Init::None);
        nets::load_model(b, path);
        CHECK(b.spec().num_classes == 2);
        for (auto& [n, t] : m.params()) {
            INFO(n);
            CHECK(torch::equal(t, b.params().at(n)));
        }
    }
}

TEST_CASE("weights are read by content, whatever the file is called", "[backbones]") {
    const std::string dir = catdog_test::binary_dir() + "/tests/native/backbone_names";
    fs::create_directories(dir);
    fs::copy_file(fixtures() + "/resnet18.pth", dir + "/resnet18.tflite", fs::copy_options::overwrite_existing);
    CHECK(nets::load_pretrained("resnet18", dir + "/resnet18.tflite").tensors.count("layer4.1.bn2.running_var"));
    const std::string tfl = catdog_test::shared_dir() +
                            "/weights/mobilenet_v2_1.0_224_quant/mobilenet_v2_1.0_224_quant.tflite";
    fs::copy_file(tfl, dir + "/mobilenet.pth", fs::copy_options::overwrite_existing);
    CHECK(nets::load_pretrained("mobilenet_v2", dir + "/mobilenet.pth").tensors.count("classifier.1.weight"));
    CHECK(nets::resolve_backbone("mobilenet_v2", fixtures() + "/mobilenet_v2_tv.pth") == "mobilenet_v2_torchvision");
    CHECK(nets::resolve_backbone("mobilenet_v2_torchvision", dir + "/mobilenet.pth") == "mobilenet_v2");
    CHECK(nets::resolve_backbone("resnet18", dir + "/mobilenet.pth") == "resnet18");
    CHECK_THROWS_WITH(nets::load_pretrained("mobilenet_v2", fixtures() + "/mobilenet_v2_tv.pth"),
                      Catch::Contains("mobilenet_v2_torchvision"));
    CHECK_THROWS_WITH(nets::load_pretrained("resnet18", squeezenet_file(false)),
                      Catch::Contains("not resnet18 weights") && Catch::Contains("squeezenet1_1.pth"));
    CHECK_THROWS_WITH(nets::load_pretrained("squeezenet1_1", fixtures() + "/resnet18.pth"),
                      Catch::Contains("not squeezenet1_1 weights"));
}
