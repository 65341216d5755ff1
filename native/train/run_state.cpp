// train/run_state.cpp - RunState <-> the checkpoint's JSON.
#include "train/run_state.h"

#include <cmath>
#include <stdexcept>
#include "train/metrics.h"

namespace catdog::train {

using json = nlohmann::json;

void RunState::count_batch(int64_t number, int64_t n, double batch_loss_sum, double secs) {
    batch = number + 1;
    loss_sum += batch_loss_sum;
    loss_n += n;
    epoch_images += n;
    train_images += n;
    add_time(secs);
}

void RunState::next_epoch() {
    ++epoch;
    batch = 0;
    loss_sum = 0;
    loss_n = 0;
    epoch_images = 0;
    epoch_secs = 0;
}

namespace {
double number_or_nan(const json& v) { return v.is_null() ? NAN : v.get<double>(); }

json to_json(const EpochRecord& r) {
    json per_class = json::object();
    for (const auto& [label, acc] : r.per_class_acc) per_class[label] = json_number(acc);
    return {{"epoch", r.epoch},
            {"train_loss", json_number(r.train_loss)},
            {"val_loss", json_number(r.val_loss)},
            {"val_acc", json_number(r.val_acc)},
            {"lr", r.lr},
            {"img_s", r.img_s},
            {"per_class_acc", per_class},
            {"confusion", r.confusion}};
}

EpochRecord epoch_from_json(const json& j) {
    EpochRecord r;
    r.epoch = j.at("epoch").get<int>();
    r.train_loss = number_or_nan(j.at("train_loss"));
    r.val_loss = number_or_nan(j.at("val_loss"));
    r.val_acc = number_or_nan(j.at("val_acc"));
    r.lr = j.at("lr").get<double>();
    r.img_s = j.at("img_s").get<double>();
    for (const auto& [label, acc] : j.at("per_class_acc").items()) r.per_class_acc[label] = number_or_nan(acc);
    r.confusion = j.at("confusion").get<std::vector<std::vector<int64_t>>>();
    return r;
}
}  // namespace

json to_json(const RunState& s) {
    json history = json::array();
    for (const EpochRecord& r : s.history) history.push_back(to_json(r));
    return {{"epoch", s.epoch},
            {"batch", s.batch},
            {"loss_sum", s.loss_sum},
            {"loss_n", s.loss_n},
            {"epoch_images", s.epoch_images},
            {"epoch_secs", s.epoch_secs},
            {"train_images", s.train_images},
            {"train_secs", s.train_secs},
            {"best_val_acc", s.best_val_acc},
            {"best_epoch", s.best_epoch},
            {"history", history},
            {"bad_files", s.bad_files}};
}

RunState run_state_from_json(const json& j, const std::string& source) {
    try {
        RunState s;
        s.epoch = j.at("epoch").get<int>();
        s.batch = j.at("batch").get<int64_t>();
        s.loss_sum = j.at("loss_sum").get<double>();
        s.loss_n = j.at("loss_n").get<int64_t>();
        s.epoch_images = j.at("epoch_images").get<int64_t>();
        s.epoch_secs = j.at("epoch_secs").get<double>();
        s.train_images = j.at("train_images").get<int64_t>();
        s.train_secs = j.at("train_secs").get<double>();
        s.best_val_acc = j.at("best_val_acc").get<double>();
        s.best_epoch = j.at("best_epoch").get<int>();
        for (const json& r : j.at("history")) s.history.push_back(epoch_from_json(r));
        s.bad_files = j.at("bad_files").get<std::map<std::string, std::string>>();
        return s;
    } catch (const json::exception& e) {
        throw std::runtime_error(source + ": damaged run state (" + e.what() + ")");
    }
}

}  // namespace catdog::train
