// cli/eval.cpp - `catdog eval --model RUN --data DIR`: accuracy, per-class accuracy, confusion
// matrix and the misclassified files, without LibTorch (infer/). On the run's own training
// folder it scores the val split (the photos the model never trained on) unless --all. CUDA,
// and a run that has no model.ckpt yet, go to catdog-torch (cli/eval_torch.cpp).
#include <memory>
#include "cli/command.h"
#include "cli/eval_common.h"
#include "infer/classify.h"
#include "cli/handover.h"

namespace catdog::cli {
namespace {

void setup(CLI::App& app) {
    auto a = std::make_shared<EvalArgs>();
    add_eval_options(app, *a);
    app.callback([a] {
        if (a->opt.device != "auto" && a->opt.device != "cpu") throw HandOver{};
        infer::Network net = open_network(a->model);
        print_eval(*a, infer::evaluate_folder(net, a->data, a->all, a->opt));
    });
}

RegisterCommand reg({"eval", kEvalHelp, kEvalOrder, setup});

}  // namespace
}  // namespace catdog::cli
