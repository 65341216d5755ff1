// nets/netspec.cpp - what every NetSpec can answer about itself: parameters, views, shapes,
// and the registry of backbones. The per-network layer lists live in nets/<name>.cpp.
//
// Index of this file:
// [SECTION] Shape inference: the same arithmetic torch uses (floor division everywhere).
// [SECTION] Registry
#include "nets/netspec.h"

#include <stdexcept>
#include <string>

namespace catdog::nets {

// Defined in nets/<name>.cpp.
NetSpec make_alexnet_spec(int num_classes);
NetSpec make_mobilenet_v2_spec(int num_classes);
NetSpec make_mobilenet_v2_torchvision_spec(int num_classes);
NetSpec make_resnet18_spec(int num_classes);
NetSpec make_squeezenet1_1_spec(int num_classes);

static bool has_params(const Layer& l) { return l.op == Op::Conv || l.op == Op::Linear; }

std::vector<ParamInfo> NetSpec::params() const {
    std::vector<ParamInfo> out;
    for (int i = 0; i < (int)layers.size(); ++i) {
        const Layer& l = layers[i];
        if (l.op == Op::Conv) {
            out.push_back({l.name + ".weight", {l.out_ch, l.in_ch / l.groups, l.kh, l.kw}, i});
            if (l.bias) out.push_back({l.name + ".bias", {l.out_ch}, i});
        } else if (l.op == Op::Linear) {
            out.push_back({l.name + ".weight", {l.out_ch, l.in_ch}, i});
            if (l.bias) out.push_back({l.name + ".bias", {l.out_ch}, i});
        } else if (l.op == Op::BatchNorm) {  // torchvision's state_dict order
            const int64_t c = l.out_ch;
            out.push_back({l.name + ".weight", {c}, i});
            out.push_back({l.name + ".bias", {c}, i});
            out.push_back({l.name + ".running_mean", {c}, i, true});
            out.push_back({l.name + ".running_var", {c}, i, true});
        }
    }
    return out;
}

int NetSpec::bn_owner(int layer) const {
    if (layer < 0 || layer >= (int)layers.size() || layers[layer].op != Op::BatchNorm) return -1;
    return input_of(layer);
}

std::vector<int> NetSpec::inputs_of(int i) const {
    const Layer& l = layers.at(size_t(i));
    return l.inputs.empty() ? std::vector<int>{i - 1} : l.inputs;
}

int NetSpec::input_of(int i, size_t k) const {
    const Layer& l = layers.at(size_t(i));
    if (l.inputs.empty() && k == 0) return i - 1;
    return l.inputs.at(k);
}

std::vector<int> NetSpec::backbone_param_layers() const {
    std::vector<int> out;
    for (int i = 0; i < (int)layers.size(); ++i)
        if (has_params(layers[i]) && i != head_layer) out.push_back(i);
    return out;
}

std::vector<int> NetSpec::view_layers() const {
    std::vector<int> out;
    for (int i = 0; i < (int)layers.size(); ++i)
        if (!layers[i].view.empty()) out.push_back(i);
    return out;
}

std::string NetSpec::view_names() const {
    std::string s;
    for (int i : view_layers()) s += (s.empty() ? "" : ", ") + layers[size_t(i)].view;
    return s;
}

int NetSpec::find(const std::string& layer_name) const {
    for (int i = 0; i < (int)layers.size(); ++i)
        if (layers[i].name == layer_name) return i;
    return -1;
}

//-----------------------------------------------------------------------------
// [SECTION] Shape inference: the same arithmetic torch uses (floor division everywhere).
//-----------------------------------------------------------------------------
void NetSpec::infer_shapes() {
    auto fail = [&](const Layer& l, const std::string& why) {
        throw std::logic_error(backbone + " spec, layer '" + l.name + "': " + why);
    };
    auto dims = [](const std::vector<int64_t>& s) {
        std::string r = "[";
        for (size_t i = 0; i < s.size(); ++i) r += (i ? "," : "") + std::to_string(s[i]);
        return r + "]";
    };
    const std::vector<int64_t> image{3, input_size, input_size};
    for (int i = 0; i < (int)layers.size(); ++i) {
        Layer& l = layers[i];
        std::vector<const std::vector<int64_t>*> in;
        if (l.inputs.empty()) {
            in.push_back(i == 0 ? &image : &layers[i - 1].out_shape);
        } else {
            for (int j : l.inputs) {
                if (j < 0 || j >= i) fail(l, "input index " + std::to_string(j) + " is not an earlier layer");
                in.push_back(&layers[j].out_shape);
            }
        }
        const std::vector<int64_t>& x = *in[0];
        auto need_chw = [&] { if (x.size() != 3) fail(l, "expects a [C,H,W] input, got " + dims(x)); };
        switch (l.op) {
        case Op::Conv: {
            need_chw();
            if (x[0] != l.in_ch) fail(l, "expects " + std::to_string(l.in_ch) + " input channels, got " + dims(x));
            if (l.groups < 1 || l.in_ch % l.groups || l.out_ch % l.groups) fail(l, "bad groups");
            const int64_t h = (x[1] + l.pad[0] + l.pad[2] - l.kh) / l.stride + 1;
            const int64_t w = (x[2] + l.pad[1] + l.pad[3] - l.kw) / l.stride + 1;
            if (h < 1 || w < 1) fail(l, "input " + dims(x) + " is smaller than the kernel");
            l.out_shape = {l.out_ch, h, w};
            break;
        }
        case Op::MaxPool: {
            need_chw();
            const int64_t h = (x[1] + l.pad[0] + l.pad[2] - l.kh) / l.stride + 1;
            const int64_t w = (x[2] + l.pad[1] + l.pad[3] - l.kw) / l.stride + 1;
            if (h < 1 || w < 1) fail(l, "input " + dims(x) + " is smaller than the window");
            l.out_shape = {x[0], h, w};
            break;
        }
        case Op::AdaptiveAvgPool:
            need_chw();
            l.out_shape = {x[0], l.out_h, l.out_w};
            break;
        case Op::Flatten: {
            int64_t n = 1;
            for (auto d : x) n *= d;
            l.out_shape = {n};
            break;
        }
        case Op::Linear:
            if (x.size() != 1 || x[0] != l.in_ch)
                fail(l, "expects " + std::to_string(l.in_ch) + " features, got " + dims(x));
            l.out_shape = {l.out_ch};
            break;
        case Op::BatchNorm:
            need_chw();
            if (x[0] != l.out_ch) fail(l, "normalises " + std::to_string(l.out_ch) + " channels, got " + dims(x));
            l.out_shape = x;
            break;
        case Op::Concat: {
            if (in.size() < 2) fail(l, "Concat needs at least two inputs");
            int64_t c = 0;
            for (const auto* s : in) {
                if (s->size() != 3 || (*s)[1] != x[1] || (*s)[2] != x[2])
                    fail(l, "Concat inputs differ in size: " + dims(*s) + " vs " + dims(x));
                c += (*s)[0];
            }
            l.out_shape = {c, x[1], x[2]};
            break;
        }
        case Op::Add:
            if (in.size() != 2) fail(l, "Add needs exactly two inputs");
            if (*in[0] != *in[1]) fail(l, "Add inputs differ: " + dims(*in[0]) + " vs " + dims(*in[1]));
            l.out_shape = x;
            break;
        case Op::Relu:
        case Op::Relu6:
        case Op::Dropout:
            l.out_shape = x;
            break;
        }
    }
    if (feature_layer < 0 || feature_layer >= (int)layers.size()) throw std::logic_error(backbone + " spec: no feature layer");
    if (head_layer <= feature_layer || head_layer >= (int)layers.size() ||
        (layers[head_layer].op != Op::Linear && layers[head_layer].op != Op::Conv))
        throw std::logic_error(backbone + " spec: the head must be a Linear or Conv layer after the features");
    for (int i = 0; i < (int)layers.size(); ++i)
        if (layers[i].op == Op::BatchNorm) {
            const int c = bn_owner(i);
            if (c < 0 || layers[c].op != Op::Conv) fail(layers[i], "a BatchNorm must read a Conv");
        }
    const auto& f = layers[feature_layer].out_shape;
    int64_t fn = 1;
    for (auto d : f) fn *= d;
    if (fn != feature_dim)
        throw std::logic_error(backbone + " spec: feature layer gives " + dims(f) + ", expected " +
                               std::to_string(feature_dim) + " values");
}

//-----------------------------------------------------------------------------
// [SECTION] Registry
//-----------------------------------------------------------------------------
std::vector<std::string> backbone_names() {
    return {"alexnet", "mobilenet_v2", "mobilenet_v2_torchvision", "resnet18", "squeezenet1_1"};
}

NetSpec make_spec(const std::string& backbone, int num_classes) {
    if (num_classes < 1) throw std::invalid_argument("num_classes must be >= 1, got " + std::to_string(num_classes));
    NetSpec s;
    if (backbone == "alexnet") s = make_alexnet_spec(num_classes);
    else if (backbone == "mobilenet_v2") s = make_mobilenet_v2_spec(num_classes);
    else if (backbone == "mobilenet_v2_torchvision") s = make_mobilenet_v2_torchvision_spec(num_classes);
    else if (backbone == "resnet18") s = make_resnet18_spec(num_classes);
    else if (backbone == "squeezenet1_1") s = make_squeezenet1_1_spec(num_classes);
    else {
        std::string names;
        for (const auto& n : backbone_names()) names += (names.empty() ? "" : ", ") + n;
        throw std::invalid_argument("unknown backbone '" + backbone + "' (valid: " + names + ")");
    }
    s.infer_shapes();
    return s;
}

}  // namespace catdog::nets
