// nets/netspec.h - one description per network.
//
// A NetSpec is the single source of truth for a backbone: its layers in order (a small DAG,
// because MobileNet V2 has residual adds), their torchvision names, shapes and padding.
// The same spec drives
//   - the torch forward pass (nets/model.h) used for training and prediction,
//   - the ONNX graph (export/), including one named output per visualisable activation,
//   - the layer names the CLI and the page show.
// so the three cannot drift apart. No torch here: export and the views include it cheaply.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>
#include "catdog/transforms.h"

namespace catdog::nets {

enum class Op {
    Conv,             // weight [out, in/groups, kh, kw], optional bias; explicit asymmetric pads
    Relu,
    Relu6,
    MaxPool,          // kernel kh x kw, stride, pads (floor mode, like torch's default)
    AdaptiveAvgPool,  // to out_h x out_w (torch's AdaptiveAvgPool2d semantics)
    Flatten,          // [N, C, H, W] -> [N, C*H*W]
    Dropout,          // p; active only in train mode
    Linear,           // weight [out, in], bias [out]
    Add,              // elementwise sum of its two inputs (residual)
    Concat,           // its inputs stacked along channels (SqueezeNet's fire modules)
    BatchNorm,        // weight, bias, running_mean, running_var [C]; eps. Follows the conv it
                      // normalises and trains (or stays frozen) with it
};

struct Layer {
    std::string name;         // torchvision module path, e.g. "features.0"; params: name + ".weight"/".bias"
    Op op = Op::Relu;
    std::vector<int> inputs;  // indices into NetSpec::layers; empty = previous layer (inputs_of)
    int in_ch = 0, out_ch = 0;          // Conv channels; Linear in/out features
    int kh = 0, kw = 0, stride = 1, groups = 1;
    std::array<int, 4> pad{0, 0, 0, 0};  // top, left, bottom, right (TF 'SAME' is asymmetric)
    bool bias = true;
    int out_h = 0, out_w = 0;           // AdaptiveAvgPool target
    float p = 0.f;                      // Dropout probability
    float eps = 1e-5f;                  // BatchNorm epsilon (torch's default)
    std::string view;                   // non-empty: output is a visualisable activation of this name
    std::vector<int64_t> out_shape;     // [C, H, W] or [F] for one image, filled by NetSpec::infer_shapes
};

struct ParamInfo {
    std::string name;             // e.g. "features.0.weight"
    std::vector<int64_t> shape;
    int layer = -1;               // index of the owning layer
    bool buffer = false;          // BatchNorm running statistics: state, never trained
};

struct NetSpec {
    std::string backbone;         // "alexnet", "mobilenet_v2"
    std::vector<Layer> layers;
    int feature_layer = -1;       // its output, flattened, is the F-d feature vector the head reads
    int feature_dim = 0;          // (a [C,H,W] map for SqueezeNet, whose head is a 1x1 conv)
    int head_layer = -1;          // replaced by a fresh layer with `classes` outputs: the last
                                  // Linear, or SqueezeNet's Conv2d(512, classes, 1)
    int num_classes = 0;
    int input_size = 224;
    catdog::TransformSpec transform;  // the preprocessing the pretrained weights expect
    std::string conv1;            // first conv's name: its weight is the kernel grid

    // Parameters in network order (what a state_dict holds).
    std::vector<ParamInfo> params() const;
    // Conv/Linear layers, in order, excluding the head: `--unfreeze K` takes the last K (a
    // BatchNorm follows the conv it reads).
    std::vector<int> backbone_param_layers() const;
    // The conv a BatchNorm layer normalises (its input), or -1 for other layers.
    int bn_owner(int layer) const;
    // Visualisable activations (layers with a non-empty `view`), in order.
    std::vector<int> view_layers() const;
    std::string view_names() const;  // "features.0, features.1, ..." (for messages)
    // Fills Layer::out_shape for an input of 3 x input_size x input_size; throws on a
    // malformed spec (bad input index, channel mismatch).
    void infer_shapes();
    int find(const std::string& layer_name) const;  // -1 if absent
    // The layers layer i reads: its `inputs`, or {i - 1} when they are empty (-1 is the image).
    std::vector<int> inputs_of(int i) const;
    int input_of(int i, size_t k = 0) const;  // inputs_of(i).at(k)
};

// The registry: "alexnet" | "mobilenet_v2" (TFLite layout) | "mobilenet_v2_torchvision" |
// "resnet18" | "squeezenet1_1". Throws std::invalid_argument listing valid names.
NetSpec make_spec(const std::string& backbone, int num_classes);
std::vector<std::string> backbone_names();

}  // namespace catdog::nets
