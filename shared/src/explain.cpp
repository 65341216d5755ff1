// explain.cpp - CAM, Grad-CAM and occlusion maps from activations the caller computed
// (see catdog/explain.h), and the heat-map overlay.
//
// Index of this file:
// [SECTION] maps: class_activation_map, grad_cam
// [SECTION] occlusion: the grid, the occluded input, the map
// [SECTION] overlay: bilinear upsampling (torch's align_corners=False) and colouring
#include "catdog/explain.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace catdog {

//-----------------------------------------------------------------------------
// [SECTION] maps: class_activation_map, grad_cam
//-----------------------------------------------------------------------------
namespace {

void check_dims(const char* what, int C, int H, int W) {
    if (C <= 0 || H <= 0 || W <= 0)
        throw std::invalid_argument(std::string(what) + ": activation dimensions must be positive, got " +
                                    std::to_string(C) + "x" + std::to_string(H) + "x" + std::to_string(W));
}

// map = sum_k coef[k] * A[k]; double accumulation so that mean + bias matches the logit
// computed by the network's own (differently ordered) sums to float precision.
Plane weighted_sum(const float* acts, const double* coef, int C, int H, int W) {
    const size_t hw = size_t(H) * W;
    std::vector<double> acc(hw, 0.0);
    for (int k = 0; k < C; ++k) {
        const float* a = acts + size_t(k) * hw;
        const double c = coef[k];
        for (size_t i = 0; i < hw; ++i) acc[i] += c * a[i];
    }
    Plane p;
    p.width = W;
    p.height = H;
    p.data.assign(acc.begin(), acc.end());
    return p;
}

}  // namespace

Plane class_activation_map(const float* acts, int C, int H, int W, const float* class_weights, float bias,
                           float* logit) {
    check_dims("class_activation_map", C, H, W);
    std::vector<double> w(class_weights, class_weights + C);
    Plane p = weighted_sum(acts, w.data(), C, H, W);
    if (logit) {
        // The mean over positions of sum_k w_k A_k is sum_k w_k mean(A_k): the pooled
        // feature times the head row, i.e. the logit without its bias.
        double s = 0;
        for (float v : p.data) s += v;
        *logit = float(s / double(p.data.size()) + double(bias));
    }
    return p;
}

Plane grad_cam(const float* acts, const float* grads, int C, int H, int W, bool signed_map) {
    check_dims("grad_cam", C, H, W);
    const size_t hw = size_t(H) * W;
    std::vector<double> alpha(static_cast<size_t>(C), 0.0);
    for (int k = 0; k < C; ++k) {
        const float* g = grads + size_t(k) * hw;
        double s = 0;
        for (size_t i = 0; i < hw; ++i) s += g[i];
        alpha[size_t(k)] = s / double(hw);
    }
    Plane p = weighted_sum(acts, alpha.data(), C, H, W);
    if (!signed_map)
        for (float& v : p.data) v = std::max(v, 0.f);
    return p;
}

//-----------------------------------------------------------------------------
// [SECTION] occlusion: the grid, the occluded input, the map
//-----------------------------------------------------------------------------
OcclusionGrid occlusion_grid(int size, int patch, int stride) {
    if (size <= 0) throw std::invalid_argument("occlusion: input size must be positive, got " + std::to_string(size));
    if (patch <= 0 || patch > size)
        throw std::invalid_argument("occlusion: patch must be in 1.." + std::to_string(size) + ", got " +
                                    std::to_string(patch));
    if (stride <= 0) throw std::invalid_argument("occlusion: stride must be positive, got " + std::to_string(stride));
    OcclusionGrid g;
    g.size = size;
    g.patch = patch;
    g.stride = stride;
    // Patches start at 0, stride, 2 stride, ...; the last one touches the edge when stride
    // divides size - patch (224, 32, 16: 13 x 13).
    g.cols = g.rows = (size - patch) / stride + 1;
    return g;
}

void occlude(const float* chw, int C, const OcclusionGrid& g, int index, const float* fill, float* out) {
    if (index < 0 || index >= g.count())
        throw std::invalid_argument("occlusion: index " + std::to_string(index) + " outside the " +
                                    std::to_string(g.count()) + " positions");
    const size_t S = size_t(g.size), plane = S * S;
    std::copy(chw, chw + plane * size_t(C), out);
    const int x0 = (index % g.cols) * g.stride, y0 = (index / g.cols) * g.stride;
    for (int c = 0; c < C; ++c)
        for (int y = y0; y < y0 + g.patch; ++y)
            std::fill_n(out + size_t(c) * plane + size_t(y) * S + size_t(x0), size_t(g.patch), fill[c]);
}

Plane occlusion_map(const OcclusionGrid& g, const std::vector<float>& scores, float base_score) {
    if (int(scores.size()) != g.count())
        throw std::invalid_argument("occlusion: " + std::to_string(scores.size()) + " scores for " +
                                    std::to_string(g.count()) + " positions");
    Plane p;
    p.width = g.cols;
    p.height = g.rows;
    p.data.resize(scores.size());
    for (size_t i = 0; i < scores.size(); ++i) p.data[i] = base_score - scores[i];
    return p;
}

//-----------------------------------------------------------------------------
// [SECTION] overlay: bilinear upsampling (torch's align_corners=False) and colouring
//-----------------------------------------------------------------------------
namespace {

// torch's area_pixel_compute_source_index for align_corners=False, and the two neighbours
// with their weight, as upsample_bilinear2d computes them (float arithmetic).
struct Tap { int i0, i1; float l1; };
std::vector<Tap> bilinear_taps(int in, int out) {
    std::vector<Tap> taps(static_cast<size_t>(out));
    const float scale = float(in) / float(out);
    for (int o = 0; o < out; ++o) {
        float src = scale * (float(o) + 0.5f) - 0.5f;
        if (src < 0.f) src = 0.f;
        int i0 = std::min(int(src), in - 1);
        const int i1 = std::min(i0 + 1, in - 1);
        taps[size_t(o)] = {i0, i1, src - float(i0)};
    }
    return taps;
}

float clamp01(float v) { return std::min(1.f, std::max(0.f, v)); }

// Jet-like: dark blue -> cyan -> yellow -> dark red over t in [0, 1].
void jet(float t, float rgb[3]) {
    rgb[0] = clamp01(1.5f - std::fabs(4.f * t - 3.f));
    rgb[1] = clamp01(1.5f - std::fabs(4.f * t - 2.f));
    rgb[2] = clamp01(1.5f - std::fabs(4.f * t - 1.f));
}

// Diverging over t in [-1, 1]: blue (negative) -> white (0) -> red (positive).
void diverging(float t, float rgb[3]) {
    static const float blue[3] = {0.23f, 0.30f, 0.75f}, red[3] = {0.71f, 0.02f, 0.15f};
    const float* end = t < 0.f ? blue : red;
    const float a = std::min(1.f, std::fabs(t));
    for (int c = 0; c < 3; ++c) rgb[c] = (1.f - a) + a * end[c];
}

}  // namespace

Plane upsample_bilinear(const Plane& map, int width, int height) {
    if (map.empty() || int(map.data.size()) != map.width * map.height)
        throw std::invalid_argument("upsample_bilinear: empty or inconsistent map");
    if (width <= 0 || height <= 0)
        throw std::invalid_argument("upsample_bilinear: target size must be positive, got " + std::to_string(width) +
                                    "x" + std::to_string(height));
    const std::vector<Tap> tx = bilinear_taps(map.width, width), ty = bilinear_taps(map.height, height);
    Plane out;
    out.width = width;
    out.height = height;
    out.data.resize(size_t(width) * height);
    for (int y = 0; y < height; ++y) {
        const Tap& v = ty[size_t(y)];
        const float* r0 = map.data.data() + size_t(v.i0) * map.width;
        const float* r1 = map.data.data() + size_t(v.i1) * map.width;
        for (int x = 0; x < width; ++x) {
            const Tap& h = tx[size_t(x)];
            const float top = (1.f - h.l1) * r0[h.i0] + h.l1 * r0[h.i1];
            const float bot = (1.f - h.l1) * r1[h.i0] + h.l1 * r1[h.i1];
            out.data[size_t(y) * width + x] = (1.f - v.l1) * top + v.l1 * bot;
        }
    }
    return out;
}

Image heat_overlay(const Image& crop, const Plane& map, float opacity, bool signed_map) {
    if (crop.empty() || crop.rgb.size() != size_t(crop.w) * crop.h * 3)
        throw std::invalid_argument("heat_overlay: empty or inconsistent image");
    const Plane up = upsample_bilinear(map, crop.w, crop.h);
    const float a = std::isfinite(opacity) ? clamp01(opacity) : 0.f;
    // Unsigned maps run from 0 to their max; signed ones from -max|.| to +max|.|.
    float top = 0.f;
    for (float v : map.data)
        if (std::isfinite(v)) top = std::max(top, signed_map ? std::fabs(v) : v);
    Image out = crop;
    for (size_t i = 0; i < up.data.size(); ++i) {
        const float v = std::isfinite(up.data[i]) ? up.data[i] : 0.f;
        float rgb[3];
        if (signed_map) diverging(top > 0.f ? v / top : 0.f, rgb);
        else jet(top > 0.f ? clamp01(v / top) : 0.f, rgb);
        for (int c = 0; c < 3; ++c) {
            const float base = float(crop.rgb[i * 3 + size_t(c)]);
            out.rgb[i * 3 + size_t(c)] = uint8_t(std::lround((1.f - a) * base + a * 255.f * rgb[c]));
        }
    }
    return out;
}

}  // namespace catdog
