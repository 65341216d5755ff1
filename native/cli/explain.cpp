// cli/explain.cpp - `catdog explain` without LibTorch (infer/): CAM and occlusion are forward
// passes of the one inference path; Grad-CAM needs a backward pass and goes to catdog-torch
// (cli/explain_torch.cpp). The method logic and the output are cli/explain_common.cpp's.
#include <memory>
#include "cli/command.h"
#include "cli/explain_common.h"
#include "cli/torch_commands.h"
#include "infer/network.h"

namespace catdog::cli {
namespace {

class InferEngine : public ExplainEngine {
public:
    explicit InferEngine(const train::RunInfo& run) : net_(run) {}
    void logits(const float* x, int n, float* out) override { net_.logits(nhwc(x, n), n, out); }
    void activation(const float* x, int layer, std::vector<float>& act, std::vector<float>& logits) override {
        int64_t numel = 1;
        for (int64_t d : net_.spec().layers[size_t(layer)].out_shape) numel *= d;
        act.resize(size_t(numel));
        logits.resize(net_.labels().size());
        const float* xi = nhwc(x, 1);
        net_.run_to(xi, 1, layer, act.data());
        net_.logits(xi, 1, logits.data());
    }
    const float* param(const std::string& name) override {
        const weights::RawTensor* t = net_.param(name);
        return t ? t->data : nullptr;
    }
    bool gradients(const float*, int, const std::vector<float>&, std::vector<float>&, std::vector<float>&,
                   std::vector<float>&) override {
        return false;
    }

private:
    // The oneDNN plan reads NHWC images.
    const float* nhwc(const float* x, int n) {
        const int64_t S = net_.spec().input_size, plane = S * S;
        buf_.resize(size_t(n * 3 * plane));
        for (int64_t i = 0; i < n; ++i)
            for (int64_t c = 0; c < 3; ++c)
                for (int64_t p = 0; p < plane; ++p) buf_[size_t((i * plane + p) * 3 + c)] = x[(i * 3 + c) * plane + p];
        return buf_.data();
    }
    infer::Network net_;
    std::vector<float> buf_;
};

const RegisterCommand reg{{kExplainCommand.name, kExplainCommand.help, kExplainCommand.order, [](CLI::App& app) {
    auto a = std::make_shared<ExplainArgs>();
    add_explain_options(app, *a);
    app.callback([a] {
        run_explain(*a, /*backward=*/false, [](const train::RunInfo& run, const nets::NetSpec&) {
            return std::make_unique<InferEngine>(run);
        });
    });
}}};

}  // namespace
}  // namespace catdog::cli
