// catdog/files.h - reading and writing whole files, with errors that name the path.
//
// Index of this file:
// [SECTION] Reading
// [SECTION] Writing whole-or-nothing
//
// Every artifact catdog writes (run folders, ONNX, PNG, downloads) goes through write_file_atomic
// or commit_file: a temporary beside the target, fsync, rename over it, fsync the folder. A killed
// process or a full disk leaves the old file or the new one, never a truncated one, and no
// temporary behind.
#pragma once
#include <cstddef>
#include <stdexcept>
#include <string>

namespace catdog {

// One line naming the path and the reason: "<path>: cannot open (No such file or directory)".
class FileError : public std::runtime_error {
public:
    FileError(const std::string& path, const std::string& reason)
        : std::runtime_error(path + ": " + reason), reason_(reason) {}
    const std::string& reason() const { return reason_; }  // without the path, for wrapping errors
private:
    std::string reason_;
};

//-----------------------------------------------------------------------------
// [SECTION] Reading
//-----------------------------------------------------------------------------

// The whole file in one sized read. Buffer is std::string, std::vector<char> or
// std::vector<uint8_t>. Throws FileError "cannot open (...)" or "cannot read (...)".
template <class Buffer = std::string>
Buffer read_file(const std::string& path);

//-----------------------------------------------------------------------------
// [SECTION] Writing whole-or-nothing
//-----------------------------------------------------------------------------

// Throws FileError "<path>: cannot write (<reason>)"; the target is untouched then.
void write_file_atomic(const std::string& path, const void* data, size_t size);
inline void write_file_atomic(const std::string& path, const std::string& bytes) {
    write_file_atomic(path, bytes.data(), bytes.size());
}

// For writers that stream (large sidecars, downloads): write temp_path_for(path) yourself, then
// commit_file fsyncs it, renames it over `path` and fsyncs the folder. On failure the temporary
// is removed and FileError names `path`.
std::string temp_path_for(const std::string& path);
void commit_file(const std::string& tmp, const std::string& path);

// Creates `dir` (and parents) and checks a file can be written there; throws FileError
// "<dir>: cannot write (Read-only file system)" otherwise, before any work is done.
void ensure_writable_dir(const std::string& dir);

}  // namespace catdog
