// weights/pth_reader.cpp - torchvision .pth (zip and legacy) -> WeightMap.
//
// Index of this file:
// [SECTION] Storages: dtypes, where each storage's bytes live, float conversion
// [SECTION] Tensors: _rebuild_tensor(_v2) calls -> checked strided copies
// [SECTION] Zip: libzip over the in-memory file
// [SECTION] Legacy: the chain of pickles + raw storages
// [SECTION] Entry: read_pth / read_pth_bytes
#include "weights/pth_reader.h"

#include <zip.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <sstream>

#include "weights/pickle.h"

namespace catdog::weights {
namespace {

//-----------------------------------------------------------------------------
// [SECTION] Storages: dtypes, where each storage's bytes live, float conversion
//-----------------------------------------------------------------------------

enum class DType { F32, F64, F16, BF16, I64, I32, I16, I8, U8, Bool };

struct DTypeInfo { const char* storage; DType dtype; size_t size; };
constexpr DTypeInfo kDTypes[] = {
    {"torch.FloatStorage", DType::F32, 4},  {"torch.DoubleStorage", DType::F64, 8},
    {"torch.HalfStorage", DType::F16, 2},   {"torch.BFloat16Storage", DType::BF16, 2},
    {"torch.LongStorage", DType::I64, 8},   {"torch.IntStorage", DType::I32, 4},
    {"torch.ShortStorage", DType::I16, 2},  {"torch.CharStorage", DType::I8, 1},
    {"torch.ByteStorage", DType::U8, 1},    {"torch.BoolStorage", DType::Bool, 1},
};

const DTypeInfo* storage_type(const std::string& global) {
    for (const auto& d : kDTypes)
        if (global == d.storage) return &d;
    return nullptr;
}

bool allowed_global(const std::string& g) {
    return g == "collections.OrderedDict" || g == "torch._utils._rebuild_tensor_v2" ||
           g == "torch._utils._rebuild_tensor" || g == "torch._utils._rebuild_parameter" ||
           storage_type(g) != nullptr;
}

float half_to_float(uint16_t h) {
    uint32_t sign = (h & 0x8000u) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
    if (exp == 0) {
        if (man == 0) {
            bits = sign;
        } else {  // subnormal: renormalise
            exp = 127 - 15 + 1;
            while (!(man & 0x400)) { man <<= 1; --exp; }
            bits = sign | (exp << 23) | ((man & 0x3ff) << 13);
        }
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | (man << 13);
    } else {
        bits = sign | ((exp + 127 - 15) << 23) | (man << 13);
    }
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}

// Element k of a raw little-endian (or byte-swapped) storage as float.
float load(const uint8_t* base, size_t k, const DTypeInfo& t, bool swap) {
    uint8_t b[8];
    std::memcpy(b, base + k * t.size, t.size);
    if (swap) std::reverse(b, b + t.size);
    switch (t.dtype) {
    case DType::F32: { float v; std::memcpy(&v, b, 4); return v; }
    case DType::F64: { double v; std::memcpy(&v, b, 8); return static_cast<float>(v); }
    case DType::F16: { uint16_t v; std::memcpy(&v, b, 2); return half_to_float(v); }
    case DType::BF16: { uint16_t v; std::memcpy(&v, b, 2); uint32_t u = uint32_t(v) << 16; float f; std::memcpy(&f, &u, 4); return f; }
    case DType::I64: { int64_t v; std::memcpy(&v, b, 8); return static_cast<float>(v); }
    case DType::I32: { int32_t v; std::memcpy(&v, b, 4); return static_cast<float>(v); }
    case DType::I16: { int16_t v; std::memcpy(&v, b, 2); return static_cast<float>(v); }
    case DType::I8: return static_cast<float>(static_cast<int8_t>(b[0]));
    case DType::U8: return static_cast<float>(b[0]);
    case DType::Bool: return b[0] ? 1.f : 0.f;
    }
    return 0.f;
}

// A storage named by a persistent id, and (once loaded) its bytes.
struct StorageRef {
    std::string key;
    const DTypeInfo* type = nullptr;
    int64_t numel = 0;               // as declared in the pickle
    int64_t view_offset = 0;         // legacy view_metadata: elements into the root storage
    int64_t view_size = -1;
};

// Where raw storage bytes come from: the zip's data/<key> entries or the legacy tail.
struct StorageSource {
    virtual ~StorageSource() = default;
    // Bytes of storage `key` (element size `elem`); valid until the next call.
    virtual std::pair<const uint8_t*, size_t> bytes(const StorageRef& ref) = 0;
    bool swap = false;  // stored big-endian
};

//-----------------------------------------------------------------------------
// [SECTION] Tensors: _rebuild_tensor(_v2) calls -> checked strided copies
//-----------------------------------------------------------------------------

class Interpreter {
public:
    Interpreter(const PickleResult& pk, const std::string& name, size_t file_size)
        : pk_(pk), name_(name),
          // Output bound: a state dict cannot describe more elements than twice the file's
          // bytes (+1M for tiny files) unless it abuses stride 0 or shared storages.
          budget_(static_cast<uint64_t>(file_size) * 2 + (1u << 20)) {}

    [[noreturn]] void fail(const std::string& why) const { throw WeightError(name_, why); }

    const PyObj& at(int32_t i) const {
        if (i < 0 || static_cast<size_t>(i) >= pk_.heap.size()) fail("bad pickle reference");
        return pk_.heap[static_cast<size_t>(i)];
    }
    int64_t as_int(int32_t i, const char* what) const {
        const PyObj& o = at(i);
        if (o.kind != PyKind::Int && o.kind != PyKind::Bool) fail(std::string(what) + " is not an integer");
        return o.i;
    }
    std::vector<int64_t> as_ints(int32_t i, const char* what) const {
        const PyObj& o = at(i);
        if (o.kind != PyKind::Tuple && o.kind != PyKind::List) fail(std::string(what) + " is not a tuple");
        if (o.items.size() > 64) fail(std::string(what) + " has too many dimensions");
        std::vector<int64_t> v;
        for (int32_t x : o.items) v.push_back(as_int(x, what));
        return v;
    }

    // ('storage', torch.XStorage, key, location, numel[, view_metadata])
    StorageRef storage(int32_t persistent) const {
        const PyObj& p = at(persistent);
        if (p.kind != PyKind::Persistent) fail("tensor storage is not a persistent id");
        const PyObj& t = at(p.a);
        if (t.kind != PyKind::Tuple || t.items.size() < 5 || t.items.size() > 6)
            fail("malformed storage persistent id");
        const PyObj& tag = at(t.items[0]);
        if (tag.kind != PyKind::Str || tag.s != "storage") fail("persistent id is not a storage");
        const PyObj& ty = at(t.items[1]);
        StorageRef r;
        if (ty.kind != PyKind::Global || !(r.type = storage_type(ty.s))) fail("unsupported storage type");
        const PyObj& key = at(t.items[2]);
        if (key.kind != PyKind::Str) fail("storage key is not a string");
        r.key = key.s;
        r.numel = as_int(t.items[4], "storage numel");
        if (r.numel < 0) fail("negative storage size");
        if (t.items.size() == 6 && at(t.items[5]).kind != PyKind::None) {
            // (view_key, offset, view_size): a view into another storage (old torch).
            const PyObj& vm = at(t.items[5]);
            if (vm.kind != PyKind::Tuple || vm.items.size() != 3) fail("malformed storage view metadata");
            const PyObj& vkey = at(vm.items[0]);
            if (vkey.kind != PyKind::Str) fail("storage view key is not a string");
            r.key = vkey.s;
            r.view_offset = as_int(vm.items[1], "storage view offset");
            r.view_size = as_int(vm.items[2], "storage view size");
            if (r.view_offset < 0 || r.view_size < 0) fail("negative storage view");
        }
        return r;
    }

    // Tensor-valued entries of the state dict, in order, as (name, call index).
    std::vector<std::pair<std::string, int32_t>> entries() const {
        int32_t root = pk_.root;
        const PyObj* d = &at(root);
        // Training checkpoints wrap the state dict: {"state_dict": {...}, "epoch": ...}.
        for (int hop = 0; hop < 2 && d->kind == PyKind::Dict; ++hop) {
            bool any_tensor = false;
            int32_t inner = -1;
            for (size_t k = 0; k + 1 < d->items.size(); k += 2) {
                const PyObj& key = at(d->items[k]);
                const PyObj& val = at(d->items[k + 1]);
                if (val.kind == PyKind::Call) any_tensor = true;
                if (key.kind == PyKind::Str && (key.s == "state_dict" || key.s == "model") && val.kind == PyKind::Dict)
                    inner = d->items[k + 1];
            }
            if (any_tensor || inner < 0) break;
            d = &at(inner);
        }
        if (d->kind != PyKind::Dict) fail("top-level object is not a state dict (OrderedDict/dict)");
        std::vector<std::pair<std::string, int32_t>> out;
        for (size_t k = 0; k + 1 < d->items.size(); k += 2) {
            const PyObj& key = at(d->items[k]);
            const PyObj& val = at(d->items[k + 1]);
            if (key.kind != PyKind::Str) fail("state dict key is not a string");
            if (val.kind != PyKind::Call) continue;  // non-tensor entries (e.g. counters) are skipped
            out.emplace_back(key.s, d->items[k + 1]);
        }
        if (out.empty()) fail("state dict holds no tensors");
        return out;
    }

    // Storages referenced by all tensors, by key (the legacy tail needs their dtypes).
    std::map<std::string, StorageRef> storages() const {
        std::map<std::string, StorageRef> m;
        for (auto& e : entries()) {
            int32_t call = unwrap(e.second);
            StorageRef r = storage(at(at(call).b).items.at(0));
            auto it = m.find(r.key);
            if (it != m.end() && it->second.type != r.type) fail("storage '" + r.key + "' used with two dtypes");
            if (it == m.end() || it->second.numel < r.numel) m[r.key] = r;
        }
        return m;
    }

    // _rebuild_parameter(tensor, requires_grad, hooks) -> the tensor call; checks the callee.
    int32_t unwrap(int32_t call) const {
        for (int hop = 0; hop < 2; ++hop) {
            const PyObj& c = at(call);
            if (c.kind != PyKind::Call) fail("state dict value is not a tensor");
            const std::string& f = at(c.a).s;
            const PyObj& args = at(c.b);
            if (f == "torch._utils._rebuild_parameter") {
                if (args.items.empty()) fail("_rebuild_parameter without arguments");
                call = args.items[0];
                continue;
            }
            if (f == "torch._utils._rebuild_tensor_v2" || f == "torch._utils._rebuild_tensor") {
                if (args.items.size() < 4) fail("_rebuild_tensor with too few arguments");
                return call;
            }
            fail("state dict value is a call to " + f + ", not a tensor");
        }
        fail("nested parameters");
    }

    Tensor tensor(const std::string& key, int32_t value, StorageSource& src) {
        int32_t call = unwrap(value);
        const PyObj& args = at(at(call).b);
        StorageRef ref = storage(args.items[0]);
        int64_t offset = as_int(args.items[1], "storage offset");
        std::vector<int64_t> size = as_ints(args.items[2], "tensor size");
        std::vector<int64_t> stride = as_ints(args.items[3], "tensor stride");
        if (size.size() != stride.size()) fail("tensor '" + key + "': size and stride ranks differ");
        if (offset < 0) fail("tensor '" + key + "': negative storage offset");

        auto [raw, nbytes] = src.bytes(ref);
        const size_t es = ref.type->size;
        uint64_t avail = nbytes / es;
        // A legacy view narrows the root storage.
        uint64_t base = 0;
        if (ref.view_size >= 0) {
            if (static_cast<uint64_t>(ref.view_offset) > avail ||
                static_cast<uint64_t>(ref.view_size) > avail - static_cast<uint64_t>(ref.view_offset))
                fail("tensor '" + key + "': storage view out of range");
            base = static_cast<uint64_t>(ref.view_offset);
            avail = static_cast<uint64_t>(ref.view_size);
        }

        // numel and the largest element index, with overflow checks.
        uint64_t numel = 1, last = static_cast<uint64_t>(offset);
        for (size_t d = 0; d < size.size(); ++d) {
            if (size[d] < 0 || stride[d] < 0) fail("tensor '" + key + "': negative size or stride");
            if (size[d] == 0) { numel = 0; break; }
            if (numel > budget_ / static_cast<uint64_t>(size[d]))
                fail("tensor '" + key + "': declared size exceeds what the file can hold");
            numel *= static_cast<uint64_t>(size[d]);
            uint64_t span = static_cast<uint64_t>(size[d] - 1);
            if (stride[d] != 0 && span > (std::numeric_limits<uint64_t>::max() / 2 - last) / static_cast<uint64_t>(stride[d]))
                fail("tensor '" + key + "': stride overflows");
            last += span * static_cast<uint64_t>(stride[d]);
        }
        if (numel > budget_) fail("tensor '" + key + "': declared size exceeds what the file can hold");
        if (numel > 0 && last >= avail)
            fail("tensor '" + key + "': reads past the end of its storage (needs element " +
                 std::to_string(last) + ", storage has " + std::to_string(avail) + ")");
        budget_ -= numel;

        Tensor t;
        t.shape = size;
        t.data.resize(static_cast<size_t>(numel));
        if (numel == 0) return t;
        const uint8_t* p = raw + base * es;
        // Walk the strided index (row-major over `size`).
        const size_t nd = size.size();
        std::vector<int64_t> idx(nd, 0);
        uint64_t src_i = static_cast<uint64_t>(offset);
        const bool fast32 = ref.type->dtype == DType::F32 && !src.swap;
        for (uint64_t k = 0; k < numel; ++k) {
            t.data[k] = fast32 ? [&] { float v; std::memcpy(&v, p + src_i * 4, 4); return v; }()
                               : load(p, src_i, *ref.type, src.swap);
            for (size_t d = nd; d-- > 0;) {
                src_i += static_cast<uint64_t>(stride[d]);
                if (++idx[d] < size[d]) break;
                src_i -= static_cast<uint64_t>(stride[d]) * static_cast<uint64_t>(size[d]);
                idx[d] = 0;
            }
        }
        return t;
    }

    WeightMap run(StorageSource& src) {
        WeightMap out;
        for (auto& e : entries()) out.add(e.first, tensor(e.first, e.second, src));
        return out;
    }

private:
    const PickleResult& pk_;
    const std::string& name_;
    uint64_t budget_;
};

//-----------------------------------------------------------------------------
// [SECTION] Zip: libzip over the in-memory file
//-----------------------------------------------------------------------------

struct ZipCloser { void operator()(zip_t* z) const { if (z) zip_discard(z); } };
struct ZipFileCloser { void operator()(zip_file_t* f) const { if (f) zip_fclose(f); } };

class ZipArchive {
public:
    // From memory (data != nullptr) or straight from the file at `name` (no whole-file copy).
    ZipArchive(const uint8_t* data, size_t size, const std::string& name) : name_(name), size_(size) {
        zip_error_t err;
        zip_error_init(&err);
        zip_source_t* src = data ? zip_source_buffer_create(data, size, 0, &err)
                                 : zip_source_file_create(name.c_str(), 0, -1, &err);
        if (!src) fail("cannot open zip archive: " + std::string(zip_error_strerror(&err)));
        zip_.reset(zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &err));
        if (!zip_) {
            std::string why = zip_error_strerror(&err);
            zip_source_free(src);
            zip_error_fini(&err);
            fail("not a valid zip archive (" + why + ")");
        }
        zip_error_fini(&err);
    }
    [[noreturn]] void fail(const std::string& why) const { throw WeightError(name_, why); }

    std::vector<std::string> names() const {
        std::vector<std::string> v;
        zip_int64_t n = zip_get_num_entries(zip_.get(), 0);
        for (zip_int64_t i = 0; i < n; ++i) {
            const char* s = zip_get_name(zip_.get(), static_cast<zip_uint64_t>(i), 0);
            v.push_back(s ? s : "");
        }
        return v;
    }
    bool has(const std::string& entry) const { return zip_name_locate(zip_.get(), entry.c_str(), 0) >= 0; }

    // Whole entry; its declared size is checked against the archive before allocating.
    std::vector<uint8_t> read(const std::string& entry) const {
        zip_int64_t idx = zip_name_locate(zip_.get(), entry.c_str(), 0);
        if (idx < 0) fail("zip entry '" + entry + "' is missing");
        zip_stat_t st;
        zip_stat_init(&st);
        if (zip_stat_index(zip_.get(), static_cast<zip_uint64_t>(idx), 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE))
            fail("cannot stat zip entry '" + entry + "'");
        // torch stores entries uncompressed; allow deflate, but not a bomb.
        const uint64_t limit = static_cast<uint64_t>(size_) * 4 + (1u << 20);
        if (st.size > limit)
            fail("zip entry '" + entry + "' declares " + std::to_string(st.size) + " bytes, more than the file can hold");
        std::unique_ptr<zip_file_t, ZipFileCloser> f(zip_fopen_index(zip_.get(), static_cast<zip_uint64_t>(idx), 0));
        if (!f) fail("cannot open zip entry '" + entry + "': " + zip_strerror(zip_.get()));
        std::vector<uint8_t> buf(static_cast<size_t>(st.size));
        zip_uint64_t got = 0;
        while (got < st.size) {
            zip_int64_t r = zip_fread(f.get(), buf.data() + got, st.size - got);
            if (r < 0) fail("cannot read zip entry '" + entry + "': " + zip_file_strerror(f.get()));
            if (r == 0) break;
            got += static_cast<zip_uint64_t>(r);
        }
        if (got != st.size) fail("zip entry '" + entry + "' is truncated");
        return buf;
    }

private:
    std::unique_ptr<zip_t, ZipCloser> zip_;
    const std::string& name_;
    size_t size_;
};

class ZipStorages : public StorageSource {
public:
    ZipStorages(const ZipArchive& z, std::string prefix) : z_(z), prefix_(std::move(prefix)) {}
    std::pair<const uint8_t*, size_t> bytes(const StorageRef& ref) override {
        if (ref.key != key_) {  // tensors usually each own a storage: keep just one
            buf_ = z_.read(prefix_ + "data/" + ref.key);
            key_ = ref.key;
        }
        return {buf_.data(), buf_.size()};
    }
private:
    const ZipArchive& z_;
    std::string prefix_, key_;
    std::vector<uint8_t> buf_;
};

WeightMap read_zip(const uint8_t* data, size_t size, const std::string& name) {
    ZipArchive z(data, size, name);
    std::string pkl;
    for (auto& n : z.names()) {
        const std::string suffix = "data.pkl";
        if (n.size() >= suffix.size() && n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0 &&
            (n.size() == suffix.size() || n[n.size() - suffix.size() - 1] == '/')) {
            if (!pkl.empty()) z.fail("zip holds more than one data.pkl");
            pkl = n;
        }
    }
    if (pkl.empty()) z.fail("zip archive has no data.pkl (not a torch.save file)");
    std::string prefix = pkl.substr(0, pkl.size() - 8);
    ZipStorages src(z, prefix);
    if (z.has(prefix + "byteorder")) {
        auto bo = z.read(prefix + "byteorder");
        std::string s(bo.begin(), bo.end());
        if (s == "big") src.swap = true;
        else if (s != "little") z.fail("unknown byteorder '" + s.substr(0, 16) + "'");
    }
    std::vector<uint8_t> pbytes = z.read(pkl);
    PickleResult pk = unpickle(pbytes.data(), pbytes.size(), name + ":" + pkl, allowed_global);
    Interpreter in(pk, name, size);
    return in.run(src);
}

//-----------------------------------------------------------------------------
// [SECTION] Legacy: the chain of pickles + raw storages
//-----------------------------------------------------------------------------

class LegacyStorages : public StorageSource {
public:
    std::map<std::string, std::pair<const uint8_t*, size_t>> spans;
    std::pair<const uint8_t*, size_t> bytes(const StorageRef& ref) override {
        auto it = spans.find(ref.key);
        if (it == spans.end()) throw WeightError(name, "storage '" + ref.key + "' has no data");
        return it->second;
    }
    std::string name;
};

WeightMap read_legacy(const uint8_t* data, size_t size, const std::string& name) {
    auto none = [](const std::string&) { return false; };
    size_t pos = 0;
    auto next = [&](const std::function<bool(const std::string&)>& allow) {
        PickleResult r = unpickle(data + pos, size - pos, name, allow, pos);
        pos += r.end;
        return r;
    };
    // 1. magic number 0x1950a86a20f9469cfc6c (a LONG1 of 10 bytes)
    {
        PickleResult m = next(none);
        const PyObj& o = m.at(m.root);
        static const uint8_t kMagic[10] = {0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};
        if (o.kind != PyKind::BigInt || o.s.size() != 10 || std::memcmp(o.s.data(), kMagic, 10) != 0)
            throw WeightError(name, "not a torch.save file (bad legacy magic number)");
    }
    // 2. protocol version 1001
    {
        PickleResult m = next(none);
        const PyObj& o = m.at(m.root);
        if (o.kind != PyKind::Int || o.i != 1001)
            throw WeightError(name, "unsupported legacy protocol version");
    }
    // 3. sys_info: {'protocol_version', 'little_endian', 'type_sizes'}
    bool little = true;
    {
        PickleResult m = next(none);
        const PyObj& o = m.at(m.root);
        if (o.kind != PyKind::Dict) throw WeightError(name, "malformed legacy sys_info");
        for (size_t k = 0; k + 1 < o.items.size(); k += 2) {
            const PyObj& key = m.at(o.items[k]);
            const PyObj& v = m.at(o.items[k + 1]);
            if (key.kind == PyKind::Str && key.s == "little_endian") little = v.kind == PyKind::Bool && v.i;
        }
    }
    // 4. the state dict
    PickleResult pk = next(allowed_global);
    Interpreter in(pk, name, size);
    std::map<std::string, StorageRef> refs = in.storages();
    // 5. storage keys, then per key: int64 element count + raw data
    PickleResult keys = next(none);
    const PyObj& kl = keys.at(keys.root);
    if (kl.kind != PyKind::List) throw WeightError(name, "legacy storage key list is not a list");
    LegacyStorages src;
    src.name = name;
    src.swap = !little;
    for (int32_t ki : kl.items) {
        const PyObj& k = keys.at(ki);
        if (k.kind != PyKind::Str) throw WeightError(name, "legacy storage key is not a string");
        auto it = refs.find(k.s);
        if (it == refs.end()) throw WeightError(name, "legacy storage '" + k.s + "' is not used by any tensor");
        if (size - pos < 8) throw WeightError(name, "truncated: storage '" + k.s + "' header past the end of the file");
        uint64_t count = 0;
        for (int b = 7; b >= 0; --b) count = (count << 8) | data[pos + static_cast<size_t>(b)];
        if (!little) {  // the count is written in the saving machine's order too
            uint64_t c = 0;
            for (int b = 0; b < 8; ++b) c = (c << 8) | data[pos + static_cast<size_t>(b)];
            count = c;
        }
        pos += 8;
        const size_t es = it->second.type->size;
        if (count > (size - pos) / es)
            throw WeightError(name, "truncated: storage '" + k.s + "' declares " + std::to_string(count) +
                                        " elements, more than the rest of the file");
        src.spans[k.s] = {data + pos, static_cast<size_t>(count) * es};
        pos += static_cast<size_t>(count) * es;
    }
    return in.run(src);
}

}  // namespace

//-----------------------------------------------------------------------------
// [SECTION] Entry: read_pth / read_pth_bytes
//-----------------------------------------------------------------------------

PthFormat detect_pth_format(const uint8_t* data, size_t size, const std::string& name) {
    if (size >= 4 && data[0] == 'P' && data[1] == 'K' && data[2] == 3 && data[3] == 4) return PthFormat::Zip;
    if (size >= 2 && data[0] == 0x80 && data[1] >= 2 && data[1] <= 5) return PthFormat::Legacy;
    throw WeightError(name, size == 0 ? "empty file" : "not a torch .pth file (neither a zip archive nor a pickle)");
}

namespace {
// Any failure below the readers becomes a one-line WeightError.
template <typename F>
WeightMap guarded(const std::string& name, F&& read) {
    try {
        return read();
    } catch (const WeightError&) {
        throw;
    } catch (const std::bad_alloc&) {
        throw WeightError(name, "out of memory while reading");
    } catch (const std::exception& e) {  // e.g. std::out_of_range from a malformed structure
        throw WeightError(name, std::string("malformed file (") + e.what() + ")");
    }
}
}  // namespace

WeightMap read_pth_bytes(const uint8_t* data, size_t size, const std::string& name) {
    return guarded(name, [&] {
        return detect_pth_format(data, size, name) == PthFormat::Zip ? read_zip(data, size, name)
                                                                     : read_legacy(data, size, name);
    });
}

WeightMap read_pth(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw WeightError(path, "cannot open file");
    f.seekg(0, std::ios::end);
    std::streamoff len = f.tellg();
    if (len < 0) throw WeightError(path, "cannot read file");
    f.seekg(0);
    uint8_t head[4] = {0, 0, 0, 0};
    f.read(reinterpret_cast<char*>(head), std::min<std::streamoff>(len, 4));
    // A zip is read entry by entry from the file: peak memory is the output plus one storage.
    if (detect_pth_format(head, static_cast<size_t>(std::min<std::streamoff>(len, 4)), path) == PthFormat::Zip &&
        len >= 4) {
        return guarded(path, [&] { return read_zip(nullptr, static_cast<size_t>(len), path); });
    }
    f.seekg(0);
    std::vector<uint8_t> buf(static_cast<size_t>(len));
    if (len > 0 && !f.read(reinterpret_cast<char*>(buf.data()), len)) throw WeightError(path, "cannot read file");
    return read_pth_bytes(buf.data(), buf.size(), path);
}

}  // namespace catdog::weights
