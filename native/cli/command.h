// cli/command.h - how a subcommand plugs into `catdog`.
//
// Each cli/<name>.cpp defines one subcommand and registers it with a static RegisterCommand,
// so adding a subcommand never touches main.cpp.
#pragma once
#include <functional>
#include <string>
#include <vector>
#include <CLI/CLI.hpp>

namespace catdog::cli {

struct Command {
    std::string name;
    std::string help;
    int order;                                  // position in `catdog --help`
    std::function<void(CLI::App&)> setup;       // add options and a callback to the subcommand
};

// Every registered subcommand (one list per program: inline, so each binary has one).
inline std::vector<Command>& registry() {
    static std::vector<Command> r;
    return r;
}

// Thrown by a command of `catdog` that LibTorch must answer (CUDA, a run still training,
// Grad-CAM's backward pass): lite/main.cpp then runs catdog-torch with the same arguments,
// before anything was printed. Not a std::exception, so no handler takes it for an error.
struct HandOver {};

// Parses argv against `cmds` (listed in --help by their order) and runs the one chosen; a
// failure prints one line "catdog <cmd>: <message>" and returns its exit code. Exceptions
// that are not std::exception (HandOver) pass through.
int run_commands(int argc, char** argv, std::vector<Command> cmds);

struct RegisterCommand {
    explicit RegisterCommand(Command c) { registry().push_back(std::move(c)); }
};

// A user-facing failure: printed as one line "catdog <cmd>: <message>", exit code `code`.
struct Failure : std::runtime_error {
    int code;
    explicit Failure(const std::string& msg, int code = 1) : std::runtime_error(msg), code(code) {}
};

}  // namespace catdog::cli
