// nets/layer_builders.h - one-line constructors for NetSpec layers, used by the network files
// (nets/alexnet.cpp, ...) so each network reads like its torchvision definition.
#pragma once
#include <array>
#include <string>
#include <utility>
#include <vector>
#include "nets/netspec.h"

namespace catdog::nets::build {

inline Layer conv(std::string name, int in, int out, int k, int stride, std::array<int, 4> pad, int groups = 1) {
    Layer l;
    l.name = std::move(name); l.op = Op::Conv;
    l.in_ch = in; l.out_ch = out; l.kh = l.kw = k; l.stride = stride; l.pad = pad; l.groups = groups;
    return l;
}
inline Layer act(std::string name, Op op, std::string view = {}) {
    Layer l;
    l.name = std::move(name); l.op = op; l.view = std::move(view);
    return l;
}
inline Layer max_pool(std::string name, int k, int stride) {
    Layer l;
    l.name = std::move(name); l.op = Op::MaxPool; l.kh = l.kw = k; l.stride = stride;
    return l;
}
inline Layer adaptive_avg_pool(std::string name, int h, int w) {
    Layer l;
    l.name = std::move(name); l.op = Op::AdaptiveAvgPool; l.out_h = h; l.out_w = w;
    return l;
}
inline Layer flatten(std::string name) {
    Layer l;
    l.name = std::move(name); l.op = Op::Flatten;
    return l;
}
inline Layer dropout(std::string name, float p) {
    Layer l;
    l.name = std::move(name); l.op = Op::Dropout; l.p = p;
    return l;
}
inline Layer linear(std::string name, int in, int out) {
    Layer l;
    l.name = std::move(name); l.op = Op::Linear; l.in_ch = in; l.out_ch = out;
    return l;
}
// torchvision's Conv2d(..., bias=False), used before a BatchNorm.
inline Layer conv_nobias(std::string name, int in, int out, int k, int stride, int pad, int groups = 1) {
    Layer l = conv(std::move(name), in, out, k, stride, {pad, pad, pad, pad}, groups);
    l.bias = false;
    return l;
}
inline Layer batch_norm(std::string name, int channels, float eps = 1e-5f) {
    Layer l;
    l.name = std::move(name); l.op = Op::BatchNorm; l.out_ch = channels; l.eps = eps;
    return l;
}
inline Layer concat(std::string name, std::vector<int> inputs) {
    Layer l;
    l.name = std::move(name); l.op = Op::Concat; l.inputs = std::move(inputs);
    return l;
}
inline Layer add(std::string name, int a, int b) {
    Layer l;
    l.name = std::move(name); l.op = Op::Add; l.inputs = {a, b};
    return l;
}

// The usual ending: global average pool, flatten (the feature vector the head reads; with
// `dropout` > 0 a Dropout named `dropout_name` follows it, as torchvision's MobileNet V2 has),
// then the head Linear named `head`. Marks the spec's feature and head layers.
inline void pooled_linear_head(NetSpec& s, int dim, int num_classes, const std::string& head,
                               float dropout = 0.f, const std::string& dropout_name = {}) {
    std::vector<Layer>& L = s.layers;
    L.push_back(adaptive_avg_pool("avgpool", 1, 1));
    L.push_back(flatten("flatten"));
    if (dropout > 0.f) L.push_back(build::dropout(dropout_name, dropout));
    s.feature_layer = (int)L.size() - 1;
    s.feature_dim = dim;
    L.push_back(linear(head, dim, num_classes));
    s.head_layer = (int)L.size() - 1;
    s.num_classes = num_classes;
}

// MobileNet V2's 17 inverted residual blocks (the paper's table 2: expansion t, channels c,
// repeats n, first stride s), named as torchvision names them: features.<block>.conv.<k>.
// The two MobileNet V2 specs differ only in their conv: `conv_act(prefix, in, out, k, stride,
// groups)` appends conv (+ BatchNorm) + ReLU6; `project(prefix_of_k, k, in, out)` appends the
// linear 1x1 projection (+ BatchNorm) with sub-index k. Returns the last block's channels.
template <class ConvAct, class Project>
int inverted_residual_blocks(std::vector<Layer>& L, int in, ConvAct conv_act, Project project) {
    struct Stage { int t, c, n, s; };
    const Stage stages[] = {{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2},
                            {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
    int block = 1;
    for (const Stage& st : stages) {
        for (int i = 0; i < st.n; ++i, ++block) {
            const int stride = i == 0 ? st.s : 1;
            const int hidden = in * st.t;
            const std::string p = "features." + std::to_string(block) + ".conv.";
            const int block_input = (int)L.size() - 1;
            int sub = 0;
            if (st.t != 1) conv_act(p + std::to_string(sub++), in, hidden, 1, 1, 1);
            conv_act(p + std::to_string(sub++), hidden, hidden, 3, stride, hidden);
            project(p, sub, hidden, st.c);
            if (stride == 1 && in == st.c)
                L.push_back(add("features." + std::to_string(block), block_input, (int)L.size() - 1));
            in = st.c;
        }
    }
    return in;
}

}  // namespace catdog::nets::build
