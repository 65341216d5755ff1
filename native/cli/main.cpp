// cli/main.cpp - `catdog-torch <subcommand> ...`: the LibTorch commands (see lite/main.cpp).
#include "cli/command.h"

int main(int argc, char** argv) { return catdog::cli::run_commands(argc, argv, catdog::cli::registry()); }
