// train/run.h - a run folder's model, for LibTorch (the folder itself: train/run_info.h).
#pragma once
#include <memory>
#include "nets/model.h"
#include "train/run_info.h"

namespace catdog::train {

// The final model (model.ckpt), or the best/last checkpoint if the run has not finished.
std::unique_ptr<nets::Model> load_run_model(const RunInfo& run, torch::Device device);

}  // namespace catdog::train
