// weights/pickle.h - a small, safe pickle VM for what torch.save writes.
//
// It builds a flat heap of inert objects; nothing is ever executed. GLOBAL names must pass
// the caller's allow-list, REDUCE records a call (func + args) for the caller to interpret,
// except collections.OrderedDict(), which becomes a Dict so SETITEM(S) can fill it.
// Objects refer to each other by heap index, so cyclic or deeply shared pickles cannot
// recurse or leak, and the heap grows at most linearly with the input (every opcode is at
// least one byte and creates at most one object). Any opcode outside the supported subset,
// a stack underflow, a missing memo entry or a length past the end throws WeightError
// "<name>: <reason> at offset N".
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>
#include "weights/weights.h"

namespace catdog::weights {

enum class PyKind : uint8_t {
    None, Bool, Int, BigInt, Float, Str, Bytes,
    Tuple, List, Dict,      // items: elements; Dict: key, value, key, value, ...
    Global,                 // s = "module.name"
    Call,                   // a = func (a Global), b = args (a Tuple); result of REDUCE
    Persistent,             // a = the persistent id object (BINPERSID/PERSID)
    Mark,                   // internal
};

struct PyObj {
    PyKind kind = PyKind::None;
    int64_t i = 0;          // Bool, Int
    double f = 0;           // Float
    std::string s;          // Str, Bytes, Global; BigInt: little-endian two's complement bytes
    std::vector<int32_t> items;
    int32_t a = -1, b = -1;
};

struct PickleResult {
    std::vector<PyObj> heap;
    int32_t root = -1;
    size_t end = 0;         // offset just past STOP, relative to the data passed in
    const PyObj& at(int32_t idx) const { return heap.at(static_cast<size_t>(idx)); }
};

// Runs one pickle starting at data[0]; stops at its STOP opcode. `base_offset` is added to
// offsets in error messages (where this pickle sits in the file).
PickleResult unpickle(const uint8_t* data, size_t size, const std::string& name,
                      const std::function<bool(const std::string&)>& allow_global,
                      size_t base_offset = 0);

}  // namespace catdog::weights
