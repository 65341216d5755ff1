// train/run.cpp - a run folder's final (or best) model.
#include "train/run.h"

#include <filesystem>
#include "catdog/files.h"
#include "nets/model_io.h"
#include "train/checkpoint.h"
#include "train/config.h"

namespace fs = std::filesystem;

namespace catdog::train {

std::unique_ptr<nets::Model> load_run_model(const RunInfo& run, torch::Device device) {
    // Init::None: every tensor comes from the file (no 61M random draws before predict's forward).
    auto model = std::make_unique<nets::Model>(nets::make_spec(run.backbone, (int)run.labels.size()),
                                               nets::Model::Init::None);
    const fs::path dir(run.dir);
    if (fs::exists(dir / "model.ckpt")) {
        nets::load_model(*model, (dir / "model.ckpt").string());
    } else if (fs::exists(dir / "checkpoint-best.ckpt")) {
        load_checkpoint((dir / "checkpoint-best.ckpt").string(), *model, nullptr);
    } else if (fs::exists(dir / "checkpoint-last.ckpt")) {
        load_checkpoint((dir / "checkpoint-last.ckpt").string(), *model, nullptr);
    } else {
        throw std::runtime_error(run.dir + ": the run has no model yet (no model.ckpt or checkpoint)");
    }
    model->to(device);
    return model;
}

}  // namespace catdog::train
