// lite/fast_predict.h - `catdog predict` without LibTorch.
//
// Debian's libtorch_cpu.so pulls 286 shared libraries whose loading and static initialisers
// take ~0.45 s before main() runs, more than the forward of one photo. Predicting needs none
// of it: the run's weights are its model.ckpt mapped in place (weights/pth_reader.h), the trunk
// is the NetSpec planned on oneDNN (onednn/trunk.h, direct convolutions so the numbers match
// the LibTorch path), preprocessing is the shared core's val transform, and the head is one
// Linear and a softmax.
#pragma once
#include "cli/predict_common.h"
#include "train/inference.h"

namespace catdog::lite {

// Classifies a.files like train::predict_files. Returns false, having printed nothing, when
// the LibTorch path must answer: a CUDA device asked for, a run folder or model.ckpt it cannot
// read, a layer the oneDNN plan lacks. Throws std::runtime_error once it has started.
bool predict_without_torch(const cli::PredictArgs& a, const train::PredictionSink& emit);

}  // namespace catdog::lite
