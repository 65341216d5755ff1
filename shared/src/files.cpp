// files.cpp - one reader and one atomic writer for every file catdog touches (catdog/files.h).
#include "catdog/files.h"

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;

namespace catdog {

namespace {

[[noreturn]] void fail(const std::string& path, const char* what, int err) {
    throw FileError(path, std::string(what) + " (" + std::strerror(err) + ")");
}

// Closes on every path out, so that a throw never leaks the descriptor.
struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

std::string folder_of(const std::string& path) {
    const fs::path parent = fs::path(path).parent_path();
    return parent.empty() ? "." : parent.string();
}

void fsync_dir(const std::string& dir) {
    Fd d{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
    if (d.fd >= 0) ::fsync(d.fd);  // best effort: some file systems refuse a folder fsync
}

}  // namespace

//-----------------------------------------------------------------------------
// [SECTION] Reading
//-----------------------------------------------------------------------------

template <class Buffer>
Buffer read_file(const std::string& path) {
    Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
    if (f.fd < 0) fail(path, "cannot open", errno);
    struct stat st {};
    if (::fstat(f.fd, &st) != 0) fail(path, "cannot read", errno);
    if (S_ISDIR(st.st_mode)) fail(path, "cannot read", EISDIR);
    // One spare byte past the size fstat gives: the read that sees the end needs no growth, and
    // a file that grows (or a pipe, size 0) still reads whole.
    Buffer out;
    out.resize(static_cast<size_t>(st.st_size > 0 ? st.st_size : 0) + 1);
    size_t got = 0;
    for (;;) {
        if (got == out.size()) out.resize(got * 2);
        const ssize_t n = ::read(f.fd, reinterpret_cast<char*>(&out[0]) + got, out.size() - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail(path, "cannot read", errno);
        if (n == 0) break;
        got += static_cast<size_t>(n);
    }
    out.resize(got);
    return out;
}

template std::string read_file<std::string>(const std::string&);
template std::vector<char> read_file<std::vector<char>>(const std::string&);
template std::vector<uint8_t> read_file<std::vector<uint8_t>>(const std::string&);

//-----------------------------------------------------------------------------
// [SECTION] Writing whole-or-nothing
//-----------------------------------------------------------------------------

std::string temp_path_for(const std::string& path) {
    // Hidden, beside the target (rename is atomic only within one file system), one per process.
    const fs::path p(path);
    return (fs::path(folder_of(path)) / ("." + p.filename().string() + ".tmp." + std::to_string(::getpid())))
        .string();
}

void commit_file(const std::string& tmp, const std::string& path) {
    int err = 0;
    {
        Fd f{::open(tmp.c_str(), O_WRONLY | O_CLOEXEC)};
        if (f.fd < 0 || ::fsync(f.fd) != 0) err = errno;
    }
    if (err == 0 && ::rename(tmp.c_str(), path.c_str()) != 0) err = errno;
    if (err != 0) {
        ::unlink(tmp.c_str());
        fail(path, "cannot write", err);
    }
    fsync_dir(folder_of(path));
}

void write_file_atomic(const std::string& path, const void* data, size_t size) {
    const std::string tmp = temp_path_for(path);
    int err = 0;
    {
        Fd f{::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)};
        if (f.fd < 0) fail(path, "cannot write", errno);
        const char* p = static_cast<const char*>(data);
        size_t left = size;
        while (left > 0 && err == 0) {
            const ssize_t n = ::write(f.fd, p, left);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) err = errno;
            else {
                p += n;
                left -= static_cast<size_t>(n);
            }
        }
        if (err == 0 && ::fsync(f.fd) != 0) err = errno;
        if (err == 0 && ::close(f.fd) != 0) err = errno;
        f.fd = -1;
    }
    if (err == 0 && ::rename(tmp.c_str(), path.c_str()) != 0) err = errno;
    if (err != 0) {
        ::unlink(tmp.c_str());
        fail(path, "cannot write", err);
    }
    fsync_dir(folder_of(path));
}

void ensure_writable_dir(const std::string& dir) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw FileError(dir, "cannot create the output folder (" + ec.message() + ")");
    const std::string probe = (fs::path(dir) / (".write-test." + std::to_string(::getpid()))).string();
    Fd f{::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)};
    if (f.fd < 0) fail(dir, "cannot write", errno);
    ::unlink(probe.c_str());
}

}  // namespace catdog
