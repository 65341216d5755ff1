// cli/eval_torch.cpp - `catdog eval` through LibTorch, in catdog-torch: what `catdog` hands over
// (--device cuda, a run still training). The LibTorch-free one is cli/eval.cpp.
#include <memory>
#include "cli/command.h"
#include "cli/eval_common.h"

namespace catdog::cli {
namespace {

void setup(CLI::App& app) {
    auto a = std::make_shared<EvalArgs>();
    add_eval_options(app, *a);
    app.callback([a] { print_eval(*a, train::evaluate_folder(a->model, a->data, a->all, a->opt)); });
}

RegisterCommand reg({"eval", kEvalHelp, kEvalOrder, setup});

}  // namespace
}  // namespace catdog::cli
