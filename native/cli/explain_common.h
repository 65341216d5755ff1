// cli/explain_common.h - `catdog explain`, whichever engine runs the network.
//
//   cam        Σ_k w_ck A_k over the last conv's maps (heads of global average pool + Linear);
//              its mean plus the bias is the logit, checked against the network's own
//   gradcam    any conv view layer: A weighted by the spatial mean of dS/dA
//   occlusion  a mid-grey patch slid over the input, batched; map = base score - occluded score
// With two --class names the map is signed: evidence for the first against the second (the
// score is logit_a - logit_b). The arithmetic after the network is the shared core's
// (catdog/explain.h), the same the page runs in WebAssembly. cli/explain.cpp runs CAM and
// occlusion without LibTorch (infer/) and hands Grad-CAM to cli/explain_torch.cpp, whose
// LibTorch autograd gives the backward pass.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>
#include <CLI/CLI.hpp>
#include "nets/netspec.h"
#include "train/run_info.h"

namespace catdog::cli {

struct ExplainArgs {
    std::string run, method, layer, png;
    std::vector<std::string> images, classes;
    float opacity = 0.5f;
    int patch = 32, stride = 16, batch = 32, threads = 0;
    bool json = false;
};
void add_explain_options(CLI::App& app, ExplainArgs& a);

// The network, as an explanation needs it. Inputs are NCHW float images [n, 3, S, S].
class ExplainEngine {
public:
    virtual ~ExplainEngine() = default;
    // Logits [n, classes].
    virtual void logits(const float* x, int n, float* out) = 0;
    // spec.layers[layer]'s output [C, h, w] for one image, and its logits.
    virtual void activation(const float* x, int layer, std::vector<float>& act, std::vector<float>& logits) = 0;
    // A parameter by name (row-major), or nullptr.
    virtual const float* param(const std::string& name) = 0;
    // Grad-CAM's inputs for one image: the layer's output A [C, h, w], dS/dA for S = seed . logits,
    // and the logits. False when this engine has no backward pass.
    virtual bool gradients(const float* x, int layer, const std::vector<float>& seed, std::vector<float>& act,
                           std::vector<float>& grad, std::vector<float>& logits) = 0;
};

// Validates the arguments, opens the engine with `open` (after every photo decoded, so a bad
// file fails fast) and writes each photo's explanation. `backward`: whether the engine has
// Grad-CAM; without it --method gradcam throws HandOver before anything is printed.
using OpenEngine = std::function<std::unique_ptr<ExplainEngine>(const train::RunInfo& run, const nets::NetSpec& spec)>;
void run_explain(const ExplainArgs& a, bool backward, const OpenEngine& open);

}  // namespace catdog::cli
