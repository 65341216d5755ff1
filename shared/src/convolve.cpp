// convolve.cpp - see catdog/convolve.h.
//
// One output channel of a 2-D convolution, written for clarity and for the step-through:
// convolve() and convolve_at() visit the taps in the same order (channel, row, column) and
// accumulate in double, so the value the step-through shows is the very value drawn.
// Taps in the padding are skipped by convolve() (a zero product does not change the sum).
#include "catdog/convolve.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace catdog {

// [SECTION] Names
const char* activation_name(Activation a) {
    switch (a) {
        case Activation::Relu: return "relu";
        case Activation::Relu6: return "relu6";
        case Activation::None: break;
    }
    return "none";
}

Activation parse_activation(const std::string& name) {
    if (name == "none") return Activation::None;
    if (name == "relu") return Activation::Relu;
    if (name == "relu6") return Activation::Relu6;
    throw std::invalid_argument("unknown activation \"" + name + "\" (none, relu, relu6)");
}

// [SECTION] Geometry
std::array<int, 4> same_pad(int h, int w, int kh, int kw, int stride) {
    if (h <= 0 || w <= 0 || kh <= 0 || kw <= 0 || stride <= 0)
        throw std::invalid_argument("same_pad: sizes and stride must be positive");
    auto split = [stride](int in, int k) {
        const int out = (in + stride - 1) / stride;
        const int total = std::max((out - 1) * stride + k - in, 0);
        return std::array<int, 2>{total / 2, total - total / 2};
    };
    const auto v = split(h, kh), u = split(w, kw);
    return {v[0], u[0], v[1], u[1]};
}

int conv_out_size(int in, int k, int stride, int pad_before, int pad_after) {
    if (in <= 0 || k <= 0) throw std::invalid_argument("convolve: input and kernel sizes must be positive");
    if (stride <= 0) throw std::invalid_argument("convolve: stride must be positive, got " + std::to_string(stride));
    if (pad_before < 0 || pad_after < 0) throw std::invalid_argument("convolve: padding must not be negative");
    const int padded = in + pad_before + pad_after;
    if (padded < k)
        throw std::invalid_argument("convolve: a " + std::to_string(k) + "-tap kernel does not fit an input of " +
                                    std::to_string(in) + " padded to " + std::to_string(padded));
    return (padded - k) / stride + 1;
}

namespace {

float activate(Activation a, float v) {
    switch (a) {
        case Activation::Relu: return v > 0.f ? v : 0.f;
        case Activation::Relu6: return v > 0.f ? (v < 6.f ? v : 6.f) : 0.f;
        case Activation::None: break;
    }
    return v;
}

struct Geometry { int oh, ow; };

Geometry check(const float* chw, int C, int H, int W, const ConvSpec& s) {
    const Kernel& k = s.kernel;
    if (!chw) throw std::invalid_argument("convolve: no input tensor");
    if (C <= 0 || H <= 0 || W <= 0) throw std::invalid_argument("convolve: the input tensor is empty");
    if (k.c <= 0 || k.kh <= 0 || k.kw <= 0) throw std::invalid_argument("convolve: the kernel's shape must be positive");
    if (k.c != C)
        throw std::invalid_argument("convolve: the kernel has " + std::to_string(k.c) + " channels, the input " +
                                    std::to_string(C));
    if (k.w.size() != size_t(k.c) * k.kh * k.kw)
        throw std::invalid_argument("convolve: a " + std::to_string(k.c) + "x" + std::to_string(k.kh) + "x" +
                                    std::to_string(k.kw) + " kernel needs " +
                                    std::to_string(size_t(k.c) * k.kh * k.kw) + " weights, got " +
                                    std::to_string(k.w.size()));
    for (float v : k.w)
        if (!std::isfinite(v)) throw std::invalid_argument("convolve: the kernel has a non-finite weight");
    if (!std::isfinite(s.bias)) throw std::invalid_argument("convolve: the bias is not finite");
    return {conv_out_size(H, k.kh, s.stride, s.pad[0], s.pad[2]), conv_out_size(W, k.kw, s.stride, s.pad[1], s.pad[3])};
}

}  // namespace

// [SECTION] Convolution
Plane convolve(const float* chw, int C, int H, int W, const ConvSpec& spec) {
    const Geometry g = check(chw, C, H, W, spec);
    const Kernel& k = spec.kernel;
    Plane out;
    out.width = g.ow;
    out.height = g.oh;
    out.data.resize(size_t(g.ow) * g.oh);
    for (int oy = 0; oy < g.oh; ++oy) {
        const int iy = oy * spec.stride - spec.pad[0];
        // The kernel rows that land inside the input at this output row.
        const int y0 = std::max(0, -iy), y1 = std::min(k.kh, H - iy);
        for (int ox = 0; ox < g.ow; ++ox) {
            const int ix = ox * spec.stride - spec.pad[1];
            const int x0 = std::max(0, -ix), x1 = std::min(k.kw, W - ix);
            double sum = 0;
            for (int c = 0; c < C; ++c) {
                const float* plane = chw + size_t(c) * H * W;
                const float* kc = k.w.data() + size_t(c) * k.kh * k.kw;
                for (int y = y0; y < y1; ++y) {
                    const float* row = plane + size_t(iy + y) * W + ix;
                    const float* kr = kc + size_t(y) * k.kw;
                    for (int x = x0; x < x1; ++x) sum += double(row[x] * kr[x]);
                }
            }
            out.data[size_t(oy) * g.ow + ox] = activate(spec.act, float(sum + double(spec.bias)));
        }
    }
    return out;
}

ConvStep convolve_at(const float* chw, int C, int H, int W, const ConvSpec& spec, int ox, int oy) {
    const Geometry g = check(chw, C, H, W, spec);
    if (ox < 0 || oy < 0 || ox >= g.ow || oy >= g.oh)
        throw std::invalid_argument("convolve_at: (" + std::to_string(ox) + ", " + std::to_string(oy) +
                                    ") is outside the " + std::to_string(g.ow) + " x " + std::to_string(g.oh) +
                                    " output");
    const Kernel& k = spec.kernel;
    ConvStep s;
    s.ox = ox;
    s.oy = oy;
    s.ix = ox * spec.stride - spec.pad[1];
    s.iy = oy * spec.stride - spec.pad[0];
    s.patch.assign(k.w.size(), 0.f);
    s.products.assign(k.w.size(), 0.f);
    for (int c = 0; c < C; ++c)
        for (int y = 0; y < k.kh; ++y)
            for (int x = 0; x < k.kw; ++x) {
                const size_t i = (size_t(c) * k.kh + y) * k.kw + x;
                const int py = s.iy + y, px = s.ix + x;
                if (py < 0 || px < 0 || py >= H || px >= W) continue;  // padding: zero
                s.patch[i] = chw[(size_t(c) * H + py) * W + px];
                s.products[i] = s.patch[i] * k.w[i];
                s.sum += double(s.products[i]);
            }
    s.bias = spec.bias;
    s.pre = float(s.sum + double(spec.bias));
    s.value = activate(spec.act, s.pre);
    return s;
}

// [SECTION] Presets
namespace {

struct Preset {
    const char* name;
    float w[9];
    float scale;
};

// setosa.io's image kernels, plus the Gaussian and Laplacian every course shows.
const Preset kPresets[] = {
    {"identity", {0, 0, 0, 0, 1, 0, 0, 0, 0}, 1.f},
    {"box_blur", {1, 1, 1, 1, 1, 1, 1, 1, 1}, 1.f / 9.f},
    {"gaussian", {1, 2, 1, 2, 4, 2, 1, 2, 1}, 1.f / 16.f},
    {"sharpen", {0, -1, 0, -1, 5, -1, 0, -1, 0}, 1.f},
    {"sobel_x", {-1, 0, 1, -2, 0, 2, -1, 0, 1}, 1.f},
    {"sobel_y", {-1, -2, -1, 0, 0, 0, 1, 2, 1}, 1.f},
    {"laplacian", {0, 1, 0, 1, -4, 1, 0, 1, 0}, 1.f},
    {"emboss", {-2, -1, 0, -1, 1, 1, 0, 1, 2}, 1.f},
    {"outline", {-1, -1, -1, -1, 8, -1, -1, -1, -1}, 1.f},
};

// Scales the 3x3 pattern to size x size by nearest neighbour (cell centres, so odd sizes stay
// symmetric), then rescales the positive and the negative weights separately to their 3x3
// sums: blurs still sum to one, edge detectors to zero, sharpen and emboss to one.
std::vector<float> scaled(const Preset& p, int size) {
    std::vector<float> g(size_t(size) * size);
    double pos3 = 0, neg3 = 0, pos = 0, neg = 0;
    for (float v : p.w) (v > 0 ? pos3 : neg3) += double(v * p.scale);
    for (int y = 0; y < size; ++y)
        for (int x = 0; x < size; ++x) {
            const int sy = std::min(2, int((y + 0.5) * 3 / size)), sx = std::min(2, int((x + 0.5) * 3 / size));
            const float v = p.w[sy * 3 + sx] * p.scale;
            g[size_t(y) * size + x] = v;
            (v > 0 ? pos : neg) += v;
        }
    if (size == 3) return g;  // exactly the classic kernel
    for (float& v : g) v = float(v > 0 ? v * (pos3 / pos) : (v < 0 ? v * (neg3 / neg) : 0.0));
    return g;
}

}  // namespace

std::vector<std::string> preset_names() {
    std::vector<std::string> v;
    for (const Preset& p : kPresets) v.push_back(p.name);
    return v;
}

Kernel preset_kernel(const std::string& name, int size, int channels) {
    const Preset* found = nullptr;
    for (const Preset& p : kPresets)
        if (name == p.name) found = &p;
    if (!found) {
        std::string all;
        for (const Preset& p : kPresets) all += std::string(all.empty() ? "" : ", ") + p.name;
        throw std::invalid_argument("unknown preset \"" + name + "\" (" + all + ")");
    }
    if (size < 1 || size > 31 || size % 2 == 0)
        throw std::invalid_argument("preset size must be odd, 1 to 31, got " + std::to_string(size));
    if (channels < 1 || channels > 64)
        throw std::invalid_argument("preset channels must be 1 to 64, got " + std::to_string(channels));
    const std::vector<float> grey = scaled(*found, size);
    Kernel k;
    k.c = channels;
    k.kh = k.kw = size;
    k.w.reserve(grey.size() * size_t(channels));
    for (int c = 0; c < channels; ++c)
        for (float v : grey) k.w.push_back(v / float(channels));
    return k;
}

}  // namespace catdog
