// weights/f32_sidecar.cpp - the <ckpt>.f32 sidecar: write, and map (format in the header).
#include "weights/f32_sidecar.h"

#include <cerrno>

#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <stdexcept>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include "catdog/files.h"

namespace catdog::weights {
namespace {

constexpr char kMagic[16] = "CATDOG-F32-v1\n";
constexpr uint64_t kAlign = 64;

bool stat_file(const std::string& path, uint64_t& bytes, int64_t& mtime_ns) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return false;
    bytes = (uint64_t)st.st_size;
    mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
    return true;
}

// Unmaps when the last tensor that uses the mapping goes.
struct Mapping {
    void* addr = MAP_FAILED;
    size_t size = 0;
    ~Mapping() {
        if (addr != MAP_FAILED) ::munmap(addr, size);
    }
};

}  // namespace

std::string f32_sidecar_path(const std::string& ckpt_path) { return ckpt_path + ".f32"; }

void write_f32_sidecar(const std::string& ckpt_path, const std::vector<RawTensor>& tensors) {
    uint64_t ckpt_bytes = 0;
    int64_t mtime = 0;
    if (!stat_file(ckpt_path, ckpt_bytes, mtime)) throw std::runtime_error(ckpt_path + ": cannot stat");
    // Offsets are relative to the data start first; the header size is known after.
    uint64_t off = 0;
    std::vector<uint64_t> rel, bytes;
    for (const RawTensor& t : tensors) {
        uint64_t n = 1;
        for (int64_t d : t.shape) n *= (uint64_t)d;
        rel.push_back(off);
        bytes.push_back(n * sizeof(float));
        off += (n * sizeof(float) + kAlign - 1) / kAlign * kAlign;
    }
    // A few passes: the header's length depends on the absolute offsets it lists.
    std::string header;
    uint64_t base = 0;
    for (int pass = 0; pass < 3; ++pass) {
        nlohmann::json list = nlohmann::json::array();
        for (size_t i = 0; i < tensors.size(); ++i) list.push_back({tensors[i].name, tensors[i].shape, base + rel[i]});
        header = nlohmann::json{{"ckpt_bytes", ckpt_bytes}, {"ckpt_mtime_ns", mtime}, {"tensors", list}}.dump();
        const uint64_t need = (16 + 8 + header.size() + kAlign - 1) / kAlign * kAlign;
        if (need == base) break;
        base = need;
    }
    // Streamed (hundreds of MB): written to the temporary here, committed by the core.
    const std::string path = f32_sidecar_path(ckpt_path), tmp = temp_path_for(path);
    {
        std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
        if (!f) throw FileError(path, std::string("cannot write (") + std::strerror(errno) + ")");
        const uint64_t hlen = header.size();
        unsigned char len[8];
        for (int i = 0; i < 8; ++i) len[i] = (unsigned char)(hlen >> (8 * i));
        f.write(kMagic, 16);
        f.write(reinterpret_cast<const char*>(len), 8);
        f.write(header.data(), (std::streamsize)header.size());
        uint64_t pos = 16 + 8 + header.size();
        static const char zeros[kAlign] = {};
        for (size_t i = 0; i < tensors.size(); ++i) {
            const uint64_t at = base + rel[i];
            f.write(zeros, (std::streamsize)(at - pos));
            f.write(reinterpret_cast<const char*>(tensors[i].data), (std::streamsize)bytes[i]);
            pos = at + bytes[i];
        }
        f.flush();
        if (!f) {
            const int err = errno;
            f.close();
            std::remove(tmp.c_str());
            throw FileError(path, std::string("cannot write (") + std::strerror(err ? err : EIO) + ")");
        }
    }
    commit_file(tmp, path);
}

bool open_f32_sidecar(const std::string& ckpt_path, F32Sidecar& out) {
    const std::string path = f32_sidecar_path(ckpt_path);
    uint64_t ckpt_bytes = 0, file_bytes = 0;
    int64_t ckpt_mtime = 0, unused = 0;
    if (!stat_file(ckpt_path, ckpt_bytes, ckpt_mtime) || !stat_file(path, file_bytes, unused)) return false;
    if (file_bytes < 24) return false;
    const int fd = ::open(path.c_str(), O_RDONLY);
    if (fd < 0) return false;
    auto map = std::make_shared<Mapping>();
    map->size = (size_t)file_bytes;
    // Copy-on-write: a later in-place update of a parameter never reaches the file.
    map->addr = ::mmap(nullptr, map->size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    ::close(fd);
    if (map->addr == MAP_FAILED) return false;
    const char* base = static_cast<const char*>(map->addr);
    if (std::memcmp(base, kMagic, 16) != 0) return false;
    uint64_t hlen = 0;
    for (int i = 0; i < 8; ++i) hlen |= (uint64_t)(unsigned char)base[16 + i] << (8 * i);
    if (hlen > file_bytes - 24) return false;
    F32Sidecar got;
    try {
        const auto h = nlohmann::json::parse(base + 24, base + 24 + hlen);
        if (h.at("ckpt_bytes").get<uint64_t>() != ckpt_bytes || h.at("ckpt_mtime_ns").get<int64_t>() != ckpt_mtime)
            return false;  // model.ckpt was replaced after the sidecar was written
        for (const auto& e : h.at("tensors")) {
            RawTensor t;
            t.name = e.at(0).get<std::string>();
            t.shape = e.at(1).get<std::vector<int64_t>>();
            const uint64_t off = e.at(2).get<uint64_t>();
            uint64_t n = 1;
            for (int64_t d : t.shape) {
                if (d < 0) return false;
                n *= (uint64_t)d;
            }
            if (off % alignof(float) != 0 || off > file_bytes || n * sizeof(float) > file_bytes - off) return false;
            t.data = reinterpret_cast<const float*>(base + off);
            got.tensors.push_back(std::move(t));
        }
    } catch (const std::exception&) {
        return false;
    }
    got.mapping = map;
    out = std::move(got);
    return true;
}

}  // namespace catdog::weights
