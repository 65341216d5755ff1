// train/run_state.h - where a training run stands: what a checkpoint records besides tensors.
//
// One typed struct instead of lookups into a JSON object; to_json/from_json keep the JSON that
// checkpoints have always held (same keys, NaN written as null), so older runs still resume.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>
#include <nlohmann/json.hpp>

namespace catdog::train {

// One finished epoch: a row of metrics.csv and of summary.json's history.
struct EpochRecord {
    int epoch = 0;                       // 1-based
    double train_loss = 0, val_loss = 0, val_acc = 0;  // NaN when undefined (no photo)
    double lr = 0, img_s = 0;
    std::map<std::string, double> per_class_acc;       // label -> accuracy (NaN: no photo)
    std::vector<std::vector<int64_t>> confusion;       // [truth][predicted]
};

struct RunState {
    int epoch = 0;                       // epochs finished
    int64_t batch = 0;                   // batches finished in the current epoch
    double loss_sum = 0;                 // the current epoch's summed loss over loss_n photos
    int64_t loss_n = 0;
    int64_t epoch_images = 0, train_images = 0;  // photos trained on: this epoch, the whole run
    double epoch_secs = 0, train_secs = 0;       // training seconds: this epoch, the whole run
    double best_val_acc = -1;
    int best_epoch = 0;
    std::vector<EpochRecord> history;
    std::map<std::string, std::string> bad_files;  // file -> why it was skipped (once per run)

    double train_loss() const { return loss_n ? loss_sum / double(loss_n) : NAN; }
    double epoch_rate() const { return epoch_secs > 0 ? double(epoch_images) / epoch_secs : 0.0; }
    double run_rate() const { return train_secs > 0 ? double(train_images) / train_secs : 0.0; }
    void add_time(double secs) { epoch_secs += secs; train_secs += secs; }
    // A finished batch (number is 0-based): n photos, their summed loss, its seconds.
    void count_batch(int64_t number, int64_t n, double batch_loss_sum, double secs);
    // The epoch is recorded: the per-epoch counters start again.
    void next_epoch();
};

nlohmann::json to_json(const RunState& s);
// Throws std::runtime_error naming `source` when a field is missing or has the wrong type.
RunState run_state_from_json(const nlohmann::json& j, const std::string& source);

}  // namespace catdog::train
