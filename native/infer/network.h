// infer/network.h - a trained run's network, run forward without LibTorch.
//
// The one inference path of the commands that do not train: the run's model.ckpt mapped in
// place (weights/pth_reader.h), its NetSpec planned once on oneDNN (onednn/trunk.h) with
// direct convolutions and batch-invariant Linear layers, so a photo gets the same bits alone
// or in any batch, and the same numbers as the LibTorch forward. Photos come in through the
// core's decoders and val transform (catdog/transforms.h), NHWC.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>
#include "nets/netspec.h"
#include "onednn/trunk.h"
#include "train/run_info.h"
#include "weights/pth_reader.h"

namespace catdog::infer {

// Compute and decoding threads: `requested`, or one per core when it is 0 or less.
unsigned thread_count(int requested);

class Network {
public:
    // Reads RUN's config and model.ckpt. Throws std::runtime_error naming the run or the file.
    explicit Network(const std::string& run_dir);
    // The same for an already read run.
    explicit Network(train::RunInfo run);
    // A network in training (the trainer's validation on the CPU): its parameters are read
    // where they lie through `params` (strided, e.g. channels_last), which must outlive this
    // and not change while it exists.
    Network(nets::NetSpec spec, std::vector<std::string> labels, TransformSpec transform,
            const onednn::ParamLookup& params);

    const train::RunInfo& run() const { return run_; }
    const nets::NetSpec& spec() const { return spec_; }
    const std::vector<std::string>& labels() const { return run_.labels; }
    int64_t input_floats() const { return 3 * int64_t(spec_.input_size) * spec_.input_size; }
    // A parameter by its torchvision name (row-major float32), or nullptr.
    const weights::RawTensor* param(const std::string& name) const { return weights_ ? weights_->find(name) : nullptr; }

    // spec().layers[last]'s output for n images x (NHWC floats [n, S, S, 3]): out holds n times
    // its out_shape, NCHW. Throws std::runtime_error when the plan lacks a layer.
    void run_to(const float* x, int64_t n, int last, float* out);
    // The logits, [n, classes].
    void logits(const float* x, int64_t n, float* out) { run_to(x, n, int(spec_.layers.size()) - 1, out); }

private:
    train::RunInfo run_;
    nets::NetSpec spec_;
    std::shared_ptr<const weights::MappedWeights> weights_;  // shared with the trunk's lookup
    std::unique_ptr<onednn::Trunk> trunk_;
};

// A batch of photos decoded and val-transformed in parallel (one photo per thread at a time):
// the photos that decoded, in order, as rows of x; a one-line error for each that did not.
struct Prepared {
    std::vector<float> x;               // rows * per floats, NHWC
    std::vector<int> row;               // per input photo: its row in x, or -1
    std::vector<std::string> error;     // per input photo: "" or "<file>: <reason>"
    int64_t rows = 0;
};
Prepared prepare_photos(const std::vector<std::string>& files, const TransformSpec& transform, unsigned threads);

}  // namespace catdog::infer
