// train/checkpoint.h - a training checkpoint: model parameters, optimizer state and where the
// run stands (epoch, batch, running sums, history, bad files), in one atomically written file.
//
// The file is a torch::serialize archive: "state" holds a JSON string, "p0".."pN" the
// parameters in the model's (sorted-by-name) order, "optimizer" Adam's state. The parameter
// names are in the JSON, so a checkpoint from another backbone is refused by name.
#pragma once
#include <string>
#include <nlohmann/json.hpp>
#include <torch/torch.h>
#include "nets/model.h"

namespace catdog::train {

// `opt` may be null (weights only). Writes through write_file_atomic.
void save_checkpoint(const std::string& path, const nets::Model& model, const torch::optim::Optimizer* opt,
                     const nlohmann::json& state);

// Copies the parameters into `model` (same device as the model) and, when `opt` is given,
// restores its state. Returns the state JSON. Throws std::runtime_error naming the file.
nlohmann::json load_checkpoint(const std::string& path, nets::Model& model, torch::optim::Optimizer* opt);

// "auto" -> CUDA when available, else CPU; "cpu", "cuda", "cuda:1". Clear error if CUDA is
// asked for and absent.
torch::Device resolve_device(const std::string& name);

}  // namespace catdog::train
