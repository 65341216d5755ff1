// weights/f32_sidecar.h - <ckpt>.f32: a run's model as raw float32 tensors that load by mmap.
//
// model.ckpt (torch's zip pickle) is the contract: Python's torch.load reads it. Reading it in
// C++ costs a full read plus torch::pickle_load's copy (~0.8 s for AlexNet's 228 MB), so the
// trainer also writes "<ckpt>.f32" beside it:
//
//   "CATDOG-F32-v1\n\0\0"   16 bytes
//   u64 little-endian       length of the JSON header
//   JSON                    {"ckpt_bytes": N, "ckpt_mtime_ns": T, "tensors": [[name, [shape], offset], ...]}
//   tensors                 float32, row-major, each at a 64-byte aligned offset from the file start
//
// Opening maps the file copy-on-write: no read, no copy; pages come in from the page cache as
// a forward touches them. The sidecar is used only while the checkpoint's size and mtime match
// what it recorded, so a replaced model.ckpt never loads stale weights. No torch here:
// nets/mapped_weights.h wraps the tensors for LibTorch, `catdog predict` reads them directly.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace catdog::weights {

std::string f32_sidecar_path(const std::string& ckpt_path);

struct RawTensor {
    std::string name;
    std::vector<int64_t> shape;
    const float* data = nullptr;  // row-major
};

// Writes <ckpt>.f32 for the (already written) checkpoint at ckpt_path: to a .tmp, then renamed.
// Throws std::runtime_error naming the file on failure.
void write_f32_sidecar(const std::string& ckpt_path, const std::vector<RawTensor>& tensors);

struct F32Sidecar {
    std::shared_ptr<const void> mapping;  // keeps the tensors' memory mapped
    std::vector<RawTensor> tensors;       // point into the mapping (writable: copy-on-write)
};

// Maps <ckpt>.f32 when it exists and matches the checkpoint; false otherwise (absent, stale,
// damaged: the caller reads the checkpoint itself).
bool open_f32_sidecar(const std::string& ckpt_path, F32Sidecar& out);

}  // namespace catdog::weights
