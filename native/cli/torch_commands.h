// cli/torch_commands.h - the commands that need LibTorch, so live only in catdog-torch. Their
// names and help lines are here once: catdog-torch registers them, and `catdog` lists them in
// its --help and hands them over whole.
#pragma once

namespace catdog::cli {

struct CommandName {
    const char* name;
    const char* help;
    int order;  // position in --help
};

inline constexpr CommandName kTrainCommand{
    "train", "train a classifier on a photo folder (frozen ImageNet backbone + new head)", 10};
inline constexpr CommandName kExplainCommand{
    "explain", "Where the network looks: CAM, Grad-CAM or occlusion over a photo, as a PNG", 75};
inline constexpr CommandName kTorchOnlyCommands[] = {kTrainCommand, kExplainCommand};

}  // namespace catdog::cli
