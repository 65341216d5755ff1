// tests/fuzz/fuzz_entry.h - the code paths the fuzzers drive, shared with the regression test.
//
// Each entry takes untrusted bytes and must either accept them or refuse them with the
// component's own one-line error (DecodeError / WeightError). Anything else is a finding:
// a sanitizer report, a crash, or a `Violation` (an invariant broken on accepted input, a
// foreign exception type, a multi-line or empty message). Under libFuzzer a Violation
// escapes LLVMFuzzerTestOneInput, std::terminate aborts and the input is saved; the Catch2
// regression test (tests/native/test_fuzz_regressions.cpp) replays the saved inputs natively
// through these same functions.
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "catdog/image.h"
#include "catdog/transforms.h"
#ifdef CATDOG_FUZZ_WEIGHTS
#include "weights/pth_reader.h"
#include "weights/tflite_reader.h"
#endif

namespace catdog_fuzz {

struct Violation : std::logic_error {
    using std::logic_error::logic_error;
};

// Small enough to keep executions fast, big enough for every real photo in the corpus.
constexpr uint64_t kFuzzMaxPixels = 4'000'000;

inline void check_one_line(const char* what, const char* kind) {
    const std::string m = what ? what : "";
    if (m.empty()) throw Violation(std::string(kind) + " with an empty message");
    if (m.find('\n') != std::string::npos || m.find('\r') != std::string::npos)
        throw Violation(std::string(kind) + " message is not one line: " + m);
}

// FNV-1a: a seed for the random crop that follows the input, so a replay is exact.
inline uint64_t hash_bytes(const uint8_t* data, size_t size) {
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < size; ++i) h = (h ^ data[i]) * 1099511628211ULL;
    return h;
}

// bytes -> decode_image -> val_crop or train_crop (resize + crop) -> to_tensor_normalize.
inline void run_image(const uint8_t* data, size_t size,
                      uint64_t max_pixels = kFuzzMaxPixels) {
    catdog::DecodeOptions opt;
    opt.max_pixels = max_pixels;
    catdog::Image img;
    try {
        img = catdog::decode_image(data, size, "fuzz-input", opt);
    } catch (const catdog::DecodeError& e) {
        check_one_line(e.what(), "DecodeError");
        return;
    } catch (const Violation&) {
        throw;
    } catch (const std::exception& e) {
        throw Violation(std::string("decode_image threw a non-DecodeError: ") + e.what());
    }
    if (img.w <= 0 || img.h <= 0 || static_cast<uint64_t>(img.w) * img.h > max_pixels ||
        img.rgb.size() != static_cast<size_t>(img.w) * img.h * 3)
        throw Violation("decoded image has inconsistent size " + std::to_string(img.w) + "x" +
                        std::to_string(img.h) + " / " + std::to_string(img.rgb.size()) + " bytes");

    // The backbones' 256 -> 224 for one input in four; otherwise a small spec (resize 8..64,
    // any crop up to it): the same code paths at a fraction of the work, and odd ratios.
    const uint64_t h = hash_bytes(data, size);
    catdog::TransformSpec spec;
    if ((h >> 1) & 3) {
        spec.resize = 8 + static_cast<int>((h >> 3) % 57);
        spec.crop = 1 + static_cast<int>((h >> 9) % static_cast<uint64_t>(spec.resize));
    }
    const size_t n = static_cast<size_t>(spec.crop) * spec.crop;
    std::vector<float> tensor(3 * n);
    auto check_crop = [&](const catdog::Image& c, const char* what) {
        if (c.w != spec.crop || c.h != spec.crop || c.rgb.size() != n * 3)
            throw Violation(std::string(what) + " gave " + std::to_string(c.w) + "x" +
                            std::to_string(c.h));
        catdog::to_tensor_normalize(c, spec, tensor.data());
        for (float v : tensor)
            if (!std::isfinite(v) || v < -3.f || v > 3.f)
                throw Violation(std::string(what) + ": normalised value out of range");
    };
    try {
        // One crop per input (both share the resize): the hash picks which, and the seed.
        if (h & 1) {
            check_crop(catdog::val_crop(img, spec), "val_crop");
        } else {
            catdog::Rng rng(h >> 16);
            check_crop(catdog::train_crop(img, spec, rng), "train_crop");
        }
    } catch (const Violation&) {
        throw;
    } catch (const std::exception& e) {
        // A decoded image is valid by definition: the transforms must accept any size.
        throw Violation(std::string("transform threw on a decoded ") + std::to_string(img.w) +
                        "x" + std::to_string(img.h) + " image: " + e.what());
    }
}

#ifdef CATDOG_FUZZ_WEIGHTS
// Element count of a shape; -1 when a dimension is negative or the product overflows.
inline int64_t checked_numel(const std::vector<int64_t>& shape) {
    int64_t n = 1;
    bool zero = false, overflow = false;
    for (int64_t d : shape) {
        if (d < 0) return -1;
        if (d == 0) zero = true;
        else if (!overflow && __builtin_mul_overflow(n, d, &n)) overflow = true;
    }
    return zero ? 0 : overflow ? -1 : n;
}

inline void check_tensor(const std::string& key, const catdog::weights::Tensor& t) {
    const int64_t n = checked_numel(t.shape);
    if (n < 0) throw Violation("tensor " + key + " has a negative or overflowing shape");
    if (static_cast<size_t>(n) != t.data.size())
        throw Violation("tensor " + key + ": shape says " + std::to_string(n) + " values, data has " +
                        std::to_string(t.data.size()));
}

inline void run_pth(const uint8_t* data, size_t size) {
    namespace w = catdog::weights;
    try {
        const w::WeightMap m = w::read_pth_bytes(data, size, "fuzz.pth");
        if (m.order.size() != m.tensors.size()) throw Violation("WeightMap order/tensors disagree");
        for (const auto& key : m.order) check_tensor(key, m.at(key));
    } catch (const w::WeightError& e) {
        check_one_line(e.what(), "WeightError");
    } catch (const Violation&) {
        throw;
    } catch (const std::exception& e) {
        throw Violation(std::string("read_pth_bytes threw a non-WeightError: ") + e.what());
    }
}

inline void run_tflite(const uint8_t* data, size_t size) {
    namespace w = catdog::weights;
    try {
        const w::TfliteModel m = w::read_tflite_bytes(data, size, "fuzz.tflite");
        const int nt = static_cast<int>(m.tensors.size());
        auto in_range = [&](int i, bool optional) { return (optional && i == -1) || (i >= 0 && i < nt); };
        for (const auto& t : m.tensors) {
            for (int64_t d : t.shape)
                if (d < 0) throw Violation("tensor " + t.name + " has a negative dimension");
            // Activation shapes may be large (nothing is allocated for them); constants must
            // match their data exactly.
            const int64_t n = t.constant ? checked_numel(t.shape) : 0;
            if (t.constant && (n < 0 || static_cast<size_t>(n) != t.data.size()))
                throw Violation("constant tensor " + t.name + ": shape says " + std::to_string(n) +
                                " values, data has " + std::to_string(t.data.size()));
            if (t.quant.scale.size() != t.quant.zero_point.size())
                throw Violation("tensor " + t.name + ": scale/zero_point lengths differ");
        }
        for (const auto& op : m.ops) {
            for (int i : op.inputs) if (!in_range(i, true)) throw Violation(op.op + ": input index out of range");
            for (int i : op.outputs) if (!in_range(i, false)) throw Violation(op.op + ": output index out of range");
        }
        for (int i : m.inputs) if (!in_range(i, false)) throw Violation("graph input index out of range");
        for (int i : m.outputs) if (!in_range(i, false)) throw Violation("graph output index out of range");
    } catch (const w::WeightError& e) {
        check_one_line(e.what(), "WeightError");
    } catch (const Violation&) {
        throw;
    } catch (const std::exception& e) {
        throw Violation(std::string("read_tflite_bytes threw a non-WeightError: ") + e.what());
    }
}
#endif  // CATDOG_FUZZ_WEIGHTS

}  // namespace catdog_fuzz
