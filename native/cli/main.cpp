// cli/main.cpp - `catdog <subcommand> ...`: parses the command line and dispatches.
#include <algorithm>
#include <cstdio>
#include <exception>
#include "cli/command.h"

int main(int argc, char** argv) {
    using namespace catdog::cli;
    CLI::App app{"catdog: transfer learning on photos (train, predict, export, visualise, serve)"};
    app.require_subcommand(1);
    app.set_version_flag("--version", "catdog 0.1.0");
    auto cmds = registry();
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
    } catch (const std::exception& e) {
        std::fprintf(stderr, "catdog %s: %s\n", current.c_str(), e.what());
        return 1;
    }
    return 0;
}
