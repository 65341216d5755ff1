// export/views.h - what `catdog kernels` and `catdog featuremaps` read out of a model.
#pragma once
#include <string>
#include <vector>
#include "catdog/image.h"
#include "catdog/transforms.h"
#include "nets/model.h"

namespace catdog::exporter {

// "features.0, features.3, ..." - the visualisable layers, for error messages.
std::string view_names(const nets::NetSpec& spec);

// The activation [C, H, W] (CPU float32, contiguous) of view `layer` for one photo through
// the val transform. An unknown layer is std::invalid_argument listing the valid names.
torch::Tensor view_activation(nets::Model& model, const catdog::Image& photo,
                              const catdog::TransformSpec& transform, const std::string& layer);

// conv1's weight [O, I, kh, kw] on the CPU, contiguous float32.
torch::Tensor conv1_weight(const nets::Model& model);

}  // namespace catdog::exporter
