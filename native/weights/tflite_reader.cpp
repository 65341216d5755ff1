// weights/tflite_reader.cpp - TFLite flatbuffer -> TfliteModel (see tflite_reader.h).
//
// The tables come from the project's subset of TFLite's schema (weights/tflite_schema.fbs,
// schema version 3, file identifier "TFL3"), compiled by flatc into tflite_schema_generated.h
// at build time. flatc's verifier checks every offset and size before a field is read; this
// file then checks what the schema cannot say (indices in range, shapes against buffers,
// known enum values) and dequantizes the constants.
//
// Index of this file:
// [SECTION] Names: operators, tensor types, activations
// [SECTION] Decode: tensors (dequantized constants), operators + options
// [SECTION] Entry: read_tflite / read_tflite_bytes
#include "weights/tflite_reader.h"

#include <flatbuffers/flatbuffers.h>
#include "weights/tflite_schema_generated.h"

#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>

#include "catdog/files.h"

namespace catdog::weights {
namespace {

namespace tfl = catdog::tflite_schema;
using flatbuffers::Vector;

//-----------------------------------------------------------------------------
// [SECTION] Names: operators, tensor types, activations
//-----------------------------------------------------------------------------

// enum BuiltinOperator, 0..126 (later codes print as BUILTIN_<n>).
const char* const kBuiltinNames[] = {
    "ADD", "AVERAGE_POOL_2D", "CONCATENATION", "CONV_2D", "DEPTHWISE_CONV_2D", "DEPTH_TO_SPACE",
    "DEQUANTIZE", "EMBEDDING_LOOKUP", "FLOOR", "FULLY_CONNECTED", "HASHTABLE_LOOKUP",
    "L2_NORMALIZATION", "L2_POOL_2D", "LOCAL_RESPONSE_NORMALIZATION", "LOGISTIC", "LSH_PROJECTION",
    "LSTM", "MAX_POOL_2D", "MUL", "RELU", "RELU_N1_TO_1", "RELU6", "RESHAPE", "RESIZE_BILINEAR",
    "RNN", "SOFTMAX", "SPACE_TO_DEPTH", "SVDF", "TANH", "CONCAT_EMBEDDINGS", "SKIP_GRAM", "CALL",
    "CUSTOM", "EMBEDDING_LOOKUP_SPARSE", "PAD", "UNIDIRECTIONAL_SEQUENCE_RNN", "GATHER",
    "BATCH_TO_SPACE_ND", "SPACE_TO_BATCH_ND", "TRANSPOSE", "MEAN", "SUB", "DIV", "SQUEEZE",
    "UNIDIRECTIONAL_SEQUENCE_LSTM", "STRIDED_SLICE", "BIDIRECTIONAL_SEQUENCE_RNN", "EXP", "TOPK_V2",
    "SPLIT", "LOG_SOFTMAX", "DELEGATE", "BIDIRECTIONAL_SEQUENCE_LSTM", "CAST", "PRELU", "MAXIMUM",
    "ARG_MAX", "MINIMUM", "LESS", "NEG", "PADV2", "GREATER", "GREATER_EQUAL", "LESS_EQUAL", "SELECT",
    "SLICE", "SIN", "TRANSPOSE_CONV", "SPARSE_TO_DENSE", "TILE", "EXPAND_DIMS", "EQUAL", "NOT_EQUAL",
    "LOG", "SUM", "SQRT", "RSQRT", "SHAPE", "POW", "ARG_MIN", "FAKE_QUANT", "REDUCE_PROD",
    "REDUCE_MAX", "PACK", "LOGICAL_OR", "ONE_HOT", "LOGICAL_AND", "LOGICAL_NOT", "UNPACK",
    "REDUCE_MIN", "FLOOR_DIV", "REDUCE_ANY", "SQUARE", "ZEROS_LIKE", "FILL", "FLOOR_MOD", "RANGE",
    "RESIZE_NEAREST_NEIGHBOR", "LEAKY_RELU", "SQUARED_DIFFERENCE", "MIRROR_PAD", "ABS", "SPLIT_V",
    "UNIQUE", "CEIL", "REVERSE_V2", "ADD_N", "GATHER_ND", "COS", "WHERE", "RANK", "ELU",
    "REVERSE_SEQUENCE", "MATRIX_DIAG", "QUANTIZE", "MATRIX_SET_DIAG", "ROUND", "HARD_SWISH", "IF",
    "WHILE", "NON_MAX_SUPPRESSION_V4", "NON_MAX_SUPPRESSION_V5", "SCATTER_ND", "SELECT_V2",
    "DENSIFY", "SEGMENT_SUM", "BATCH_MATMUL", "PLACEHOLDER_FOR_GREATER_OP_CODES",
};

// enum TensorType: name and element size in bytes (0 = not a plain numeric type).
struct TypeInfo { const char* name; size_t size; };
const TypeInfo kTypes[] = {
    {"FLOAT32", 4}, {"FLOAT16", 2}, {"INT32", 4}, {"UINT8", 1}, {"INT64", 8}, {"STRING", 0},
    {"BOOL", 1}, {"INT16", 2}, {"COMPLEX64", 0}, {"INT8", 1}, {"FLOAT64", 8}, {"COMPLEX128", 0},
    {"UINT64", 8}, {"RESOURCE", 0}, {"VARIANT", 0}, {"UINT32", 4}, {"UINT16", 2}, {"INT4", 0},
};

const char* const kActivations[] = {"NONE", "RELU", "RELU_N1_TO_1", "RELU6", "TANH", "SIGN_BIT"};

//-----------------------------------------------------------------------------
// [SECTION] Decode: tensors (dequantized constants), operators + options
//-----------------------------------------------------------------------------

class Decoder {
public:
    Decoder(const uint8_t* buf, size_t size, const std::string& name) : buf_(buf), size_(size), name_(name) {}

    [[noreturn]] void fail(const std::string& why) const { throw WeightError(name_, why); }

    TfliteModel run() {
        if (size_ < 8) fail(size_ == 0 ? "empty file" : "too short to be a TFLite file");
        if (!flatbuffers::BufferHasIdentifier(buf_, "TFL3")) fail("not a TFLite file (no \"TFL3\" identifier)");
        if (size_ >= FLATBUFFERS_MAX_BUFFER_SIZE) fail("file too large for a flatbuffer");
        flatbuffers::Verifier v(buf_, size_);
        if (!tfl::VerifyModelBuffer(v)) fail("corrupt TFLite flatbuffer (verification failed)");
        const tfl::Model* model = tfl::GetModel(buf_);

        TfliteModel out;
        out.version = model->version();
        if (out.version != 3) fail("unsupported TFLite schema version " + std::to_string(out.version));
        if (auto* d = model->description()) out.description = d->str();

        auto* subgraphs = model->subgraphs();
        if (!subgraphs || subgraphs->size() == 0) fail("model has no subgraph");
        buffers_ = model->buffers();
        opcodes_ = model->operator_codes();
        const tfl::SubGraph* sg = subgraphs->Get(0);

        auto* tensors = sg->tensors();
        if (!tensors || tensors->size() == 0) fail("subgraph has no tensors");
        ntensors_ = static_cast<int>(tensors->size());
        for (uint32_t i = 0; i < tensors->size(); ++i) out.tensors.push_back(tensor(tensors->Get(i), i));

        out.inputs = indices(sg->inputs(), false, "graph input");
        out.outputs = indices(sg->outputs(), false, "graph output");
        if (out.inputs.empty() || out.outputs.empty()) fail("graph has no inputs or outputs");

        if (auto* ops = sg->operators())
            for (uint32_t i = 0; i < ops->size(); ++i) out.ops.push_back(op(ops->Get(i), i));
        return out;
    }

private:
    const uint8_t* buf_;
    size_t size_;
    const std::string& name_;
    const Vector<flatbuffers::Offset<tfl::Buffer>>* buffers_ = nullptr;
    const Vector<flatbuffers::Offset<tfl::OperatorCode>>* opcodes_ = nullptr;
    int ntensors_ = 0;

    std::vector<int> indices(const Vector<int32_t>* v, bool optional, const char* what) const {
        std::vector<int> out;
        if (!v) return out;
        for (uint32_t k = 0; k < v->size(); ++k) {
            int32_t t = v->Get(k);
            if (t == -1 && optional) { out.push_back(-1); continue; }
            if (t < 0 || t >= ntensors_) fail(std::string(what) + " refers to tensor " + std::to_string(t) +
                                              " of " + std::to_string(ntensors_));
            out.push_back(t);
        }
        return out;
    }

    // Bytes of buffer `b` (inline vector, or offset/size past the flatbuffer).
    std::pair<const uint8_t*, size_t> buffer(uint32_t b, const std::string& tname) const {
        if (!buffers_ || b >= buffers_->size())
            fail("tensor '" + tname + "' refers to missing buffer " + std::to_string(b));
        const tfl::Buffer* bt = buffers_->Get(b);
        const uint64_t off = bt->offset(), sz = bt->size();
        if (off > 1) {
            if (off > size_ || sz > size_ - off) fail("buffer " + std::to_string(b) + " lies outside the file");
            return {buf_ + off, static_cast<size_t>(sz)};
        }
        auto* data = bt->data();
        if (!data) return {nullptr, 0};
        return {data->data(), data->size()};
    }

    TfliteTensor tensor(const tfl::Tensor* t, uint32_t index) const {
        TfliteTensor out;
        if (auto* n = t->name()) out.name = n->str();
        const std::string label = out.name.empty() ? "#" + std::to_string(index) : out.name;
        const int8_t type = static_cast<int8_t>(t->type());
        if (type < 0 || static_cast<size_t>(type) >= sizeof kTypes / sizeof kTypes[0])
            fail("tensor '" + label + "' has unknown type " + std::to_string(type));
        out.type = kTypes[type].name;
        if (auto* s = t->shape()) {
            if (s->size() > 8) fail("tensor '" + label + "' has rank " + std::to_string(s->size()));
            for (uint32_t k = 0; k < s->size(); ++k) {
                // Activations too: importers size layers from these shapes (found by fuzz_tflite).
                if (s->Get(k) < 0) fail("tensor '" + label + "' has a negative dimension");
                out.shape.push_back(s->Get(k));
            }
        }
        if (auto* q = t->quantization()) {
            auto* sc = q->scale();
            auto* zp = q->zero_point();
            if (sc && sc->size() > 0) {
                for (uint32_t k = 0; k < sc->size(); ++k) out.quant.scale.push_back(sc->Get(k));
                // The verifier only checks a vector's 4-byte length alignment: read the int64
                // zero points with memcpy, not Get() (a misaligned load; found by fuzz_tflite).
                for (uint32_t k = 0; zp && k < zp->size(); ++k) {
                    int64_t z;
                    std::memcpy(&z, zp->Data() + size_t(k) * sizeof z, sizeof z);
                    out.quant.zero_point.push_back(z);
                }
                if (out.quant.zero_point.empty()) out.quant.zero_point.assign(out.quant.scale.size(), 0);
                if (out.quant.zero_point.size() != out.quant.scale.size())
                    fail("tensor '" + label + "': quantization scale and zero_point lengths differ");
                out.quant.quantized_dimension = q->quantized_dimension();
            }
        }

        auto [data, nbytes] = buffer(t->buffer(), label);
        if (nbytes == 0) return out;
        out.constant = true;
        const size_t es = kTypes[type].size;
        if (es == 0) fail("tensor '" + label + "' has constant data of unsupported type " + out.type);
        uint64_t numel = 1;
        for (int64_t d : out.shape) {
            if (d < 0) fail("tensor '" + label + "' has a negative dimension");
            numel *= static_cast<uint64_t>(d);  // <= 8 dims of < 2^31: checked against the buffer below
            if (numel > size_) fail("tensor '" + label + "' declares more elements than the file holds");
        }
        if (numel * es != nbytes)
            fail("tensor '" + label + "': buffer holds " + std::to_string(nbytes) + " bytes, shape needs " +
                 std::to_string(numel * es));
        dequantize(out, data, static_cast<size_t>(numel), label);
        return out;
    }

    // Constant data -> float32: scale * (q - zero_point), per tensor or along one axis.
    void dequantize(TfliteTensor& t, const uint8_t* p, size_t n, const std::string& label) const {
        size_t axis_stride = 1, axis_len = 1;
        const size_t nq = t.quant.scale.size();
        const bool quantized = nq > 0 && t.type != "FLOAT32" && t.type != "FLOAT16" && t.type != "FLOAT64";
        if (quantized && nq > 1) {
            int qd = t.quant.quantized_dimension;
            if (qd < 0 || static_cast<size_t>(qd) >= t.shape.size() || static_cast<size_t>(t.shape[qd]) != nq)
                fail("tensor '" + label + "': per-channel scales do not match its shape");
            axis_len = nq;
            for (size_t d = static_cast<size_t>(qd) + 1; d < t.shape.size(); ++d) axis_stride *= static_cast<size_t>(t.shape[d]);
        }
        t.data.resize(n);
        for (size_t k = 0; k < n; ++k) {
            double q = raw(t.type, p, k);
            if (quantized) {
                size_t c = nq > 1 ? (k / axis_stride) % axis_len : 0;
                t.data[k] = static_cast<float>(t.quant.scale[c] * (q - static_cast<double>(t.quant.zero_point[c])));
            } else {
                t.data[k] = static_cast<float>(q);
            }
        }
    }

    static double raw(const std::string& type, const uint8_t* p, size_t k) {
        auto rd = [&](auto tag) { decltype(tag) v; std::memcpy(&v, p + k * sizeof v, sizeof v); return v; };
        if (type == "UINT8") return p[k];
        if (type == "INT8") return static_cast<int8_t>(p[k]);
        if (type == "BOOL") return p[k] ? 1 : 0;
        if (type == "INT16") return rd(int16_t{});
        if (type == "UINT16") return rd(uint16_t{});
        if (type == "INT32") return rd(int32_t{});
        if (type == "UINT32") return rd(uint32_t{});
        if (type == "INT64") return static_cast<double>(rd(int64_t{}));
        if (type == "UINT64") return static_cast<double>(rd(uint64_t{}));
        if (type == "FLOAT32") return rd(float{});
        if (type == "FLOAT64") return rd(double{});
        if (type == "FLOAT16") {
            uint16_t h = rd(uint16_t{});
            int e = (h >> 10) & 0x1f, m = h & 0x3ff;
            double v = e == 0 ? std::ldexp(m, -24) : e == 31 ? (m ? NAN : INFINITY) : std::ldexp(m | 0x400, e - 25);
            return (h & 0x8000) ? -v : v;
        }
        return 0;
    }

    TfliteOp op(const tfl::Operator* o, uint32_t index) const {
        TfliteOp out;
        const uint32_t ci = o->opcode_index();
        if (!opcodes_ || ci >= opcodes_->size())
            fail("operator " + std::to_string(index) + " has opcode index " + std::to_string(ci) + " out of range");
        const tfl::OperatorCode* code = opcodes_->Get(ci);
        // Newer files keep codes > 127 in builtin_code and clamp deprecated_builtin_code.
        const int32_t builtin = std::max<int32_t>(code->deprecated_builtin_code(), code->builtin_code());
        out.opcode = builtin;
        if (builtin == 32) {  // CUSTOM
            auto* cc = code->custom_code();
            out.op = "CUSTOM:" + (cc ? cc->str() : std::string());
        } else if (builtin >= 0 && static_cast<size_t>(builtin) < sizeof kBuiltinNames / sizeof kBuiltinNames[0]) {
            out.op = kBuiltinNames[builtin];
        } else {
            out.op = "BUILTIN_" + std::to_string(builtin);
        }
        const std::string where = "operator " + std::to_string(index) + " (" + out.op + ")";
        out.inputs = indices(o->inputs(), true, (where + " input").c_str());
        out.outputs = indices(o->outputs(), false, (where + " output").c_str());

        // The options table, when it is of the type the operator needs (else nullptr; options
        // of another type are an error).
        const auto otype = o->builtin_options_type();
        auto options = [&](tfl::BuiltinOptions want) -> bool {
            if (!o->builtin_options()) return false;
            if (otype != want) fail(where + " has options of the wrong type " + std::to_string(int(otype)));
            return true;
        };
        auto act = [&](tfl::ActivationFunctionType f) {
            const int a = static_cast<int8_t>(f);
            if (a < 0 || a > 5) fail(where + " has unknown fused activation " + std::to_string(a));
            out.activation = kActivations[a];
        };
        auto padding = [&](tfl::Padding p) {
            const int v = static_cast<int8_t>(p);
            if (v != 0 && v != 1) fail(where + " has unknown padding " + std::to_string(v));
            out.padding = v == 0 ? TflitePadding::Same : TflitePadding::Valid;
        };
        auto positive = [&](int v, const char* what) {
            if (v < 1 || v > (1 << 16)) fail(where + " has invalid " + what + " " + std::to_string(v));
            return v;
        };
        switch (builtin) {
        case 3:  // CONV_2D
            if (options(tfl::BuiltinOptions_Conv2DOptions)) {
                const auto* c = o->builtin_options_as_Conv2DOptions();
                padding(c->padding());
                out.stride_w = positive(c->stride_w(), "stride");
                out.stride_h = positive(c->stride_h(), "stride");
                act(c->fused_activation_function());
                out.dilation_w = positive(c->dilation_w_factor(), "dilation");
                out.dilation_h = positive(c->dilation_h_factor(), "dilation");
            }
            break;
        case 4:  // DEPTHWISE_CONV_2D
            if (options(tfl::BuiltinOptions_DepthwiseConv2DOptions)) {
                const auto* c = o->builtin_options_as_DepthwiseConv2DOptions();
                padding(c->padding());
                out.stride_w = positive(c->stride_w(), "stride");
                out.stride_h = positive(c->stride_h(), "stride");
                out.depth_multiplier = positive(c->depth_multiplier(), "depth_multiplier");
                act(c->fused_activation_function());
                out.dilation_w = positive(c->dilation_w_factor(), "dilation");
                out.dilation_h = positive(c->dilation_h_factor(), "dilation");
            }
            break;
        case 1: case 12: case 17:  // AVERAGE/L2/MAX_POOL_2D
            if (options(tfl::BuiltinOptions_Pool2DOptions)) {
                const auto* p = o->builtin_options_as_Pool2DOptions();
                padding(p->padding());
                out.stride_w = positive(p->stride_w(), "stride");
                out.stride_h = positive(p->stride_h(), "stride");
                out.filter_w = positive(p->filter_width(), "filter size");
                out.filter_h = positive(p->filter_height(), "filter size");
                act(p->fused_activation_function());
            }
            break;
        case 9:  // FULLY_CONNECTED
            if (options(tfl::BuiltinOptions_FullyConnectedOptions))
                act(o->builtin_options_as_FullyConnectedOptions()->fused_activation_function());
            break;
        case 25:  // SOFTMAX
            if (options(tfl::BuiltinOptions_SoftmaxOptions)) out.beta = o->builtin_options_as_SoftmaxOptions()->beta();
            break;
        case 2:  // CONCATENATION
            if (options(tfl::BuiltinOptions_ConcatenationOptions))
                act(o->builtin_options_as_ConcatenationOptions()->fused_activation_function());
            break;
        case 0:  // ADD
            if (options(tfl::BuiltinOptions_AddOptions))
                act(o->builtin_options_as_AddOptions()->fused_activation_function());
            break;
        case 18:  // MUL
            if (options(tfl::BuiltinOptions_MulOptions))
                act(o->builtin_options_as_MulOptions()->fused_activation_function());
            break;
        case 22:  // RESHAPE
            if (options(tfl::BuiltinOptions_ReshapeOptions))
                if (auto* ns = o->builtin_options_as_ReshapeOptions()->new_shape()) {
                    if (ns->size() > 8) fail(where + " has a new_shape of rank " + std::to_string(ns->size()));
                    for (uint32_t k = 0; k < ns->size(); ++k) out.new_shape.push_back(ns->Get(k));
                }
            break;
        default: break;
        }
        return out;
    }
};

}  // namespace

//-----------------------------------------------------------------------------
// [SECTION] Entry: read_tflite / read_tflite_bytes
//-----------------------------------------------------------------------------

TfliteModel read_tflite_bytes(const uint8_t* data, size_t size, const std::string& name) {
    // flatbuffers reads scalars through aligned pointers: work on an aligned copy.
    std::vector<uint8_t> copy(data, data + size);
    try {
        return Decoder(copy.data(), copy.size(), name).run();
    } catch (const WeightError&) {
        throw;
    } catch (const std::bad_alloc&) {
        throw WeightError(name, "out of memory while reading");
    } catch (const std::exception& e) {
        throw WeightError(name, std::string("malformed file (") + e.what() + ")");
    }
}

TfliteModel read_tflite(const std::string& path) {
    std::vector<uint8_t> buf;
    try {
        buf = read_file<std::vector<uint8_t>>(path);
    } catch (const FileError& e) {
        throw WeightError(path, e.reason());
    }
    return read_tflite_bytes(buf.data(), buf.size(), path);
}

}  // namespace catdog::weights
