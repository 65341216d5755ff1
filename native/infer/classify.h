// infer/classify.h - `catdog predict` and `catdog eval` without LibTorch (infer/network.h).
// Same options, results and order as the LibTorch versions in train/inference.h, which remain
// for CUDA.
#pragma once
#include <string>
#include <vector>
#include "infer/network.h"
#include "train/inference.h"

namespace catdog::infer {

// Classifies `files` in batches of opt.batch_size; `emit` sees each result in the order given,
// as soon as its batch is done.
void predict_files(Network& net, const std::vector<std::string>& files,
                   const train::InferenceOptions& opt, const train::PredictionSink& emit);

// Scores a labelled folder (train/eval_report.h says which photos).
train::EvalReport evaluate_folder(Network& net, const std::string& data_dir, bool all_files,
                                  const train::InferenceOptions& opt);

}  // namespace catdog::infer
