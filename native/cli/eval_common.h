// cli/eval_common.h - what both `catdog eval` engines share: the options and the report.
// cli/eval.cpp runs the network without LibTorch (infer/); cli/eval_torch.cpp with LibTorch
// (CUDA), in catdog-torch.
#pragma once
#include <string>
#include <CLI/CLI.hpp>
#include "train/inference.h"

namespace catdog::cli {

struct EvalArgs {
    std::string model, data;
    bool json = false, all = false;
    train::InferenceOptions opt;
};

// Adds eval's options to `app`, storing into `a` (which must outlive parsing).
void add_eval_options(CLI::App& app, EvalArgs& a);
// Prints the report: a table, or one JSON object with --json.
void print_eval(const EvalArgs& a, const train::EvalReport& r);

inline constexpr const char* kEvalHelp = "score a trained run on a labelled folder";
inline constexpr int kEvalOrder = 30;

}  // namespace catdog::cli
