// export/onnx_writer.cpp - NetSpec -> onnx::ModelProto, one node (or a few) per layer.
//
// Index of this file:
// [SECTION] helpers: tensors, attributes, value infos
// [SECTION] linear: fp32 Gemm, or the two int8 encodings of the web model
// [SECTION] build_onnx: the walk over NetSpec::layers
// [SECTION] check/write: checker and atomic file write
#include "export/onnx_writer.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>
#include <onnx/checker.h>
#include <onnx/onnx_pb.h>
#include "catdog/files.h"

namespace catdog::exporter {

//-----------------------------------------------------------------------------
// [SECTION] helpers: tensors, attributes, value infos
//-----------------------------------------------------------------------------
namespace onnx_util {

void add_initializer(onnx::GraphProto& g, const std::string& name, int elem_type,
                     const std::vector<int64_t>& dims, const void* data, size_t bytes) {
    onnx::TensorProto* t = g.add_initializer();
    t->set_name(name);
    t->set_data_type(elem_type);
    for (auto d : dims) t->add_dims(d);
    t->set_raw_data(data, bytes);
}

void add_float(onnx::GraphProto& g, const std::string& name, const std::vector<int64_t>& dims,
               const float* data) {
    int64_t n = 1;
    for (auto d : dims) n *= d;
    add_initializer(g, name, onnx::TensorProto::FLOAT, dims, data, size_t(n) * sizeof(float));
}

onnx::NodeProto* add_node(onnx::GraphProto& g, const std::string& op, const std::string& name,
                          const std::vector<std::string>& inputs,
                          const std::vector<std::string>& outputs) {
    onnx::NodeProto* n = g.add_node();
    n->set_op_type(op);
    n->set_name(name);
    for (auto& i : inputs) n->add_input(i);
    for (auto& o : outputs) n->add_output(o);
    return n;
}

void attr_ints(onnx::NodeProto* n, const std::string& name, const std::vector<int64_t>& v) {
    onnx::AttributeProto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (auto x : v) a->add_ints(x);
}

void attr_int(onnx::NodeProto* n, const std::string& name, int64_t v) {
    onnx::AttributeProto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
}

void add_int64(onnx::GraphProto& g, const std::string& name, const std::vector<int64_t>& dims,
               const int64_t* data) {
    int64_t n = 1;
    for (auto d : dims) n *= d;
    add_initializer(g, name, onnx::TensorProto::INT64, dims, data, size_t(n) * sizeof(int64_t));
}

void attr_string(onnx::NodeProto* n, const std::string& name, const std::string& v) {
    onnx::AttributeProto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s(v);
}

void float_value(onnx::ValueInfoProto* v, const std::string& name, const std::vector<int64_t>& dims) {
    v->set_name(name);
    auto* tt = v->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    auto* shape = tt->mutable_shape();
    for (auto d : dims) shape->add_dim()->set_dim_value(d);
}

}  // namespace onnx_util

namespace {

using nets::Layer;
using nets::NetSpec;
using nets::Op;
using namespace onnx_util;

// A float tensor value info with a symbolic batch dimension "N" followed by `dims`.
void set_float_value(onnx::ValueInfoProto* v, const std::string& name,
                     const std::vector<int64_t>& dims) {
    v->set_name(name);
    auto* tt = v->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    auto* shape = tt->mutable_shape();
    shape->add_dim()->set_dim_param("N");
    for (auto d : dims) shape->add_dim()->set_dim_value(d);
}

ParamView need(const ParamLookup& params, const std::string& name,
               const std::vector<int64_t>& shape) {
    ParamView p = params(name);
    if (!p.data) throw std::runtime_error("ONNX export: parameter " + name + " is missing");
    if (p.shape != shape) {
        std::string got, want;
        for (auto d : p.shape) got += (got.empty() ? "" : "x") + std::to_string(d);
        for (auto d : shape) want += (want.empty() ? "" : "x") + std::to_string(d);
        throw std::runtime_error("ONNX export: parameter " + name + " has shape " + got +
                                 ", the spec says " + want);
    }
    return p;
}

}  // namespace

void quantize_rows_int8(const float* w, int64_t rows, int64_t cols, std::vector<int8_t>& q,
                        std::vector<float>& scale) {
    q.resize(size_t(rows * cols));
    scale.resize(size_t(rows));
    for (int64_t r = 0; r < rows; ++r) {
        const float* row = w + r * cols;
        float m = 0.f;
        for (int64_t c = 0; c < cols; ++c) m = std::max(m, std::fabs(row[c]));
        float s = m > 0.f ? m / 127.f : 1.f;
        scale[size_t(r)] = s;
        int8_t* qr = q.data() + r * cols;
        for (int64_t c = 0; c < cols; ++c) {
            float v = std::nearbyint(row[c] / s);  // round half to even, like numpy/ORT
            qr[c] = int8_t(std::clamp(v, -127.f, 127.f));
        }
    }
}

//-----------------------------------------------------------------------------
// [SECTION] linear: fp32 Gemm, or the two int8 encodings of the web model
//-----------------------------------------------------------------------------
namespace {

// Bias correction (Nagel et al. 2019): rounding W shifts each output on average by
// (W_q - W) . E[x]. ReLU features have a large mean, so that shift is systematic, not noise;
// subtracting it from the bias removes it. E[x] comes from calibration photos.
void correct_bias(const float* w, const std::vector<int8_t>& q, const std::vector<float>& scale, int64_t O,
                  int64_t I, const float* mean, float* bias) {
    for (int64_t r = 0; r < O; ++r) {
        double shift = 0;
        for (int64_t c = 0; c < I; ++c)
            shift += (double(q[size_t(r * I + c)]) * scale[size_t(r)] - double(w[r * I + c])) * mean[c];
        bias[r] = float(double(bias[r]) - shift);
    }
}

// y = x W^T + b with W [out, in].
void emit_linear(onnx::GraphProto& g, const Layer& L, const ParamLookup& params,
                 const OnnxOptions& opt, const std::string& in, const std::string& out) {
    const int64_t O = L.out_ch, I = L.in_ch;
    ParamView w = need(params, L.name + ".weight", {O, I});
    const std::string bname = L.name + ".bias";
    const bool quantize = opt.linear != WebLinear::None && O * I >= opt.quantize_min_elements;
    std::vector<int8_t> q;
    std::vector<float> scale;
    if (quantize) quantize_rows_int8(w.data, O, I, q, scale);
    if (L.bias) {
        const float* b = need(params, bname, {O}).data;
        std::vector<float> bias(b, b + O);
        auto mean = opt.linear_input_mean.find(L.name);
        if (quantize && mean != opt.linear_input_mean.end() && int64_t(mean->second.size()) == I)
            correct_bias(w.data, q, scale, O, I, mean->second.data(), bias.data());
        add_float(g, bname, {O}, bias.data());
    }

    if (!quantize) {
        add_float(g, L.name + ".weight", {O, I}, w.data);
        std::vector<std::string> ins{in, L.name + ".weight"};
        if (L.bias) ins.push_back(bname);
        attr_int(add_node(g, "Gemm", L.name, ins, {out}), "transB", 1);
        return;
    }

    std::vector<int8_t> zero(size_t(O), 0);

    if (opt.linear == WebLinear::Dequantize) {
        // The fp32 weight is recomputed from int8 at each run; the graph keeps its name.
        const std::string qn = L.name + ".weight_quantized";
        add_initializer(g, qn, onnx::TensorProto::INT8, {O, I}, q.data(), q.size());
        add_float(g, L.name + ".weight_scale", {O}, scale.data());
        add_initializer(g, L.name + ".weight_zero_point", onnx::TensorProto::INT8, {O},
                        zero.data(), zero.size());
        attr_int(add_node(g, "DequantizeLinear", L.name + ".dequantize",
                          {qn, L.name + ".weight_scale", L.name + ".weight_zero_point"},
                          {L.name + ".weight"}),
                 "axis", 0);
        std::vector<std::string> ins{in, L.name + ".weight"};
        if (L.bias) ins.push_back(bname);
        attr_int(add_node(g, "Gemm", L.name, ins, {out}), "transB", 1);
        return;
    }

    // Dynamic: the layout onnxruntime's quantize_dynamic emits, which ORT fuses into one
    // DynamicQuantizeMatMul kernel (uint8 activations x int8 weights, per-column scales).
    std::vector<int8_t> qt(q.size());  // W_q^T: [in, out]
    for (int64_t r = 0; r < O; ++r)
        for (int64_t c = 0; c < I; ++c) qt[size_t(c * O + r)] = q[size_t(r * I + c)];
    const std::string p = L.name;
    add_initializer(g, p + ".weight_quantized", onnx::TensorProto::INT8, {I, O}, qt.data(),
                    qt.size());
    add_float(g, p + ".weight_scale", {O}, scale.data());
    add_initializer(g, p + ".weight_zero_point", onnx::TensorProto::INT8, {O}, zero.data(),
                    zero.size());
    add_node(g, "DynamicQuantizeLinear", p + ".quantize_input", {in},
             {p + ".input_q", p + ".input_scale", p + ".input_zero_point"});
    add_node(g, "MatMulInteger", p + ".matmul_integer",
             {p + ".input_q", p + ".weight_quantized", p + ".input_zero_point",
              p + ".weight_zero_point"},
             {p + ".matmul_i32"});
    attr_int(add_node(g, "Cast", p + ".cast", {p + ".matmul_i32"}, {p + ".matmul_f32"}), "to",
             onnx::TensorProto::FLOAT);
    add_node(g, "Mul", p + ".scales", {p + ".input_scale", p + ".weight_scale"}, {p + ".scale"});
    const std::string mul_out = L.bias ? p + ".matmul_scaled" : out;
    add_node(g, "Mul", p + ".rescale", {p + ".matmul_f32", p + ".scale"}, {mul_out});
    if (L.bias) add_node(g, "Add", p + ".bias_add", {mul_out, bname}, {out});
}

}  // namespace

//-----------------------------------------------------------------------------
// [SECTION] build_onnx: the walk over NetSpec::layers
//-----------------------------------------------------------------------------
void build_onnx(const NetSpec& spec, const ParamLookup& params, const OnnxOptions& opt,
                onnx::ModelProto& model, std::vector<std::string>* layer_tensors) {
    if (spec.layers.empty()) throw std::runtime_error("ONNX export: empty network spec");
    model.Clear();
    model.set_ir_version(onnx::IR_VERSION);
    model.set_producer_name(opt.producer);
    model.set_model_version(1);
    model.set_doc_string(spec.backbone + ", " + std::to_string(spec.num_classes) + " classes");
    auto* os = model.add_opset_import();
    os->set_domain("");
    os->set_version(opt.opset);
    onnx::GraphProto& g = *model.mutable_graph();
    g.set_name("catdog_" + spec.backbone);

    const int S = spec.input_size;
    set_float_value(g.add_input(), "input", {3, S, S});

    // Tensor name of each layer's output. Views are named by their view name; layers that
    // are identities at inference (Dropout, a same-size adaptive pool) alias their input.
    const size_t n = spec.layers.size();
    std::vector<std::string> tname(n);
    std::vector<std::vector<int64_t>> in_shape(n);
    auto input_of = [&](size_t i, size_t k) -> std::string {
        const Layer& L = spec.layers[i];
        if (k >= std::max<size_t>(1, L.inputs.size()))
            throw std::runtime_error("ONNX export: layer " + L.name + " needs inputs");
        const int j = spec.input_of(int(i), k);
        if (i == 0 && j == -1) return std::string("input");
        if (j < 0 || size_t(j) >= i)
            throw std::runtime_error("ONNX export: layer " + L.name + " has a bad input index");
        return tname[size_t(j)];
    };
    auto shape_of_input = [&](size_t i) -> std::vector<int64_t> {
        const int j = spec.input_of(int(i));
        if (j < 0) return {3, S, S};
        return spec.layers[size_t(j)].out_shape;
    };

    bool have_relu6_bounds = false;
    for (size_t i = 0; i < n; ++i) {
        const Layer& L = spec.layers[i];
        if (L.out_shape.empty())
            throw std::runtime_error("ONNX export: spec has no shapes (call infer_shapes)");
        const std::string x = input_of(i, 0);
        const std::string node = L.name.empty() ? "layer" + std::to_string(i) : L.name;
        std::string out = !L.view.empty() ? L.view : "t" + std::to_string(i) + "." + node;
        if (i + 1 == n && L.view.empty()) out = "logits";  // the last layer gives the logits
        switch (L.op) {
        case Op::Conv: {
            const int64_t O = L.out_ch, I = L.in_ch / std::max(1, L.groups);
            add_float(g, L.name + ".weight", {O, I, L.kh, L.kw},
                      need(params, L.name + ".weight", {O, I, L.kh, L.kw}).data);
            std::vector<std::string> ins{x, L.name + ".weight"};
            if (L.bias) {
                add_float(g, L.name + ".bias", {O}, need(params, L.name + ".bias", {O}).data);
                ins.push_back(L.name + ".bias");
            }
            auto* c = add_node(g, "Conv", node, ins, {out});
            attr_ints(c, "kernel_shape", {L.kh, L.kw});
            attr_ints(c, "strides", {L.stride, L.stride});
            // ONNX pads: [x1_begin, x2_begin, x1_end, x2_end] = [top, left, bottom, right].
            attr_ints(c, "pads", {L.pad[0], L.pad[1], L.pad[2], L.pad[3]});
            attr_int(c, "group", L.groups);
            break;
        }
        case Op::Relu:
            add_node(g, "Relu", node, {x}, {out});
            break;
        case Op::Relu6: {
            // Clip's bounds are inputs since opset 11: two scalar initializers shared by all.
            if (!have_relu6_bounds) {
                have_relu6_bounds = true;
                const float lo = 0.f, hi = 6.f;
                add_float(g, "relu6.min", {}, &lo);
                add_float(g, "relu6.max", {}, &hi);
            }
            add_node(g, "Clip", node, {x, "relu6.min", "relu6.max"}, {out});
            break;
        }
        case Op::MaxPool: {
            auto* m = add_node(g, "MaxPool", node, {x}, {out});
            attr_ints(m, "kernel_shape", {L.kh, L.kw});
            attr_ints(m, "strides", {L.stride, L.stride});
            attr_ints(m, "pads", {L.pad[0], L.pad[1], L.pad[2], L.pad[3]});
            break;
        }
        case Op::AdaptiveAvgPool: {
            auto s = shape_of_input(i);
            if (s.size() != 3)
                throw std::runtime_error("ONNX export: " + L.name + " expects a [C,H,W] input");
            const int64_t H = s[1], W = s[2];
            if (H == L.out_h && W == L.out_w) {
                // torch's adaptive pool to the input's own size is exactly the identity.
                if (L.view.empty()) out = x;
                else add_node(g, "Identity", node, {x}, {out});
            } else if (L.out_h == 1 && L.out_w == 1) {
                add_node(g, "GlobalAveragePool", node, {x}, {out});
            } else if (H % L.out_h == 0 && W % L.out_w == 0) {
                // Equal bins: adaptive pooling is a plain average pool with kernel = stride.
                auto* a = add_node(g, "AveragePool", node, {x}, {out});
                attr_ints(a, "kernel_shape", {H / L.out_h, W / L.out_w});
                attr_ints(a, "strides", {H / L.out_h, W / L.out_w});
            } else {
                throw std::runtime_error("ONNX export: " + L.name + ": adaptive pool from " +
                                         std::to_string(H) + "x" + std::to_string(W) + " to " +
                                         std::to_string(L.out_h) + "x" + std::to_string(L.out_w) +
                                         " has unequal bins (not supported)");
            }
            break;
        }
        case Op::Flatten:
            attr_int(add_node(g, "Flatten", node, {x}, {out}), "axis", 1);
            break;
        case Op::Dropout:
            if (L.view.empty()) out = x;  // inference: identity
            else add_node(g, "Identity", node, {x}, {out});
            break;
        case Op::Linear:
            emit_linear(g, L, params, opt, x, out);
            break;
        case Op::Add:
            if (L.inputs.size() != 2)
                throw std::runtime_error("ONNX export: Add layer " + L.name + " needs 2 inputs");
            add_node(g, "Add", node, {x, input_of(i, 1)}, {out});
            break;
        case Op::Concat: {
            std::vector<std::string> ins;
            for (size_t k = 0; k < L.inputs.size(); ++k) ins.push_back(input_of(i, k));
            attr_int(add_node(g, "Concat", node, ins, {out}), "axis", 1);
            break;
        }
        case Op::BatchNorm: {
            // Inference mode (running statistics); onnxruntime folds it into the conv before it.
            const int64_t C = L.out_ch;
            std::vector<std::string> ins{x};
            for (const char* p : {".weight", ".bias", ".running_mean", ".running_var"}) {
                add_float(g, L.name + p, {C}, need(params, L.name + p, {C}).data);
                ins.push_back(L.name + p);
            }
            auto* b = add_node(g, "BatchNormalization", node, ins, {out});
            onnx::AttributeProto* a = b->add_attribute();
            a->set_name("epsilon");
            a->set_type(onnx::AttributeProto::FLOAT);
            a->set_f(L.eps);
            break;
        }
        }
        tname[i] = out;
        if (!L.view.empty()) set_float_value(g.add_output(), L.view, L.out_shape);
    }

    // The original ImageNet head reads what the new head reads.
    if (opt.imagenet_classes > 0) {
        if (spec.head_layer < 0 || spec.layers[size_t(spec.head_layer)].op != Op::Linear)
            throw std::runtime_error("ONNX export: the ImageNet head needs a Linear head");
        const Layer& H = spec.layers[size_t(spec.head_layer)];
        Layer I;
        I.name = "imagenet";
        I.op = Op::Linear;
        I.in_ch = H.in_ch;
        I.out_ch = opt.imagenet_classes;
        emit_linear(g, I, params, opt, input_of(size_t(spec.head_layer), 0), "imagenet_logits");
        set_float_value(g.add_output(), "imagenet_logits", {opt.imagenet_classes});
    }
    if (layer_tensors) *layer_tensors = tname;

    // The last layer computes the logits (what Model::forward returns).
    const auto& ls = spec.layers[n - 1].out_shape;
    if (tname[n - 1] != "logits") add_node(g, "Identity", "logits", {tname[n - 1]}, {"logits"});
    attr_int(add_node(g, "Softmax", "probs", {"logits"}, {"probs"}), "axis", 1);
    // logits and probs first, so a consumer that takes output 0 gets the logits.
    onnx::ValueInfoProto logits, probs;
    set_float_value(&logits, "logits", ls);
    set_float_value(&probs, "probs", ls);
    auto views = g.output();
    g.clear_output();
    *g.add_output() = logits;
    *g.add_output() = probs;
    for (auto& v : views) *g.add_output() = v;
}

//-----------------------------------------------------------------------------
// [SECTION] check/write: checker and atomic file write
//-----------------------------------------------------------------------------
void check_onnx(const onnx::ModelProto& model) {
    try {
        onnx::checker::check_model(model);
    } catch (const std::exception& e) {
        throw std::runtime_error(std::string("ONNX checker: ") + e.what());
    }
}

int64_t write_onnx_file(const onnx::ModelProto& model, const std::string& path) {
    std::string bytes;
    if (!model.SerializeToString(&bytes)) throw std::runtime_error(path + ": ONNX serialisation failed");
    catdog::write_file_atomic(path, bytes);
    return int64_t(bytes.size());
}

int64_t export_onnx(const NetSpec& spec, const ParamLookup& params, const OnnxOptions& opt,
                    const std::string& path) {
    onnx::ModelProto m;
    build_onnx(spec, params, opt, m);
    check_onnx(m);
    return write_onnx_file(m, path);
}

}  // namespace catdog::exporter
