// cli/predict_common.h - what both `catdog predict` paths share: the options and the output.
// The LibTorch path (cli/predict.cpp) and the one that starts without LibTorch
// (lite/fast_predict.cpp) parse the same options and print the same lines.
#pragma once
#include <functional>
#include <string>
#include <vector>
#include <CLI/CLI.hpp>
#include "train/inference.h"

namespace catdog::cli {

inline constexpr const char* kPredictHelp = "classify photos with a trained run";
inline constexpr int kPredictOrder = 20;

struct PredictArgs {
    std::string model;
    std::vector<std::string> files;
    bool json = false;
    int topk = 0;
    train::InferenceOptions opt;
};

// --device, --batch-size, --workers (predict and eval).
void add_inference_options(CLI::App& app, train::InferenceOptions& opt);

// The `predict` command through one engine: `classify` runs a.files and hands each result to
// the sink; the command prints them (plain or --json) and fails if any file did.
using ClassifyFn = std::function<void(const PredictArgs& a, const train::PredictionSink& emit)>;
void setup_predict(CLI::App& app, ClassifyFn classify);

// Prints each prediction as it comes (plain or --json) and counts the failures.
class PredictPrinter {
public:
    explicit PredictPrinter(const PredictArgs& a) : a_(a) {}
    void operator()(const train::Prediction& p, const std::vector<std::string>& labels);
    // Throws cli::Failure "N of M file(s) could not be classified" when any failed.
    void finish() const;

private:
    const PredictArgs& a_;
    int failed_ = 0;
};

}  // namespace catdog::cli
