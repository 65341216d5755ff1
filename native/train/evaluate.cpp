// train/evaluate.cpp - validation / eval over a loader, in eval mode without autograd.
#include "train/evaluate.h"

namespace catdog::train {

torch::Tensor infer_logits(nets::Model& model, const torch::Tensor& images) {
    torch::InferenceMode guard;
    auto x = images.to(model.device(), /*non_blocking=*/true).contiguous(torch::MemoryFormat::ChannelsLast);
    return model.forward(x, /*train=*/false).to(torch::kCPU, torch::kFloat32);
}

EvalResult evaluate(nets::Model& model, const std::vector<data::Sample>& samples, size_t num_classes,
                    data::LoaderOptions opt, const std::function<void(const data::FailedSample&)>& on_fail) {
    opt.train = false;
    EvalResult r;
    r.confusion = Confusion(num_classes);
    double loss_sum = 0;
    data::Loader loader(samples, data::sequential_order(samples.size()), opt);
    data::Batch b;
    while (loader.next(b)) {
        for (auto& f : b.failed) {
            if (on_fail) on_fail(f);
            r.failed.push_back(f);
        }
        if (b.indices.empty()) continue;
        torch::Tensor logits = infer_logits(model, b.images);
        torch::Tensor loss = torch::nn::functional::cross_entropy(
            logits, b.labels, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum));
        loss_sum += loss.item<double>();
        torch::Tensor probs = torch::softmax(logits, 1).contiguous();
        torch::Tensor pred = logits.argmax(1);
        const float* p = probs.data_ptr<float>();
        auto truths = b.labels.accessor<int64_t, 1>();
        auto guesses = pred.accessor<int64_t, 1>();
        for (size_t k = 0; k < b.indices.size(); ++k) {
            const int truth = (int)truths[k], guess = (int)guesses[k];
            r.confusion.add(truth, guess);
            if (truth != guess) {
                r.misclassified.push_back({b.indices[k], guess,
                                           std::vector<float>(p + k * num_classes, p + (k + 1) * num_classes)});
            }
        }
        r.n += (int64_t)b.indices.size();
    }
    r.loss = r.n ? loss_sum / (double)r.n : std::nan("");
    return r;
}

}  // namespace catdog::train
