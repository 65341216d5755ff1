// train/config.cpp - config.json, lr schedules, option checks.
#include "train/config.h"

#include <cmath>
#include <stdexcept>

namespace catdog::train {

double lr_factor(const TrainConfig& c, int epoch) {
    if (c.lr_schedule == "step") return std::pow(c.lr_gamma, epoch / std::max(1, c.lr_step));
    if (c.lr_schedule == "exp") return std::pow(c.lr_gamma, epoch);
    if (c.lr_schedule == "inv") return 1.0 / (1.0 + c.lr_decay * epoch);
    throw std::invalid_argument("--lr-schedule must be step, exp or inv (got " + c.lr_schedule + ")");
}

void validate(const TrainConfig& c) {
    auto bad = [](const std::string& m) { throw std::invalid_argument(m); };
    if (c.data.empty()) bad("--data is required");
    if (c.epochs < 1) bad("--epochs must be at least 1");
    if (c.batch_size < 1) bad("--batch-size must be at least 1");
    if (!(c.lr > 0)) bad("--lr must be positive");
    if (c.strategy != "feature" && c.strategy != "finetune") bad("--strategy must be feature or finetune");
    if (c.strategy == "feature" && c.unfreeze != 0) bad("--unfreeze needs --strategy finetune");
    if (c.strategy == "finetune" && c.unfreeze < 1) bad("--strategy finetune needs --unfreeze K (K >= 1)");
    if (c.val_dir.empty() && !(c.val_split > 0 && c.val_split < 1)) bad("--val-split must be between 0 and 1");
    if (c.lr_schedule != "step" && c.lr_schedule != "exp" && c.lr_schedule != "inv")
        bad("--lr-schedule must be step, exp or inv");
    if (!(c.lr_gamma > 0)) bad("--lr-gamma must be positive");
    if (c.lr_step < 1) bad("--lr-step must be at least 1");
    if (c.lr_decay < 0) bad("--lr-decay must not be negative");
    if (c.precision != "fp32" && c.precision != "bf16" && c.precision != "fp16")
        bad("--precision must be fp32, bf16 or fp16");
    if (c.cache_features && c.unfreeze != 0) bad("--cache-features needs a frozen backbone (no --unfreeze)");
    if (c.cache_crops < 0 || c.cache_crops > 64) bad("--cache-crops must be between 0 and 64");
    if (c.threads < 0) bad("--threads must be 0 (one per core) or more");
    if (c.engine != "auto" && c.engine != "onednn" && c.engine != "torch") bad("--engine must be auto, onednn or torch");
    if (c.precision != "fp32" && c.unfreeze != 0) bad("--precision " + c.precision + " needs a frozen backbone (no --unfreeze)");
}

nlohmann::json transform_to_json(const catdog::TransformSpec& t) {
    return {{"resize", t.resize}, {"crop", t.crop}, {"mean", t.mean}, {"std", t.std}};
}

catdog::TransformSpec transform_from_json(const nlohmann::json& j) {
    catdog::TransformSpec t;
    t.resize = j.at("resize").get<int>();
    t.crop = j.at("crop").get<int>();
    t.mean = j.at("mean").get<std::array<float, 3>>();
    t.std = j.at("std").get<std::array<float, 3>>();
    return t;
}

nlohmann::json to_json(const TrainConfig& c) {
    return {
        {"format", "catdog-run/1"},
        {"backbone", c.backbone},
        {"weights", c.weights},
        {"feature_layer", c.feature_layer},
        {"feature_dim", c.feature_dim},
        {"transform", transform_to_json(c.transform)},
        {"labels", c.labels},
        {"data", c.data},
        {"val_dir", c.val_dir},
        {"val_split", c.val_split},
        {"strategy", c.strategy},
        {"unfreeze", c.unfreeze},
        {"trunk_dropout", c.trunk_dropout},
        {"precision", c.precision},
        {"cache_features", c.cache_features},
        {"cache_crops", c.cache_crops},
        {"epochs", c.epochs},
        {"batch_size", c.batch_size},
        {"lr", c.lr},
        {"backbone_lr_scale", c.backbone_lr_scale},
        {"optimizer", "adam"},
        {"loss", "cross_entropy"},
        {"lr_schedule", c.lr_schedule},
        {"lr_step", c.lr_step},
        {"lr_gamma", c.lr_gamma},
        {"lr_decay", c.lr_decay},
        {"seed", c.seed},
        {"device", c.device},
        {"workers", c.workers},
        {"engine", c.engine},
    };
}

TrainConfig config_from_json(const nlohmann::json& j) {
    TrainConfig c;
    auto get = [&](const char* k, auto& v) {
        if (j.contains(k) && !j[k].is_null()) j[k].get_to(v);
    };
    get("backbone", c.backbone);
    get("weights", c.weights);
    get("feature_layer", c.feature_layer);
    get("feature_dim", c.feature_dim);
    if (j.contains("transform")) c.transform = transform_from_json(j["transform"]);
    get("labels", c.labels);
    get("data", c.data);
    get("val_dir", c.val_dir);
    get("val_split", c.val_split);
    get("strategy", c.strategy);
    get("unfreeze", c.unfreeze);
    get("trunk_dropout", c.trunk_dropout);
    get("precision", c.precision);
    get("cache_features", c.cache_features);
    get("cache_crops", c.cache_crops);
    get("epochs", c.epochs);
    get("batch_size", c.batch_size);
    get("lr", c.lr);
    get("backbone_lr_scale", c.backbone_lr_scale);
    get("lr_schedule", c.lr_schedule);
    get("lr_step", c.lr_step);
    get("lr_gamma", c.lr_gamma);
    get("lr_decay", c.lr_decay);
    get("seed", c.seed);
    get("device", c.device);
    get("workers", c.workers);
    get("engine", c.engine);
    return c;
}

}  // namespace catdog::train
