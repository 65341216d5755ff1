// cli/predict.cpp - `catdog predict --model RUN IMG...`: label and probabilities per photo,
// without LibTorch (infer/): ~0.1 s for one AlexNet photo where starting LibTorch alone takes
// ~0.45 s. CUDA, a run that has no model.ckpt yet, and CATDOG_TORCH_PREDICT=1 go to
// catdog-torch (cli/predict_torch.cpp). The exit code is 1 if any file could not be classified.
#include <cstdlib>
#include "cli/command.h"
#include "cli/handover.h"
#include "cli/predict_common.h"
#include "infer/classify.h"

namespace catdog::cli {
namespace {

void setup(CLI::App& app) {
    setup_predict(app, [](const PredictArgs& a, const train::PredictionSink& emit) {
        if ((a.opt.device != "auto" && a.opt.device != "cpu") || std::getenv("CATDOG_TORCH_PREDICT"))
            throw HandOver{};
        infer::Network net = open_network(a.model);
        infer::predict_files(net, a.files, a.opt, emit);
    });
}

RegisterCommand reg({"predict", kPredictHelp, kPredictOrder, setup});

}  // namespace
}  // namespace catdog::cli
