// tests/native/test_precision.cpp - the reduced-precision frozen trunk (--precision bf16) against
// the outside reference: MobileNet V2 (the TFLite file) classified by an independent NumPy run
// (tests/reference/mobilenet_reference.py, fixture nets_mobilenet). bf16 keeps 8 bits of
// mantissa, so logits move by a few hundredths; the ImageNet class must not.
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <torch/torch.h>
#include "nets/model.h"
#include "nets/model_io.h"
#include "nets/pretrained.h"
// After torch: glog (via c10) defines CHECK too, and Catch's must win.
#undef CHECK
#include <catch2/catch.hpp>
#include "test_paths.h"
#include "torch_dict.h"

using namespace catdog;

namespace {


std::string fixtures() {
    const char* d = std::getenv("CATDOG_NETS_FIXTURES");
    if (!d || !*d) FAIL("CATDOG_NETS_FIXTURES is not set: run this test through ctest");
    return d;
}

}  // namespace

TEST_CASE("bf16 trunk: mobilenet_v2 logits near the NumPy reference, same classes", "[precision]") {
    auto ref = catdog_test::load_torch_dict(fixtures() + "/mobilenet_ref.pt");
    const torch::Tensor x = ref.at("input").toTensor(), want = ref.at("logits").toTensor();
    nets::Model m(nets::make_spec("mobilenet_v2", 1001));
    nets::load_weights(m, nets::load_pretrained("mobilenet_v2", catdog_test::shared_dir() +
                                 "/weights/mobilenet_v2_1.0_224_quant/mobilenet_v2_1.0_224_quant.tflite"), true);
    m.set_channels_last(true);
    m.set_trunk_dtype(torch::kBFloat16);
    REQUIRE(m.trunk_dtype() == torch::kBFloat16);
    torch::NoGradGuard no_grad;
    std::vector<torch::Tensor> parts;
    for (int64_t s = 0; s < x.size(0); s += 32) {
        torch::Tensor f = m.trunk(x.slice(0, s, std::min<int64_t>(s + 32, x.size(0))), false);
        CHECK(f.scalar_type() == torch::kFloat);  // features come back in float32 for the head
        parts.push_back(m.head(f));
    }
    const torch::Tensor got = torch::cat(parts);
    const double d = (got - want).abs().max().item<double>();
    const double scale = want.abs().max().item<double>();
    const int64_t same = got.argmax(1).eq(want.argmax(1)).sum().item<int64_t>();
    std::cout << "mobilenet_v2 bf16 trunk: " << same << "/" << x.size(0) << " same top-1 as the NumPy reference; max |logit diff| "
              << d << " (logits up to " << scale << ")\n";
    // bf16 keeps ~3 significant digits through 53 layers: measured here 1.04 on logits up to
    // 20.7, and 119/122 same top-1 among 1001 ImageNet classes (near-ties flip).
    CHECK(d < 0.1 * scale);
    CHECK(same >= x.size(0) * 95 / 100);
    // Back to float32: the reference again to 1e-3 (the low-precision copies are dropped).
    m.set_trunk_dtype(torch::kFloat);
    CHECK((m.forward(x.slice(0, 0, 8), false) - want.slice(0, 0, 8)).abs().max().item<double>() < 1e-3);
}

TEST_CASE("bf16 trunk refuses a trainable trunk layer", "[precision]") {
    nets::Model m(nets::make_spec("alexnet", 2));
    m.set_trunk_dtype(torch::kBFloat16);
    m.set_trainable(1);  // classifier.4 (in the trunk) now trains
    CHECK_THROWS_WITH(m.trunk(torch::zeros({1, 3, 224, 224}), false), Catch::Contains("must be frozen"));
    CHECK_THROWS_AS(m.set_trunk_dtype(torch::kInt), std::invalid_argument);
}
