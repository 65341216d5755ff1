// catdog/views.h - the two network pictures, built from grid.h: conv1's kernels and a
// layer's feature maps. The CLI (`catdog kernels`, `catdog featuremaps`) and the page call
// these same functions, so both show the same bytes.
#pragma once
#include "catdog/grid.h"

namespace catdog {

// conv1's weight [o, i, kh, kw] (i = 1 or 3) as o tiles: torchvision's
// make_grid(w, nrow, padding=2, normalize=True[, scale_each=per_kernel]) -> save_image's uint8,
// then a nearest-neighbour upscale by `scale` (1 = the exact make_grid bytes).
Image kernel_grid(const float* w, int o, int i, int kh, int kw, int nrow = 8,
                  bool per_kernel = false, int scale = 1);

// One layer's activation [c, h, w] as c viridis tiles on ONE scale (the layer's min..max, so
// channels compare), each upscaled by `scale`, in a grid of `nrow` tiles per row (0 = a
// near-square grid) with `padding` black pixels between and around tiles.
Image featuremap_grid(const float* act, int c, int h, int w, int nrow = 0, int scale = 1,
                      int padding = 2);

// A default upscale that makes h x w maps about `target` pixels tall (at least 1).
int featuremap_auto_scale(int h, int target = 56);

}  // namespace catdog
