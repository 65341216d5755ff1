// data/seed_mix.h - splitmix64: turns (seed, epoch, index) combinations into well-spread 64-bit
// seeds, so every random draw of a run depends only on its seed and never on thread or order.
#pragma once
#include <cstdint>

namespace catdog::data {

inline uint64_t splitmix64(uint64_t x) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

// Two words into one seed, e.g. (run seed, epoch << 32 | batch) for a batch's dropout masks.
// The offset keeps the draws of runs written before this helper existed, so they still resume
// bit for bit.
inline uint64_t mix2(uint64_t a, uint64_t b) {
    return splitmix64(a * 0x9e3779b97f4a7c15ull + b + 0xc4f46be25a6a6404ull);
}

}  // namespace catdog::data
