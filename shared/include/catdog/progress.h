// catdog/progress.h - one progress display for everything that takes a while (training epochs,
// feature caching, downloads).
//
//   epoch 1/2 [########................]  1216/2400  61.2 img/s  loss 0.2143  ETA 0:19
//   alexnet-owt-7be5be79.pth [####....]  45.2 MB/244 MB  12.1 MB/s  ETA 0:16
// On a terminal it redraws one line (at most 5 times a second). Elsewhere (logs, CI) it prints
// a plain line at each tenth of the total, or every 10 s when the total is unknown, so a log
// stays short and still shows that the job moves.
#pragma once
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace catdog {

enum class ProgressMode { Auto, Bar, Lines, None };  // Auto: Bar on a terminal, else Lines

struct ProgressOptions {
    std::string title;              // "epoch 1/2", a file name
    int64_t total = 0;              // 0: unknown (no bar, no ETA)
    int64_t done = 0;               // already done (a resumed epoch or download)
    ProgressMode mode = ProgressMode::Auto;
    std::FILE* out = stdout;        // Auto looks at this stream
    bool bytes = false;             // counts are bytes: shown as kB/MB/GB, rate as MB/s
    const char* unit = "img";       // otherwise: "1216/2400  61.2 img/s"
};

class Progress {
public:
    explicit Progress(ProgressOptions opt);
    // `done` so far, `rate` per second; `extra` is shown after the rate ("loss 0.2143").
    // `last`: the final update, always shown once.
    void update(int64_t done, double rate, const std::string& extra = "", bool last = false);
    void finish();  // ends the bar's line
    static bool is_tty(std::FILE* f);
    static std::string human_bytes(double bytes);  // "45.2 MB"

private:
    ProgressOptions opt_;
    ProgressMode mode_;
    bool drawn_ = false;
    int last_tenth_ = -1;
    int64_t last_done_ = -1;
    std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace catdog
