// fetch/download.h - download a file over HTTP(S) with progress, resume and a sha256 check.
//
// The file is written to "<out>.part" and renamed to <out> only after its checksum matched,
// so <out> is never a partial or wrong file. An existing .part is resumed with an HTTP Range
// request (a server that ignores Range restarts from zero). A checksum mismatch deletes the
// .part file and throws. libcurl does the transfer, OpenSSL's EVP the sha256.
#pragma once
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include "catdog/progress.h"

namespace catdog::fetch {

// One line, naming the URL or file and the reason.
class FetchError : public std::runtime_error {
public:
    explicit FetchError(const std::string& msg) : std::runtime_error(msg) {}
};


struct DownloadOptions {
    std::string url;
    std::string out;                  // final path; "<out>.part" while downloading
    std::string sha256;               // full 64 hex digits or a prefix (>= 8); empty: no check
    uint64_t expected_size = 0;       // 0: unknown; else a mismatch is an error
    ProgressMode progress = ProgressMode::Auto;  // Auto: a bar when stderr is a terminal
    long connect_timeout_s = 30;
    long low_speed_timeout_s = 60;    // abort when below 1 byte/s for this long
    int retries = 3;                  // resumes after a dropped connection before giving up
    // Called with (bytes so far, total or 0) instead of the built-in display when set.
    std::function<void(uint64_t, uint64_t)> on_progress;
};

struct DownloadResult {
    std::string path;                 // == options.out
    std::string sha256;               // full hex digest of the file
    uint64_t bytes = 0;               // file size
    bool already_present = false;     // <out> existed and matched; nothing downloaded
    bool resumed = false;             // continued a .part file at least once
};

// Downloads `opt.url` to `opt.out`; if `opt.out` already exists with a matching checksum
// it is kept. Throws FetchError (HTTP status, network error, checksum mismatch, disk error).
DownloadResult download(const DownloadOptions& opt);

// Lowercase hex sha256 of a file; throws FetchError if unreadable.
std::string sha256_file(const std::string& path);

// True if `digest` (full hex) starts with `expected` (case-insensitive; full or prefix).
bool sha256_matches(const std::string& digest, const std::string& expected);

// $CATDOG_CACHE, else $XDG_CACHE_HOME/catdog, else ~/.cache/catdog (not created here).
std::string default_cache_dir();

}  // namespace catdog::fetch
