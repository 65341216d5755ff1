// cli/predict_torch.cpp - `catdog predict` through LibTorch, in catdog-torch: what `catdog`
// hands over (--device cuda, a run still training, CATDOG_TORCH_PREDICT=1). The exit code is 1
// if any file could not be classified. The LibTorch-free one is cli/predict.cpp.
#include "cli/command.h"
#include "cli/predict_common.h"

namespace catdog::cli {
namespace {

void setup(CLI::App& app) {
    setup_predict(app, [](const PredictArgs& a, const train::PredictionSink& emit) {
        train::predict_files(a.model, a.files, a.opt, emit);
    });
}

RegisterCommand reg({"predict", kPredictHelp, kPredictOrder, setup});

}  // namespace
}  // namespace catdog::cli
