// train/metrics.h - confusion matrix, accuracies, and how they are printed and stored.
#pragma once
#include <cstdint>
#include <string>
#include <vector>
#include <nlohmann/json.hpp>

namespace catdog::train {

struct Confusion {
    std::vector<std::vector<int64_t>> m;  // m[truth][predicted]
    explicit Confusion(size_t classes = 0) : m(classes, std::vector<int64_t>(classes, 0)) {}
    void add(int truth, int pred) { ++m.at(truth).at(pred); }
    int64_t total() const;
    double accuracy() const;                 // NaN when empty
    std::vector<double> per_class_acc() const;  // recall per true class; NaN for an absent class
};

// "cat 0.9833  dog 0.9867"
std::string format_per_class(const std::vector<double>& acc, const std::vector<std::string>& labels);
// A small table: rows = truth, columns = predicted.
std::string format_confusion(const Confusion& c, const std::vector<std::string>& labels);

// NaN becomes null (JSON has no NaN).
nlohmann::json json_number(double v);
nlohmann::json per_class_json(const std::vector<double>& acc, const std::vector<std::string>& labels);

}  // namespace catdog::train
