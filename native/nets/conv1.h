// nets/conv1.h - the first convolution as the kernel playground re-runs it.
//
// model.json's "conv1" section (export/) and `catdog filter --model` (no LibTorch) both need
// conv1's stride, padding, bias and the activation that follows it; this reads them off the
// NetSpec once so the two cannot disagree.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>
#include "nets/netspec.h"

namespace catdog::nets {

struct Conv1Info {
    int layer = -1;                    // index of the conv in NetSpec::layers
    std::string weight;                // parameter / ONNX initializer name, e.g. "features.0.weight"
    std::string bias;                  // empty: no bias
    std::vector<int64_t> shape;        // [O, I, kh, kw]
    int stride = 1;
    std::array<int, 4> pad{0, 0, 0, 0};  // top, left, bottom, right
    std::string activation = "none";   // "none" | "relu" | "relu6": the layer reading it
    std::string view;                  // the visualisable output showing the activated map
};

// Throws std::runtime_error if the spec's conv1 is not a Conv layer.
Conv1Info conv1_info(const NetSpec& spec);

}  // namespace catdog::nets
