// progress.cpp - the progress bar and its plain-line form for logs.
#include "catdog/progress.h"

#include <cmath>
#include <unistd.h>

namespace catdog {

namespace {
std::string eta_text(double secs) {
    if (!std::isfinite(secs) || secs < 0) return "--:--";
    const long s = std::lround(secs);
    char buf[32];
    if (s >= 3600) std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
    else std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
    return buf;
}
}  // namespace

bool Progress::is_tty(std::FILE* f) { return f && ::isatty(::fileno(f)) == 1; }

std::string Progress::human_bytes(double bytes) {
    char b[32];
    if (bytes >= 1e9) std::snprintf(b, sizeof b, "%.2f GB", bytes / 1e9);
    else if (bytes >= 1e6) std::snprintf(b, sizeof b, "%.1f MB", bytes / 1e6);
    else if (bytes >= 1e3) std::snprintf(b, sizeof b, "%.1f kB", bytes / 1e3);
    else std::snprintf(b, sizeof b, "%.0f B", bytes);
    return b;
}

Progress::Progress(ProgressOptions opt) : opt_(std::move(opt)), mode_(opt_.mode) {
    if (mode_ == ProgressMode::Auto) mode_ = is_tty(opt_.out) ? ProgressMode::Bar : ProgressMode::Lines;
    // A resumed job does not repeat the tenths it already printed.
    if (opt_.total > 0) last_tenth_ = int(10 * opt_.done / opt_.total);
    last_draw_ = std::chrono::steady_clock::now();
}

void Progress::update(int64_t done, double rate, const std::string& extra, bool last) {
    if (mode_ == ProgressMode::None) return;
    const int64_t total = opt_.total;
    const auto now = std::chrono::steady_clock::now();
    const bool complete = total > 0 && done >= total;
    if (mode_ == ProgressMode::Bar) {
        if (!last && !complete && drawn_ && now - last_draw_ < std::chrono::milliseconds(200)) return;
    } else {
        // A line at each new tenth (or every 10 s with no total), and the last one once.
        const int tenth = total > 0 ? int(10 * std::min(done, total) / total) : -1;
        const bool due = total > 0 ? tenth != last_tenth_ : now - last_draw_ >= std::chrono::seconds(10);
        if ((!due && !last) || done == last_done_) return;
        last_tenth_ = tenth;
    }
    last_draw_ = now;
    last_done_ = done;

    const auto count = [&](int64_t n) {
        return opt_.bytes ? human_bytes(double(n)) : std::to_string(n);
    };
    std::string counts = count(done);
    if (total > 0) counts += "/" + count(total);
    char rate_txt[48];
    if (opt_.bytes) std::snprintf(rate_txt, sizeof rate_txt, "%s/s", human_bytes(rate).c_str());
    else std::snprintf(rate_txt, sizeof rate_txt, "%.1f %s/s", rate, opt_.unit);
    std::string tail = "  " + counts + "  " + rate_txt;
    if (!extra.empty()) tail += "  " + extra;
    if (total > 0) tail += "  ETA " + eta_text(rate > 0 ? double(total - std::min(done, total)) / rate : NAN);

    if (mode_ == ProgressMode::Bar) {
        std::string bar;
        if (total > 0) {
            const int width = 24, fill = int(width * std::min(done, total) / total);
            bar = " [" + std::string(size_t(fill), '#') + std::string(size_t(width - fill), '.') + "]";
        }
        std::fprintf(opt_.out, "\r%s%s%s\033[K", opt_.title.c_str(), bar.c_str(), tail.c_str());
        drawn_ = true;
    } else {
        std::string pct;
        if (total > 0) pct = " " + std::to_string(int(100 * std::min(done, total) / total)) + "%";
        std::fprintf(opt_.out, "%s%s%s\n", opt_.title.c_str(), pct.c_str(), tail.c_str());
    }
    std::fflush(opt_.out);
}

void Progress::finish() {
    if (mode_ == ProgressMode::Bar && drawn_) {
        std::fputc('\n', opt_.out);
        std::fflush(opt_.out);
    }
    drawn_ = false;
}

}  // namespace catdog
