// cli/handover.h - when `catdog` (no LibTorch, lite/main.cpp) gives a command to catdog-torch,
// the LibTorch binary beside it, as git hands subcommands to its helpers.
#pragma once
#include <string>
#include "cli/command.h"
#include "infer/network.h"

namespace catdog::cli {

// RUN's network for the LibTorch-free path, or HandOver when it cannot be opened here: the
// LibTorch path reads what this cannot (a run with checkpoints but no model.ckpt yet) and
// reports the rest with its own one-line error.
infer::Network open_network(const std::string& run_dir);

}  // namespace catdog::cli
