// nets/mapped_weights.h - a run's model as raw float32 tensors that load by mmap (predict):
// the <ckpt>.f32 sidecar of weights/f32_sidecar.h (format, staleness check) as torch tensors.
#pragma once
#include <map>
#include <string>
#include <utility>
#include <vector>
#include <torch/types.h>

namespace catdog::nets {

std::string mapped_weights_path(const std::string& ckpt_path);

// Writes <ckpt>.f32 for the (already written) checkpoint at ckpt_path: to a .tmp, then renamed.
void write_mapped_weights(const std::string& ckpt_path,
                          const std::vector<std::pair<std::string, torch::Tensor>>& tensors);

// Fills `out` from <ckpt>.f32 when it exists and matches the checkpoint; false otherwise
// (absent, stale, or unreadable: the caller reads the checkpoint itself).
bool read_mapped_weights(const std::string& ckpt_path, std::map<std::string, torch::Tensor>& out);

}  // namespace catdog::nets
