// export/views.h - a LibTorch model's activations and conv1 weight, for `catdog explain` and
// the tests that hold the pictures to torchvision (the commands themselves use infer/).
#pragma once
#include <string>
#include <vector>
#include "catdog/image.h"
#include "catdog/transforms.h"
#include "nets/model.h"

namespace catdog::exporter {

// The activation [C, H, W] (CPU float32, contiguous) of view `layer` for one photo through
// the val transform. An unknown layer is std::invalid_argument listing the valid names.
torch::Tensor view_activation(nets::Model& model, const catdog::Image& photo,
                              const catdog::TransformSpec& transform, const std::string& layer);

// conv1's weight [O, I, kh, kw] on the CPU, contiguous float32.
torch::Tensor conv1_weight(const nets::Model& model);

}  // namespace catdog::exporter
