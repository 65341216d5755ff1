// nets/model.h - a NetSpec brought to life with LibTorch: parameters, forward, freezing, devices
// and how the frozen trunk runs. Weights in and out of files: nets/model_io.h.
//
// Parameters live in one name -> tensor map with torchvision's state_dict names, so a .pth
// loads by name and checkpoints, export and the views all speak the same names. The forward
// pass interprets the spec layer by layer with torch's functional ops.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>
#include <torch/torch.h>
#include "nets/netspec.h"
#include "weights/weights.h"

namespace catdog::onednn { class Trunk; }

namespace catdog::nets {

// Intermediate activations captured during forward: (view name, tensor), in network order.
using Taps = std::vector<std::pair<std::string, torch::Tensor>>;

class Model {
public:
    // Parameters initialised like torch.nn's Conv2d/Linear (kaiming_uniform a=sqrt(5), bias
    // U(+-1/sqrt(fan_in))), drawn in torchvision's order: torch::manual_seed(s) here gives
    // the same tensors as torch.manual_seed(s); torchvision.models.alexnet(). Starts frozen
    // (set_trainable(0): only the head trains).
    explicit Model(NetSpec spec);
    // Init::None leaves the parameters uninitialised (allocated, never written): for a model
    // whose every tensor comes from a file next (nets/model_io.h: saves drawing 61M randoms).
    enum class Init { Random, None };
    Model(NetSpec spec, Init init);

    const NetSpec& spec() const { return spec_; }
    std::map<std::string, torch::Tensor>& params() { return params_; }
    const std::map<std::string, torch::Tensor>& params() const { return params_; }

    // Re-initialises the head as a fresh Linear(feature_dim, classes), torch's default init.
    void reset_head(int num_classes);

    // Layers up to and including spec().feature_layer: [N,3,H,W] -> [N,feature_dim] (a
    // [C,H,W] feature map is flattened in NCHW order). `train` enables dropout (AlexNet's
    // classifier.0/.3 are in the trunk) and batch statistics in BatchNorms that train.
    // Accepts channels_last input.
    torch::Tensor trunk(const torch::Tensor& x, bool train, Taps* taps = nullptr);
    // The layers after the feature layer (the head Linear, or SqueezeNet's conv head with its
    // ReLU and pooling), in eval mode: [N,F] -> logits.
    torch::Tensor head(const torch::Tensor& features);
    torch::Tensor forward(const torch::Tensor& x, bool train, Taps* taps = nullptr);  // logits
    // The output of spec().layers[last] for x in eval mode: export's calibration reads the
    // inputs of quantized layers with it.
    torch::Tensor run_to(const torch::Tensor& x, int last) { return run(x, 0, last, false, nullptr); }

    // Freezing: the head is always trainable; `unfreeze_last` also trains the last K
    // conv/linear backbone layers (spec().backbone_param_layers()) with their BatchNorms; K < 0
    // or K > count: everything. Sets requires_grad on the tensors in params() (BatchNorm
    // running statistics never: a training BatchNorm updates them as PyTorch's does).
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

    // Precision of the frozen trunk: torch::kFloat (default), torch::kBFloat16 (CPU: oneDNN's
    // AVX-512 bf16 kernels; CUDA) or torch::kHalf (CUDA). Keeps low-precision copies of the
    // trunk's parameters (rebuilt by to()/set_channels_last()); trunk() casts its input down and
    // returns float32 features, so the head and the loss stay in float32 (like autocast, with
    // no autocast API to differ between LibTorch 1.13 and 2.x). Only for a frozen trunk:
    // trunk() throws if a trunk parameter requires grad while this is on.
    void set_trunk_dtype(torch::ScalarType dtype);
    torch::ScalarType trunk_dtype() const { return trunk_dtype_; }

    // How a frozen trunk runs on the CPU. Torch: op by op (the reference). OneDnn: the spec
    // planned once as a oneDNN primitive list (onednn/trunk.h: Winograd 3x3 convs, fused
    // activations, weights reordered once); AlexNet's trunk ~1.3x faster than torch's
    // forward here. OneDnn applies where it can: CPU, float32, the layers it runs frozen,
    // no taps, input at spec().input_size; in train mode it stops before the first Dropout
    // and torch runs the rest. Elsewhere trunk() uses torch. Weights are re-read whenever a
    // trunk parameter changes (tensor identity or version counter).
    enum class Engine { Torch, OneDnn };
    static bool onednn_available();  // compiled with oneDNN (CATDOG_WITH_ONEDNN)
    void set_trunk_engine(Engine e);  // OneDnn throws std::runtime_error when not available
    Engine trunk_engine() const { return engine_; }

    // Weights in and out of files: nets/model_io.h.
    friend int load_weights(Model& model, const weights::WeightMap& w, bool include_head);
    friend void load_model(Model& model, const std::string& path);

private:
    // Runs spec layers [from, to] on x, the input of layer `from`.
    torch::Tensor run(const torch::Tensor& x, int from, int to, bool train, Taps* taps);
    // trunk() before flattening: the feature layer's own shape.
    torch::Tensor trunk_map(const torch::Tensor& x, bool train, Taps* taps);
    // [N, F] rows back to the feature layer's [N, C, H, W] (a no-op for a vector).
    torch::Tensor unflatten_features(const torch::Tensor& features) const;
    std::vector<bool> trainable_layers(int unfreeze_last, bool head) const;

    // Checks a file's tensors against the spec (the head takes the file's class count) and
    // makes them the parameters, without copying where layout and device allow.
    void adopt(const std::string& path, std::map<std::string, torch::Tensor>& got);
    const torch::Tensor& param(const std::string& name, int layer) const;
    void rebuild_lowp();
    // The oneDNN path of trunk(); false when it does not apply (see set_trunk_engine).
    bool trunk_onednn(const torch::Tensor& x, bool train, torch::Tensor& out);

    NetSpec spec_;
    std::map<std::string, torch::Tensor> params_;
    std::map<std::string, torch::Tensor> lowp_;      // trunk parameters in trunk_dtype_ (when not float)
    torch::ScalarType trunk_dtype_ = torch::kFloat;
    int unfreeze_last_ = 0;
    bool channels_last_ = false;
    torch::Device device_{torch::kCPU};
    Engine engine_ = Engine::Torch;
    // The oneDNN trunk and the (data pointer, version) of the parameters it was built from.
    std::shared_ptr<onednn::Trunk> fast_;  // shared_ptr: destructible where Trunk is incomplete
    std::vector<std::pair<const void*, int64_t>> fast_key_;
    std::vector<ParamInfo> fast_params_;  // spec_.params(), kept for the per-batch key
};

}  // namespace catdog::nets
