// train/scores.cpp - softmax, cross-entropy and the scoring of labelled rows.
#include "train/scores.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

namespace catdog::train {

void softmax_rows(const float* logits, size_t n, size_t k, float* probs) {
    for (size_t r = 0; r < n; ++r) {
        const float* l = logits + r * k;
        float* p = probs + r * k;
        const float mx = *std::max_element(l, l + k);
        float sum = 0;
        for (size_t c = 0; c < k; ++c) sum += p[c] = std::exp(l[c] - mx);
        for (size_t c = 0; c < k; ++c) p[c] /= sum;
    }
}

double add_scores(EvalResult& r, const float* logits, size_t n, size_t k, const int64_t* labels,
                  const size_t* indices) {
    std::vector<float> probs(n * k);
    softmax_rows(logits, n, k, probs.data());
    double loss = 0;
    for (size_t i = 0; i < n; ++i) {
        const float* l = logits + i * k;
        const float* p = probs.data() + i * k;
        const int truth = int(labels[i]);
        const int guess = int(std::max_element(l, l + k) - l);
        // Cross-entropy from the logits: log-sum-exp minus the true class's logit.
        const double mx = *std::max_element(l, l + k);
        double s = 0;
        for (size_t c = 0; c < k; ++c) s += std::exp(double(l[c]) - mx);
        loss += mx + std::log(s) - double(l[truth]);
        r.confusion.add(truth, guess);
        r.scored.push_back({indices[i], truth, guess, std::vector<float>(p, p + k)});
        if (truth != guess) r.misclassified.push_back({indices[i], guess, std::vector<float>(p, p + k)});
    }
    r.n += int64_t(n);
    return loss;
}

nlohmann::json val_results_json(const EvalResult& r, const std::vector<data::Sample>& samples,
                                const std::vector<std::string>& labels, const std::string& data_root, int epoch) {
    namespace fs = std::filesystem;
    const fs::path root = fs::path(data_root).lexically_normal();
    nlohmann::json photos = nlohmann::json::array();
    for (const Scored& s : r.scored) {
        // Relative to the data folder, so the page asks the server for photos/<file>.
        const fs::path full = fs::path(samples.at(s.index).path).lexically_normal();
        const fs::path rel = full.lexically_relative(root);
        const bool inside = !rel.empty() && *rel.begin() != "..";
        photos.push_back({{"file", (inside ? rel : full).generic_string()},
                          {"label", s.label},
                          {"pred", s.pred},
                          {"probs", s.probs}});
    }
    return {{"format", "catdog-val/1"}, {"labels", labels}, {"epoch", epoch}, {"photos", std::move(photos)}};
}

}  // namespace catdog::train
