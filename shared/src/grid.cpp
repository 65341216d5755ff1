// torchvision 0.14's make_grid + save_image's uint8 conversion, nearest upscaling and the
// colormaps. Float steps mirror torch's float32 ops one by one so the bytes match.
#include "catdog/grid.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace catdog {
namespace {

const uint8_t kViridis[256][3] = {
#include "viridis_lut.inc"
};

// norm_ip(img, low, high): clamp_(low, high); sub_(low); div_(max(high - low, 1e-5)).
// low/high are Python floats (exact float32 values); high - low and the max are done in
// double, and torch casts that scalar to float32 for the (true) division.
void norm_ip(float* v, size_t n) {
    if (n == 0) return;
    float lo = v[0], hi = v[0];
    for (size_t i = 1; i < n; ++i) {
        lo = std::min(lo, v[i]);
        hi = std::max(hi, v[i]);
    }
    const double range = std::max(static_cast<double>(hi) - static_cast<double>(lo), 1e-5);
    const float div = static_cast<float>(range);
    for (size_t i = 0; i < n; ++i) {
        float x = std::min(std::max(v[i], lo), hi);
        x = x - lo;
        v[i] = x / div;
    }
}

}  // namespace

FloatGrid make_grid(const float* tiles, int n, int c, int h, int w, int nrow, int padding,
                    GridNorm norm, float pad_value) {
    if (n <= 0 || h <= 0 || w <= 0 || (c != 1 && c != 3) || nrow <= 0 || padding < 0)
        throw std::invalid_argument("make_grid: need n, h, w, nrow > 0, c in {1, 3}, padding >= 0");
    const size_t plane = static_cast<size_t>(h) * w, tile = plane * 3;

    // As an n x 3 x h x w tensor (one channel replicated, like torch.cat((t, t, t), 1)).
    std::vector<float> t(tile * n);
    for (int i = 0; i < n; ++i)
        for (int ch = 0; ch < 3; ++ch)
            std::copy_n(tiles + (static_cast<size_t>(i) * c + (c == 1 ? 0 : ch)) * plane, plane,
                        &t[i * tile + ch * plane]);

    if (norm == GridNorm::Global) {
        norm_ip(t.data(), t.size());
    } else if (norm == GridNorm::PerTile) {
        for (int i = 0; i < n; ++i) norm_ip(&t[i * tile], tile);
    }

    FloatGrid g;
    if (n == 1) {  // torchvision returns the lone image itself, without padding
        g.w = w;
        g.h = h;
        g.chw = std::move(t);
        return g;
    }
    const int xmaps = std::min(nrow, n);
    const int ymaps = (n + xmaps - 1) / xmaps;
    const int th = h + padding, tw = w + padding;
    g.w = tw * xmaps + padding;
    g.h = th * ymaps + padding;
    g.chw.assign(static_cast<size_t>(g.w) * g.h * 3, pad_value);
    for (int k = 0; k < n; ++k) {
        const int oy = (k / xmaps) * th + padding, ox = (k % xmaps) * tw + padding;
        for (int ch = 0; ch < 3; ++ch)
            for (int y = 0; y < h; ++y)
                std::copy_n(&t[k * tile + ch * plane + static_cast<size_t>(y) * w], w,
                            &g.chw[(static_cast<size_t>(ch) * g.h + oy + y) * g.w + ox]);
    }
    return g;
}

Image grid_to_image(const FloatGrid& g) {
    const size_t plane = static_cast<size_t>(g.w) * g.h;
    if (g.chw.size() != plane * 3) throw std::invalid_argument("grid_to_image: bad grid");
    Image img;
    img.w = g.w;
    img.h = g.h;
    img.rgb.resize(plane * 3);
    for (int ch = 0; ch < 3; ++ch)
        for (size_t i = 0; i < plane; ++i) {
            // mul(255), add_(0.5), clamp_(0, 255), to(uint8): three separately rounded steps.
            float x = g.chw[ch * plane + i] * 255.0f;
            x = x + 0.5f;
            x = std::isnan(x) ? 0.f : std::min(std::max(x, 0.f), 255.f);
            img.rgb[i * 3 + ch] = static_cast<uint8_t>(x);
        }
    return img;
}

Image upscale_nearest(const Image& img, int factor) {
    if (factor < 1) throw std::invalid_argument("upscale_nearest: factor must be >= 1");
    Image out;
    out.w = img.w * factor;
    out.h = img.h * factor;
    out.rgb.resize(static_cast<size_t>(out.w) * out.h * 3);
    for (int y = 0; y < out.h; ++y) {
        const uint8_t* src = &img.rgb[static_cast<size_t>(y / factor) * img.w * 3];
        uint8_t* dst = &out.rgb[static_cast<size_t>(y) * out.w * 3];
        for (int x = 0; x < out.w; ++x) std::copy_n(src + (x / factor) * 3, 3, dst + x * 3);
    }
    return out;
}

Image colorize_range(const float* values, int w, int h, float lo, float hi, Colormap cmap) {
    if (w <= 0 || h <= 0) throw std::invalid_argument("colorize: empty map");
    Image out;
    out.w = w;
    out.h = h;
    out.rgb.resize(static_cast<size_t>(w) * h * 3);
    const double span = static_cast<double>(hi) - lo;
    for (size_t i = 0; i < static_cast<size_t>(w) * h; ++i) {
        // matplotlib's lookup: index = int(t * N), the top edge folded into the last entry.
        const double t = span > 0 ? (values[i] - static_cast<double>(lo)) / span : 0.0;
        int idx = std::isnan(t) ? 0 : static_cast<int>(std::min(std::max(t * 256.0, 0.0), 255.0));
        if (cmap == Colormap::Viridis) {
            std::copy_n(kViridis[idx], 3, &out.rgb[i * 3]);
        } else {
            std::fill_n(&out.rgb[i * 3], 3, static_cast<uint8_t>(idx));
        }
    }
    return out;
}

Image colorize(const float* values, int w, int h, Colormap cmap) {
    float lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < static_cast<size_t>(w) * h; ++i) {
        if (!std::isfinite(values[i])) continue;
        lo = std::min(lo, values[i]);
        hi = std::max(hi, values[i]);
    }
    if (lo > hi) lo = hi = 0.f;  // no finite values
    return colorize_range(values, w, h, lo, hi, cmap);
}

}  // namespace catdog
