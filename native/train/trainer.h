// train/trainer.h - `catdog train`: the seed's transfer-learning loop, resumable at any batch.
//
// A run is a pure function of its config and data: the split, the epoch order, each photo's
// crop and flip, the head's initial weights and the trunk's dropout masks all come from the
// seed, so a run stopped anywhere (SIGINT, SIGKILL, a test hook) and resumed from its last
// checkpoint ends with the same weights and metrics as one that never stopped.
#pragma once
#include <string>
#include "train/config.h"

namespace catdog::train {

enum class TrainOutcome { Finished, Stopped };

struct TrainResult {
    TrainOutcome outcome = TrainOutcome::Finished;
    std::string run_dir;
    bool interrupted = false;   // stopped by SIGINT (exit code 130)
};

// Starts a new run in cfg.out (which must not hold a run already). Throws on bad options,
// data or weights with one clear line.
TrainResult train_new(TrainConfig cfg);

// Continues the run in `run_dir` from checkpoint-last. Only the runtime fields of `overrides`
// (workers, device, checkpoint frequency, stop hooks) are used; the recipe comes from the run.
TrainResult train_resume(const std::string& run_dir, const TrainConfig& overrides);

}  // namespace catdog::train
