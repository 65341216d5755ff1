// cli/npy.h - float32 arrays as NumPy .npy files (format 1.0), for commands whose output
// people load with numpy.load.
#pragma once
#include <cstdint>
#include <string>
#include <vector>
#include "catdog/files.h"

namespace catdog::cli {

// Writes `data` (C order, little-endian float32, the product of `shape` values) atomically.
inline void write_npy(const std::string& path, const std::vector<int64_t>& shape, const float* data) {
    size_t n = 1;
    std::string dims;
    for (int64_t d : shape) {
        n *= size_t(d);
        dims += std::to_string(d) + ", ";
    }
    if (shape.size() > 1) dims.resize(dims.size() - 2);  // "(3, 224, 224)"; a 1-d shape keeps "(5,)"
    else if (!shape.empty()) dims.pop_back();
    // The header dict is padded with spaces so the data starts 64-byte aligned.
    std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
    header.append(64 - (10 + header.size() + 1) % 64, ' ');
    header += '\n';
    std::string bytes = "\x93NUMPY";
    bytes += '\x01';
    bytes += '\x00';
    bytes += char(header.size() & 0xff);
    bytes += char(header.size() >> 8);
    bytes += header;
    bytes.append(reinterpret_cast<const char*>(data), n * sizeof(float));
    catdog::write_file_atomic(path, bytes);
}

}  // namespace catdog::cli
