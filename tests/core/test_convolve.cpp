// convolve(): torch's conv2d on a real photo's network input and on odd-sized random inputs
// (outside reference: tests/reference/convolve_refs.py), the step-through's identity with the
// drawn value, the presets against their textbook values, and one-line errors.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <random>

#include "catdog/convolve.h"
#include "core_refs.h"

using namespace catdog;
using namespace catdog_test;

namespace {

std::string ref_dir() { return CATDOG_CONV_REF_DIR; }

struct Case {
    std::string name;
    std::vector<float> input;
    int C, H, W;
    ConvSpec spec;
    std::vector<float> expect;
    int oh, ow;
};

std::vector<Case> load_cases() {
    std::vector<Case> cases;
    for (const auto& r : read_tsv(ref_dir() + "/index.tsv")) {
        REQUIRE(r.size() == 19);
        Case c;
        c.name = r[0];
        c.input = read_f32(ref_dir() + "/" + r[1]);
        c.C = std::stoi(r[2]), c.H = std::stoi(r[3]), c.W = std::stoi(r[4]);
        REQUIRE(c.input.size() == size_t(c.C) * c.H * c.W);
        Kernel& k = c.spec.kernel;
        k.w = read_f32(ref_dir() + "/" + r[5]);
        k.c = std::stoi(r[6]), k.kh = std::stoi(r[7]), k.kw = std::stoi(r[8]);
        c.spec.stride = std::stoi(r[9]);
        for (int i = 0; i < 4; ++i) c.spec.pad[size_t(i)] = std::stoi(r[size_t(10 + i)]);
        c.spec.bias = std::stof(r[14]);
        c.spec.act = parse_activation(r[15]);
        c.expect = read_f32(ref_dir() + "/" + r[16]);
        c.oh = std::stoi(r[17]), c.ow = std::stoi(r[18]);
        cases.push_back(std::move(c));
    }
    REQUIRE(cases.size() >= 20);
    return cases;
}

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("convolve matches torch's conv2d: random kernels, strides 1/2/4, SAME, bias, relu/relu6, presets") {
    double worst = 0;
    std::string worst_name;
    for (const Case& c : load_cases()) {
        INFO("case " << c.name);
        if (c.name.find("same") != std::string::npos)  // the script's pads come from TF's rule
            CHECK(same_pad(c.H, c.W, c.spec.kernel.kh, c.spec.kernel.kw, c.spec.stride) == c.spec.pad);
        const Plane p = convolve(c.input.data(), c.C, c.H, c.W, c.spec);
        REQUIRE(p.width == c.ow);
        REQUIRE(p.height == c.oh);
        REQUIRE(p.data.size() == c.expect.size());
        double d = 0, scale = 1;
        for (size_t i = 0; i < p.data.size(); ++i) {
            d = std::max(d, std::fabs(double(p.data[i]) - c.expect[i]));
            scale = std::max(scale, std::fabs(double(c.expect[i])));
        }
        CHECK(d <= 1e-5 * scale);
        if (d >= worst) worst = d, worst_name = c.name;
    }
    std::printf("  convolve vs torch conv2d: worst max |diff| %.3g (%s)\n", worst, worst_name.c_str());
}

TEST_CASE("the step-through's numbers are the drawn value") {
    std::mt19937 rng(3);
    for (const Case& c : load_cases()) {
        INFO("case " << c.name);
        const Plane p = convolve(c.input.data(), c.C, c.H, c.W, c.spec);
        std::vector<std::pair<int, int>> at = {{0, 0}, {p.width - 1, 0}, {0, p.height - 1},
                                               {p.width - 1, p.height - 1}, {p.width / 2, p.height / 2}};
        for (int i = 0; i < 40; ++i) at.emplace_back(int(rng() % p.width), int(rng() % p.height));
        for (auto [x, y] : at) {
            INFO("at " << x << ", " << y);
            const ConvStep s = convolve_at(c.input.data(), c.C, c.H, c.W, c.spec, x, y);
            CHECK(std::memcmp(&s.value, &p.data[size_t(y) * p.width + x], 4) == 0);  // bit for bit
            CHECK(s.ox == x);
            CHECK(s.oy == y);
            CHECK(s.ix == x * c.spec.stride - c.spec.pad[1]);
            CHECK(s.iy == y * c.spec.stride - c.spec.pad[0]);
            CHECK(s.bias == c.spec.bias);
            CHECK(s.pre == float(s.sum + double(s.bias)));
            const Kernel& k = c.spec.kernel;
            REQUIRE(s.patch.size() == k.w.size());
            REQUIRE(s.products.size() == k.w.size());
            double sum = 0;
            bool patch_ok = true;
            for (int ch = 0; ch < k.c; ++ch)
                for (int ky = 0; ky < k.kh; ++ky)
                    for (int kx = 0; kx < k.kw; ++kx) {
                        const size_t i = (size_t(ch) * k.kh + ky) * k.kw + kx;
                        const int py = s.iy + ky, px = s.ix + kx;
                        const bool inside = py >= 0 && px >= 0 && py < c.H && px < c.W;
                        const float v = inside ? c.input[(size_t(ch) * c.H + py) * c.W + px] : 0.f;
                        patch_ok = patch_ok && s.patch[i] == v && s.products[i] == v * k.w[i];
                        sum += double(s.products[i]);
                    }
            CHECK(patch_ok);
            CHECK(s.sum == sum);
            const float pre = s.pre;
            const float expect = c.spec.act == Activation::Relu    ? std::max(pre, 0.f)
                                 : c.spec.act == Activation::Relu6 ? std::min(std::max(pre, 0.f), 6.f)
                                                                   : pre;
            CHECK(s.value == expect);
        }
    }
}

TEST_CASE("presets: the textbook kernels, scaled up with their sums kept") {
    const std::vector<std::string> names = preset_names();
    REQUIRE(names.size() == 9);
    const Kernel sobel = preset_kernel("sobel_x", 3, 1);
    CHECK(sobel.w == std::vector<float>{-1, 0, 1, -2, 0, 2, -1, 0, 1});
    CHECK(preset_kernel("gaussian", 3, 1).w[4] == 0.25f);
    for (const std::string& n : names)
        for (int size : {3, 5, 11}) {
            INFO(n << " " << size);
            const Kernel k = preset_kernel(n, size, 3);
            CHECK(k.c == 3);
            CHECK(k.kh == size);
            CHECK(k.kw == size);
            REQUIRE(k.w.size() == size_t(3) * size * size);
            double sum = 0, sum3 = 0;
            for (float v : k.w) sum += v;
            for (float v : preset_kernel(n, 3, 3).w) sum3 += v;
            CHECK(std::fabs(sum - sum3) < 1e-5);  // blurs 1, edge detectors 0, sharpen 1
            // Each channel holds the same grey kernel, a third of it.
            const Kernel g = preset_kernel(n, size, 1);
            for (size_t i = 0; i < k.w.size(); ++i) CHECK(std::fabs(k.w[i] * 3 - g.w[i % g.w.size()]) < 1e-6);
        }
    // The script builds them independently; its convolutions were made with its own kernels.
    for (const Case& c : load_cases()) {
        if (c.name.rfind("preset_", 0) != 0) continue;
        const std::string rest = c.name.substr(7);
        const std::string name = rest.substr(0, rest.rfind('_'));
        const int size = std::stoi(rest.substr(rest.rfind('_') + 1));
        INFO(c.name);
        const Kernel k = preset_kernel(name, size, 3);
        REQUIRE(k.w.size() == c.spec.kernel.w.size());
        double d = 0;
        for (size_t i = 0; i < k.w.size(); ++i) d = std::max(d, std::fabs(double(k.w[i]) - c.spec.kernel.w[i]));
        CHECK(d <= 1e-7);
    }
}

TEST_CASE("TF 'SAME' padding and output sizes") {
    CHECK(same_pad(224, 224, 3, 3, 2) == std::array<int, 4>{0, 0, 1, 1});  // MobileNet V2's stem
    CHECK(same_pad(224, 224, 11, 11, 4) == std::array<int, 4>{3, 3, 4, 4});
    CHECK(same_pad(224, 224, 3, 3, 1) == std::array<int, 4>{1, 1, 1, 1});
    CHECK(same_pad(5, 6, 1, 1, 2) == std::array<int, 4>{0, 0, 0, 0});
    CHECK(conv_out_size(224, 11, 4, 2, 2) == 55);   // AlexNet's conv1
    CHECK(conv_out_size(224, 3, 2, 0, 1) == 112);
}

TEST_CASE("convolve: bad shapes give one clear line") {
    const std::vector<float> x(3 * 8 * 8, 1.f);
    ConvSpec ok;
    ok.kernel = preset_kernel("identity", 3, 3);
    CHECK(convolve(x.data(), 3, 8, 8, ok).width == 6);
    struct Bad { std::string what; ConvSpec spec; int C, H, W; };
    std::vector<Bad> bad;
    auto with = [&](const std::string& what, auto edit, int C = 3, int H = 8, int W = 8) {
        ConvSpec s = ok;
        edit(s);
        bad.push_back({what, s, C, H, W});
    };
    with("channels", [](ConvSpec&) {}, 1);
    with("weights", [](ConvSpec& s) { s.kernel.w.pop_back(); });
    with("does not fit", [](ConvSpec& s) { s.kernel = preset_kernel("box_blur", 11, 3); });
    with("stride", [](ConvSpec& s) { s.stride = 0; });
    with("padding", [](ConvSpec& s) { s.pad[2] = -1; });
    with("non-finite", [](ConvSpec& s) { s.kernel.w[3] = std::nanf(""); });
    with("empty", [](ConvSpec&) {}, 3, 0, 8);
    for (const Bad& b : bad) {
        INFO(b.what);
        const std::string err = error_of([&] { convolve(x.data(), b.C, b.H, b.W, b.spec); });
        INFO(err);
        CHECK(err.find(b.what) != std::string::npos);
        CHECK(err.find('\n') == std::string::npos);
    }
    CHECK(error_of([&] { convolve_at(x.data(), 3, 8, 8, ok, 6, 0); }).find("outside the 6 x 6") != std::string::npos);
    CHECK(error_of([&] { convolve_at(x.data(), 3, 8, 8, ok, 0, -1); }).find("outside") != std::string::npos);
    CHECK(error_of([] { preset_kernel("blur"); }).find("unknown preset \"blur\" (identity, box_blur") == 0);
    CHECK(error_of([] { preset_kernel("sharpen", 4); }).find("odd") != std::string::npos);
    CHECK(error_of([] { preset_kernel("sharpen", 3, 0); }).find("channels") != std::string::npos);
    CHECK(error_of([] { parse_activation("tanh"); }).find("tanh") != std::string::npos);
    CHECK(std::string(activation_name(parse_activation("relu6"))) == "relu6");
}
