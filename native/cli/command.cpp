// cli/command.cpp - the command line of both programs (see command.h).
#include "cli/command.h"

#include <algorithm>
#include <cstdio>
#include <exception>

namespace catdog::cli {

int run_commands(int argc, char** argv, std::vector<Command> cmds) {
    CLI::App app{"catdog: transfer learning on photos (train, predict, export, visualise, serve)"};
    app.require_subcommand(1);
    app.set_version_flag("--version", "catdog 0.1.0");
    std::sort(cmds.begin(), cmds.end(), [](const Command& a, const Command& b) { return a.order < b.order; });
    std::string current;
    for (auto& c : cmds) {
        CLI::App* sub = app.add_subcommand(c.name, c.help);
        sub->preparse_callback([&current, name = c.name](size_t) { current = name; });
        c.setup(*sub);
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    } catch (const Failure& e) {
        std::fprintf(stderr, "catdog %s: %s\n", current.c_str(), e.what());
        return e.code;
    } catch (const std::exception& e) {  // DecodeError, WeightError: one line, naming the file
        std::fprintf(stderr, "catdog %s: %s\n", current.c_str(), e.what());
        return 1;
    }
    return 0;
}

}  // namespace catdog::cli
