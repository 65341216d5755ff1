// nets/tflite_import.cpp - a TFLite graph (weights/tflite_reader.h) mapped onto a NetSpec.
//
// The walk is strict on purpose: a graph that is not exactly the spec's network (another
// width, resolution, a missing residual, VALID instead of SAME) must fail with the layer's
// name, never load weights into the wrong places.
//
//   [SECTION] Spec side: which spec layers an operator stands for
//   [SECTION] Layout conversion
//   [SECTION] The walk
//
// Index of this file:
// [SECTION] Spec side
// [SECTION] Layout conversion
// [SECTION] The walk
#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "nets/pretrained.h"

namespace catdog::nets {
namespace {

using weights::TfliteModel;
using weights::TfliteOp;
using weights::TfliteTensor;
using weights::WeightError;
using weights::WeightMap;

std::string dims(const std::vector<int64_t>& s) {
    std::string r = "[";
    for (size_t i = 0; i < s.size(); ++i) r += (i ? "," : "") + std::to_string(s[i]);
    return r + "]";
}

//-----------------------------------------------------------------------------
// [SECTION] Spec side
//-----------------------------------------------------------------------------

// Layers that a TFLite graph has no operator for (it reshapes implicitly or has no dropout):
// they are looked through when checking the wiring.
bool is_passthrough(Op op) { return op == Op::Flatten || op == Op::Dropout; }

// The spec layers feeding layer i, with pass-through layers looked through. -1 = the image.
std::vector<int> spec_inputs(const NetSpec& s, int i) {
    std::vector<int> raw = s.inputs_of(i);
    for (int& j : raw)
        while (j >= 0 && is_passthrough(s.layers[j].op)) j = s.input_of(j);
    return raw;
}

// The TF 'SAME' pads (top, left, bottom, right) for a k x k window at `stride` on h x w.
std::array<int, 4> same_pads(int64_t h, int64_t w, int kh, int kw, int stride) {
    auto one = [&](int64_t in, int k) {
        const int64_t out = (in + stride - 1) / stride;
        const int64_t total = std::max<int64_t>((out - 1) * stride + k - in, 0);
        return std::pair<int, int>{int(total / 2), int(total - total / 2)};
    };
    auto [t, b] = one(h, kh);
    auto [l, r] = one(w, kw);
    return {t, l, b, r};
}

//-----------------------------------------------------------------------------
// [SECTION] Layout conversion
//-----------------------------------------------------------------------------

// [O,kh,kw,I] -> [O,I,kh,kw]
weights::Tensor ohwi_to_oihw(const TfliteTensor& t) {
    const int64_t O = t.shape[0], H = t.shape[1], W = t.shape[2], I = t.shape[3];
    weights::Tensor r;
    r.shape = {O, I, H, W};
    r.data.resize(t.data.size());
    for (int64_t o = 0; o < O; ++o)
        for (int64_t y = 0; y < H; ++y)
            for (int64_t x = 0; x < W; ++x)
                for (int64_t i = 0; i < I; ++i)
                    r.data[((o * I + i) * H + y) * W + x] = t.data[((o * H + y) * W + x) * I + i];
    return r;
}

// depthwise [1,kh,kw,C] -> [C,1,kh,kw]
weights::Tensor depthwise_to_c1hw(const TfliteTensor& t) {
    const int64_t H = t.shape[1], W = t.shape[2], C = t.shape[3];
    weights::Tensor r;
    r.shape = {C, 1, H, W};
    r.data.resize(t.data.size());
    for (int64_t y = 0; y < H; ++y)
        for (int64_t x = 0; x < W; ++x)
            for (int64_t c = 0; c < C; ++c) r.data[(c * H + y) * W + x] = t.data[(y * W + x) * C + c];
    return r;
}

//-----------------------------------------------------------------------------
// [SECTION] The walk
//-----------------------------------------------------------------------------
class Importer {
public:
    Importer(const TfliteModel& m, const NetSpec& s, const std::string& name) : m_(m), s_(s), name_(name) {}

    WeightMap run() {
        if (m_.inputs.empty()) fail("the graph has no input");
        const TfliteTensor& in = tensor(m_.inputs[0], "graph input");
        const std::vector<int64_t> want_in{1, s_.input_size, s_.input_size, 3};
        if (in.shape != want_in)
            fail("graph input is " + dims(in.shape) + ", expected " + dims(want_in) + " (NHWC) for " + s_.backbone);
        produced_by_[m_.inputs[0]] = -1;

        // The spec layers that need an operator, in order.
        std::vector<int> todo;
        for (int i = 0; i < (int)s_.layers.size(); ++i) {
            const Op op = s_.layers[i].op;
            if (op == Op::Conv || op == Op::Linear || op == Op::Add || op == Op::AdaptiveAvgPool) todo.push_back(i);
        }
        size_t next = 0;
        for (size_t k = 0; k < m_.ops.size(); ++k) {
            const TfliteOp& op = m_.ops[k];
            op_index_ = (int)k;
            if (op.op == "QUANTIZE" || op.op == "DEQUANTIZE" || op.op == "RESHAPE" || op.op == "SQUEEZE") {
                alias(op);  // value-preserving: the output stands for the same spec layer
                continue;
            }
            if (op.op == "SOFTMAX" && next == todo.size()) continue;  // after the logits
            if (next == todo.size()) fail(where() + op.op + " after the last layer of " + s_.backbone);
            map_op(op, todo[next++]);
        }
        if (next != todo.size())
            fail("the graph ends before spec layer '" + s_.layers[todo[next]].name + "' (" +
                 std::to_string(todo.size() - next) + " layers unmatched)");
        return std::move(out_);
    }

private:
    [[noreturn]] void fail(const std::string& why) const { throw WeightError(name_, why); }
    std::string where() const { return "operator #" + std::to_string(op_index_) + ": "; }

    const TfliteTensor& tensor(int idx, const char* what) const {
        if (idx < 0 || idx >= (int)m_.tensors.size())
            fail(where() + std::string(what) + " tensor index " + std::to_string(idx) + " out of range");
        return m_.tensors[idx];
    }

    void alias(const TfliteOp& op) {
        if (op.inputs.empty() || op.outputs.size() != 1) fail(where() + op.op + " with unexpected arity");
        auto it = produced_by_.find(op.inputs[0]);
        if (it != produced_by_.end()) produced_by_[op.outputs[0]] = it->second;
    }

    // The spec layer whose value tensor `t` holds; fails for a tensor no mapped op produced.
    int layer_of(int t) const {
        auto it = produced_by_.find(t);
        if (it == produced_by_.end())
            fail(where() + "input tensor '" + tensor(t, "input").name + "' is not produced by a mapped layer");
        return it->second;
    }

    std::string layer_name(int i) const { return i < 0 ? "the image" : "'" + s_.layers[i].name + "'"; }

    void check_wiring(const std::vector<int>& tflite_inputs, int layer) {
        std::vector<int> got;
        for (int t : tflite_inputs) got.push_back(layer_of(t));
        std::vector<int> want = spec_inputs(s_, layer);
        std::vector<int> g = got, w = want;
        std::sort(g.begin(), g.end());
        std::sort(w.begin(), w.end());
        if (g != w) {
            std::string gs, ws;
            for (int i : got) gs += (gs.empty() ? "" : " + ") + layer_name(i);
            for (int i : want) ws += (ws.empty() ? "" : " + ") + layer_name(i);
            fail(where() + "'" + s_.layers[layer].name + "' reads " + gs + ", expected " + ws);
        }
    }

    // The spec layer's input shape [C,H,W] (pass-through layers looked through).
    std::vector<int64_t> input_shape(int layer) const {
        const int j = spec_inputs(s_, layer)[0];
        return j < 0 ? std::vector<int64_t>{3, s_.input_size, s_.input_size} : s_.layers[j].out_shape;
    }

    void map_op(const TfliteOp& op, int li) {
        const Layer& L = s_.layers[li];
        const std::string lname = "'" + L.name + "'";
        auto expect_op = [&](std::initializer_list<const char*> names) {
            for (const char* n : names)
                if (op.op == n) return;
            std::string w;
            for (const char* n : names) w += (w.empty() ? "" : " or ") + std::string(n);
            fail(where() + op.op + " where " + s_.backbone + " has " + lname + " (" + w + ")");
        };
        if (op.outputs.size() != 1) fail(where() + op.op + " must have one output");
        int out_layer = li;

        switch (L.op) {
        case Op::Add:
            expect_op({"ADD"});
            if (op.inputs.size() != 2) fail(where() + "ADD must have two inputs");
            if (op.activation != "NONE") fail(where() + lname + " has fused " + op.activation + ", expected none");
            check_wiring(op.inputs, li);
            break;
        case Op::AdaptiveAvgPool: {
            const auto in = input_shape(li);
            if (L.out_h != 1 || L.out_w != 1) fail(lname + ": only a global average pool maps onto TFLite");
            if (op.op == "AVERAGE_POOL_2D") {
                if (op.filter_h != in[1] || op.filter_w != in[2] || op.padding != weights::TflitePadding::Valid)
                    fail(where() + "AVERAGE_POOL_2D " + std::to_string(op.filter_h) + "x" + std::to_string(op.filter_w) +
                         " is not a global pool over " + dims(in));
            } else {
                expect_op({"AVERAGE_POOL_2D", "MEAN"});
            }
            if (op.activation != "NONE") fail(where() + lname + " has fused " + op.activation);
            check_wiring({op.inputs.at(0)}, li);
            break;
        }
        case Op::Conv:
        case Op::Linear:
            out_layer = map_conv(op, li);
            break;
        default:
            fail(lname + " cannot come from a TFLite operator");
        }
        produced_by_[op.outputs[0]] = out_layer;
    }

    // CONV_2D / DEPTHWISE_CONV_2D -> a Conv layer, or the Logits 1x1 CONV_2D -> the head Linear.
    // Returns the spec layer the output stands for (the following ReLU6 when fused).
    int map_conv(const TfliteOp& op, int li) {
        const Layer& L = s_.layers[li];
        const std::string lname = "'" + L.name + "'";
        const bool depthwise = L.op == Op::Conv && L.groups > 1;
        const char* want = depthwise ? "DEPTHWISE_CONV_2D" : "CONV_2D";
        if (op.op != want) fail(where() + op.op + " where " + s_.backbone + " has " + lname + " (" + want + ")");
        if (op.inputs.size() < 2) fail(where() + lname + ": no weight input");
        check_wiring({op.inputs[0]}, li);

        const TfliteTensor& w = tensor(op.inputs[1], "weight");
        if (!w.constant || (int64_t)w.data.size() != [&] { int64_t n = 1; for (auto d : w.shape) n *= d; return n; }())
            fail(where() + lname + ": weight tensor '" + w.name + "' is not a constant of its shape");
        const int kh = L.op == Op::Linear ? 1 : L.kh, kw = L.op == Op::Linear ? 1 : L.kw;
        const std::vector<int64_t> want_w = depthwise ? std::vector<int64_t>{1, kh, kw, L.out_ch}
                                                      : std::vector<int64_t>{L.out_ch, kh, kw, L.in_ch};
        if (w.shape != want_w)
            fail(where() + lname + ": weight '" + w.name + "' is " + dims(w.shape) + ", expected " + dims(want_w));
        if (depthwise && (L.groups != L.in_ch || L.in_ch != L.out_ch || op.depth_multiplier != 1))
            fail(where() + lname + ": only depth multiplier 1 is supported");

        // Stride, dilation and padding, against the spec's explicit pads.
        const int stride = L.op == Op::Linear ? 1 : L.stride;
        if (op.stride_h != stride || op.stride_w != stride)
            fail(where() + lname + ": stride " + std::to_string(op.stride_h) + "x" + std::to_string(op.stride_w) +
                 ", expected " + std::to_string(stride));
        if (op.dilation_h != 1 || op.dilation_w != 1) fail(where() + lname + ": dilated convolutions are not supported");
        if (L.op == Op::Conv) {
            const auto in = input_shape(li);
            const std::array<int, 4> pads = op.padding == weights::TflitePadding::Same
                                                ? same_pads(in[1], in[2], kh, kw, stride)
                                                : std::array<int, 4>{0, 0, 0, 0};
            if (pads != L.pad) {
                auto p = [](const std::array<int, 4>& a) {
                    return std::to_string(a[0]) + "," + std::to_string(a[1]) + "," + std::to_string(a[2]) + "," +
                           std::to_string(a[3]);
                };
                fail(where() + lname + ": padding " + (op.padding == weights::TflitePadding::Same ? "SAME" : "VALID") +
                     " gives pads (t,l,b,r) " + p(pads) + ", the spec has " + p(L.pad));
            }
        }

        // Fused activation must be what the spec applies next.
        const bool spec_relu6 = li + 1 < (int)s_.layers.size() && s_.layers[li + 1].op == Op::Relu6 &&
                                s_.layers[li + 1].inputs.empty();
        const bool spec_relu = li + 1 < (int)s_.layers.size() && s_.layers[li + 1].op == Op::Relu &&
                               s_.layers[li + 1].inputs.empty();
        const std::string want_act = spec_relu6 ? "RELU6" : spec_relu ? "RELU" : "NONE";
        if (op.activation != want_act)
            fail(where() + lname + ": fused activation " + op.activation + ", expected " + want_act);

        // Bias (folded BatchNorm): always present in Google's graph.
        weights::Tensor bias;
        const bool has_bias = op.inputs.size() >= 3 && op.inputs[2] >= 0;
        if (!has_bias && L.bias) fail(where() + lname + ": no bias tensor");
        if (has_bias) {
            const TfliteTensor& b = tensor(op.inputs[2], "bias");
            if (!b.constant || b.shape != std::vector<int64_t>{L.out_ch} || (int64_t)b.data.size() != L.out_ch)
                fail(where() + lname + ": bias '" + b.name + "' is " + dims(b.shape) + ", expected [" +
                     std::to_string(L.out_ch) + "]");
            if (!L.bias) fail(where() + lname + ": has a bias the spec lacks");
            bias = weights::Tensor{{L.out_ch}, b.data};
        }

        // Weight before bias, like a state_dict.
        if (L.op == Op::Linear) out_.add(L.name + ".weight", weights::Tensor{{L.out_ch, L.in_ch}, w.data});  // [O,1,1,I]
        else if (depthwise) out_.add(L.name + ".weight", depthwise_to_c1hw(w));
        else out_.add(L.name + ".weight", ohwi_to_oihw(w));
        if (has_bias) out_.add(L.name + ".bias", std::move(bias));
        return want_act == "NONE" ? li : li + 1;
    }

    const TfliteModel& m_;
    const NetSpec& s_;
    const std::string& name_;
    std::map<int, int> produced_by_;  // tensor index -> spec layer whose value it holds
    WeightMap out_;
    int op_index_ = -1;
};

}  // namespace

WeightMap import_tflite(const TfliteModel& m, const NetSpec& spec, const std::string& name) {
    return Importer(m, spec, name).run();
}

}  // namespace catdog::nets
