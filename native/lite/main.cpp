// lite/main.cpp - the `catdog` command.
//
// Only training needs LibTorch (autograd, the optimiser) and CUDA; LibTorch's start alone
// (Debian's libtorch_cpu.so and its 286 shared libraries) takes ~0.45 s. So `catdog` is this
// program, without LibTorch: every command that does not train runs here, on the core and the
// LibTorch-free inference library (infer/). The rest -- train, export, explain (cli/
// torch_commands.h), and a command that hands itself over (HandOver: --device cuda, a run still
// training) -- replaces this process with `catdog-torch`, the LibTorch binary beside it, with
// the same arguments, as git hands subcommands to its helpers. `catdog --help` lists both.
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <string>
#include <unistd.h>
#include "cli/command.h"
#include "cli/handover.h"
#include "cli/torch_commands.h"

namespace {

[[noreturn]] void hand_over(char** argv) {
    char self[PATH_MAX];
    const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
    std::string full = "catdog-torch";
    if (n > 0) {
        self[n] = '\0';
        const std::string dir(self);
        full = dir.substr(0, dir.rfind('/') + 1) + "catdog-torch";
    }
    ::execv(full.c_str(), argv);
    std::fprintf(stderr, "catdog: cannot start %s: %s\n", full.c_str(), std::strerror(errno));
    std::exit(127);
}

}  // namespace

int main(int argc, char** argv) {
    using namespace catdog::cli;
    if (argc > 1)
        for (const CommandName& t : kTorchOnlyCommands)
            if (std::strcmp(argv[1], t.name) == 0) hand_over(argv);

    std::vector<Command> cmds = registry();
    for (const CommandName& t : kTorchOnlyCommands)  // listed in --help; never parsed here
        cmds.push_back({t.name, t.help, t.order, [](CLI::App& sub) { sub.allow_extras(); }});
    try {
        return run_commands(argc, argv, std::move(cmds));
    } catch (const HandOver&) {
        hand_over(argv);
    }
}
