// weights/tflite_reader.cpp - TFLite flatbuffer -> TfliteModel (see tflite_reader.h).
//
// TFLite's schema.fbs is not packaged by Debian, so the few tables we read are declared here
// by hand on top of flatbuffers' Table API, with field ids taken from
// tensorflow/lite/schema/schema.fbs (schema version 3, file identifier "TFL3"; fields are
// only ever appended there, so these ids hold for old and new files). Each table has a
// Verify() in the style of flatc's generated code, run through flatbuffers::Verifier before
// any field is read.
//
// Index of this file:
// [SECTION] Schema: field ids, enum names
// [SECTION] Tables: hand-declared tables + Verify()
// [SECTION] Decode: tensors (dequantized constants), operators + options
// [SECTION] Entry: read_tflite / read_tflite_bytes
#include "weights/tflite_reader.h"

#include <flatbuffers/flatbuffers.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>

#include "catdog/files.h"

namespace catdog::weights {
namespace {

using flatbuffers::Offset;
using flatbuffers::String;
using flatbuffers::Table;
using flatbuffers::Vector;
using flatbuffers::Verifier;
using flatbuffers::voffset_t;

//-----------------------------------------------------------------------------
// [SECTION] Schema: field ids, enum names
//-----------------------------------------------------------------------------

// vtable slot of field id `id` (flatc's VT_* constants).
constexpr voffset_t F(int id) { return static_cast<voffset_t>(4 + 2 * id); }

// table Model
constexpr voffset_t kModelVersion = F(0), kModelOpcodes = F(1), kModelSubgraphs = F(2),
                    kModelDescription = F(3), kModelBuffers = F(4);
// table OperatorCode
constexpr voffset_t kCodeDeprecatedBuiltin = F(0), kCodeCustom = F(1), kCodeBuiltin = F(3);
// table SubGraph
constexpr voffset_t kSgTensors = F(0), kSgInputs = F(1), kSgOutputs = F(2), kSgOperators = F(3);
// table Tensor
constexpr voffset_t kTensorShape = F(0), kTensorType = F(1), kTensorBuffer = F(2), kTensorName = F(3),
                    kTensorQuant = F(4);
// table QuantizationParameters
constexpr voffset_t kQuantScale = F(2), kQuantZeroPoint = F(3), kQuantDimension = F(6);
// table Operator (builtin_options is a union: its type at id 3, its table at id 4)
constexpr voffset_t kOpOpcodeIndex = F(0), kOpInputs = F(1), kOpOutputs = F(2), kOpOptionsType = F(3),
                    kOpOptions = F(4);
// table Buffer (offset/size: data stored after the flatbuffer, for models > 2 GB)
constexpr voffset_t kBufferData = F(0), kBufferOffset = F(1), kBufferSize = F(2);

// union BuiltinOptions members we decode (value = position in the union, NONE = 0)
enum OptionsType : uint8_t {
    kConv2DOptions = 1, kDepthwiseConv2DOptions = 2, kPool2DOptions = 5, kFullyConnectedOptions = 8,
    kSoftmaxOptions = 9, kConcatenationOptions = 10, kAddOptions = 11, kReshapeOptions = 17,
    kMulOptions = 21,
};

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
// [SECTION] Tables: hand-declared tables + Verify()
//-----------------------------------------------------------------------------

// Helpers shared by the Verify() functions.
template <typename T>
bool verify_vec(const Table* t, Verifier& v, voffset_t f) {
    return t->VerifyOffset(v, f) && v.VerifyVector(t->GetPointer<const Vector<T>*>(f));
}
bool verify_str(const Table* t, Verifier& v, voffset_t f) {
    return t->VerifyOffset(v, f) && v.VerifyString(t->GetPointer<const String*>(f));
}
template <typename Child>
bool verify_child(const Table* t, Verifier& v, voffset_t f) {
    if (!t->VerifyOffset(v, f)) return false;
    auto* c = t->GetPointer<const Child*>(f);
    return !c || c->Verify(v);
}
template <typename Child>
bool verify_children(const Table* t, Verifier& v, voffset_t f) {
    if (!verify_vec<Offset<Child>>(t, v, f)) return false;
    auto* vec = t->GetPointer<const Vector<Offset<Child>>*>(f);
    return v.VerifyVectorOfTables(vec);
}

struct OptionsTable : private Table {
    using Table::GetField;
    using Table::GetPointer;
    // Verifies exactly the fields decode() reads, at their schema widths.
    bool Verify(Verifier& v, uint8_t type) const {
        if (!VerifyTableStart(v)) return false;
        if (type == kReshapeOptions && !verify_vec<int32_t>(this, v, F(0))) return false;
        const char* widths = "";  // byte width of fields 0, 1, ...
        switch (type) {
        case kConv2DOptions: widths = "144144"; break;            // padding, stride_w/h, act, dilation_w/h
        case kDepthwiseConv2DOptions: widths = "1444144"; break;  // + depth_multiplier before act
        case kPool2DOptions: widths = "144441"; break;            // padding, stride_w/h, filter_w/h, act
        case kFullyConnectedOptions: case kAddOptions: case kMulOptions: widths = "1"; break;  // act
        case kSoftmaxOptions: widths = "4"; break;                // beta
        case kConcatenationOptions: widths = "41"; break;         // axis, act
        default: break;
        }
        for (int id = 0; widths[id]; ++id) {
            bool ok = widths[id] == '1' ? VerifyField<uint8_t>(v, F(id), 1) : VerifyField<uint32_t>(v, F(id), 4);
            if (!ok) return false;
        }
        return v.EndTable();
    }
};

struct QuantTable : private Table {
    using Table::GetField;
    using Table::GetPointer;
    bool Verify(Verifier& v) const {
        return VerifyTableStart(v) && verify_vec<float>(this, v, kQuantScale) &&
               verify_vec<int64_t>(this, v, kQuantZeroPoint) && VerifyField<int32_t>(v, kQuantDimension, 4) &&
               v.EndTable();
    }
};

struct TensorTable : private Table {
    using Table::GetField;
    using Table::GetPointer;
    bool Verify(Verifier& v) const {
        return VerifyTableStart(v) && verify_vec<int32_t>(this, v, kTensorShape) &&
               VerifyField<int8_t>(v, kTensorType, 1) && VerifyField<uint32_t>(v, kTensorBuffer, 4) &&
               verify_str(this, v, kTensorName) && verify_child<QuantTable>(this, v, kTensorQuant) && v.EndTable();
    }
};

struct OperatorTable : private Table {
    using Table::GetField;
    using Table::GetPointer;
    bool Verify(Verifier& v) const {
        if (!(VerifyTableStart(v) && VerifyField<uint32_t>(v, kOpOpcodeIndex, 4) &&
              verify_vec<int32_t>(this, v, kOpInputs) && verify_vec<int32_t>(this, v, kOpOutputs) &&
              VerifyField<uint8_t>(v, kOpOptionsType, 1) && VerifyOffset(v, kOpOptions)))
            return false;
        auto* opt = GetPointer<const OptionsTable*>(kOpOptions);
        if (opt && !opt->Verify(v, GetField<uint8_t>(kOpOptionsType, 0))) return false;
        return v.EndTable();
    }
};

struct SubGraphTable : private Table {
    using Table::GetField;
    using Table::GetPointer;
    bool Verify(Verifier& v) const {
        return VerifyTableStart(v) && verify_children<TensorTable>(this, v, kSgTensors) &&
               verify_vec<int32_t>(this, v, kSgInputs) && verify_vec<int32_t>(this, v, kSgOutputs) &&
               verify_children<OperatorTable>(this, v, kSgOperators) && v.EndTable();
    }
};

struct OpCodeTable : private Table {
    using Table::GetField;
    using Table::GetPointer;
    bool Verify(Verifier& v) const {
        return VerifyTableStart(v) && VerifyField<int8_t>(v, kCodeDeprecatedBuiltin, 1) &&
               verify_str(this, v, kCodeCustom) && VerifyField<int32_t>(v, kCodeBuiltin, 4) && v.EndTable();
    }
};

struct BufferTable : private Table {
    using Table::GetField;
    using Table::GetPointer;
    bool Verify(Verifier& v) const {
        return VerifyTableStart(v) && verify_vec<uint8_t>(this, v, kBufferData) &&
               VerifyField<uint64_t>(v, kBufferOffset, 8) && VerifyField<uint64_t>(v, kBufferSize, 8) &&
               v.EndTable();
    }
};

struct ModelTable : private Table {
    using Table::GetField;
    using Table::GetPointer;
    bool Verify(Verifier& v) const {
        return VerifyTableStart(v) && VerifyField<uint32_t>(v, kModelVersion, 4) &&
               verify_children<OpCodeTable>(this, v, kModelOpcodes) &&
               verify_children<SubGraphTable>(this, v, kModelSubgraphs) &&
               verify_str(this, v, kModelDescription) && verify_children<BufferTable>(this, v, kModelBuffers) &&
               v.EndTable();
    }
};

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
        Verifier v(buf_, size_);
        if (!v.VerifyBuffer<ModelTable>("TFL3")) fail("corrupt TFLite flatbuffer (verification failed)");
        const auto* model = flatbuffers::GetRoot<ModelTable>(buf_);

        TfliteModel out;
        out.version = model->GetField<uint32_t>(kModelVersion, 0);
        if (out.version != 3) fail("unsupported TFLite schema version " + std::to_string(out.version));
        if (auto* d = model->GetPointer<const String*>(kModelDescription)) out.description = d->str();

        auto* subgraphs = model->GetPointer<const Vector<Offset<SubGraphTable>>*>(kModelSubgraphs);
        if (!subgraphs || subgraphs->size() == 0) fail("model has no subgraph");
        buffers_ = model->GetPointer<const Vector<Offset<BufferTable>>*>(kModelBuffers);
        opcodes_ = model->GetPointer<const Vector<Offset<OpCodeTable>>*>(kModelOpcodes);
        const SubGraphTable* sg = subgraphs->Get(0);

        auto* tensors = sg->GetPointer<const Vector<Offset<TensorTable>>*>(kSgTensors);
        if (!tensors || tensors->size() == 0) fail("subgraph has no tensors");
        ntensors_ = static_cast<int>(tensors->size());
        for (uint32_t i = 0; i < tensors->size(); ++i) out.tensors.push_back(tensor(tensors->Get(i), i));

        out.inputs = indices(sg->GetPointer<const Vector<int32_t>*>(kSgInputs), false, "graph input");
        out.outputs = indices(sg->GetPointer<const Vector<int32_t>*>(kSgOutputs), false, "graph output");
        if (out.inputs.empty() || out.outputs.empty()) fail("graph has no inputs or outputs");

        if (auto* ops = sg->GetPointer<const Vector<Offset<OperatorTable>>*>(kSgOperators))
            for (uint32_t i = 0; i < ops->size(); ++i) out.ops.push_back(op(ops->Get(i), i));
        return out;
    }

private:
    const uint8_t* buf_;
    size_t size_;
    const std::string& name_;
    const Vector<Offset<BufferTable>>* buffers_ = nullptr;
    const Vector<Offset<OpCodeTable>>* opcodes_ = nullptr;
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
        const BufferTable* bt = buffers_->Get(b);
        uint64_t off = bt->GetField<uint64_t>(kBufferOffset, 0), sz = bt->GetField<uint64_t>(kBufferSize, 0);
        if (off > 1) {
            if (off > size_ || sz > size_ - off) fail("buffer " + std::to_string(b) + " lies outside the file");
            return {buf_ + off, static_cast<size_t>(sz)};
        }
        auto* data = bt->GetPointer<const Vector<uint8_t>*>(kBufferData);
        if (!data) return {nullptr, 0};
        return {data->data(), data->size()};
    }

    TfliteTensor tensor(const TensorTable* t, uint32_t index) const {
        TfliteTensor out;
        if (auto* n = t->GetPointer<const String*>(kTensorName)) out.name = n->str();
        const std::string label = out.name.empty() ? "#" + std::to_string(index) : out.name;
        int8_t type = t->GetField<int8_t>(kTensorType, 0);
        if (type < 0 || static_cast<size_t>(type) >= sizeof kTypes / sizeof kTypes[0])
            fail("tensor '" + label + "' has unknown type " + std::to_string(type));
        out.type = kTypes[type].name;
        if (auto* s = t->GetPointer<const Vector<int32_t>*>(kTensorShape)) {
            if (s->size() > 8) fail("tensor '" + label + "' has rank " + std::to_string(s->size()));
            for (uint32_t k = 0; k < s->size(); ++k) {
                // Activations too: importers size layers from these shapes (found by fuzz_tflite).
                if (s->Get(k) < 0) fail("tensor '" + label + "' has a negative dimension");
                out.shape.push_back(s->Get(k));
            }
        }
        if (auto* q = t->GetPointer<const QuantTable*>(kTensorQuant)) {
            auto* sc = q->GetPointer<const Vector<float>*>(kQuantScale);
            auto* zp = q->GetPointer<const Vector<int64_t>*>(kQuantZeroPoint);
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
                out.quant.quantized_dimension = q->GetField<int32_t>(kQuantDimension, 0);
            }
        }

        auto [data, nbytes] = buffer(t->GetField<uint32_t>(kTensorBuffer, 0), label);
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

    TfliteOp op(const OperatorTable* o, uint32_t index) const {
        TfliteOp out;
        uint32_t ci = o->GetField<uint32_t>(kOpOpcodeIndex, 0);
        if (!opcodes_ || ci >= opcodes_->size())
            fail("operator " + std::to_string(index) + " has opcode index " + std::to_string(ci) + " out of range");
        const OpCodeTable* code = opcodes_->Get(ci);
        // Newer files keep codes > 127 in builtin_code and clamp deprecated_builtin_code.
        int32_t builtin = std::max<int32_t>(code->GetField<int8_t>(kCodeDeprecatedBuiltin, 0),
                                            code->GetField<int32_t>(kCodeBuiltin, 0));
        out.opcode = builtin;
        if (builtin == 32) {  // CUSTOM
            auto* cc = code->GetPointer<const String*>(kCodeCustom);
            out.op = "CUSTOM:" + (cc ? cc->str() : std::string());
        } else if (builtin >= 0 && static_cast<size_t>(builtin) < sizeof kBuiltinNames / sizeof kBuiltinNames[0]) {
            out.op = kBuiltinNames[builtin];
        } else {
            out.op = "BUILTIN_" + std::to_string(builtin);
        }
        const std::string where = "operator " + std::to_string(index) + " (" + out.op + ")";
        out.inputs = indices(o->GetPointer<const Vector<int32_t>*>(kOpInputs), true, (where + " input").c_str());
        out.outputs = indices(o->GetPointer<const Vector<int32_t>*>(kOpOutputs), false, (where + " output").c_str());

        uint8_t otype = o->GetField<uint8_t>(kOpOptionsType, 0);
        const OptionsTable* opt = o->GetPointer<const OptionsTable*>(kOpOptions);
        auto expect = [&](uint8_t want) {
            if (!opt) return false;
            if (otype != want) fail(where + " has options of the wrong type " + std::to_string(otype));
            return true;
        };
        auto act = [&](voffset_t f) {
            int8_t a = opt->GetField<int8_t>(f, 0);
            if (a < 0 || a > 5) fail(where + " has unknown fused activation " + std::to_string(a));
            out.activation = kActivations[a];
        };
        auto padding = [&](voffset_t f) {
            int8_t p = opt->GetField<int8_t>(f, 0);
            if (p != 0 && p != 1) fail(where + " has unknown padding " + std::to_string(p));
            out.padding = p == 0 ? TflitePadding::Same : TflitePadding::Valid;
        };
        auto positive = [&](int v, const char* what) {
            if (v < 1 || v > (1 << 16)) fail(where + " has invalid " + what + " " + std::to_string(v));
            return v;
        };
        switch (builtin) {
        case 3:  // CONV_2D: padding, stride_w, stride_h, fused_activation_function, dilation_w, dilation_h
            if (expect(kConv2DOptions)) {
                padding(F(0));
                out.stride_w = positive(opt->GetField<int32_t>(F(1), 0), "stride");
                out.stride_h = positive(opt->GetField<int32_t>(F(2), 0), "stride");
                act(F(3));
                out.dilation_w = positive(opt->GetField<int32_t>(F(4), 1), "dilation");
                out.dilation_h = positive(opt->GetField<int32_t>(F(5), 1), "dilation");
            }
            break;
        case 4:  // DEPTHWISE_CONV_2D: padding, stride_w, stride_h, depth_multiplier, act, dilation_w, dilation_h
            if (expect(kDepthwiseConv2DOptions)) {
                padding(F(0));
                out.stride_w = positive(opt->GetField<int32_t>(F(1), 0), "stride");
                out.stride_h = positive(opt->GetField<int32_t>(F(2), 0), "stride");
                out.depth_multiplier = positive(opt->GetField<int32_t>(F(3), 0), "depth_multiplier");
                act(F(4));
                out.dilation_w = positive(opt->GetField<int32_t>(F(5), 1), "dilation");
                out.dilation_h = positive(opt->GetField<int32_t>(F(6), 1), "dilation");
            }
            break;
        case 1: case 12: case 17:  // AVERAGE/L2/MAX_POOL_2D: padding, stride_w, stride_h, filter_w, filter_h, act
            if (expect(kPool2DOptions)) {
                padding(F(0));
                out.stride_w = positive(opt->GetField<int32_t>(F(1), 0), "stride");
                out.stride_h = positive(opt->GetField<int32_t>(F(2), 0), "stride");
                out.filter_w = positive(opt->GetField<int32_t>(F(3), 0), "filter size");
                out.filter_h = positive(opt->GetField<int32_t>(F(4), 0), "filter size");
                act(F(5));
            }
            break;
        case 9:  // FULLY_CONNECTED: fused_activation_function
            if (expect(kFullyConnectedOptions)) act(F(0));
            break;
        case 25:  // SOFTMAX: beta
            if (expect(kSoftmaxOptions)) out.beta = opt->GetField<float>(F(0), 0.f);
            break;
        case 2:  // CONCATENATION: axis, fused_activation_function
            if (expect(kConcatenationOptions)) act(F(1));
            break;
        case 0:  // ADD
            if (expect(kAddOptions)) act(F(0));
            break;
        case 18:  // MUL
            if (expect(kMulOptions)) act(F(0));
            break;
        case 22:  // RESHAPE: new_shape
            if (expect(kReshapeOptions))
                if (auto* ns = opt->GetPointer<const Vector<int32_t>*>(F(0))) {
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
