// weights/weights.cpp - WeightMap lookups with errors that name the missing key.
#include "weights/weights.h"

namespace catdog::weights {

const Tensor& WeightMap::at(const std::string& name) const {
    auto it = tensors.find(name);
    if (it == tensors.end()) throw WeightError("weights", "no tensor named '" + name + "'");
    return it->second;
}

}  // namespace catdog::weights
