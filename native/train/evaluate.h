// train/evaluate.h - a model on a list of samples: loss, confusion, misclassified files.
// Used for the per-epoch validation and by `catdog eval` / `catdog predict`.
#pragma once
#include <functional>
#include <vector>
#include <nlohmann/json.hpp>
#include <torch/torch.h>
#include "data/loader.h"
#include "nets/model.h"
#include "train/metrics.h"

namespace catdog::train {

struct Misclassified {
    size_t index;               // into the samples
    int pred;
    std::vector<float> probs;
};

// One photo's prediction (every photo that decoded, for val_results.json).
struct Scored {
    size_t index;               // into the samples
    int label, pred;
    std::vector<float> probs;
};

struct EvalResult {
    Confusion confusion;
    double loss = 0;            // mean cross-entropy over the rows that decoded
    int64_t n = 0;
    std::vector<Misclassified> misclassified;
    std::vector<Scored> scored;  // in the samples' order
    std::vector<data::FailedSample> failed;
};

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

// Adds one batch's predictions (CPU float logits, [n, classes]) to r: confusion, misclassified,
// n. Returns the batch's summed cross-entropy.
double add_scores(EvalResult& r, const torch::Tensor& logits, const torch::Tensor& labels,
                  const std::vector<size_t>& indices);

// Runs the val transform over `samples` (opt.train is ignored) and scores the predictions.
// `on_fail` sees each sample that failed to decode, in order.
EvalResult evaluate(nets::Model& model, const std::vector<data::Sample>& samples, size_t num_classes,
                    data::LoaderOptions opt, const std::function<void(const data::FailedSample&)>& on_fail = {});

// val_results.json: {"format": "catdog-val/1", "labels", "epoch", "photos": [{"file" (relative
// to `data_root`, the folder the photos were scanned from), "label", "pred", "probs"}]}, the
// per-photo results the page's mistakes view shows.
nlohmann::json val_results_json(const EvalResult& r, const std::vector<data::Sample>& samples,
                                const std::vector<std::string>& labels, const std::string& data_root, int epoch);

}  // namespace catdog::train
