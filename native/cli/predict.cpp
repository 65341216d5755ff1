// cli/predict.cpp - `catdog predict --model RUN IMG...`: label + probabilities per photo, with
// LibTorch (any device, any run). `catdog` itself answers most predictions without starting
// LibTorch (lite/fast_predict.h) and hands the rest here. The exit code is 1 if any file
// could not be classified.
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

RegisterCommand reg({"predict", "classify photos with a trained run", 20, setup});

}  // namespace
}  // namespace catdog::cli
