// train/progress.cpp - the progress bar and its non-TTY fallback.
#include "train/progress.h"

#include <cmath>
#include <cstdio>
#include <unistd.h>

namespace catdog::train {

namespace {
std::string eta_text(double secs) {
    if (!std::isfinite(secs) || secs < 0) return "--:--";
    long s = std::lround(secs);
    char buf[32];
    if (s >= 3600) std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
    else std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
    return buf;
}
}  // namespace

bool Progress::stdout_is_tty() { return ::isatty(STDOUT_FILENO) == 1; }

Progress::Progress(std::string title, int64_t total, int64_t done)
    : title_(std::move(title)), total_(total), tty_(stdout_is_tty()) {
    if (total_ > 0) last_decile_ = (int)(10 * done / total_);
}

void Progress::update(int64_t done, double rate, double loss) {
    const double eta = rate > 0 ? (double)(total_ - done) / rate : NAN;
    char loss_txt[32] = "";
    if (std::isfinite(loss)) std::snprintf(loss_txt, sizeof loss_txt, "  loss %.4f", loss);
    if (tty_) {
        auto now = std::chrono::steady_clock::now();
        if (done < total_ && drawn_ && now - last_draw_ < std::chrono::milliseconds(200)) return;
        last_draw_ = now;
        const int width = 24;
        int fill = total_ > 0 ? (int)(width * done / total_) : width;
        std::string bar(fill, '#');
        bar.resize(width, '.');
        std::printf("\r%s [%s] %lld/%lld  %.1f img/s%s  ETA %s\033[K", title_.c_str(), bar.c_str(),
                    (long long)done, (long long)total_, rate, loss_txt, eta_text(eta).c_str());
        std::fflush(stdout);
        drawn_ = true;
        return;
    }
    int decile = total_ > 0 ? (int)(10 * done / total_) : 10;
    if (decile == last_decile_) return;
    last_decile_ = decile;
    std::printf("%s %lld/%lld  %.1f img/s%s  ETA %s\n", title_.c_str(), (long long)done, (long long)total_, rate,
                loss_txt, eta_text(eta).c_str());
    std::fflush(stdout);
}

void Progress::finish() {
    if (tty_ && drawn_) {
        std::printf("\n");
        std::fflush(stdout);
    }
    drawn_ = false;
}

}  // namespace catdog::train
