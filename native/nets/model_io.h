// nets/model_io.h - a Model's weights in and out of files.
//
// model.ckpt is all parameters by name as a plain dict {name: tensor} in torch's zip pickle
// format (torch::pickle_save): Python's torch.load reads it and torchvision's load_state_dict
// takes it for alexnet. torch's zip writer stores each tensor uncompressed at a 64-byte
// aligned offset, so load_model maps the file and uses the tensors in place
// (weights::map_pth): ms, not ~1 s for AlexNet.
#pragma once
#include <string>
#include "nets/model.h"
#include "weights/weights.h"

namespace catdog::nets {

// Copies matching tensors in by name, checking shapes (clear error on mismatch). Every
// backbone parameter must be present; the head is skipped when absent, when !include_head,
// or when its class count differs (the seed replaces it). Returns how many tensors were
// copied (alexnet 16, mobilenet_v2 106 with the head).
int load_weights(Model& model, const weights::WeightMap& w, bool include_head);

// Writes model.ckpt's format atomically (catdog/files.h).
void save_model(const Model& model, const std::string& path);

// Reads a file save_model wrote: adopts its head class count (reset_head) and requires every
// other tensor with its exact shape. Replaces the parameter tensors (no copy): build
// optimisers after it. Throws std::runtime_error naming the file.
void load_model(Model& model, const std::string& path);

}  // namespace catdog::nets
