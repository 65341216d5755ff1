// explain.cpp against torch (tests/reference/explain_refs.py, a ctest fixture): CAM and its
// mean + bias = logit identity, Grad-CAM from autograd gradients, torch's bilinear upsampling,
// occlusion patches; the overlay's blending and errors.
#include <catch2/catch.hpp>

#include <cmath>
#include "catdog/explain.h"
#include "core_refs.h"

using namespace catdog;
using catdog_test::read_f32;

namespace {

std::string ref_path(const std::string& name) { return std::string(CATDOG_EXPLAIN_REFS) + "/" + name + ".f32"; }

float max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
    REQUIRE(a.size() == b.size());
    float m = 0;
    for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(a[i] - b[i]));
    return m;
}

float max_abs(const std::vector<float>& a) {
    float m = 0;
    for (float v : a) m = std::max(m, std::fabs(v));
    return m;
}

}  // namespace

TEST_CASE("CAM equals torch's map and mean + bias equals the logit") {
    const auto A = read_f32(ref_path("cam_acts")), w = read_f32(ref_path("cam_w")), b = read_f32(ref_path("cam_b"));
    const auto want = read_f32(ref_path("cam_map")), logit = read_f32(ref_path("cam_logit"));
    REQUIRE(A.size() == 64 * 7 * 7);
    float got_logit = 0;
    const Plane p = class_activation_map(A.data(), 64, 7, 7, w.data(), b[0], &got_logit);
    CHECK(p.width == 7);
    CHECK(p.height == 7);
    const float d = max_abs_diff(p.data, want);
    INFO("max |CAM - torch| = " << d << ", logit " << got_logit << " vs " << logit[0]);
    CHECK(d <= 1e-5f * std::max(1.f, max_abs(want)));
    CHECK(std::fabs(got_logit - logit[0]) <= 1e-4f);
}

TEST_CASE("Grad-CAM equals the map from torch autograd gradients, ReLU'd and signed") {
    const auto A = read_f32(ref_path("gradcam_acts")), G = read_f32(ref_path("gradcam_grads"));
    const auto want = read_f32(ref_path("gradcam_map")), want_signed = read_f32(ref_path("gradcam_signed"));
    const Plane p = grad_cam(A.data(), G.data(), 32, 6, 5);
    const Plane s = grad_cam(A.data(), G.data(), 32, 6, 5, /*signed_map=*/true);
    CHECK(p.width == 5);
    CHECK(p.height == 6);
    CHECK(max_abs_diff(p.data, want) <= 1e-5f * std::max(1.f, max_abs(want)));
    CHECK(max_abs_diff(s.data, want_signed) <= 1e-5f * std::max(1.f, max_abs(want_signed)));
    bool any_negative = false;
    for (float v : s.data) any_negative |= v < 0;
    CHECK(any_negative);  // the fixture exercises both signs
}

TEST_CASE("upsample_bilinear equals F.interpolate(bilinear, align_corners=False)") {
    struct Case { int h, w, oh, ow; };
    for (const Case c : {Case{7, 7, 224, 224}, Case{13, 13, 224, 224}, Case{5, 3, 17, 11}, Case{6, 6, 4, 9}}) {
        const std::string stem = "up_" + std::to_string(c.h) + "x" + std::to_string(c.w) + "_" + std::to_string(c.oh) +
                                 "x" + std::to_string(c.ow);
        Plane in;
        in.width = c.w;
        in.height = c.h;
        in.data = read_f32(ref_path(stem + "_in"));
        const auto want = read_f32(ref_path(stem + "_out"));
        const Plane out = upsample_bilinear(in, c.ow, c.oh);
        INFO(stem);
        CHECK(out.width == c.ow);
        CHECK(out.height == c.oh);
        CHECK(max_abs_diff(out.data, want) <= 1e-5f);
    }
}

TEST_CASE("occlusion patches and map equal the NumPy reference") {
    const auto x = read_f32(ref_path("occ_input")), fill = read_f32(ref_path("occ_fill"));
    const OcclusionGrid g = occlusion_grid(40, 12, 7);
    CHECK(g.cols == 5);
    CHECK(g.rows == 5);
    CHECK(g.count() == 25);
    std::vector<float> out(x.size());
    for (int index : {0, 7, 24}) {
        occlude(x.data(), 3, g, index, fill.data(), out.data());
        INFO("index " << index);
        CHECK(max_abs_diff(out, read_f32(ref_path("occ_" + std::to_string(index)))) == 0.f);
    }
    const auto scores = read_f32(ref_path("occ_scores"));
    const Plane m = occlusion_map(g, scores, 2.5f);
    CHECK(m.width == 5);
    CHECK(m.height == 5);
    CHECK(max_abs_diff(m.data, read_f32(ref_path("occ_map"))) <= 1e-6f);

    const OcclusionGrid d = occlusion_grid(224, 32, 16);  // the default: 13 x 13, the last at the edge
    CHECK(d.cols == 13);
    CHECK((d.cols - 1) * d.stride + d.patch == 224);
    CHECK_THROWS_AS(occlusion_grid(224, 0, 16), std::invalid_argument);
    CHECK_THROWS_AS(occlusion_grid(224, 225, 16), std::invalid_argument);
    CHECK_THROWS_AS(occlusion_grid(224, 32, 0), std::invalid_argument);
    CHECK_THROWS_AS(occlude(x.data(), 3, g, 25, fill.data(), out.data()), std::invalid_argument);
    CHECK_THROWS_AS(occlusion_map(g, std::vector<float>(24), 0.f), std::invalid_argument);
}

TEST_CASE("heat_overlay blends the upsampled map over the crop") {
    Image crop;
    crop.w = 16;
    crop.h = 12;
    crop.rgb.resize(size_t(crop.w) * crop.h * 3);
    for (size_t i = 0; i < crop.rgb.size(); ++i) crop.rgb[i] = uint8_t(i * 7);
    Plane map;
    map.width = 4;
    map.height = 3;
    map.data = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};

    CHECK(heat_overlay(crop, map, 0.f).rgb == crop.rgb);  // opacity 0: the photo unchanged
    const Image full = heat_overlay(crop, map, 1.f);
    CHECK(full.w == crop.w);
    CHECK(full.h == crop.h);
    // Opacity 1: colours only. The bottom-right pixel is the map's maximum (hot: red, no
    // blue); the top-left its minimum (cold: blue, no red).
    const size_t last = (size_t(crop.w) * crop.h - 1) * 3;
    CHECK(full.rgb[last] > 100);
    CHECK(full.rgb[last + 2] == 0);
    CHECK(full.rgb[0] == 0);
    CHECK(full.rgb[2] > 100);
    // Half opacity is the mean of the two.
    const Image half = heat_overlay(crop, map, 0.5f);
    for (size_t i = 0; i < half.rgb.size(); ++i)
        CHECK(std::abs(int(half.rgb[i]) - (int(crop.rgb[i]) + int(full.rgb[i])) / 2) <= 1);

    // Signed: zero is white, the ends are blue and red.
    Plane s;
    s.width = 2;
    s.height = 1;
    s.data = {-1.f, 1.f};
    Image two;
    two.w = 2;
    two.h = 1;
    two.rgb.assign(6, 0);
    const Image sm = heat_overlay(two, s, 1.f, /*signed_map=*/true);
    CHECK(sm.rgb[2] > sm.rgb[0]);  // left: blue
    CHECK(sm.rgb[3] > sm.rgb[5]);  // right: red

    CHECK_THROWS_AS(heat_overlay(Image{}, map, 0.5f), std::invalid_argument);
    CHECK_THROWS_AS(upsample_bilinear(Plane{}, 4, 4), std::invalid_argument);
    CHECK_THROWS_AS(upsample_bilinear(map, 0, 4), std::invalid_argument);
    CHECK_THROWS_AS(grad_cam(map.data.data(), map.data.data(), 0, 3, 4), std::invalid_argument);
}
