// nets/model.h - a NetSpec brought to life with LibTorch.
//
// Parameters live in one name -> tensor map with torchvision's state_dict names, so a .pth
// loads by name and checkpoints, export and the views all speak the same names. The forward
// pass interprets the spec layer by layer with torch's functional ops.
#pragma once
#include <map>
#include <string>
#include <utility>
#include <vector>
#include <torch/torch.h>
#include "nets/net_spec.h"
#include "weights/weights.h"

namespace catdog::nets {

// Intermediate activations captured during forward: (view name, tensor), in network order.
using Taps = std::vector<std::pair<std::string, torch::Tensor>>;

class Model {
public:
    explicit Model(NetSpec spec);   // parameters initialised like torchvision (seeded by torch::manual_seed)

    const NetSpec& spec() const { return spec_; }
    std::map<std::string, torch::Tensor>& params() { return params_; }
    const std::map<std::string, torch::Tensor>& params() const { return params_; }

    // Copies matching tensors in by name, checking shapes (clear error on mismatch). The head
    // is skipped when its class count differs (the seed replaces it). Returns how many loaded.
    int load(const weights::WeightMap& w, bool include_head);

    // Re-initialises the head as a fresh Linear(feature_dim, classes), torch's default init.
    void reset_head(int num_classes);

    // Layers up to and including spec().feature_layer. `train` enables dropout.
    torch::Tensor trunk(const torch::Tensor& x, bool train, Taps* taps = nullptr);
    torch::Tensor head(const torch::Tensor& features);
    torch::Tensor forward(const torch::Tensor& x, bool train, Taps* taps = nullptr);  // logits

    // Freezing: the head is always trainable; `unfreeze_last` also trains the last K
    // parameterised backbone layers (spec().backbone_param_layers()).
    void set_trainable(int unfreeze_last);
    std::vector<torch::Tensor> head_parameters();
    std::vector<torch::Tensor> unfrozen_backbone_parameters();

    // Moves every parameter (requires_grad kept). Optimisers must be built after this.
    void to(torch::Device device);
    torch::Device device() const { return device_; }

    // NHWC on CPU: conv weights and the input are made channels_last (oneDNN's fast path,
    // ~1.3x for AlexNet, ~2x for MobileNet V2 here). Values are unchanged; activations and
    // taps come out channels_last, so call .contiguous() before reading raw memory.
    void set_channels_last(bool on);
    bool channels_last() const { return channels_last_; }

    // All parameters by name, in a file torch can also read (or our own format); atomic write.
    void save(const std::string& path) const;
    void load_file(const std::string& path);

private:
    // Runs spec layers [from, to] on x, the input of layer `from`.
    torch::Tensor run(const torch::Tensor& x, int from, int to, bool train, Taps* taps);

    NetSpec spec_;
    std::map<std::string, torch::Tensor> params_;
    int unfreeze_last_ = 0;
    bool channels_last_ = false;
    torch::Device device_{torch::kCPU};
};

// Loads a backbone's pretrained weights from a file, by extension/magic:
//   .pth (torchvision, zip or legacy)  -> alexnet
//   .tflite (mobilenet_v2_1.0_224_quant) -> mobilenet_v2 (dequantized, NCHW, names mapped)
weights::WeightMap load_pretrained(const std::string& backbone, const std::string& path);

}  // namespace catdog::nets
