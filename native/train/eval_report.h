// train/eval_report.h - what `catdog eval` scores and reports, whichever engine runs the
// network (oneDNN without LibTorch, or LibTorch on CUDA): which photos, and the report made
// from their scores (refreshing the run's val_results.json when they are its val split).
#pragma once
#include <string>
#include <vector>
#include "train/inference.h"
#include "train/run_info.h"
#include "train/scores.h"

namespace catdog::train {

struct EvalSamples {
    std::vector<data::Sample> samples;
    std::string data_dir;
    bool used_val_split = false;  // data_dir is the run's training folder: its val split only
    bool run_val = false;         // these are the run's own val photos (val_results.json)
};

// The photos of `data_dir` (flat or ImageFolder, classes named like the run's labels); only
// the val split when it is the run's own training folder, unless `all_files`.
EvalSamples eval_samples(const RunInfo& run, const std::string& data_dir, bool all_files);

// The report of scores `r` over `s`; writes RUN/val_results.json when s.run_val.
EvalReport eval_report(const RunInfo& run, const EvalSamples& s, const EvalResult& r);

}  // namespace catdog::train
