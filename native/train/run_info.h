// train/run_info.h - the run folder: everything a training run leaves behind, and reading its
// description back (no torch: `catdog predict` reads it without LibTorch).
//
//   RUN/config.json      the full config (backbone, labels, transform, hyper-parameters, seed, data)
//   RUN/split.json       the exact train/val file lists (eval and resume reuse them)
//   RUN/metrics.csv      one row per epoch: epoch,train_loss,val_loss,val_acc,lr,img_s
//   RUN/summary.json     val_acc, per_class_acc, confusion, train_img_s, epochs, skipped_files, ...
//   RUN/checkpoint-last.ckpt, RUN/checkpoint-best.ckpt   (atomic: write, then rename)
//   RUN/model.ckpt       the final model (all parameters by torchvision name)
//   RUN/model.onnx, RUN/model.web.onnx, RUN/model.json  (written by export/)
// Every file is written atomically, so a killed run never leaves a truncated artifact.
#pragma once
#include <string>
#include <vector>
#include <nlohmann/json.hpp>
#include "catdog/transforms.h"
#include "data/dataset.h"

namespace catdog::train {

struct RunInfo {
    std::string dir;
    nlohmann::json config;
    std::string backbone;
    std::vector<std::string> labels;
    catdog::TransformSpec transform;
};

// Throws std::runtime_error "RUN: not a catdog run folder (...)" with the reason.
RunInfo read_run(const std::string& dir);

// The rest of the run folder, read with the same functions the trainer wrote it with, so that
// train, eval, export and serve cannot disagree about a run.
//
// RUN/split.json: the photos and labels of each side. Throws one line naming the file.
data::Split read_split(const std::string& dir);
// The folder the val photos (and val_results.json's relative paths) live in: the run's
// --val-dir, else its --data.
std::string val_photo_root(const RunInfo& run);
// The number of epochs metrics.csv records (0 without one).
int epochs_recorded(const std::string& dir);

}  // namespace catdog::train
