// train/evaluate.h - a LibTorch model on a list of samples, scored by train/scores.h.
// Used for the per-epoch validation and by the LibTorch `catdog eval` / `catdog predict` (CUDA).
#pragma once
#include <functional>
#include <vector>
#include <nlohmann/json.hpp>
#include <torch/torch.h>
#include "data/loader.h"
#include "nets/model.h"
#include "train/metrics.h"
#include "train/scores.h"

namespace catdog::train {

// Forward through the trunk a few images at a time. Same result as one pass (no op mixes
// images), but each activation stays small: under glibc's mmap threshold and in cache, where a
// batch of 64 through MobileNet V2 would map, fault in and unmap ~1.5 GB of fresh pages
// (that page-faulting was half the CPU time of a training run).
torch::Tensor trunk_in_chunks(nets::Model& model, const torch::Tensor& x, bool train);

// Keeps freed activation blocks in the heap for reuse instead of returning them to the OS
// after every batch. Call once before a loop over batches.
void tune_allocator();

// Intra-op (compute) threads: n, or one per core when n is 0. LibTorch's own default counts
// physical cores as cpuinfo reads them, which on some VMs is 1 for 2 usable cores.
void set_compute_threads(int n);

// --engine: "auto" (oneDNN when built in, else torch) | "onednn" | "torch".
nets::Model::Engine trunk_engine(const std::string& name);

// Logits for a CPU batch: copied to the model's device (non-blocking from pinned memory),
// channels_last, eval mode, under InferenceMode.
torch::Tensor infer_logits(nets::Model& model, const torch::Tensor& images);

// Adds one batch's CPU float logits [n, classes] to r (train/scores.h). Returns the batch's
// summed cross-entropy.
double add_scores(EvalResult& r, const torch::Tensor& logits, const torch::Tensor& labels,
                  const std::vector<size_t>& indices);

// Runs the val transform over `samples` (opt.train is ignored) and scores the predictions.
// `on_fail` sees each sample that failed to decode, in order.
EvalResult evaluate(nets::Model& model, const std::vector<data::Sample>& samples, size_t num_classes,
                    data::LoaderOptions opt, const std::function<void(const data::FailedSample&)>& on_fail = {});

}  // namespace catdog::train
