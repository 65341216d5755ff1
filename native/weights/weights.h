// weights/weights.h - what a weight reader yields: named float32 tensors, nothing more.
//
// Readers parse downloaded files (torchvision .pth, TFLite flatbuffers), so they are
// written defensively (every size and offset checked against the file) and know nothing
// about torch or training: that keeps them fast to build and easy to fuzz.
#pragma once
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>
#include "catdog/one_line.h"

namespace catdog::weights {

struct Tensor {
    std::vector<int64_t> shape;
    std::vector<float> data;      // contiguous, row-major, converted to float32
    int64_t numel() const { int64_t n = 1; for (auto d : shape) n *= d; return n; }
};

// Insertion order is kept: it is the state_dict's order.
struct WeightMap {
    std::vector<std::string> order;
    std::map<std::string, Tensor> tensors;
    void add(const std::string& name, Tensor t) {
        if (!tensors.count(name)) order.push_back(name);
        tensors[name] = std::move(t);
    }
    const Tensor& at(const std::string& name) const;  // throws WeightError naming the key
};

// One line: "<file>: <reason>".
// Reasons quote names read from the file (pickle globals, tensor names), so control
// characters are written as \xNN: the message stays one line.
class WeightError : public std::runtime_error {
public:
    WeightError(const std::string& file, const std::string& reason)
        : std::runtime_error(catdog::one_line_text(file + ": " + reason)) {}
};

}  // namespace catdog::weights
