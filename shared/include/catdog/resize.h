// catdog/resize.h - PIL's antialiased bilinear resize, bit for bit.
//
// torchvision 0.14's Resize on a PIL image calls PIL 9.4's `Image.resize(size, BILINEAR)`,
// whose "antialias" filter widens the kernel by the scale factor when shrinking. It is
// separable (horizontal pass, then vertical), uses 22-bit fixed-point coefficients and
// rounds to uint8 after *each* pass. Matching that is what makes our crops bit-exact.
#pragma once
#include "catdog/image.h"

namespace catdog {

struct Size { int w = 0, h = 0; };

// torchvision's Resize(int) rule: the shorter side becomes `size`, the longer one
// int(size * long / short) (truncation, as Python's int() does).
Size resize_shorter_side(int w, int h, int size);

// Full resize to (out_w, out_h).
Image resize_bilinear(const Image& src, int out_w, int out_h);

// Only the window [x0, x0+cw) x [y0, y0+ch) of the image that resize_bilinear(src, out_w,
// out_h) would produce. Same bytes as resizing then cropping, at a fraction of the cost,
// because each output pixel depends only on its own input support.
Image resize_bilinear_window(const Image& src, int out_w, int out_h, int x0, int y0, int cw, int ch);

}  // namespace catdog
