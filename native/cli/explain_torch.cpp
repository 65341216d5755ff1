// cli/explain_torch.cpp - `catdog explain` through LibTorch, in catdog-torch: Grad-CAM, whose
// backward pass is LibTorch's autograd (catdog hands it over; CAM and occlusion run there too).
#include <memory>
#include <torch/torch.h>
#include "cli/command.h"
#include "cli/explain_common.h"
#include "cli/torch_commands.h"
#include "train/run.h"

namespace catdog::cli {
namespace {

class TorchEngine : public ExplainEngine {
public:
    TorchEngine(const train::RunInfo& run, const nets::NetSpec& spec, int threads) : spec_(spec) {
        if (threads > 0) at::set_num_threads(threads);
        model_ = train::load_run_model(run, torch::kCPU);
    }
    void logits(const float* x, int n, float* out) override {
        torch::NoGradGuard no_grad;
        const torch::Tensor l = model_->forward(input(x, n), /*train=*/false).contiguous();
        std::copy(l.data_ptr<float>(), l.data_ptr<float>() + l.numel(), out);
    }
    void activation(const float* x, int layer, std::vector<float>& act, std::vector<float>& logits) override {
        torch::NoGradGuard no_grad;
        nets::Taps taps;
        const torch::Tensor l = model_->forward(input(x, 1), /*train=*/false, &taps).contiguous();
        copy(tap(taps, layer).detach()[0], act);
        copy(l[0], logits);
    }
    const float* param(const std::string& name) override {
        auto it = model_->params().find(name);
        if (it == model_->params().end()) return nullptr;
        held_[name] = it->second.detach().to(torch::kCPU, torch::kFloat).contiguous();
        return held_[name].data_ptr<float>();
    }
    bool gradients(const float* x, int layer, const std::vector<float>& seed, std::vector<float>& act,
                   std::vector<float>& grad, std::vector<float>& logits) override {
        torch::Tensor xi = input(x, 1).requires_grad_(true);  // builds the graph through the frozen layers
        nets::Taps taps;
        const torch::Tensor l = model_->forward(xi, /*train=*/false, &taps);
        const torch::Tensor s = torch::from_blob(const_cast<float*>(seed.data()), {1, int64_t(seed.size())}).clone();
        const torch::Tensor A = tap(taps, layer);
        const torch::Tensor g = torch::autograd::grad({(l * s).sum()}, {A})[0];
        copy(A.detach()[0], act);
        copy(g[0], grad);
        copy(l.detach()[0], logits);
        return true;
    }

private:
    torch::Tensor input(const float* x, int n) const {
        const int S = spec_.input_size;
        return torch::from_blob(const_cast<float*>(x), {n, 3, S, S}, torch::kFloat).clone();
    }
    const torch::Tensor& tap(const nets::Taps& taps, int layer) const {
        const std::string& name = spec_.layers[size_t(layer)].view;
        for (auto& [k, t] : taps)
            if (k == name) return t;
        throw std::logic_error("the forward pass did not tap " + name);
    }
    static void copy(const torch::Tensor& t, std::vector<float>& out) {
        const torch::Tensor c = t.to(torch::kCPU, torch::kFloat).contiguous();
        out.assign(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
    }
    nets::NetSpec spec_;
    std::unique_ptr<nets::Model> model_;
    std::map<std::string, torch::Tensor> held_;
};

const RegisterCommand reg{{kExplainCommand.name, kExplainCommand.help, kExplainCommand.order, [](CLI::App& app) {
    auto a = std::make_shared<ExplainArgs>();
    add_explain_options(app, *a);
    app.callback([a] {
        run_explain(*a, /*backward=*/true, [&](const train::RunInfo& run, const nets::NetSpec& spec) {
            return std::make_unique<TorchEngine>(run, spec, a->threads);
        });
    });
}}};

}  // namespace
}  // namespace catdog::cli
