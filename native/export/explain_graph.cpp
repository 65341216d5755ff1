// export/explain_graph.cpp - forward + explicit backward ONNX graph (see explain_graph.h).
//
// Index of this file:
// [SECTION] layers: which views get gradients, CAM eligibility, model.json sections
// [SECTION] forward + backward
#include "export/explain_graph.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <onnx/onnx_pb.h>

namespace catdog::exporter {

using namespace onnx_util;
using nets::Layer;
using nets::NetSpec;
using nets::Op;

//-----------------------------------------------------------------------------
// [SECTION] layers: which views get gradients, CAM eligibility, model.json sections
//-----------------------------------------------------------------------------
namespace {

std::vector<int64_t> batch1(const std::vector<int64_t>& shape) {
    std::vector<int64_t> s{1};
    s.insert(s.end(), shape.begin(), shape.end());
    return s;
}

int64_t numel(const std::vector<int64_t>& s) {
    int64_t n = 1;
    for (int64_t d : s) n *= d;
    return n;
}

}  // namespace

std::vector<int> explain_layers(const NetSpec& spec) {
    std::vector<int> out;
    for (int i : spec.view_layers())
        if (spec.layers[size_t(i)].out_shape.size() == 3) out.push_back(i);
    return out;
}

int cam_layer(const NetSpec& spec) {
    if (spec.head_layer < 0 || spec.layers[size_t(spec.head_layer)].op != Op::Linear) return -1;
    int f = spec.input_of(spec.head_layer);
    if (f < 0 || spec.layers[size_t(f)].op != Op::Flatten) return -1;
    int p = spec.input_of(f);
    if (p < 0 || spec.layers[size_t(p)].op != Op::AdaptiveAvgPool || spec.layers[size_t(p)].out_h != 1 ||
        spec.layers[size_t(p)].out_w != 1)
        return -1;
    int v = spec.input_of(p);
    if (v < 0 || spec.layers[size_t(v)].view.empty() || spec.layers[size_t(v)].out_shape.size() != 3) return -1;
    return v;
}

void describe_explain(const NetSpec& spec_in, catdog::ModelInfo& info) {
    NetSpec spec = spec_in;
    spec.infer_shapes();
    info.explain_file = "model.explain.onnx";
    info.explain_seed = "seed";
    info.explain_layers.clear();
    for (int i : explain_layers(spec)) info.explain_layers.push_back(spec.layers[size_t(i)].view);
    const int c = cam_layer(spec);
    if (c >= 0) {
        const Layer& H = spec.layers[size_t(spec.head_layer)];
        info.cam_layer = spec.layers[size_t(c)].view;
        info.cam_weight = H.name + ".weight";  // small enough to stay fp32 in model.web.onnx
        info.cam_bias = H.name + ".bias";
    }
}

//-----------------------------------------------------------------------------
// [SECTION] forward + backward
//-----------------------------------------------------------------------------
namespace {

class Backward {
public:
    Backward(const NetSpec& spec, const ParamLookup& params, onnx::GraphProto& g, const std::vector<std::string>& t)
        : spec_(spec), params_(params), g_(g), t_(t), grad_(spec.layers.size()) {}

    // d(score)/d(output of each layer) for layers >= `first`; grad(i) afterwards.
    void run(int first) {
        const int n = int(spec_.layers.size());
        grad_[size_t(n - 1)] = "seed";
        add_float(g_, "grad.zero", {}, &kZero);
        for (int i = n - 1; i > first; --i)
            if (!grad_[size_t(i)].empty()) layer(i, first);
    }
    const std::string& grad(int i) const { return grad_[size_t(i)]; }

private:
    static constexpr float kZero = 0.f;

    std::string fresh(const std::string& what, int i) {
        return "grad." + what + "." + spec_.layers[size_t(i)].name + "." + std::to_string(count_++);
    }
    // Adds d to the gradient of layer j's output (a tensor read by several layers sums them).
    void accumulate(int j, int first, const std::string& d) {
        if (j < first) return;
        std::string& gj = grad_[size_t(j)];
        if (gj.empty()) {
            gj = d;
            return;
        }
        const std::string s = fresh("sum", j);
        add_node(g_, "Add", s, {gj, d}, {s});
        gj = s;
    }
    std::string shape_const(const std::vector<int64_t>& s, int i) {
        const std::string name = fresh("shape", i);
        add_int64(g_, name, {int64_t(s.size())}, s.data());
        return name;
    }
    std::string reshape(const std::string& x, const std::vector<int64_t>& s, int i) {
        const std::string out = fresh("reshape", i);
        add_node(g_, "Reshape", out, {x, shape_const(s, i)}, {out});
        return out;
    }
    // dX for a kernel-shaped op: ConvTranspose with `weight` and the forward conv's geometry;
    // output_padding restores the rows/cols the forward stride dropped.
    std::string conv_transpose(int i, const std::string& dy, const std::string& weight, int kh, int kw, int stride,
                               const std::array<int, 4>& pad, int groups, const std::vector<int64_t>& in_shape) {
        const std::vector<int64_t>& out_shape = spec_.layers[size_t(i)].out_shape;
        const int64_t oph = in_shape[1] - ((out_shape[1] - 1) * stride - pad[0] - pad[2] + kh);
        const int64_t opw = in_shape[2] - ((out_shape[2] - 1) * stride - pad[1] - pad[3] + kw);
        if (oph < 0 || opw < 0 || oph >= stride || opw >= stride)
            throw std::runtime_error("explain graph: " + spec_.layers[size_t(i)].name + ": inconsistent conv geometry");
        const std::string out = fresh("convT", i);
        auto* c = add_node(g_, "ConvTranspose", out, {dy, weight}, {out});
        attr_ints(c, "kernel_shape", {kh, kw});
        attr_ints(c, "strides", {stride, stride});
        attr_ints(c, "pads", {pad[0], pad[1], pad[2], pad[3]});
        attr_ints(c, "output_padding", {oph, opw});
        attr_int(c, "group", groups);
        return out;
    }

    // A stride-1 depthwise conv's input gradient is the same depthwise conv of dY with each
    // kernel rotated 180 degrees and the pads mirrored (k - 1 - pad): onnxruntime runs that as
    // one grouped Conv, several times faster than a ConvTranspose with one group per channel.
    std::string depthwise_backward(int i) {
        const Layer& L = spec_.layers[size_t(i)];
        const ParamView w = params_(L.name + ".weight");
        const int64_t C = L.out_ch, kk = int64_t(L.kh) * L.kw;
        if (!w.data || numel(w.shape) != C * kk)
            throw std::runtime_error("explain graph: " + L.name + ": missing or misshapen weight");
        std::vector<float> rot(static_cast<size_t>(C * kk));
        for (int64_t c = 0; c < C; ++c)
            for (int64_t k = 0; k < kk; ++k) rot[size_t(c * kk + k)] = w.data[c * kk + (kk - 1 - k)];
        const std::string wn = fresh("rotated_weight", i), out = fresh("dwconv", i);
        add_float(g_, wn, {C, 1, L.kh, L.kw}, rot.data());
        auto* n = add_node(g_, "Conv", out, {grad_[size_t(i)], wn}, {out});
        attr_ints(n, "kernel_shape", {L.kh, L.kw});
        attr_ints(n, "strides", {1, 1});
        attr_ints(n, "pads", {L.kh - 1 - L.pad[0], L.kw - 1 - L.pad[1], L.kh - 1 - L.pad[2], L.kw - 1 - L.pad[3]});
        attr_int(n, "group", C);
        return out;
    }

    void layer(int i, int first) {
        const Layer& L = spec_.layers[size_t(i)];
        const std::string& dy = grad_[size_t(i)];
        const int j = spec_.input_of(i);
        if (j < first && L.op != Op::Add && L.op != Op::Concat) return;  // nothing below is needed
        const std::vector<int64_t> in_shape = j >= 0 ? spec_.layers[size_t(j)].out_shape : std::vector<int64_t>{};
        switch (L.op) {
        case Op::Conv:
            if (L.stride == 1 && L.groups > 1 && L.groups == L.in_ch && L.groups == L.out_ch &&
                std::max(L.pad[0], L.pad[2]) < L.kh && std::max(L.pad[1], L.pad[3]) < L.kw)
                accumulate(j, first, depthwise_backward(i));
            else
                accumulate(j, first, conv_transpose(i, dy, L.name + ".weight", L.kh, L.kw, L.stride, L.pad,
                                                    std::max(1, L.groups), in_shape));
            break;
        case Op::Relu: {  // torch's threshold_backward: dY where Y > 0
            const std::string m = fresh("mask", i), out = fresh("relu", i);
            add_node(g_, "Greater", m, {t_[size_t(i)], "grad.zero"}, {m});
            add_node(g_, "Where", out, {m, dy, "grad.zero"}, {out});
            accumulate(j, first, out);
            break;
        }
        case Op::Relu6: {  // torch's hardtanh_backward: dY where 0 < X < 6
            const std::string lo = fresh("above", i), hi = fresh("below", i), m = fresh("mask", i),
                              out = fresh("relu6", i);
            add_node(g_, "Greater", lo, {t_[size_t(j)], "relu6.min"}, {lo});
            add_node(g_, "Less", hi, {t_[size_t(j)], "relu6.max"}, {hi});
            add_node(g_, "And", m, {lo, hi}, {m});
            add_node(g_, "Where", out, {m, dy, "grad.zero"}, {out});
            accumulate(j, first, out);
            break;
        }
        case Op::MaxPool: {
            // Each output's gradient goes to its argmax (flat index into C*H*W for batch 1);
            // ScatterElements adds, so inputs shared by overlapping windows accumulate.
            const std::vector<int64_t>& os = L.out_shape;
            const std::string flat_dy = reshape(dy, {1, numel(os)}, i);
            const std::string flat_idx = reshape("argmax:" + L.name, {1, numel(os)}, i);
            const std::string zeros = fresh("zeros", i), out = fresh("maxpool", i);
            add_node(g_, "ConstantOfShape", zeros, {shape_const({1, numel(in_shape)}, i)}, {zeros});
            auto* s = add_node(g_, "ScatterElements", out, {zeros, flat_idx, flat_dy}, {out});
            attr_int(s, "axis", 1);
            attr_string(s, "reduction", "add");
            accumulate(j, first, reshape(out, batch1(in_shape), i));
            break;
        }
        case Op::AdaptiveAvgPool: {
            const int64_t H = in_shape.at(1), W = in_shape.at(2);
            if (H == L.out_h && W == L.out_w) {
                accumulate(j, first, dy);  // the identity
            } else if (L.out_h == 1 && L.out_w == 1) {
                const float inv = 1.f / float(H * W);
                const std::string k = fresh("inv_area", i), scaled = fresh("gap", i), out = fresh("expand", i);
                add_float(g_, k, {}, &inv);
                add_node(g_, "Mul", scaled, {dy, k}, {scaled});
                add_node(g_, "Expand", out, {scaled, shape_const(batch1(in_shape), i)}, {out});
                accumulate(j, first, out);
            } else if (H % L.out_h == 0 && W % L.out_w == 0) {
                // Equal bins: each output spreads evenly over its kh x kw bin.
                const int kh = int(H / L.out_h), kw = int(W / L.out_w);
                const int64_t C = in_shape[0];
                std::vector<float> w(size_t(C * kh * kw), 1.f / float(kh * kw));
                const std::string wn = fresh("bin_weight", i);
                add_float(g_, wn, {C, 1, kh, kw}, w.data());
                if (kh != kw) throw std::runtime_error("explain graph: " + L.name + ": non-square pooling bins");
                accumulate(j, first, conv_transpose(i, dy, wn, kh, kw, kh, {0, 0, 0, 0}, int(C), in_shape));
            } else {
                throw std::runtime_error("explain graph: " + L.name + ": adaptive pool with unequal bins");
            }
            break;
        }
        case Op::Flatten:
            accumulate(j, first, reshape(dy, batch1(in_shape), i));
            break;
        case Op::Dropout:  // inference: the identity
            accumulate(j, first, dy);
            break;
        case Op::Linear: {  // y = x W^T + b  ->  dx = dy W
            const std::string out = fresh("linear", i);
            add_node(g_, "MatMul", out, {dy, L.name + ".weight"}, {out});
            accumulate(j, first, out);
            break;
        }
        case Op::Add:  // both branches get the whole gradient
            accumulate(spec_.input_of(i, 0), first, dy);
            accumulate(spec_.input_of(i, 1), first, dy);
            break;
        case Op::Concat: {  // each input gets its channels' slice of the gradient
            std::vector<int64_t> sizes;
            std::vector<std::string> parts;
            for (size_t k = 0; k < L.inputs.size(); ++k) {
                sizes.push_back(spec_.layers[size_t(L.inputs[k])].out_shape.at(0));
                parts.push_back(fresh("split" + std::to_string(k), i));
            }
            const std::string sn = fresh("split_sizes", i);
            add_int64(g_, sn, {int64_t(sizes.size())}, sizes.data());
            attr_int(add_node(g_, "Split", fresh("split", i), {dy, sn}, parts), "axis", 1);
            for (size_t k = 0; k < L.inputs.size(); ++k) accumulate(L.inputs[k], first, parts[k]);
            break;
        }
        case Op::BatchNorm: {  // inference: y = (x - mean) * weight / sqrt(var + eps) + bias
            const int64_t C = L.out_ch;
            const ParamView w = params_(L.name + ".weight"), v = params_(L.name + ".running_var");
            if (!w.data || !v.data) throw std::runtime_error("explain graph: " + L.name + ": no BatchNorm parameters");
            std::vector<float> scale((size_t)C);
            for (int64_t c = 0; c < C; ++c) scale[size_t(c)] = float(double(w.data[c]) / std::sqrt(double(v.data[c]) + L.eps));
            const std::string k = fresh("bn_scale", i), out = fresh("bn", i);
            add_float(g_, k, {C, 1, 1}, scale.data());
            add_node(g_, "Mul", out, {dy, k}, {out});
            accumulate(j, first, out);
            break;
        }
        default:
            // A new op needs its backward rule here.
            throw std::runtime_error("explain graph: cannot differentiate layer " + L.name + " (op " +
                                     std::to_string(int(L.op)) + ")");
        }
    }

    const NetSpec& spec_;
    const ParamLookup& params_;
    onnx::GraphProto& g_;
    const std::vector<std::string>& t_;
    std::vector<std::string> grad_;
    int count_ = 0;
};

}  // namespace

void build_explain_onnx(const NetSpec& spec, const ParamLookup& params, onnx::ModelProto& model) {
    const std::vector<int> layers = explain_layers(spec);
    if (layers.empty()) throw std::runtime_error("explain graph: " + spec.backbone + " has no conv views");
    std::vector<std::string> t;
    OnnxOptions fp32;
    fp32.producer = "catdog explain";
    build_onnx(spec, params, fp32, model, &t);
    onnx::GraphProto& g = *model.mutable_graph();
    g.set_name("catdog_" + spec.backbone + "_explain");

    // Batch 1 (the backward's reshapes are concrete), no probs, argmax indices on every MaxPool.
    auto* in0 = g.mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape()->mutable_dim(0);
    in0->Clear();
    in0->set_dim_value(1);
    google::protobuf::RepeatedPtrField<onnx::NodeProto> nodes;
    for (const auto& node : g.node())
        if (!(node.op_type() == "Softmax" && node.name() == "probs")) *nodes.Add() = node;
    for (auto& node : nodes)
        if (node.op_type() == "MaxPool") node.add_output("argmax:" + node.name());
    g.mutable_node()->Swap(&nodes);
    g.clear_output();
    const int K = spec.num_classes;
    float_value(g.add_input(), "seed", {1, K});
    float_value(g.add_output(), "logits", {1, K});

    Backward back(spec, params, g, t);
    back.run(layers.front());
    for (int i : layers) {
        const Layer& L = spec.layers[size_t(i)];
        if (back.grad(i).empty())
            throw std::runtime_error("explain graph: " + L.view + " does not reach the logits");
        add_node(g, "Identity", "grad:" + L.view, {back.grad(i)}, {"grad:" + L.view});
        float_value(g.add_output(), L.view, batch1(L.out_shape));
        float_value(g.add_output(), "grad:" + L.view, batch1(L.out_shape));
    }
}

int64_t export_explain_onnx(const NetSpec& spec, const ParamLookup& params, const std::string& path) {
    onnx::ModelProto m;
    build_explain_onnx(spec, params, m);
    check_onnx(m);
    return write_onnx_file(m, path);
}

}  // namespace catdog::exporter
