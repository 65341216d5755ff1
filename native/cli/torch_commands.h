// cli/torch_commands.h - the names and help lines of the commands catdog-torch runs, here once:
// catdog-torch registers them; `catdog` lists the LibTorch-only ones (kTorchOnlyCommands) in its
// --help and hands them over whole, and registers explain itself (Grad-CAM is handed over).
#pragma once

namespace catdog::cli {

struct CommandName {
    const char* name;
    const char* help;
    int order;  // position in --help
};

inline constexpr CommandName kTrainCommand{
    "train", "train a classifier on a photo folder (frozen ImageNet backbone + new head)", 10};
// Both programs have explain: catdog hands Grad-CAM over (cli/explain.cpp).
inline constexpr CommandName kExplainCommand{
    "explain", "Where the network looks: CAM, Grad-CAM or occlusion over a photo, as a PNG", 75};
inline constexpr CommandName kTorchOnlyCommands[] = {kTrainCommand};

}  // namespace catdog::cli
