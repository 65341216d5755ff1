// catdog/explain.h - where the network looks: CAM, Grad-CAM and occlusion maps.
//
// The arithmetic after the network has run, in one place for `catdog explain` and the page:
// the caller runs the model (LibTorch natively, ONNX Runtime Web in the page, or the explain
// graph that also yields the gradients) and hands the activations here. Maps come out at the
// layer's resolution (7 x 7 for MobileNet V2's last conv); heat_overlay upsamples to draw.
#pragma once
#include <vector>
#include "catdog/image.h"
#include "catdog/plane.h"

namespace catdog {

// CAM (Zhou et al. 2016) for a head of global average pooling + Linear:
// map = sum_k w[k] * A[k], and mean(map) + bias == the class logit (returned in *logit).
Plane class_activation_map(const float* acts, int C, int H, int W, const float* class_weights,
                           float bias, float* logit = nullptr);

// Grad-CAM (Selvaraju et al. 2017): alpha_k = mean over (y, x) of dS/dA_k, map = sum_k alpha_k A_k,
// then ReLU unless `signed_map` (two-class evidence: the seed was e_a - e_b, so positive
// values are evidence for class a, negative for class b).
Plane grad_cam(const float* acts, const float* grads, int C, int H, int W, bool signed_map = false);

// Occlusion (Zeiler & Fergus 2014): a patch x patch square of `fill` slid over the S x S input
// with `stride`; rows = cols = (S - patch) / stride + 1 positions (the last one touches the edge).
struct OcclusionGrid {
    int size = 224, patch = 32, stride = 16, cols = 0, rows = 0;
    int count() const { return cols * rows; }
};
OcclusionGrid occlusion_grid(int size, int patch, int stride);   // throws std::invalid_argument
// The input with occlusion `index` (row-major over the grid) applied: `out` gets C x S x S;
// `fill` holds one normalised value per channel (mid-grey: (0.5 - mean) / std).
void occlude(const float* chw, int C, const OcclusionGrid& g, int index, const float* fill, float* out);
// map(col, row) = base_score - score of occlusion (row * cols + col): high = the photo needed it.
Plane occlusion_map(const OcclusionGrid& g, const std::vector<float>& scores, float base_score);

// The map upsampled (bilinear, align_corners=False, like torch's interpolate) to the crop's
// size and blended over it with `opacity` in [0, 1]: jet-like colours from 0 to the max
// (or a diverging blue-white-red from -max|.| to +max|.| when `signed_map`).
Image heat_overlay(const Image& crop, const Plane& map, float opacity, bool signed_map = false);
// The same upsampling alone (for scripts and tests).
Plane upsample_bilinear(const Plane& map, int width, int height);

}  // namespace catdog
