// catdog/model_info.h - the model.json schema, in one place.
//
// model.json sits beside model.onnx / model.web.onnx in a run folder. The native CLI writes
// it at export; the page (through this same code in WASM, or plain JS) reads it to know the
// labels, the preprocessing and which intermediate outputs it can draw.
//
// {
//   "format": "catdog-model/1",
//   "backbone": "alexnet",
//   "labels": ["cat", "dog"],
//   "input": {"name": "input", "size": 224, "resize": 256, "mean": [...], "std": [...]},
//   "outputs": {"logits": "logits", "probs": "probs"},
//   "layers": [{"name": "features.0", "kind": "conv", "shape": [64, 55, 55]}, ...],
//   "conv1": {"weight": "features.0.weight", "shape": [64, 3, 11, 11]}
// }
#pragma once
#include <cstdint>
#include <string>
#include <vector>
#include "catdog/transforms.h"

namespace catdog {

struct LayerInfo {
    std::string name;             // ONNX output name == torchvision module path, e.g. "features.3"
    std::string kind;             // "conv", "dwconv", ...
    std::vector<int64_t> shape;   // [C, H, W] for one image
};

struct ModelInfo {
    std::string backbone;                 // "alexnet", "mobilenet_v2"
    std::vector<std::string> labels;      // index -> class name
    std::string input_name = "input";
    TransformSpec transform;              // resize, crop (= input size), mean, std
    std::string logits_output = "logits";
    std::string probs_output = "probs";
    std::vector<LayerInfo> layers;        // visualisable activations, in network order
    std::string conv1_weight;             // initializer name of the first conv's weight
    std::vector<int64_t> conv1_shape;     // [O, I, kh, kw]
};

// Throws std::runtime_error with a one-line reason on malformed input.
ModelInfo parse_model_info(const std::string& json_text);
std::string model_info_to_json(const ModelInfo& info);

}  // namespace catdog
