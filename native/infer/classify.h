// infer/classify.h - `catdog predict` and `catdog eval` without LibTorch (infer/network.h).
// Same options, results and order as the LibTorch versions in train/inference.h, which remain
// for CUDA.
#pragma once
#include <functional>
#include <string>
#include <vector>
#include "infer/network.h"
#include "train/inference.h"
#include "train/scores.h"

namespace catdog::infer {

// Classifies `files` in batches of opt.batch_size; `emit` sees each result in the order given,
// as soon as its batch is done.
void predict_files(Network& net, const std::vector<std::string>& files,
                   const train::InferenceOptions& opt, const train::PredictionSink& emit);

// Scores `samples` (the val transform) in batches; photos that fail to decode go to the
// result's `failed` and to on_fail.
train::EvalResult evaluate_samples(Network& net, const std::vector<data::Sample>& samples, size_t batch,
                                   unsigned threads,
                                   const std::function<void(const data::FailedSample&)>& on_fail = {});

// Scores a labelled folder (train/eval_report.h says which photos).
train::EvalReport evaluate_folder(Network& net, const std::string& data_dir, bool all_files,
                                  const train::InferenceOptions& opt);

}  // namespace catdog::infer
