// fetch/download.cpp - libcurl download with resume, progress and a sha256 check.
//
// Index of this file:
// [SECTION] Hashing: sha256 (OpenSSL EVP), prefix matching
// [SECTION] Progress: the core's display, on stderr
// [SECTION] Transfer: one HTTP request appending to <out>.part
// [SECTION] Download: retries, resume, verify, rename
#include "fetch/download.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "catdog/files.h"
#include "catdog/progress.h"

namespace fs = std::filesystem;

namespace catdog::fetch {

//-----------------------------------------------------------------------------
// [SECTION] Hashing: sha256 (OpenSSL EVP), prefix matching
//-----------------------------------------------------------------------------

std::string sha256_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw FetchError(path + ": cannot open for hashing");
    std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1)
        throw FetchError("sha256: OpenSSL initialisation failed");
    std::vector<char> buf(1 << 20);
    while (f) {
        f.read(buf.data(), static_cast<std::streamsize>(buf.size()));
        if (f.gcount() > 0) EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<size_t>(f.gcount()));
    }
    if (f.bad()) throw FetchError(path + ": read error while hashing");
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx.get(), md, &len);
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (unsigned i = 0; i < len; ++i) { out += hex[md[i] >> 4]; out += hex[md[i] & 15]; }
    return out;
}

bool sha256_matches(const std::string& digest, const std::string& expected) {
    if (expected.empty() || expected.size() > digest.size()) return false;
    for (size_t i = 0; i < expected.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(expected[i])) != std::tolower(static_cast<unsigned char>(digest[i])))
            return false;
    return true;
}

std::string default_cache_dir() {
    if (const char* c = std::getenv("CATDOG_CACHE"); c && *c) return c;
    if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return std::string(x) + "/catdog";
    if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.cache/catdog";
    return ".catdog-cache";
}

namespace {

//-----------------------------------------------------------------------------
// [SECTION] Progress: the core's display, on stderr
//-----------------------------------------------------------------------------

// Feeds the core's progress display (catdog/progress.h) on stderr: stdout is the path printed.
// The total is known only once the server answered, so the display starts then.
class ProgressView {
public:
    ProgressView(const DownloadOptions& o, std::string label) : opt_(o), label_(std::move(label)) {
        start_ = std::chrono::steady_clock::now();
    }
    void begin(uint64_t resume_from) { base_ = resume_from; }
    // `done`, `total`: whole-file bytes (total 0 = unknown).
    void update(uint64_t done, uint64_t total, bool final = false) {
        if (opt_.on_progress) { opt_.on_progress(done, total); return; }
        if (!shown_ || total != total_) {
            if (shown_) shown_->finish();
            ProgressOptions po{label_, int64_t(total), int64_t(base_), opt_.progress, stderr, true};
            shown_.emplace(std::move(po));
            total_ = total;
        }
        const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
        const double rate = dt > 0 ? double(done - std::min(done, base_)) / dt : 0;
        shown_->update(int64_t(done), rate, "", final);
        if (final) shown_->finish();
    }

private:
    const DownloadOptions& opt_;
    std::string label_;
    uint64_t base_ = 0, total_ = 0;
    std::optional<Progress> shown_;
    std::chrono::steady_clock::time_point start_;
};

//-----------------------------------------------------------------------------
// [SECTION] Transfer: one HTTP request appending to <out>.part
//-----------------------------------------------------------------------------

struct Transfer {
    CURL* curl = nullptr;
    std::FILE* file = nullptr;
    uint64_t offset = 0;          // bytes in .part before this request
    uint64_t written = 0;         // bytes appended by this request
    long status = 0;
    bool restarted = false;       // server ignored Range: .part truncated
    bool write_error = false;
    std::string error_body;       // first bytes of an HTTP error page
    ProgressView* view = nullptr;
    uint64_t total = 0;
};

size_t on_data(char* ptr, size_t size, size_t n, void* user) {
    auto* t = static_cast<Transfer*>(user);
    const size_t len = size * n;
    if (t->status == 0) {
        curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &t->status);
        if (t->status == 200 && t->offset > 0) {  // Range ignored: start over
            std::fflush(t->file);
            if (ftruncate(fileno(t->file), 0) != 0) { t->write_error = true; return 0; }
            std::fseek(t->file, 0, SEEK_SET);
            t->offset = 0;
            t->restarted = true;
        }
    }
    if (t->status >= 300) {  // keep a little of the error page, write nothing
        if (t->error_body.size() < 200) t->error_body.append(ptr, std::min<size_t>(len, 200 - t->error_body.size()));
        return len;
    }
    if (std::fwrite(ptr, 1, len, t->file) != len) { t->write_error = true; return 0; }
    t->written += len;
    return len;
}

int on_progress(void* user, curl_off_t dltotal, curl_off_t, curl_off_t, curl_off_t) {
    auto* t = static_cast<Transfer*>(user);
    if (t->status >= 300 || t->status == 0) return 0;
    if (dltotal > 0) t->total = t->offset + static_cast<uint64_t>(dltotal);
    t->view->update(t->offset + t->written, t->total);
    return 0;
}

uint64_t file_size(const std::string& p) {
    std::error_code ec;
    auto s = fs::file_size(p, ec);
    return ec ? 0 : static_cast<uint64_t>(s);
}

void curl_init_once() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

enum class Outcome { Complete, Retry, AlreadyComplete, NoRanges };

// One request: appends to `part` from its current size. Throws on a permanent failure.
Outcome transfer(const DownloadOptions& opt, const std::string& part, ProgressView& view, bool& resumed,
                 bool& restarted, std::string& last_error) {
    Transfer t;
    t.offset = file_size(part);
    t.view = &view;
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(part.c_str(), "ab"), std::fclose);
    if (!f) throw FetchError(part + ": cannot write (" + std::strerror(errno) + ")");
    t.file = f.get();
    std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), curl_easy_cleanup);
    if (!curl) throw FetchError("libcurl initialisation failed");
    t.curl = curl.get();
    char errbuf[CURL_ERROR_SIZE] = {0};
    CURL* c = curl.get();
    curl_easy_setopt(c, CURLOPT_URL, opt.url.c_str());
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "catdog/0.1 (libcurl)");
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &t);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, opt.connect_timeout_s);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, opt.low_speed_timeout_s);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (t.offset > 0) {
        curl_easy_setopt(c, CURLOPT_RESUME_FROM_LARGE, static_cast<curl_off_t>(t.offset));
        resumed = true;
    }
    view.begin(t.offset);
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    std::fflush(t.file);
    if (t.restarted) restarted = true;
    if (t.write_error) throw FetchError(part + ": write failed (disk full or read-only?)");

    // curl refuses a resume the server answered with 416: the .part already holds everything.
    if (status == 416 && t.offset > 0) return Outcome::AlreadyComplete;
    if (status >= 400) {
        std::string msg = opt.url + ": HTTP " + std::to_string(status);
        if (status == 404) msg += " (not found)";
        else if (status == 403) msg += " (forbidden)";
        throw FetchError(msg);
    }
    if (rc != CURLE_OK) {
        last_error = opt.url + ": " + (errbuf[0] ? std::string(errbuf) : curl_easy_strerror(rc));
        switch (rc) {  // network trouble is worth a resume; the rest is permanent
        case CURLE_PARTIAL_FILE: case CURLE_RECV_ERROR: case CURLE_OPERATION_TIMEDOUT:
        case CURLE_GOT_NOTHING: case CURLE_SEND_ERROR: case CURLE_HTTP2: case CURLE_HTTP2_STREAM:
            return Outcome::Retry;
        case CURLE_RANGE_ERROR:  // a 200 to our Range request: the server cannot resume
            if (t.offset > 0) return Outcome::NoRanges;
            throw FetchError(last_error);
        default:
            throw FetchError(last_error);
        }
    }
    view.update(t.offset + t.written, std::max(t.total, t.offset + t.written), true);
    return Outcome::Complete;
}

}  // namespace

//-----------------------------------------------------------------------------
// [SECTION] Download: retries, resume, verify, rename
//-----------------------------------------------------------------------------

DownloadResult download(const DownloadOptions& opt) {
    if (opt.url.empty()) throw FetchError("no URL given");
    if (opt.out.empty()) throw FetchError(opt.url + ": no output path given");
    if (!opt.sha256.empty()) {
        bool hex = std::all_of(opt.sha256.begin(), opt.sha256.end(), [](char ch) { return std::isxdigit(static_cast<unsigned char>(ch)); });
        if (!hex || opt.sha256.size() < 8 || opt.sha256.size() > 64)
            throw FetchError("sha256 '" + opt.sha256 + "' must be 8 to 64 hex digits");
    }
    DownloadResult res;
    res.path = opt.out;

    // An existing complete file is kept when it verifies.
    if (fs::is_regular_file(opt.out) && !opt.sha256.empty()) {
        std::string d = sha256_file(opt.out);
        if (sha256_matches(d, opt.sha256)) {
            res.sha256 = d;
            res.bytes = file_size(opt.out);
            res.already_present = true;
            return res;
        }
    }
    std::error_code ec;
    fs::path parent = fs::path(opt.out).parent_path();
    if (!parent.empty()) {
        fs::create_directories(parent, ec);
        if (ec) throw FetchError(parent.string() + ": cannot create folder (" + ec.message() + ")");
    }

    curl_init_once();
    const std::string part = opt.out + ".part";
    ProgressView view(opt, fs::path(opt.out).filename().string());
    bool resumed = false, restarted = false;
    std::string last_error;
    Outcome outcome = Outcome::Retry;
    try {
        for (int attempt = 0; attempt <= std::max(0, opt.retries) && outcome == Outcome::Retry; ++attempt) {
            uint64_t before = file_size(part);
            outcome = transfer(opt, part, view, resumed, restarted, last_error);
            if (outcome == Outcome::NoRanges) {  // start over once, from byte 0
                fs::resize_file(part, 0, ec);
                if (ec) throw FetchError(part + ": cannot truncate (" + ec.message() + ")");
                restarted = true;
                outcome = transfer(opt, part, view, resumed, restarted, last_error);
                if (outcome == Outcome::NoRanges) throw FetchError(last_error);
            }
            if (outcome == Outcome::Retry && file_size(part) == before && attempt > 0) {
                // No progress twice in a row: give up rather than spin.
                break;
            }
        }
    } catch (const FetchError&) {
        if (file_size(part) == 0) fs::remove(part, ec);  // nothing worth resuming
        throw;
    }
    if (outcome == Outcome::Retry) {
        if (file_size(part) == 0) {
            fs::remove(part, ec);
            throw FetchError(last_error);
        }
        throw FetchError(last_error + "; partial download kept in " + part + " (run again to resume)");
    }

    res.bytes = file_size(part);
    res.sha256 = sha256_file(part);
    res.resumed = resumed && !restarted;
    if (opt.expected_size && res.bytes != opt.expected_size) {
        fs::remove(part, ec);
        throw FetchError(opt.url + ": got " + std::to_string(res.bytes) + " bytes, expected " +
                         std::to_string(opt.expected_size) + "; deleted " + part);
    }
    if (!opt.sha256.empty() && !sha256_matches(res.sha256, opt.sha256)) {
        fs::remove(part, ec);
        throw FetchError(opt.url + ": sha256 mismatch (expected " + opt.sha256 + "..., got " + res.sha256 +
                         "); deleted " + part);
    }
    try {
        commit_file(part, opt.out);  // fsync, rename, fsync the folder: a power cut keeps it whole
    } catch (const FileError& e) {
        throw FetchError(e.what());
    }
    return res;
}

}  // namespace catdog::fetch
