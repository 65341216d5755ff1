// nets/mapped_weights.h - a run's model as raw float32 tensors that load by mmap (predict).
//
// model.ckpt (torch's zip pickle) is the contract: Python's torch.load reads it. Reading it in
// C++ costs a full read plus torch::pickle_load's copy (~0.8 s for AlexNet's 228 MB), most
// of `catdog predict`'s time. Model::save therefore also writes "<ckpt>.f32" beside it:
//
//   "CATDOG-F32-v1\n\0\0"   16 bytes
//   u64 little-endian       length of the JSON header
//   JSON                    {"ckpt_bytes": N, "ckpt_mtime_ns": T, "tensors": [[name, [shape], offset], ...]}
//   tensors                 float32, row-major, each at a 64-byte aligned offset from the file start
//
// Loading maps the file copy-on-write and wraps each tensor in place: no read, no copy; pages
// come in from the page cache as the forward touches them. The sidecar is used only while the
// checkpoint's size and mtime match what it recorded, so a replaced model.ckpt never loads
// stale weights (it falls back to model.ckpt).
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
