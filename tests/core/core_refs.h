// Reading the reference dumps written by tests/reference/torchvision_refs.py (a ctest
// fixture) into this build tree: raw little-endian files and tab-separated indexes.
#pragma once
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>
#include "test_paths.h"

namespace catdog_test {

inline std::string core_refs() { return CATDOG_CORE_REFS; }

inline std::vector<uint8_t> read_bytes(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) FAIL("cannot read " << path << " (did the core_torchvision_refs fixture run?)");
    return std::vector<uint8_t>((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

inline std::vector<float> read_f32(const std::string& path) {
    const std::vector<uint8_t> b = read_bytes(path);
    std::vector<float> v(b.size() / 4);
    std::memcpy(v.data(), b.data(), v.size() * 4);  // little-endian on every target we build
    return v;
}

inline std::vector<std::vector<std::string>> read_tsv(const std::string& path) {
    std::ifstream f(path);
    if (!f) FAIL("cannot read " << path << " (did the core_torchvision_refs fixture run?)");
    std::vector<std::vector<std::string>> rows;
    for (std::string line; std::getline(f, line);) {
        if (line.empty()) continue;
        std::vector<std::string> cols;
        std::stringstream ss(line);
        for (std::string c; std::getline(ss, c, '\t');) cols.push_back(c);
        if (!line.empty() && line.back() == '\t') cols.emplace_back();
        rows.push_back(cols);
    }
    return rows;
}

// FNV-1a 64: a tiny portable hash for "same bytes natively and in WASM".
inline uint64_t fnv1a(const void* data, size_t n, uint64_t h = 1469598103934665603ULL) {
    const auto* p = static_cast<const uint8_t*>(data);
    for (size_t i = 0; i < n; ++i) { h ^= p[i]; h *= 1099511628211ULL; }
    return h;
}

}  // namespace catdog_test
