// export/explain_graph.h - model.explain.onnx: the forward graph plus its backward pass.
//
// ONNX Runtime Web has no autograd, so the gradient of a class score with respect to each
// conv activation is written out as an explicit graph, generated from the NetSpec layer by
// layer in reverse: Linear -> MatMul with W, Conv -> ConvTranspose with the same weight (and
// groups), ReLU / ReLU6 -> masks from the forward activations, MaxPool -> its argmax Indices
// and ScatterElements(reduction add) (overlapping windows accumulate, as in torch), global /
// equal-bin average pooling -> spread evenly, Flatten -> Reshape, Add -> both branches,
// Dropout (inference) -> identity.
//
//   inputs   "input" float32[1,3,S,S] (as model.onnx), "seed" float32[1,K]
//   outputs  "logits" [1,K]; for each layer L of explain_layers(): "L" [1,C,h,w] and
//            "grad:L" [1,C,h,w] = d(sum_k seed_k logits_k) / dL
// seed = one-hot(class) for a class's Grad-CAM, e_a - e_b for the two-class signed map. It is
// a file of its own so that plain classification (model.web.onnx) stays as fast as it is.
#pragma once
#include <cstdint>
#include <string>
#include <vector>
#include "catdog/model_info.h"
#include "export/onnx_writer.h"

namespace catdog::exporter {

// The views the explain graph differentiates: every view with a [C, H, W] activation, in order.
std::vector<int> explain_layers(const nets::NetSpec& spec);

// CAM applies when the head is a Linear over the flattened global average pool of a view:
// returns that view's layer index, or -1.
int cam_layer(const nets::NetSpec& spec);

// model.json's "explain" and "cam" sections for `spec` (file name model.explain.onnx).
void describe_explain(const nets::NetSpec& spec, catdog::ModelInfo& info);

// Builds the graph (fp32 weights). Throws std::runtime_error naming a layer whose op it cannot
// differentiate. `spec` must have had infer_shapes() called.
void build_explain_onnx(const nets::NetSpec& spec, const ParamLookup& params, onnx::ModelProto& out);

// build + onnx::checker + atomic write; returns the file size.
int64_t export_explain_onnx(const nets::NetSpec& spec, const ParamLookup& params, const std::string& path);

}  // namespace catdog::exporter
