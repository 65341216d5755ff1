// weights/pth_reader.h - torchvision .pth state dicts -> WeightMap, without torch.
//
// Two container formats, both written by torch.save:
//   - zip (torch >= 1.6 default): <prefix>/data.pkl + <prefix>/data/<key> raw storages
//     (+ <prefix>/byteorder); e.g. alexnet-owt-7be5be79.pth.
//   - legacy (_use_new_zipfile_serialization=False): a chain of pickles (magic number,
//     protocol, sys_info, the state dict, the storage keys), then each storage as an 8-byte
//     little-endian element count + raw bytes; e.g. alexnet-owt-4df8aa71.pth.
// The state dict pickle is run by a small VM (weights/pickle.h) that knows only what
// torch.save emits. Every size, offset and stride is checked against the file, so a lying
// header throws WeightError ("<name>: <reason>") instead of reading out of bounds or
// allocating more than the file could describe.
//
// Tensors come out contiguous, row-major, float32 (float16/float64/bfloat16 and integer
// dtypes are converted; e.g. BatchNorm's int64 num_batches_tracked becomes a float scalar),
// in the state dict's order. `_metadata` is ignored.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>
#include "weights/weights.h"

namespace catdog::weights {

enum class PthFormat { Zip, Legacy };

// Reads a whole file; WeightError names `path`.
WeightMap read_pth(const std::string& path);

// Same from memory (fuzzers, tests). `name` is used in error messages only.
WeightMap read_pth_bytes(const uint8_t* data, size_t size, const std::string& name);

// A tensor in memory that its MappedWeights keeps alive.
struct RawTensor {
    std::string name;
    std::vector<int64_t> shape;
    const float* data = nullptr;  // row-major
};

// The same state dict with its float32 tensors left where they are in the file, mapped
// copy-on-write: no read and no copy, pages come in from the page cache as a forward touches
// them. A run's model.ckpt loads this way in milliseconds: torch's zip writer stores each
// record uncompressed at a 64-byte aligned offset. Tensors that are not float32, little-endian,
// contiguous and aligned in the file (a legacy .pth, a compressed entry) are converted into
// memory the result keeps as well. Same checks and errors as read_pth.
struct MappedWeights {
    std::shared_ptr<const void> memory;  // the mapping and any converted tensors
    std::vector<RawTensor> tensors;      // state-dict order
    size_t in_place = 0;                 // how many of them point into the file
    const RawTensor* find(const std::string& name) const;  // nullptr if absent
};
MappedWeights map_pth(const std::string& path);

// Which container a buffer holds (zip local-file magic "PK\3\4" vs. a pickle); throws
// WeightError when it is neither.
PthFormat detect_pth_format(const uint8_t* data, size_t size, const std::string& name);

}  // namespace catdog::weights
