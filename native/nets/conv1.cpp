// nets/conv1.cpp - see conv1.h.
#include "nets/conv1.h"

#include <algorithm>
#include <stdexcept>

namespace catdog::nets {

Conv1Info conv1_info(const NetSpec& spec) {
    const int c1 = spec.find(spec.conv1);
    if (c1 < 0 || spec.layers[size_t(c1)].op != Op::Conv)
        throw std::runtime_error(spec.backbone + ": the spec's conv1 '" + spec.conv1 + "' is not a conv layer");
    const Layer& C = spec.layers[size_t(c1)];
    Conv1Info info;
    info.layer = c1;
    info.weight = C.name + ".weight";
    info.bias = C.bias ? C.name + ".bias" : "";
    info.shape = {C.out_ch, C.in_ch / std::max(1, C.groups), C.kh, C.kw};
    info.stride = C.stride;
    info.pad = C.pad;
    info.view = C.view;
    // The activation is the first layer that reads conv1, when it is a Relu/Relu6 (so a
    // BatchNorm or pool in between leaves "none": the map shown is then not conv1's alone).
    for (size_t i = size_t(c1) + 1; i < spec.layers.size(); ++i) {
        const Layer& A = spec.layers[i];
        const std::vector<int> in = spec.inputs_of(int(i));
        const bool reads = std::find(in.begin(), in.end(), c1) != in.end();
        if (!reads) continue;
        if (A.op == Op::Relu || A.op == Op::Relu6) {
            info.activation = A.op == Op::Relu ? "relu" : "relu6";
            info.view = A.view;
        }
        break;
    }
    return info;
}

}  // namespace catdog::nets
