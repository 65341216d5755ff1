// nets/pretrained.h - pretrained weights for a backbone, as a WeightMap with the spec's names.
// No torch here (model.h repeats load_pretrained's declaration for its callers).
#pragma once
#include <string>
#include "nets/netspec.h"
#include "weights/tflite_reader.h"
#include "weights/weights.h"

namespace catdog::nets {

// Loads a backbone's pretrained weights from a file, by its content (magic bytes), never its
// name:
//   torchvision .pth (zip or legacy)    -> any backbone whose names it holds (alexnet, resnet18,
//                                          squeezenet1_1, mobilenet_v2_torchvision)
//   TFLite (mobilenet_v2_1.0_224_quant) -> mobilenet_v2 (dequantized, NCHW, names mapped)
// Every backbone parameter of make_spec(backbone, <head classes in the file>) must be present
// with its exact shape; throws weights::WeightError ("<path>: <reason>") otherwise.
weights::WeightMap load_pretrained(const std::string& backbone, const std::string& path);

// MobileNet V2 comes in two layouts: "mobilenet_v2" (Google's TFLite graph) and
// "mobilenet_v2_torchvision" (a torchvision .pth). Either name with either file gives the
// backbone the file's content holds; other names are returned as they are.
std::string resolve_backbone(const std::string& backbone, const std::string& path);

// Maps a parsed TFLite graph onto `spec` (mobilenet_v2 with its 1001-way head, i.e.
// make_spec("mobilenet_v2", 1001)): walks the operators in execution order, checks each
// against the spec layer it lands on (op kind, wiring, shapes, stride, 'SAME' pads, fused
// activation) and converts layouts: conv [O,kh,kw,I] -> [O,I,kh,kw], depthwise [1,kh,kw,C]
// -> [C,1,kh,kw], the Logits 1x1 conv [1001,1,1,1280] -> Linear [1001,1280].
// `name` is used in error messages.
weights::WeightMap import_tflite(const weights::TfliteModel& m, const NetSpec& spec, const std::string& name);

// Throws WeightError(name, ...) unless every parameter of `spec` (the head too when
// `include_head`) is in `w` with the spec's shape.
void check_weights(const weights::WeightMap& w, const NetSpec& spec, bool include_head, const std::string& name);

}  // namespace catdog::nets
