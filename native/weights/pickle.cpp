// weights/pickle.cpp - the pickle VM (see pickle.h). Opcode values are Python's
// Lib/pickletools.py names; only the subset torch.save (protocols 2-5) emits is accepted.
#include "weights/pickle.h"

#include <cstdio>
#include <cstring>
#include <sstream>
#include <unordered_map>

namespace catdog::weights {
namespace {

class Vm {
public:
    Vm(const uint8_t* data, size_t size, const std::string& name,
       const std::function<bool(const std::string&)>& allow, size_t base)
        : p_(data), n_(size), name_(name), allow_(allow), base_(base) {}

    PickleResult run() {
        for (;;) {
            if (pos_ >= n_) fail("pickle ends without STOP");
            op_pos_ = pos_;
            const uint8_t op = p_[pos_++];
            if (op == '.') {  // STOP
                if (stack_.size() != 1 || !marks_.empty()) fail("STOP with a malformed stack");
                res_.root = stack_.back();
                res_.end = pos_;
                return std::move(res_);
            }
            step(op);
        }
    }

private:
    const uint8_t* p_;
    size_t n_;
    const std::string& name_;
    const std::function<bool(const std::string&)>& allow_;
    size_t base_;
    size_t pos_ = 0, op_pos_ = 0;
    PickleResult res_;
    std::vector<int32_t> stack_;
    std::vector<size_t> marks_;                  // stack sizes at each MARK
    std::unordered_map<uint32_t, int32_t> memo_;

    [[noreturn]] void fail(const std::string& why) const {
        std::ostringstream os;
        os << why << " at offset " << (base_ + op_pos_);
        throw WeightError(name_, os.str());
    }

    // --- reading the opcode's arguments, always bounds-checked
    const uint8_t* take(uint64_t len) {
        if (len > n_ - pos_) fail("pickle argument runs past the end of the data");
        const uint8_t* q = p_ + pos_;
        pos_ += static_cast<size_t>(len);
        return q;
    }
    uint64_t le(int bytes) {
        const uint8_t* q = take(static_cast<uint64_t>(bytes));
        uint64_t v = 0;
        for (int k = bytes - 1; k >= 0; --k) v = (v << 8) | q[k];
        return v;
    }
    std::string line() {  // text argument ending in '\n' (GLOBAL, PERSID)
        const uint8_t* start = p_ + pos_;
        const void* nl = std::memchr(start, '\n', n_ - pos_);
        if (!nl) fail("unterminated text argument");
        size_t len = static_cast<const uint8_t*>(nl) - start;
        pos_ += len + 1;
        return std::string(reinterpret_cast<const char*>(start), len);
    }

    // --- heap and stack
    int32_t make(PyObj o) {
        // Each object costs ~90 bytes, so the cap bounds a hostile pickle at ~25 MB of heap;
        // torchvision state dicts need ~25 objects a tensor, < 50k in all.
        constexpr size_t kMaxObjects = size_t(1) << 18;
        if (res_.heap.size() >= kMaxObjects) fail("pickle too large (over 262144 objects)");
        res_.heap.push_back(std::move(o));
        return static_cast<int32_t>(res_.heap.size() - 1);
    }
    int32_t make(PyKind k) { PyObj o; o.kind = k; return make(std::move(o)); }
    void push(int32_t idx) { stack_.push_back(idx); }
    int32_t pop() {
        size_t floor = marks_.empty() ? 0 : marks_.back();
        if (stack_.size() <= floor) fail("pickle stack underflow");
        int32_t v = stack_.back();
        stack_.pop_back();
        return v;
    }
    int32_t top() {
        size_t floor = marks_.empty() ? 0 : marks_.back();
        if (stack_.size() <= floor) fail("pickle stack underflow");
        return stack_.back();
    }
    std::vector<int32_t> pop_mark() {  // the items pushed since the last MARK
        if (marks_.empty()) fail("pickle MARK missing");
        size_t m = marks_.back();
        marks_.pop_back();
        std::vector<int32_t> items(stack_.begin() + static_cast<std::ptrdiff_t>(m), stack_.end());
        stack_.resize(m);
        return items;
    }
    PyObj& obj(int32_t idx) { return res_.heap[static_cast<size_t>(idx)]; }

    void push_int(int64_t v) { PyObj o; o.kind = PyKind::Int; o.i = v; push(make(std::move(o))); }
    void push_str(PyKind k, uint64_t len) {
        const uint8_t* q = take(len);
        PyObj o; o.kind = k; o.s.assign(reinterpret_cast<const char*>(q), static_cast<size_t>(len));
        push(make(std::move(o)));
    }
    void push_long(uint64_t len) {  // LONG1/LONG4: little-endian two's complement
        const uint8_t* q = take(len);
        if (len <= 8) {
            uint64_t v = 0;
            for (size_t k = len; k-- > 0;) v = (v << 8) | q[k];
            if (len > 0 && len < 8 && (q[len - 1] & 0x80)) v |= ~uint64_t(0) << (8 * len);
            push_int(static_cast<int64_t>(v));
        } else {
            PyObj o; o.kind = PyKind::BigInt; o.s.assign(reinterpret_cast<const char*>(q), static_cast<size_t>(len));
            push(make(std::move(o)));
        }
    }
    void push_global(const std::string& module, const std::string& qual) {
        std::string full = module + "." + qual;
        if (!allow_(full)) fail("unsupported pickle global '" + full + "'");
        PyObj o; o.kind = PyKind::Global; o.s = full;
        push(make(std::move(o)));
    }
    void memo_put(uint32_t key) {
        if (memo_.size() > n_) fail("pickle memo too large");
        memo_[key] = top();
    }
    void memo_get(uint32_t key) {
        auto it = memo_.find(key);
        if (it == memo_.end()) fail("pickle memo key " + std::to_string(key) + " missing");
        push(it->second);
    }
    void set_items(int32_t dict, const std::vector<int32_t>& kv) {
        if (obj(dict).kind != PyKind::Dict) fail("SETITEM(S) on a non-dict");
        if (kv.size() % 2) fail("SETITEMS with an odd number of items");
        // Duplicate keys are kept in order; readers resolve them like Python (last value wins,
        // first position kept) without a quadratic search here.
        auto& items = obj(dict).items;
        items.insert(items.end(), kv.begin(), kv.end());
    }
    void append(int32_t list, const std::vector<int32_t>& xs) {
        if (obj(list).kind != PyKind::List) fail("APPEND(S) on a non-list");
        auto& items = obj(list).items;
        items.insert(items.end(), xs.begin(), xs.end());
    }
    void tuple(std::vector<int32_t> items) {
        PyObj o; o.kind = PyKind::Tuple; o.items = std::move(items);
        push(make(std::move(o)));
    }

    void step(uint8_t op) {
        switch (op) {
        case 0x80: {  // PROTO
            uint64_t v = le(1);
            if (v < 2 || v > 5) fail("unsupported pickle protocol " + std::to_string(v));
            break;
        }
        case 0x95: le(8); break;  // FRAME: a length hint only
        case '(': marks_.push_back(stack_.size()); break;           // MARK
        case '0': pop(); break;                                      // POP
        case '1': pop_mark(); break;                                 // POP_MARK
        case '2': push(top()); break;                                // DUP
        case 'N': push(make(PyKind::None)); break;                   // NONE
        case 0x88: case 0x89: {                                      // NEWTRUE / NEWFALSE
            PyObj o; o.kind = PyKind::Bool; o.i = op == 0x88; push(make(std::move(o)));
            break;
        }
        case 'J': push_int(static_cast<int32_t>(le(4))); break;      // BININT
        case 'K': push_int(static_cast<int64_t>(le(1))); break;      // BININT1
        case 'M': push_int(static_cast<int64_t>(le(2))); break;      // BININT2
        case 0x8a: push_long(le(1)); break;                          // LONG1
        case 0x8b: {                                                 // LONG4
            uint64_t len = le(4);
            if (len & 0x80000000u) fail("negative LONG4 length");
            push_long(len);
            break;
        }
        case 'G': {                                                  // BINFLOAT (big-endian)
            const uint8_t* q = take(8);
            uint64_t bits = 0;
            for (int k = 0; k < 8; ++k) bits = (bits << 8) | q[k];
            PyObj o; o.kind = PyKind::Float; std::memcpy(&o.f, &bits, 8);
            push(make(std::move(o)));
            break;
        }
        case 'X': push_str(PyKind::Str, le(4)); break;               // BINUNICODE
        case 0x8c: push_str(PyKind::Str, le(1)); break;              // SHORT_BINUNICODE
        case 0x8d: push_str(PyKind::Str, le(8)); break;              // BINUNICODE8
        case 'T': {                                                  // BINSTRING (py2 str)
            uint64_t len = le(4);
            if (len & 0x80000000u) fail("negative BINSTRING length");
            push_str(PyKind::Str, len);
            break;
        }
        case 'U': push_str(PyKind::Str, le(1)); break;               // SHORT_BINSTRING
        case 'B': push_str(PyKind::Bytes, le(4)); break;             // BINBYTES
        case 'C': push_str(PyKind::Bytes, le(1)); break;             // SHORT_BINBYTES
        case 0x8e: push_str(PyKind::Bytes, le(8)); break;            // BINBYTES8
        case ')': tuple({}); break;                                  // EMPTY_TUPLE
        case 't': tuple(pop_mark()); break;                          // TUPLE
        case 0x85: { int32_t a = pop(); tuple({a}); break; }         // TUPLE1
        case 0x86: { int32_t b = pop(), a = pop(); tuple({a, b}); break; }             // TUPLE2
        case 0x87: { int32_t c = pop(), b = pop(), a = pop(); tuple({a, b, c}); break; }  // TUPLE3
        case ']': push(make(PyKind::List)); break;                   // EMPTY_LIST
        case 'l': {                                                  // LIST
            PyObj o; o.kind = PyKind::List; o.items = pop_mark(); push(make(std::move(o)));
            break;
        }
        case 'a': { int32_t x = pop(); append(top(), {x}); break; }  // APPEND
        case 'e': { auto xs = pop_mark(); append(top(), xs); break; }  // APPENDS
        case '}': push(make(PyKind::Dict)); break;                   // EMPTY_DICT
        case 'd': {                                                  // DICT
            auto kv = pop_mark();
            int32_t d = make(PyKind::Dict);
            set_items(d, kv);
            push(d);
            break;
        }
        case 's': { int32_t v = pop(), k = pop(); set_items(top(), {k, v}); break; }  // SETITEM
        case 'u': { auto kv = pop_mark(); set_items(top(), kv); break; }               // SETITEMS
        case 'c': {                                                  // GLOBAL "module\nname\n"
            std::string module = line();
            std::string qual = line();
            push_global(module, qual);
            break;
        }
        case 0x93: {                                                 // STACK_GLOBAL
            int32_t q = pop(), m = pop();
            if (obj(m).kind != PyKind::Str || obj(q).kind != PyKind::Str) fail("STACK_GLOBAL needs two strings");
            push_global(obj(m).s, obj(q).s);
            break;
        }
        case 'R': {                                                  // REDUCE
            int32_t args = pop(), func = pop();
            if (obj(func).kind != PyKind::Global) fail("REDUCE on a non-global");
            if (obj(args).kind != PyKind::Tuple) fail("REDUCE with non-tuple arguments");
            if (obj(func).s == "collections.OrderedDict") {
                if (!obj(args).items.empty()) fail("OrderedDict with constructor arguments");
                push(make(PyKind::Dict));
            } else if (obj(func).s == "torch.jit._pickle.restore_type_tag") {
                // LibTorch's pickle_save tags a typed dict with its type ("Dict[str, Tensor]"):
                // the value is the dict itself.
                if (obj(args).items.size() != 2) fail("restore_type_tag needs (object, type)");
                push(obj(args).items[0]);
            } else {
                PyObj o; o.kind = PyKind::Call; o.a = func; o.b = args;
                push(make(std::move(o)));
            }
            break;
        }
        case 'b': pop(); top(); break;   // BUILD: state (e.g. a state dict's _metadata) ignored
        case 'Q': {                                                  // BINPERSID
            PyObj o; o.kind = PyKind::Persistent; o.a = pop(); push(make(std::move(o)));
            break;
        }
        case 'P': {                                                  // PERSID (text)
            PyObj s; s.kind = PyKind::Str; s.s = line();
            PyObj o; o.kind = PyKind::Persistent; o.a = make(std::move(s)); push(make(std::move(o)));
            break;
        }
        case 'q': memo_put(static_cast<uint32_t>(le(1))); break;     // BINPUT
        case 'r': memo_put(static_cast<uint32_t>(le(4))); break;     // LONG_BINPUT
        case 0x94: memo_put(static_cast<uint32_t>(memo_.size())); break;  // MEMOIZE
        case 'h': memo_get(static_cast<uint32_t>(le(1))); break;     // BINGET
        case 'j': memo_get(static_cast<uint32_t>(le(4))); break;     // LONG_BINGET
        default: {
            char hex[8];
            std::snprintf(hex, sizeof hex, "0x%02x", op);
            fail(std::string("unsupported pickle opcode ") + hex);
        }
        }
    }
};

}  // namespace

PickleResult unpickle(const uint8_t* data, size_t size, const std::string& name,
                      const std::function<bool(const std::string&)>& allow_global,
                      size_t base_offset) {
    return Vm(data, size, name, allow_global, base_offset).run();
}

}  // namespace catdog::weights
