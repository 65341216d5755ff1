// cli/predict_torch.cpp - `catdog predict` through LibTorch, in catdog-torch: what `catdog`
// hands over (--device cuda, a run still training, CATDOG_TORCH_PREDICT=1). The exit code is 1
// if any file could not be classified. The LibTorch-free one is cli/predict.cpp.
#include <memory>
#include "cli/command.h"
#include "cli/predict_common.h"

namespace catdog::cli {
namespace {

void setup(CLI::App& app) {
    auto a = std::make_shared<PredictArgs>();
    add_predict_options(app, *a);
    app.callback([a] {
        PredictPrinter print(*a);
        train::predict_files(a->model, a->files, a->opt, [&](const train::Prediction& p, const auto& labels) {
            print(p, labels);
        });
        print.finish();
    });
}

RegisterCommand reg({"predict", kPredictHelp, kPredictOrder, setup});

}  // namespace
}  // namespace catdog::cli
