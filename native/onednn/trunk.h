// onednn/trunk.h - a frozen trunk run directly on oneDNN, for inference on a CPU.
//
// LibTorch runs each conv through oneDNN too, but one op at a time with the direct
// algorithm. A frozen trunk never needs gradients, so it can be planned once like an
// inference engine does:
//   - 3x3 stride-1 convs use oneDNN's Winograd F(4x4, 3x3) kernels (AlexNet's conv3-5:
//     ~1.7x faster than direct on AVX-512 here; torch never picks them);
//   - each activation is a post-op of the conv or Linear before it (no extra pass);
//   - activations stay in oneDNN's blocked layouts between layers;
//   - weights are reordered once, when the plan is built, not at every call.
// It interprets the same NetSpec as nets/model.h, so it cannot drift from the torch
// forward; tests/native/test_onednn_trunk.cpp holds it to torch's outputs.
//
// No torch here: parameters come in as plain float pointers, images as NHWC floats.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>
#include "nets/netspec.h"

namespace catdog::onednn {

// A parameter's float32 data with its shape (as in the spec) and strides in elements (empty:
// row-major), so torch's channels_last weights are read in place.
struct ParamRef {
    const float* data = nullptr;
    std::vector<int64_t> shape;
    std::vector<int64_t> strides;
};
using ParamLookup = std::function<ParamRef(const std::string& name)>;

struct TrunkOptions {
    // Winograd sums in another order than direct convolution (AlexNet logits move by ~2e-5);
    // `catdog predict` turns it off so its numbers match the torch path and the page's.
    bool winograd = true;
    // Linear layers run on fixed blocks of rows, so a photo's outputs are the same bits alone
    // and inside any batch (oneDNN's inner product otherwise sums in a batch-dependent order).
    // Inference turns it on; training batches do not need it.
    bool batch_invariant = false;
};

class Trunk {
public:
    // `params` is kept and called when a plan is built: the data it points at must outlive
    // the Trunk (weights are reordered into oneDNN's layouts once per layout, so a change to
    // them afterwards is not seen: build a new Trunk).
    Trunk(const nets::NetSpec& spec, const ParamLookup& params, TrunkOptions opt = {});
    ~Trunk();
    Trunk(const Trunk&) = delete;
    Trunk& operator=(const Trunk&) = delete;

    // Runs spec.layers[0..last] with inference semantics (Dropout is the identity; callers
    // that want it stop before it). x: n images, NHWC float32 [n, input_size, input_size, 3];
    // out: n * out_numel(last) floats, each image's output in torch's NCHW (or flat feature)
    // order, n * layers[last].out_shape's product floats. A plan is built per (n, last) on
    // first use and kept (the last four used). ONEDNN_VERBOSE=1 prints each kernel and its
    // time. Throws std::runtime_error when !supports(spec, last) or oneDNN lacks a layer.
    void run(const float* x, int64_t n, int last, float* out);

    struct Engine;  // defined in trunk.cpp
    struct Plan;

private:
    Plan& plan_for(int64_t n, int last);

    nets::NetSpec spec_;
    ParamLookup params_;
    TrunkOptions opt_;
    std::unique_ptr<Engine> engine_;  // engine, stream, reordered weights, arena: shared by the plans
    std::map<std::pair<int64_t, int>, std::unique_ptr<Plan>> plans_;
    uint64_t tick_ = 0;
};

// True when `last` can be planned: every layer in [0, last] is an op this file implements.
bool supports(const nets::NetSpec& spec, int last);

}  // namespace catdog::onednn
