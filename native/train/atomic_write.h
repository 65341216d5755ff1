// train/atomic_write.h - every run-folder artifact is written whole or not at all.
//
// Write to a temporary file in the same folder, fsync it, rename it over the target, fsync
// the folder. A killed process leaves either the old file or the new one, never a truncated
// one; a full or read-only disk leaves no temporary behind and throws one clear line.
#pragma once
#include <string>

namespace catdog::train {

// Throws std::runtime_error "<path>: cannot write (<reason>)".
void write_file_atomic(const std::string& path, const std::string& bytes);

// Creates `dir` (and parents) and checks a file can be written there; throws one clear line
// ("<dir>: cannot write (Read-only file system)") otherwise.
void ensure_writable_dir(const std::string& dir);

std::string read_file(const std::string& path);  // throws "<path>: cannot read (<reason>)"

}  // namespace catdog::train
