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
//   "conv1": {"weight": "features.0.weight", "shape": [64, 3, 11, 11], "bias": "features.0.bias",
//             "stride": 4, "pad": [2, 2, 2, 2], "activation": "relu", "view": "features.0"},
//   "explain": {"file": "model.explain.onnx", "seed": "seed", "layers": ["features.0", ...]},
//   "cam": {"layer": "features.18", "weight": "classifier.1.weight", "bias": "classifier.1.bias"},
//   "imagenet": {"output": "imagenet_logits", "labels": ["tench", ...]}
// }
// conv1's bias/stride/pad (top, left, bottom, right)/activation let the page re-run the first
// layer (the kernel playground); "view" names the output showing its activation. Older files
// without them parse with stride 1, no padding, no bias, "none".
// "explain", "cam" and "imagenet" are optional (absent: the fields stay empty).
#pragma once
#include <array>
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
    std::string conv1_bias;               // initializer name of its bias; empty = none
    int conv1_stride = 1;
    std::array<int, 4> conv1_pad{0, 0, 0, 0};  // top, left, bottom, right
    std::string conv1_activation = "none";     // "none" | "relu" | "relu6" (the layer after it)
    std::string conv1_view;               // layer name (ONNX output) of conv1's activation

    // The explain graph (model.explain.onnx): inputs `input_name` and `explain_seed` [1, K];
    // outputs the logits, and per layer L of `explain_layers` "L" and "grad:L".
    std::string explain_file;             // empty: no explain graph
    std::string explain_seed = "seed";
    std::vector<std::string> explain_layers;  // conv view names, network order
    // CAM, only for a global-average-pool + Linear head: the last conv's view and the head's
    // initializer names ([K, C] weight, [K] bias) in model.web.onnx.
    std::string cam_layer, cam_weight, cam_bias;
    // The backbone's original ImageNet head, kept as an extra output of model(.web).onnx.
    std::string imagenet_output;          // empty: not kept
    std::vector<std::string> imagenet_labels;
};

// Throws std::runtime_error with a one-line reason on malformed input.
ModelInfo parse_model_info(const std::string& json_text);
std::string model_info_to_json(const ModelInfo& info);

}  // namespace catdog
