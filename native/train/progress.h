// train/progress.h - one epoch's progress: a live bar on a terminal, plain lines otherwise.
//
//   epoch 1/2 [##########..........]  1216/2400  61.2 img/s  loss 0.2143  ETA 0:19
// When stdout is not a TTY (logs, CI) it prints a plain line about every 10 % instead.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>

namespace catdog::train {

class Progress {
public:
    Progress(std::string title, int64_t total, int64_t done = 0);
    // `done` items so far (of total), `rate` items/s, `loss` the running mean (NaN = none).
    void update(int64_t done, double rate, double loss);
    void finish();  // ends the bar's line
    static bool stdout_is_tty();

private:
    std::string title_;
    int64_t total_;
    bool tty_;
    bool drawn_ = false;
    int last_decile_ = -1;
    std::chrono::steady_clock::time_point last_draw_{};
};

}  // namespace catdog::train
