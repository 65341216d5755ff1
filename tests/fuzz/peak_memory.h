// tests/fuzz/peak_memory.h - run one hostile input in a forked child and measure its peak RSS.
//
// The hostile-header tests (tests/core/test_hostile.cpp, tests/native/test_hostile_weights.cpp)
// must show that a lying header is refused *before* memory is committed. ru_maxrss of the
// whole test process only ever grows, so each case runs in its own fork; the figure reported
// is the child's peak minus that of a child that does nothing (the inherited pages).
#pragma once
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <stdexcept>
#include <string>

namespace catdog_test {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kUnderAsan = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kUnderAsan = true;
#else
constexpr bool kUnderAsan = false;
#endif
#else
constexpr bool kUnderAsan = false;
#endif

// The bound the tests assert: 64 MB over baseline natively; ASan's shadow memory and
// quarantine inflate RSS, so its builds get a looser bound that still catches a real blow-up.
constexpr long kPeakBoundKb = kUnderAsan ? 256 * 1024 : 64 * 1024;

struct ChildOutcome {
    enum Kind { Refused, Accepted, OtherException, Crashed } kind = Crashed;
    std::string message;   // the error's what(), or a description of the crash
    long peak_kb = 0;      // child's ru_maxrss minus the idle child's
};

inline const char* kind_name(ChildOutcome::Kind k) {
    switch (k) {
        case ChildOutcome::Refused: return "refused";
        case ChildOutcome::Accepted: return "accepted";
        case ChildOutcome::OtherException: return "other-exception";
        default: return "CRASHED";
    }
}

namespace detail {
// `body` returns normally when the input was accepted, throws `Expected` when refused.
// Exit codes: 10 refused, 11 accepted, 12 any other exception.
template <class Expected>
ChildOutcome fork_and_run(const std::function<void()>& body, long* raw_peak_kb) {
    int fds[2];
    if (pipe(fds) != 0) throw std::runtime_error("pipe failed");
    std::fflush(nullptr);
    const pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        close(fds[0]);
        int code = 11;
        std::string msg;
        try {
            body();
        } catch (const Expected& e) {
            code = 10; msg = e.what();
        } catch (const std::exception& e) {
            code = 12; msg = e.what();
        } catch (...) {
            code = 12; msg = "non-std exception";
        }
        if (!msg.empty()) (void)!write(fds[1], msg.data(), msg.size());
        close(fds[1]);
        _exit(code);
    }
    close(fds[1]);
    std::string msg;
    char buf[4096];
    for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) msg.append(buf, static_cast<size_t>(n));
    close(fds[0]);
    int status = 0;
    struct rusage ru {};
    wait4(pid, &status, 0, &ru);
    *raw_peak_kb = ru.ru_maxrss;
    ChildOutcome out;
    out.message = msg;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 10) out.kind = ChildOutcome::Refused;
    else if (WIFEXITED(status) && WEXITSTATUS(status) == 11) out.kind = ChildOutcome::Accepted;
    else if (WIFEXITED(status) && WEXITSTATUS(status) == 12) out.kind = ChildOutcome::OtherException;
    else {
        out.kind = ChildOutcome::Crashed;
        out.message = WIFSIGNALED(status) ? "killed by signal " + std::to_string(WTERMSIG(status))
                                          : "exit status " + std::to_string(WEXITSTATUS(status));
    }
    return out;
}
}  // namespace detail

// Runs `body` in a child; `Expected` is the one-line error type that counts as a refusal.
template <class Expected>
ChildOutcome run_measured(const std::function<void()>& body) {
    long idle_kb = 0;  // measured each time: the parent's own footprint changes between cases
    detail::fork_and_run<Expected>([] {}, &idle_kb);
    long raw = 0;
    ChildOutcome out = detail::fork_and_run<Expected>(body, &raw);
    out.peak_kb = raw > idle_kb ? raw - idle_kb : 0;
    return out;
}

}  // namespace catdog_test
