// weights/pth_reader.cpp - torchvision .pth (zip and legacy) -> WeightMap.
//
// Index of this file:
// [SECTION] Storages: dtypes, where each storage's bytes live, float conversion
// [SECTION] Tensors: _rebuild_tensor(_v2) calls -> checked strided copies
// [SECTION] Zip: libzip over the in-memory file
// [SECTION] Legacy: the chain of pickles + raw storages
// [SECTION] Entry: read_pth / read_pth_bytes
#include "weights/pth_reader.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <list>
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
           g == "torch.jit._pickle.restore_type_tag" ||  // LibTorch's checkpoints (nets::save_model)
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

    // A tensor's elements, checked against its storage: element (i0, i1, ...) is at
    // base + (offset + sum i_d * stride_d) * type->size.
    struct Located {
        std::vector<int64_t> size, stride;
        uint64_t offset = 0, numel = 0;
        const uint8_t* base = nullptr;
        const DTypeInfo* type = nullptr;
        bool contiguous() const {  // row-major, dense (strides of size-1 dims do not matter)
            int64_t want = 1;
            for (size_t d = size.size(); d-- > 0;) {
                if (size[d] != 1 && stride[d] != want) return false;
                want *= size[d];
            }
            return true;
        }
    };

    Located locate(const std::string& key, int32_t value, StorageSource& src) {
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
        return Located{size, stride, static_cast<uint64_t>(offset), numel, raw + base * es, ref.type};
    }

    Tensor tensor(const std::string& key, int32_t value, StorageSource& src) {
        const Located l = locate(key, value, src);
        const std::vector<int64_t>& size = l.size;
        const std::vector<int64_t>& stride = l.stride;
        const uint64_t numel = l.numel;
        Tensor t;
        t.shape = size;
        t.data.resize(static_cast<size_t>(numel));
        if (numel == 0) return t;
        const uint8_t* p = l.base;
        // Walk the strided index (row-major over `size`).
        const size_t nd = size.size();
        std::vector<int64_t> idx(nd, 0);
        uint64_t src_i = l.offset;
        const bool fast32 = l.type->dtype == DType::F32 && !src.swap;
        for (uint64_t k = 0; k < numel; ++k) {
            t.data[k] = fast32 ? [&] { float v; std::memcpy(&v, p + src_i * 4, 4); return v; }()
                               : load(p, src_i, *l.type, src.swap);
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

    // Tensors that are float32, little-endian, contiguous and 64-byte aligned in `src` point
    // into it; the others are converted into `copies`.
    std::vector<RawTensor> views(StorageSource& src, std::list<std::vector<float>>& copies, size_t& in_place) {
        std::vector<RawTensor> out;
        in_place = 0;
        for (auto& e : entries()) {
            const Located l = locate(e.first, e.second, src);
            const uint8_t* first = l.base + l.offset * l.type->size;
            if (l.type->dtype == DType::F32 && !src.swap && l.contiguous() && l.numel > 0 &&
                reinterpret_cast<uintptr_t>(first) % 64 == 0) {
                out.push_back({e.first, l.size, reinterpret_cast<const float*>(first)});
                ++in_place;
            } else {
                copies.push_back(tensor(e.first, e.second, src).data);
                out.push_back({e.first, l.size, copies.back().data()});
            }
        }
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
    size_t size_of(const std::string& entry) const {  // uncompressed size, as libzip read it
        zip_stat_t st;
        zip_stat_init(&st);
        if (zip_stat(zip_.get(), entry.c_str(), 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE))
            fail("cannot stat zip entry '" + entry + "'");
        return static_cast<size_t>(st.size);
    }

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

// Where each stored (uncompressed) entry's bytes begin in the file, by name. libzip checks the
// archive (ZIP_CHECKCONS) but does not say where an entry's data lies, so the central directory
// is walked here: its records give each local header's offset (zip64 extra field included),
// and the local header's name and extra lengths give the data offset. Every field is checked
// against the file; an entry that does not check out is left out (and then read by libzip).
struct StoredSpan { uint64_t offset, size; };
std::map<std::string, StoredSpan> stored_entry_offsets(const uint8_t* d, size_t n) {
    auto u16 = [&](uint64_t at) -> uint32_t { return at + 2 <= n ? uint32_t(d[at] | d[at + 1] << 8) : 0xFFFFFFFFu; };
    auto u32 = [&](uint64_t at) -> uint64_t {
        return at + 4 <= n ? uint64_t(d[at]) | uint64_t(d[at + 1]) << 8 | uint64_t(d[at + 2]) << 16 | uint64_t(d[at + 3]) << 24
                           : UINT64_MAX;
    };
    auto u64 = [&](uint64_t at) -> uint64_t {
        return at + 8 <= n ? u32(at) | u32(at + 4) << 32 : UINT64_MAX;
    };
    std::map<std::string, StoredSpan> out;
    if (n < 22) return out;
    // End of central directory: the last "PK\5\6" within the final 64 KiB + 22 bytes.
    uint64_t eocd = UINT64_MAX;
    for (uint64_t at = n - 22;; --at) {
        if (u32(at) == 0x06054b50) { eocd = at; break; }
        if (at == 0 || n - at > 65557) break;
    }
    if (eocd == UINT64_MAX) return out;
    uint64_t entries = u16(eocd + 10), cd = u32(eocd + 16);
    if (entries == 0xFFFF || cd == 0xFFFFFFFFu) {  // zip64: the locator sits just before
        if (eocd < 20 || u32(eocd - 20) != 0x07064b50) return out;
        const uint64_t e64 = u64(eocd - 20 + 8);
        if (e64 > n || u32(e64) != 0x06064b50) return out;
        entries = u64(e64 + 32);
        cd = u64(e64 + 48);
    }
    uint64_t at = cd;
    for (uint64_t k = 0; k < entries && at < n; ++k) {
        if (u32(at) != 0x02014b50) return {};
        const uint32_t method = u16(at + 10), nlen = u16(at + 28), elen = u16(at + 30), clen = u16(at + 32);
        uint64_t comp = u32(at + 20), size = u32(at + 24), lho = u32(at + 42);
        if (at + 46 + nlen + elen + clen > n) return {};
        const std::string name(reinterpret_cast<const char*>(d + at + 46), nlen);
        for (uint64_t x = at + 46 + nlen; x + 4 <= at + 46 + nlen + elen;) {  // zip64 extra: 0x0001
            const uint32_t id = u16(x), len = u16(x + 2);
            if (id == 1) {
                uint64_t f = x + 4;
                if (size == 0xFFFFFFFFu) size = u64(f), f += 8;
                if (comp == 0xFFFFFFFFu) comp = u64(f), f += 8;
                if (lho == 0xFFFFFFFFu) lho = u64(f);
            }
            x += 4 + len;
        }
        at += 46 + nlen + elen + clen;
        if (method != 0 || comp != size || lho > n || u32(lho) != 0x04034b50) continue;
        const uint64_t data = lho + 30 + u16(lho + 26) + u16(lho + 28);
        if (data > n || size > n - data) continue;
        out[name] = {data, size};
    }
    return out;
}

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

// Storages that point into the mapped file when stored in place, else read by libzip into
// buffers that live as long as the result.
class MappedZipStorages : public StorageSource {
public:
    MappedZipStorages(const ZipArchive& z, std::string prefix, const uint8_t* data, size_t size,
                      std::list<std::vector<uint8_t>>& keep)
        : z_(z), prefix_(std::move(prefix)), data_(data), offsets_(stored_entry_offsets(data, size)), keep_(keep) {}
    std::pair<const uint8_t*, size_t> bytes(const StorageRef& ref) override {
        const std::string entry = prefix_ + "data/" + ref.key;
        auto it = offsets_.find(entry);
        if (it != offsets_.end() && z_.size_of(entry) == it->second.size)  // libzip agrees
            return {data_ + it->second.offset, static_cast<size_t>(it->second.size)};
        keep_.push_back(z_.read(entry));
        return {keep_.back().data(), keep_.back().size()};
    }
private:
    const ZipArchive& z_;
    std::string prefix_;
    const uint8_t* data_;
    std::map<std::string, StoredSpan> offsets_;
    std::list<std::vector<uint8_t>>& keep_;
};

// The zip's data.pkl entry ("<prefix>data.pkl"); its prefix names the storages' folder.
std::string find_data_pkl(const ZipArchive& z) {
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
    return pkl;
}

bool big_endian_storages(const ZipArchive& z, const std::string& prefix) {
    if (!z.has(prefix + "byteorder")) return false;
    auto bo = z.read(prefix + "byteorder");
    std::string s(bo.begin(), bo.end());
    if (s != "big" && s != "little") z.fail("unknown byteorder '" + s.substr(0, 16) + "'");
    return s == "big";
}

WeightMap read_zip(const uint8_t* data, size_t size, const std::string& name) {
    ZipArchive z(data, size, name);
    const std::string pkl = find_data_pkl(z);
    const std::string prefix = pkl.substr(0, pkl.size() - 8);
    ZipStorages src(z, prefix);
    src.swap = big_endian_storages(z, prefix);
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

// Parses the chain, then hands the state dict's interpreter and the storages to `finish`.
template <typename Finish>
auto read_legacy_with(const uint8_t* data, size_t size, const std::string& name, Finish&& finish) {
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
    return finish(in, src);
}

WeightMap read_legacy(const uint8_t* data, size_t size, const std::string& name) {
    return read_legacy_with(data, size, name, [](Interpreter& in, StorageSource& src) { return in.run(src); });
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

const RawTensor* MappedWeights::find(const std::string& name) const {
    for (const RawTensor& t : tensors)
        if (t.name == name) return &t;
    return nullptr;
}

MappedWeights map_pth(const std::string& path) {
    // What the result keeps alive: the mapping, and whatever had to be read or converted.
    struct Held {
        void* base = MAP_FAILED;
        size_t len = 0;
        std::list<std::vector<uint8_t>> buffers;
        std::list<std::vector<float>> copies;
        ~Held() { if (base != MAP_FAILED) ::munmap(base, len); }
    };
    auto held = std::make_shared<Held>();
    {
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) throw WeightError(path, std::string("cannot open (") + std::strerror(errno) + ")");
        struct stat st {};
        if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
            ::close(fd);
            throw WeightError(path, "cannot read (not a regular file)");
        }
        held->len = static_cast<size_t>(st.st_size);
        if (held->len == 0) {
            ::close(fd);
            throw WeightError(path, "empty file");
        }
        // Private and writable: a trainer may update the tensors in place (copy-on-write pages);
        // the file never changes.
        held->base = ::mmap(nullptr, held->len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
        const int err = errno;
        ::close(fd);
        if (held->base == MAP_FAILED) throw WeightError(path, std::string("cannot map (") + std::strerror(err) + ")");
    }
    const uint8_t* data = static_cast<const uint8_t*>(held->base);
    const size_t size = held->len;
    MappedWeights out;
    guarded(path, [&] {
        if (detect_pth_format(data, size, path) == PthFormat::Zip) {
            ZipArchive z(data, size, path);
            const std::string pkl = find_data_pkl(z);
            const std::string prefix = pkl.substr(0, pkl.size() - 8);
            MappedZipStorages src(z, prefix, data, size, held->buffers);
            src.swap = big_endian_storages(z, prefix);
            std::vector<uint8_t> pbytes = z.read(pkl);
            PickleResult pk = unpickle(pbytes.data(), pbytes.size(), path + ":" + pkl, allowed_global);
            Interpreter in(pk, path, size);
            out.tensors = in.views(src, held->copies, out.in_place);
        } else {
            out.tensors = read_legacy_with(data, size, path, [&](Interpreter& in, StorageSource& src) {
                return in.views(src, held->copies, out.in_place);
            });
        }
        return WeightMap{};
    });
    out.memory = held;
    return out;
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
