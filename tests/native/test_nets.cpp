// tests/native/test_nets.cpp - nets/ against outside references.
//
//   torchvision (tests/reference/alexnet_parity.py): the state_dict names and shapes, the
//     default init, eval-mode logits and every conv activation, from both .pth formats.
//   an independent NumPy run of the TFLite graph (tests/reference/mobilenet_reference.py):
//     the imported MobileNet V2 classifies holdout-dev's photos as the same ImageNet classes.
//   torch itself (tests/reference/check_checkpoint.py): a saved checkpoint loads into
//     torchvision's AlexNet and gives the logits catdog computed.
//
// The fixtures are made at test time into $CATDOG_NETS_FIXTURES by the ctest fixtures.
//
// Index of this file:
// [SECTION] Specs
// [SECTION] AlexNet parity with torchvision
// [SECTION] MobileNet V2 imported from TFLite vs. an independent NumPy float reference
// [SECTION] Freezing, heads, checkpoints
// [SECTION] The oneDNN trunk engine (onednn/trunk.h) against the same outside references
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <set>
#include <string>

// Torch first: Debian's LibTorch pulls in glog, whose CHECK would replace Catch's (an aborting
// CHECK is never counted). Undefine it, then let Catch define its own.
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

namespace {

std::string fixtures() {
    const char* d = std::getenv("CATDOG_NETS_FIXTURES");
    if (!d || !*d) FAIL("CATDOG_NETS_FIXTURES is not set: run this test through ctest (its fixtures make the files)");
    return d;
}

std::string mobilenet_tflite() {
    return catdog_test::shared_dir() + "/weights/mobilenet_v2_1.0_224_quant/mobilenet_v2_1.0_224_quant.tflite";
}


double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
    REQUIRE(a.sizes() == b.sizes());
    return (a.to(torch::kCPU) - b.to(torch::kCPU)).abs().max().item<double>();
}

}  // namespace

//-----------------------------------------------------------------------------
// [SECTION] Specs
//-----------------------------------------------------------------------------
TEST_CASE("alexnet spec has torchvision's state_dict names and shapes, in order", "[nets][alexnet]") {
    const weights::WeightMap w = weights::read_pth(fixtures() + "/alexnet_zip.pth");
    const nets::NetSpec s = nets::make_spec("alexnet", 1000);
    const auto params = s.params();
    REQUIRE(params.size() == w.order.size());
    for (size_t i = 0; i < params.size(); ++i) {
        CHECK(params[i].name == w.order[i]);
        CHECK(params[i].shape == w.tensors.at(w.order[i]).shape);
    }
    CHECK(s.layers[s.feature_layer].name == "classifier.5");
    CHECK(s.feature_dim == 4096);
    CHECK(s.layers[s.head_layer].name == "classifier.6");
    CHECK(s.conv1 == "features.0");
    CHECK(s.backbone_param_layers().size() == 7);
    std::vector<std::string> views;
    for (int i : s.view_layers()) views.push_back(s.layers[i].view);
    CHECK((views == std::vector<std::string>{"features.0", "features.3", "features.6", "features.8", "features.10"}));
    CHECK((s.layers[s.find("features.12")].out_shape == std::vector<int64_t>{256, 6, 6}));
    CHECK(s.transform.resize == 256);
    CHECK(s.transform.crop == 224);
    CHECK(s.transform.mean[0] == Approx(0.485f));
}

TEST_CASE("mobilenet_v2 spec: 52 convs, 10 residual adds, 1280-d features, SAME pads", "[nets][mobilenet]") {
    const nets::NetSpec s = nets::make_spec("mobilenet_v2", 2);
    int convs = 0, adds = 0, dw = 0;
    for (const auto& l : s.layers) {
        convs += l.op == nets::Op::Conv;
        adds += l.op == nets::Op::Add;
        dw += l.op == nets::Op::Conv && l.groups > 1;
    }
    CHECK(convs == 52);
    CHECK(dw == 17);
    CHECK(adds == 10);
    CHECK(s.feature_dim == 1280);
    CHECK(s.layers[s.feature_layer].out_shape == std::vector<int64_t>{1280});
    CHECK(s.layers[s.head_layer].name == "classifier.1");
    CHECK(s.transform.mean[1] == 0.5f);
    CHECK(s.transform.std[2] == 0.5f);
    const auto& stem = s.layers[s.find("features.0.0")];
    CHECK((stem.pad == std::array<int, 4>{0, 0, 1, 1}));
    CHECK((stem.out_shape == std::vector<int64_t>{32, 112, 112}));
    CHECK((s.layers[s.find("features.2.conv.1.0")].pad == std::array<int, 4>{0, 0, 1, 1}));
    CHECK((s.layers[s.find("features.3.conv.1.0")].pad == std::array<int, 4>{1, 1, 1, 1}));
    CHECK((s.layers[s.find("features.18.0")].out_shape == std::vector<int64_t>{1280, 7, 7}));
    CHECK(s.find("features.3") >= 0);   // residual
    CHECK(s.find("features.2") < 0);    // stride 2: none
    CHECK(s.view_layers().size() == 35);
    CHECK(s.params().size() == 2 * 52 + 2);
}

TEST_CASE("make_spec names the valid backbones on a bad one", "[nets]") {
    CHECK_THROWS_WITH(nets::make_spec("resnet", 2), Catch::Contains("alexnet") && Catch::Contains("mobilenet_v2"));
    CHECK((nets::backbone_names() == std::vector<std::string>{"alexnet", "mobilenet_v2", "mobilenet_v2_torchvision",
                                                             "resnet18", "squeezenet1_1"}));
}

//-----------------------------------------------------------------------------
// [SECTION] AlexNet parity with torchvision
//-----------------------------------------------------------------------------
TEST_CASE("default init equals torchvision's alexnet() under the same seed", "[nets][alexnet]") {
    auto ref = catdog_test::load_torch_dict(fixtures() + "/alexnet_ref.pt");
    torch::manual_seed(0);
    Model m(nets::make_spec("alexnet", 1000));
    for (const char* n : {"features.0.weight", "features.0.bias", "classifier.6.weight", "classifier.6.bias"}) {
        INFO(n);
        CHECK(max_abs_diff(m.params().at(n), ref.at(std::string("init.") + n).toTensor()) < 1e-7);
    }
}

TEST_CASE("alexnet from torchvision .pth files: logits and activations within 1e-4", "[nets][alexnet]") {
    auto ref = catdog_test::load_torch_dict(fixtures() + "/alexnet_ref.pt");
    const torch::Tensor x = ref.at("input").toTensor();
    const torch::Tensor want = ref.at("logits").toTensor();
    REQUIRE(want.std().item<double>() > 1.0);  // a check at 1e-4 that could fail
    for (const char* file : {"alexnet_zip.pth", "alexnet_legacy.pth"}) {
        for (bool channels_last : {false, true}) {
            DYNAMIC_SECTION(file << (channels_last ? " channels_last" : " contiguous")) {
                Model m(nets::make_spec("alexnet", 1000));
                CHECK(nets::load_weights(m, nets::load_pretrained("alexnet", fixtures() + "/" + file), true) == 16);
                m.set_channels_last(channels_last);
                torch::NoGradGuard no_grad;
                nets::Taps taps;
                const torch::Tensor in = x;
                const torch::Tensor logits = m.forward(in, false, &taps);
                const double d = max_abs_diff(logits, want);
                std::cout << file << (channels_last ? " (channels_last)" : "") << ": max |logit diff| " << d << "\n";
                CHECK(d < 1e-4);
                REQUIRE(taps.size() == 5);
                for (const auto& [name, t] : taps) {
                    INFO(name);
                    CHECK(max_abs_diff(t, ref.at(name).toTensor()) < 1e-4);
                }
                // trunk + head is the same function.
                CHECK(max_abs_diff(m.head(m.trunk(in, false)), want) < 1e-4);
            }
        }
    }
}

TEST_CASE("loading refuses weights of another network, naming file and tensor", "[nets]") {
    CHECK_THROWS_WITH(nets::load_pretrained("mobilenet_v2", fixtures() + "/alexnet_zip.pth"),
                      Catch::Contains("alexnet_zip.pth") && Catch::Contains("missing"));
    CHECK_THROWS_WITH(nets::load_pretrained("alexnet", mobilenet_tflite()),
                      Catch::Contains(".tflite") && Catch::Contains("mobilenet_v2"));
    weights::WeightMap w = weights::read_pth(fixtures() + "/alexnet_zip.pth");
    w.tensors.at("features.3.weight").shape = {192, 64, 3, 3};
    Model m(nets::make_spec("alexnet", 2));
    CHECK_THROWS_WITH(nets::load_weights(m, w, true), Catch::Contains("features.3.weight") && Catch::Contains("[192,64,5,5]"));
}

//-----------------------------------------------------------------------------
// [SECTION] MobileNet V2 imported from TFLite vs. an independent NumPy float reference
//-----------------------------------------------------------------------------
TEST_CASE("mobilenet_v2 from TFLite classifies holdout-dev like the NumPy reference", "[nets][mobilenet]") {
    auto ref = catdog_test::load_torch_dict(fixtures() + "/mobilenet_ref.pt");
    const torch::Tensor x = ref.at("input").toTensor();
    const torch::Tensor want = ref.at("logits").toTensor();
    std::vector<std::string> files;
    for (const auto& f : ref.at("files").toListRef()) files.push_back(f.toStringRef());
    REQUIRE(files.size() == (size_t)x.size(0));
    REQUIRE(files.size() >= 2);

    const weights::WeightMap w = nets::load_pretrained("mobilenet_v2", mobilenet_tflite());
    CHECK(w.order.front() == "features.0.0.weight");
    CHECK(w.order.back() == "classifier.1.bias");
    Model m(nets::make_spec("mobilenet_v2", 1001));
    REQUIRE(nets::load_weights(m, w, true) == 2 * 52 + 2);

    torch::NoGradGuard no_grad;
    auto run_all = [&] {
        std::vector<torch::Tensor> parts;
        for (int64_t s = 0; s < x.size(0); s += 32)
            parts.push_back(m.forward(x.slice(0, s, std::min<int64_t>(s + 32, x.size(0))), false));
        return torch::cat(parts);
    };
    const torch::Tensor logits = run_all();
    m.set_channels_last(true);
    const double d_cl = max_abs_diff(run_all(), want);
    std::cout << "mobilenet_v2 channels_last: max |logit diff| " << d_cl << "\n";
    CHECK(d_cl < 1e-3);
    const torch::Tensor got_cls = logits.argmax(1), want_cls = want.argmax(1);
    int same = 0;
    for (int64_t i = 0; i < x.size(0); ++i) {
        const bool eq = got_cls[i].item<int64_t>() == want_cls[i].item<int64_t>();
        same += eq;
        if (!eq) std::cout << files[i] << ": catdog class " << got_cls[i].item<int64_t>() << ", reference "
                           << want_cls[i].item<int64_t>() << "\n";
    }
    const double d = max_abs_diff(logits, want);
    std::cout << "mobilenet_v2 TFLite import: " << same << "/" << x.size(0)
              << " photos same ImageNet class as the NumPy reference; max |logit diff| " << d << "\n";
    CHECK(same == x.size(0));
    CHECK(d < 1e-3);  // same float weights, same graph: only summation order differs

    // chelsea's top 5, by name
    std::ifstream lf(catdog_test::shared_dir() + "/weights/mobilenet_v2_1.0_224_quant/imagenet_labels.txt");
    std::vector<std::string> labels;
    for (std::string line; std::getline(lf, line);) labels.push_back(line);
    REQUIRE(labels.size() == 1001);
    for (size_t i = 0; i < files.size(); ++i) {
        if (files[i] != "cat.20240.jpg" && files[i] != "dog.20240.jpg") continue;
        const auto top = logits[i].topk(5);
        std::cout << files[i] << " top-5:";
        for (int k = 0; k < 5; ++k) {
            const int64_t c = std::get<1>(top)[k].item<int64_t>();
            std::cout << (k ? ", " : " ") << labels[c] << " (" << std::get<0>(top)[k].item<float>() << ")";
        }
        std::cout << "\n";
        if (files[i] == "cat.20240.jpg") {
            const std::string first = labels[std::get<1>(top)[0].item<int64_t>()];
            CHECK((first.find("tabby") != std::string::npos || first.find("tiger cat") != std::string::npos ||
                   first.find("Egyptian cat") != std::string::npos));
        }
    }
}

TEST_CASE("mobilenet_v2 end to end: the shared core's val transform, then the imported net", "[nets][mobilenet]") {
    auto ref = catdog_test::load_torch_dict(fixtures() + "/mobilenet_ref.pt");
    const torch::Tensor x = ref.at("input").toTensor(), want = ref.at("logits").toTensor();
    std::vector<std::string> files;
    for (const auto& f : ref.at("files").toListRef()) files.push_back(f.toStringRef());
    Model m(nets::make_spec("mobilenet_v2", 1001));
    nets::load_weights(m, nets::load_pretrained("mobilenet_v2", mobilenet_tflite()), true);
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < files.size(); ++i) {
        if (files[i] != "cat.20240.jpg" && files[i] != "dog.20240.jpg") continue;
        INFO(files[i]);
        const Image img = load_image(catdog_test::dataset("holdout-dev") + "/" + files[i]);
        torch::Tensor in = torch::empty({1, 3, 224, 224});
        val_tensor(img, m.spec().transform, in.data_ptr<float>());
        // The core reproduces PIL + torchvision (their own tests pin that); here it only has
        // to give the net the same picture.
        CHECK(max_abs_diff(in[0], x[i]) < 0.02);
        CHECK(m.forward(in, false).argmax(1).item<int64_t>() == want[i].argmax().item<int64_t>());
    }
}

TEST_CASE("load_pretrained: clear errors for unreadable files", "[nets]") {
    const std::string dir = catdog_test::binary_dir() + "/tests/native";
    CHECK_THROWS_WITH(nets::load_pretrained("alexnet", dir + "/absent.pth"), Catch::Contains("absent.pth"));
    std::ofstream(dir + "/nets_junk.bin") << "hello, not weights";
    CHECK_THROWS_WITH(nets::load_pretrained("alexnet", dir + "/nets_junk.bin"),
                      Catch::Contains("nets_junk.bin") && Catch::Contains("neither"));
    std::ofstream(dir + "/nets_junk.tflite") << "12345678 still not weights";
    CHECK_THROWS_WITH(nets::load_pretrained("mobilenet_v2", dir + "/nets_junk.tflite"), Catch::Contains("nets_junk.tflite"));
    CHECK_THROWS_WITH(nets::load_pretrained("vgg", dir + "/nets_junk.tflite"), Catch::Contains("unknown backbone"));
}

TEST_CASE("TFLite import checks the graph against the spec", "[nets][mobilenet]") {
    const std::string path = mobilenet_tflite();
    weights::TfliteModel g = weights::read_tflite(path);
    const nets::NetSpec spec = nets::make_spec("mobilenet_v2", 1001);
    // VALID instead of SAME on the first stride-2 conv: pads would be wrong.
    {
        weights::TfliteModel bad = g;
        bad.ops[0].padding = weights::TflitePadding::Valid;
        CHECK_THROWS_WITH(nets::import_tflite(bad, spec, path),
                          Catch::Contains("features.0.0") && Catch::Contains("padding VALID"));
    }
    // A missing fused ReLU6.
    {
        weights::TfliteModel bad = g;
        bad.ops[1].activation = "NONE";
        CHECK_THROWS_WITH(nets::import_tflite(bad, spec, path), Catch::Contains("expected RELU6"));
    }
    // A residual add wired to the wrong tensor.
    {
        weights::TfliteModel bad = g;
        for (auto& op : bad.ops)
            if (op.op == "ADD") { op.inputs[0] = op.inputs[1]; break; }
        CHECK_THROWS_WITH(nets::import_tflite(bad, spec, path), Catch::Contains("features.3") && Catch::Contains("reads"));
    }
    // A truncated graph.
    {
        weights::TfliteModel bad = g;
        bad.ops.resize(20);
        CHECK_THROWS_WITH(nets::import_tflite(bad, spec, path), Catch::Contains("ends before"));
    }
    // Another class count than the spec's head.
    CHECK_THROWS_WITH(nets::import_tflite(g, nets::make_spec("mobilenet_v2", 1000), path),
                      Catch::Contains("classifier.1"));
}

//-----------------------------------------------------------------------------
// [SECTION] Freezing, heads, checkpoints
//-----------------------------------------------------------------------------
TEST_CASE("freezing: head only, then the last K parameterised layers", "[nets]") {
    for (const char* backbone : {"alexnet", "mobilenet_v2"}) {
        INFO(backbone);
        Model m(nets::make_spec(backbone, 2));
        const auto bb = m.spec().backbone_param_layers();
        auto trainable = [&] {
            std::set<std::string> s;
            for (auto& [n, t] : m.params())
                if (t.requires_grad()) s.insert(n);
            return s;
        };
        const std::string head = m.spec().layers[m.spec().head_layer].name;
        m.set_trainable(0);
        CHECK((trainable() == std::set<std::string>{head + ".weight", head + ".bias"}));
        CHECK(m.head_parameters().size() == 2);
        CHECK(m.unfrozen_backbone_parameters().empty());
        m.set_trainable(2);
        const std::string l1 = m.spec().layers[bb[bb.size() - 1]].name, l2 = m.spec().layers[bb[bb.size() - 2]].name;
        CHECK((trainable() == std::set<std::string>{head + ".weight", head + ".bias", l1 + ".weight", l1 + ".bias",
                                                   l2 + ".weight", l2 + ".bias"}));
        CHECK(m.unfrozen_backbone_parameters().size() == 4);
        // Gradients reach exactly the trainable tensors.
        m.set_trainable(1);
        torch::Tensor x = torch::randn({1, 3, 224, 224});
        m.forward(x, true).sum().backward();
        for (auto& [n, t] : m.params()) {
            INFO(n);
            CHECK(t.grad().defined() == t.requires_grad());
        }
        m.set_trainable(-1);
        CHECK(trainable().size() == m.params().size());
    }
}

TEST_CASE("reset_head makes a fresh Linear(F, classes)", "[nets]") {
    Model m(nets::make_spec("mobilenet_v2", 1001));
    m.reset_head(3);
    CHECK(m.spec().num_classes == 3);
    CHECK(m.params().at("classifier.1.weight").sizes() == at::IntArrayRef({3, 1280}));
    CHECK(m.params().at("classifier.1.weight").requires_grad());
    torch::NoGradGuard g;
    CHECK(m.forward(torch::zeros({2, 3, 224, 224}), false).sizes() == at::IntArrayRef({2, 3}));
    CHECK(m.trunk(torch::zeros({2, 3, 224, 224}), false).sizes() == at::IntArrayRef({2, 1280}));
}

TEST_CASE("save -> load_file round trip is exact and adopts the file's head", "[nets]") {
    const std::string path = catdog_test::binary_dir() + "/tests/native/nets_roundtrip.ckpt";
    torch::manual_seed(3);
    Model a(nets::make_spec("mobilenet_v2", 2));
    nets::save_model(a, path);
    std::ifstream tmp(path + ".tmp");
    CHECK(!tmp.good());  // written atomically: no temporary left behind
    torch::manual_seed(4);
    Model b(nets::make_spec("mobilenet_v2", 1001));
    nets::load_model(b, path);
    CHECK(b.spec().num_classes == 2);
    for (auto& [n, t] : a.params()) {
        INFO(n);
        CHECK(torch::equal(t, b.params().at(n)));
    }
    // Loaded in place: every tensor points into the mapped file, 64-byte aligned.
    const weights::MappedWeights mapped = weights::map_pth(path);
    CHECK(mapped.tensors.size() == a.params().size());
    CHECK(mapped.in_place == mapped.tensors.size());
    for (const weights::RawTensor& t : mapped.tensors) CHECK(reinterpret_cast<uintptr_t>(t.data) % 64 == 0);
    Model c(nets::make_spec("alexnet", 2));
    CHECK_THROWS_WITH(nets::load_model(c, path), Catch::Contains(path) && Catch::Contains("features.0.weight"));
    std::ofstream(path + ".junk") << "not a checkpoint";
    CHECK_THROWS_WITH(nets::load_model(c, path + ".junk"), Catch::Contains("not a catdog checkpoint"));
    CHECK_THROWS_WITH(nets::load_model(c, path + ".absent"), Catch::Contains("cannot open"));
}

// Hidden: run by ctest as the setup of tests/reference/check_checkpoint.py.
TEST_CASE("write an alexnet checkpoint for torch.load", "[.ckpt-write]") {
    torch::manual_seed(5);
    Model m(nets::make_spec("alexnet", 2));
    nets::save_model(m, fixtures() + "/catdog_alexnet2.ckpt");
    torch::manual_seed(6);
    const torch::Tensor x = torch::randn({2, 3, 224, 224});
    torch::NoGradGuard g;
    c10::Dict<std::string, torch::Tensor> io;
    io.insert("input", x);
    io.insert("logits", m.forward(x, false));
    const std::vector<char> bytes = torch::pickle_save(io);
    std::ofstream(fixtures() + "/catdog_alexnet2_io.pt", std::ios::binary).write(bytes.data(), bytes.size());
}

// Hidden: `test_nets "[.bench]"` prints forward throughput (batch 64, no grad).
TEST_CASE("forward throughput", "[.bench]") {
    torch::NoGradGuard g;
    for (const char* backbone : {"alexnet", "mobilenet_v2"}) {
        for (int mode = 0; mode < 3; ++mode) {  // contiguous, channels_last input, + channels_last weights
            Model m(nets::make_spec(backbone, 2));
            m.set_channels_last(mode == 2);
            torch::Tensor x = torch::randn({64, 3, 224, 224});
            if (mode) x = x.contiguous(at::MemoryFormat::ChannelsLast);
            m.forward(x, false);
            const auto t0 = std::chrono::steady_clock::now();
            const int reps = 3;
            for (int r = 0; r < reps; ++r) m.forward(x, false);
            const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            std::cout << backbone << (mode == 0 ? " contiguous" : mode == 1 ? " channels_last input" : " channels_last all")
                      << ": " << 64 * reps / s << " img/s\n";
        }
    }
}

//-----------------------------------------------------------------------------
// [SECTION] The oneDNN trunk engine (onednn/trunk.h) against the same outside references
//-----------------------------------------------------------------------------
TEST_CASE("onednn engine: alexnet logits match torchvision's", "[nets][alexnet][onednn]") {
    REQUIRE(Model::onednn_available());  // scripts/setup installs libdnnl-dev
    auto ref = catdog_test::load_torch_dict(fixtures() + "/alexnet_ref.pt");
    const torch::Tensor x = ref.at("input").toTensor();
    const torch::Tensor want = ref.at("logits").toTensor();
    for (bool channels_last : {false, true}) {
        DYNAMIC_SECTION((channels_last ? "channels_last" : "contiguous")) {
            Model m(nets::make_spec("alexnet", 1000));
            nets::load_weights(m, nets::load_pretrained("alexnet", fixtures() + "/alexnet_zip.pth"), true);
            m.set_channels_last(channels_last);
            m.set_trunk_engine(Model::Engine::OneDnn);
            torch::NoGradGuard no_grad;
            const double d = max_abs_diff(m.head(m.trunk(x, false)), want);
            const double scale = want.abs().max().item<double>();
            std::cout << "onednn alexnet" << (channels_last ? " (channels_last)" : "") << ": max |logit diff| " << d
                      << " (|logits| up to " << scale << ")\n";
            CHECK(d < 2e-4);  // Winograd sums in another order than direct convolution
            // One image and the pair: two plans, same function.
            CHECK(max_abs_diff(m.head(m.trunk(x.narrow(0, 1, 1), false)), want.narrow(0, 1, 1)) < 2e-4);
        }
    }
}

TEST_CASE("onednn engine: train mode stops before Dropout, weights changes are seen", "[nets][alexnet][onednn]") {
    REQUIRE(Model::onednn_available());  // scripts/setup installs libdnnl-dev
    auto ref = catdog_test::load_torch_dict(fixtures() + "/alexnet_ref.pt");
    const torch::Tensor x = ref.at("input").toTensor();
    Model a(nets::make_spec("alexnet", 2)), b(nets::make_spec("alexnet", 2));
    const auto w = nets::load_pretrained("alexnet", fixtures() + "/alexnet_zip.pth");
    nets::load_weights(a, w, false);
    nets::load_weights(b, w, false);
    b.set_trunk_engine(Model::Engine::OneDnn);
    torch::NoGradGuard no_grad;
    // Dropout draws from torch's generator in both engines: same seed, same masks.
    torch::manual_seed(7);
    const torch::Tensor fa = a.trunk(x, true);
    torch::manual_seed(7);
    const torch::Tensor fb = b.trunk(x, true);
    CHECK(max_abs_diff(fa, fb) < 2e-4);
    CHECK(max_abs_diff(fa, a.trunk(x, false)) > 0.1);  // dropout was on

    // An in-place change to a trunk weight (a resume's copy_) must reach the oneDNN plan.
    for (Model* m : {&a, &b}) m->params().at("features.8.weight").mul_(0.5);
    CHECK(max_abs_diff(a.trunk(x, false), b.trunk(x, false)) < 2e-4);
    // A trainable trunk layer (--unfreeze) runs in torch, with autograd.
    b.set_trainable(1);
    torch::AutoGradMode grad(true);
    CHECK(b.trunk(x, false).requires_grad());
}

TEST_CASE("onednn engine: mobilenet_v2 matches the NumPy reference", "[nets][mobilenet][onednn]") {
    REQUIRE(Model::onednn_available());  // scripts/setup installs libdnnl-dev
    auto ref = catdog_test::load_torch_dict(fixtures() + "/mobilenet_ref.pt");
    const torch::Tensor x = ref.at("input").toTensor().narrow(0, 0, 16);
    const torch::Tensor want = ref.at("logits").toTensor().narrow(0, 0, 16);
    Model m(nets::make_spec("mobilenet_v2", 1001));
    REQUIRE(nets::load_weights(m, nets::load_pretrained("mobilenet_v2", mobilenet_tflite()), true) == 2 * 52 + 2);
    m.set_channels_last(true);
    m.set_trunk_engine(Model::Engine::OneDnn);
    torch::NoGradGuard no_grad;
    const torch::Tensor logits = m.head(m.trunk(x, true));  // no Dropout in this trunk: all oneDNN
    const double d = max_abs_diff(logits, want);
    std::cout << "onednn mobilenet_v2: max |logit diff| " << d << "\n";
    CHECK(d < 1e-3);
    CHECK(logits.argmax(1).equal(want.argmax(1)));
}
