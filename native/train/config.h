// train/config.h - everything that defines a training run, and its config.json form.
//
// Defaults are the seed's recipe: batch 64, frozen backbone + new Linear head, CrossEntropy,
// Adam(lr 1e-3) on the trainable parameters, StepLR(step 1, gamma 0.5), 2 epochs.
// config.json stores the resolved values (labels, the backbone's preprocessing and feature
// layer), so `--resume` and `predict` need nothing but the run folder.
#pragma once
#include <cstdint>
#include <string>
#include <vector>
#include <nlohmann/json.hpp>
#include "catdog/transforms.h"

namespace catdog::train {

struct TrainConfig {
    // Data
    std::string data;                 // training folder (flat Kaggle or ImageFolder)
    std::string val_dir;              // optional separate validation folder
    double val_split = 0.2;           // fraction held out when there is no val_dir
    // Model
    std::string backbone = "alexnet";
    std::string weights;              // pretrained file; "" = look in the usual places
    std::string strategy = "feature"; // feature | finetune
    int unfreeze = 0;                 // finetune: last K parameterised backbone layers
    bool trunk_dropout = true;        // the seed trains in train(): dropout in the frozen trunk
    bool cache_features = false;      // frozen trunk once per (photo, view); the head trains from the store
    int cache_crops = 2;              // cached views = center, flip and this many seeded random crops
    // Optimisation
    int epochs = 2;
    int batch_size = 64;
    double lr = 1e-3;
    double backbone_lr_scale = 0.1;   // unfrozen backbone layers train at lr x this
    std::string lr_schedule = "step"; // step | exp | inv
    int lr_step = 1;                  // step: decay every lr_step epochs
    double lr_gamma = 0.5;            // step/exp factor
    double lr_decay = 1.0;            // inv: lr / (1 + decay * epoch)
    uint64_t seed = 0;
    // Runtime (not part of the recipe: may change on resume)
    int workers = 0;                  // 0 = data::default_workers()
    int threads = 0;                  // intra-op (compute) threads; 0 = one per core
    std::string device = "auto";      // auto | cpu | cuda | cuda:N
    std::string precision = "fp32";   // frozen trunk: fp32 | bf16 (CPU oneDNN, CUDA) | fp16 (CUDA)
    std::string engine = "auto";      // frozen fp32 trunk on a CPU: auto (= onednn when built in) | onednn | torch
    std::string out;                  // the run folder
    double checkpoint_secs = 60;      // mid-epoch checkpoint at most this often
    int checkpoint_every = 0;         // ... and/or every N batches (0 = off)
    bool export_model = true;         // export model.onnx etc. at the end (when available)
    // Test hooks: stop cleanly (as on SIGINT) after this many epochs / batches of this process.
    int stop_after_epoch = 0;
    int stop_after_batches = 0;

    // Filled when the run starts (recorded in config.json).
    std::vector<std::string> labels;
    catdog::TransformSpec transform;
    std::string feature_layer;
    int feature_dim = 0;
};

// Learning-rate factor for `epoch` (0-based): step gamma^(epoch / lr_step), exp gamma^epoch,
// inv 1 / (1 + decay * epoch).
double lr_factor(const TrainConfig& c, int epoch);

// Throws std::invalid_argument with the offending option on a bad combination.
void validate(const TrainConfig& c);

nlohmann::json to_json(const TrainConfig& c);
TrainConfig config_from_json(const nlohmann::json& j);

nlohmann::json transform_to_json(const catdog::TransformSpec& t);
catdog::TransformSpec transform_from_json(const nlohmann::json& j);

}  // namespace catdog::train
