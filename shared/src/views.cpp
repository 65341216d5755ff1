// The kernel and feature-map pictures (views.h), assembled from grid.h's pieces.
#include "catdog/views.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace catdog {

Image kernel_grid(const float* w, int o, int i, int kh, int kw, int nrow, bool per_kernel,
                  int scale) {
    if (i != 1 && i != 3)
        throw std::invalid_argument("kernel_grid: conv1 must have 1 or 3 input channels, not " +
                                    std::to_string(i));
    FloatGrid g = make_grid(w, o, i, kh, kw, nrow, 2,
                            per_kernel ? GridNorm::PerTile : GridNorm::Global, 0.f);
    Image img = grid_to_image(g);
    return scale > 1 ? upscale_nearest(img, scale) : img;
}

int featuremap_auto_scale(int h, int target) { return std::max(1, target / std::max(1, h)); }

Image featuremap_grid(const float* act, int c, int h, int w, int nrow, int scale, int padding) {
    if (c <= 0 || h <= 0 || w <= 0 || scale < 1 || padding < 0)
        throw std::invalid_argument("featuremap_grid: empty activation or bad scale/padding");
    const size_t plane = size_t(h) * w, n = plane * c;
    float lo = INFINITY, hi = -INFINITY;
    for (size_t k = 0; k < n; ++k) {
        if (!std::isfinite(act[k])) continue;
        lo = std::min(lo, act[k]);
        hi = std::max(hi, act[k]);
    }
    if (lo > hi) lo = hi = 0.f;
    if (nrow <= 0) nrow = int(std::ceil(std::sqrt(double(c))));
    const int cols = std::min(nrow, c), rows = (c + cols - 1) / cols;
    const int th = h * scale, tw = w * scale;
    Image out;
    out.w = cols * (tw + padding) + padding;
    out.h = rows * (th + padding) + padding;
    out.rgb.assign(size_t(out.w) * out.h * 3, 0);
    for (int k = 0; k < c; ++k) {
        Image tile = colorize_range(act + k * plane, w, h, lo, hi, Colormap::Viridis);
        if (scale > 1) tile = upscale_nearest(tile, scale);
        const int ox = (k % cols) * (tw + padding) + padding;
        const int oy = (k / cols) * (th + padding) + padding;
        for (int y = 0; y < th; ++y)
            std::copy_n(&tile.rgb[size_t(y) * tw * 3], size_t(tw) * 3,
                        &out.rgb[(size_t(oy + y) * out.w + ox) * 3]);
    }
    return out;
}

}  // namespace catdog
