// train/atomic_write.cpp - temp file + fsync + rename, with errors that name the path.
#include "train/atomic_write.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <unistd.h>

namespace fs = std::filesystem;

namespace catdog::train {

namespace {

[[noreturn]] void fail(const std::string& path, int err) {
    throw std::runtime_error(path + ": cannot write (" + std::strerror(err) + ")");
}

void fsync_dir(const std::string& dir) {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
    }
}

}  // namespace

void write_file_atomic(const std::string& path, const std::string& bytes) {
    fs::path p(path);
    std::string dir = p.parent_path().empty() ? "." : p.parent_path().string();
    std::string tmp = (fs::path(dir) / ("." + p.filename().string() + ".tmp." + std::to_string(::getpid()))).string();
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) fail(path, errno);
    const char* data = bytes.data();
    size_t left = bytes.size();
    while (left > 0) {
        ssize_t n = ::write(fd, data, left);
        if (n < 0) {
            if (errno == EINTR) continue;
            int err = errno;
            ::close(fd);
            ::unlink(tmp.c_str());
            fail(path, err);
        }
        data += n;
        left -= (size_t)n;
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
        int err = errno;
        ::unlink(tmp.c_str());
        fail(path, err);
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        int err = errno;
        ::unlink(tmp.c_str());
        fail(path, err);
    }
    fsync_dir(dir);
}

void ensure_writable_dir(const std::string& dir) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw std::runtime_error(dir + ": cannot create the output folder (" + ec.message() + ")");
    std::string probe = (fs::path(dir) / (".write-test." + std::to_string(::getpid()))).string();
    int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw std::runtime_error(dir + ": cannot write (" + std::strerror(errno) + ")");
    ::close(fd);
    ::unlink(probe.c_str());
}

std::string read_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw std::runtime_error(path + ": cannot read (" + std::strerror(errno) + ")");
    std::ostringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

}  // namespace catdog::train
