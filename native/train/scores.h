// train/scores.h - a classifier's outputs on labelled samples: softmax, loss, confusion, the
// misclassified photos, val_results.json. No torch: the trainer's validation, `catdog eval`
// and both inference paths (oneDNN and LibTorch) score through these functions.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>
#include <nlohmann/json.hpp>
#include "data/dataset.h"
#include "train/metrics.h"

namespace catdog::train {

// Softmax of each of n rows of k logits, as torch computes it (the row's max subtracted).
void softmax_rows(const float* logits, size_t n, size_t k, float* probs);

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

// Adds n rows of logits ([n, k], row-major) with their true labels and sample indices to r:
// confusion, scored, misclassified, n. Returns the rows' summed cross-entropy.
double add_scores(EvalResult& r, const float* logits, size_t n, size_t k, const int64_t* labels,
                  const size_t* indices);

// val_results.json: {"format": "catdog-val/1", "labels", "epoch", "photos": [{"file" (relative
// to `data_root`, the folder the photos were scanned from), "label", "pred", "probs"}]}, the
// per-photo results the page's mistakes view shows.
nlohmann::json val_results_json(const EvalResult& r, const std::vector<data::Sample>& samples,
                                const std::vector<std::string>& labels, const std::string& data_root, int epoch);

}  // namespace catdog::train
