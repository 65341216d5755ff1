// lite/main.cpp - the `catdog` command.
//
// Most of what catdog does needs LibTorch, whose start alone (Debian's libtorch_cpu.so and
// its 286 shared libraries) takes ~0.45 s. Classifying a few photos must not wait for that,
// so `catdog` is this small program: `catdog predict` is answered here without LibTorch
// (lite/fast_predict.h) when it can be, and every other command -- or a prediction that needs
// LibTorch (CUDA, a run still training) -- replaces this process with `catdog-torch`, the full
// CLI beside it, with the same arguments. CATDOG_TORCH_PREDICT=1 sends predict there too.
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unistd.h>
#include "cli/command.h"
#include "cli/predict_common.h"
#include "lite/fast_predict.h"

namespace {

// Tries the LibTorch-free predict. Returns its exit code, or -1 to hand over to catdog-torch
// (which also answers --help and reports bad options, so those texts live in one place).
int try_predict(int argc, char** argv) {
    using namespace catdog;
    CLI::App app;
    cli::PredictArgs a;
    cli::add_predict_options(app, a);
    try {
        app.parse(argc - 1, argv + 1);  // argv[1] = "predict" stands for the program name
    } catch (const CLI::Error&) {
        return -1;
    }
    try {
        cli::PredictPrinter print(a);
        if (!lite::predict_without_torch(a, [&](const train::Prediction& p, const auto& labels) { print(p, labels); }))
            return -1;
        print.finish();
        return 0;
    } catch (const cli::Failure& e) {
        std::fprintf(stderr, "catdog predict: %s\n", e.what());
        return e.code;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "catdog predict: %s\n", e.what());
        return 1;
    }
}

// Subcommands that need no LibTorch at all (cli/filter.cpp, cli/preprocess.cpp) are linked into this program too
// and registered here; they run without starting catdog-torch.
int run_local(const catdog::cli::Command& c, int argc, char** argv) {
    using namespace catdog::cli;
    CLI::App app{c.help, "catdog " + c.name};
    c.setup(app);
    try {
        app.parse(argc - 1, argv + 1);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    } catch (const Failure& e) {
        std::fprintf(stderr, "catdog %s: %s\n", c.name.c_str(), e.what());
        return e.code;
    } catch (const std::exception& e) {  // DecodeError, WeightError: one line, naming the file
        std::fprintf(stderr, "catdog %s: %s\n", c.name.c_str(), e.what());
        return 1;
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc > 1)
        for (const auto& c : catdog::cli::registry())
            if (c.name == argv[1]) return run_local(c, argc, argv);
    if (argc > 1 && std::strcmp(argv[1], "predict") == 0 && !std::getenv("CATDOG_TORCH_PREDICT")) {
        const int rc = try_predict(argc, argv);
        if (rc >= 0) return rc;
    }
    char self[PATH_MAX];
    const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
    std::string full = "catdog-torch";
    if (n > 0) {
        self[n] = '\0';
        std::string dir(self);
        full = dir.substr(0, dir.rfind('/') + 1) + "catdog-torch";
    }
    ::execv(full.c_str(), argv);
    std::fprintf(stderr, "catdog: cannot start %s: %s\n", full.c_str(), std::strerror(errno));
    return 127;
}
