// weights/tflite_reader.h - a TFLite flatbuffer -> a generic graph with float weights.
//
// Parsed through the tables flatc generates from weights/tflite_schema.fbs (the project's subset
// of TFLite's schema v3) after flatc's verifier has checked the whole buffer; every tensor,
// buffer and operator index is range-checked. Only the fields the image backbones need are
// decoded.
// Constant tensors are dequantized to float32: w = scale * (q - zero_point) for uint8/int8
// (per tensor, or per channel along quantized_dimension), b = scale * q for int32 biases;
// float32/float16 constants are converted as is.
//
// No layout conversion happens here: shapes stay TFLite's (NHWC activations, conv weights
// [O,kh,kw,I], depthwise [1,kh,kw,C]); mapping onto NCHW/torchvision names is nets/'s job.
// Errors throw WeightError ("<name>: <reason>").
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>
#include "weights/weights.h"

namespace catdog::weights {

struct TfliteQuant {
    std::vector<float> scale;          // empty: not quantized
    std::vector<int64_t> zero_point;   // same length as scale
    int quantized_dimension = 0;       // axis for per-channel scales
    bool present() const { return !scale.empty(); }
};

struct TfliteTensor {
    std::string name;
    std::vector<int64_t> shape;        // TFLite layout, as stored
    std::string type;                  // "FLOAT32", "UINT8", "INT32", "INT8", "FLOAT16", ...
    TfliteQuant quant;
    bool constant = false;             // has a non-empty buffer
    std::vector<float> data;           // dequantized values (constant tensors only), row-major
};

enum class TflitePadding { Same, Valid };

struct TfliteOp {
    std::string op;                    // builtin name: "CONV_2D", "DEPTHWISE_CONV_2D", "ADD",
                                       // "AVERAGE_POOL_2D", "RESHAPE", "SOFTMAX", ... or
                                       // "CUSTOM:<code>"; unknown builtins "BUILTIN_<n>"
    int opcode = -1;                   // builtin code (schema's BuiltinOperator)
    std::vector<int> inputs;           // tensor indices; -1 = optional input absent
    std::vector<int> outputs;
    // Options; only those meaningful for `op` are set.
    TflitePadding padding = TflitePadding::Same;
    int stride_h = 1, stride_w = 1;
    int dilation_h = 1, dilation_w = 1;
    int filter_h = 0, filter_w = 0;    // pooling window
    int depth_multiplier = 1;          // DEPTHWISE_CONV_2D
    std::string activation = "NONE";   // fused: "NONE", "RELU", "RELU_N1_TO_1", "RELU6", "TANH", "SIGN_BIT"
    std::vector<int64_t> new_shape;    // RESHAPE (from options; may be empty, then input 1 holds it)
    float beta = 1.f;                  // SOFTMAX
};

struct TfliteModel {
    uint32_t version = 0;              // schema version in the file
    std::string description;
    std::vector<TfliteTensor> tensors; // of subgraph 0
    std::vector<TfliteOp> ops;         // in execution order
    std::vector<int> inputs, outputs;  // graph inputs/outputs (tensor indices)

    // The first graph input's quantization (e.g. scale 1/128, zero point 128 for
    // mobilenet_v2_1.0_224_quant: x = scale * (q - zp) maps 0..255 to [-1, 1)).
    const TfliteQuant& input_quant() const { return tensors.at(inputs.at(0)).quant; }
};

// Reads and verifies a whole file; WeightError names `path`.
TfliteModel read_tflite(const std::string& path);

// Same from memory (fuzzers, tests). `name` is used in error messages only.
TfliteModel read_tflite_bytes(const uint8_t* data, size_t size, const std::string& name);

}  // namespace catdog::weights
