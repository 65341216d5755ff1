// train/evaluate.cpp - validation / eval over a loader, in eval mode without autograd.
#include "train/evaluate.h"

#include <cstdlib>
#include <filesystem>
#include <malloc.h>
#include <thread>

namespace catdog::train {

namespace {
// Images per trunk pass. Torch allocates each activation per pass: as many images as keep the
// largest under glibc's 32 MB mmap threshold (MobileNet V2: 6, AlexNet: 43). The oneDNN plan
// allocates once, so its bound is memory: the two largest adjacent activations of a pass
// within 128 MB (AlexNet: the whole batch; MobileNet V2: 13, not 64 images' 600 MB).
// CATDOG_TRUNK_CHUNK overrides (0 = whole batch).
int64_t chunk_size(const nets::Model& model) {
    if (const char* env = std::getenv("CATDOG_TRUNK_CHUNK"); env && *env) return std::atoll(env);
    const nets::NetSpec& spec = model.spec();  // shapes inferred when the Model was built
    int64_t largest = 1;
    for (int i = 0; i <= spec.feature_layer && i < (int)spec.layers.size(); ++i) {
        int64_t n = 1;
        for (int64_t d : spec.layers[i].out_shape) n *= d;
        largest = std::max(largest, n * (int64_t)sizeof(float));
    }
    if (model.trunk_engine() == nets::Model::Engine::OneDnn && model.device().is_cpu())
        return std::max<int64_t>(1, (int64_t(128) << 20) / (2 * largest));
    return std::max<int64_t>(1, (int64_t(32) << 20) / largest);
}
}  // namespace

void tune_allocator() {
#ifdef M_MMAP_THRESHOLD
    mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc's maximum; larger blocks are mmapped anyway
    mallopt(M_TRIM_THRESHOLD, 512 << 20);
#endif
}

void set_compute_threads(int n) {
    if (n <= 0) n = (int)std::max(1u, std::thread::hardware_concurrency());
    if (at::get_num_threads() != n) at::set_num_threads(n);
}

nets::Model::Engine trunk_engine(const std::string& name) {
    if (name == "torch") return nets::Model::Engine::Torch;
    if (name == "onednn" || nets::Model::onednn_available()) return nets::Model::Engine::OneDnn;
    return nets::Model::Engine::Torch;
}

torch::Tensor trunk_in_chunks(nets::Model& model, const torch::Tensor& x, bool train) {
    const int64_t n = x.size(0), c = chunk_size(model);
    if (c <= 0 || n <= c) return model.trunk(x, train);
    std::vector<torch::Tensor> parts;
    for (int64_t i = 0; i < n; i += c) parts.push_back(model.trunk(x.narrow(0, i, std::min(c, n - i)), train));
    return torch::cat(parts);
}

torch::Tensor infer_logits(nets::Model& model, const torch::Tensor& images) {
    torch::InferenceMode guard;
    auto x = images.to(model.device(), /*non_blocking=*/true).contiguous(torch::MemoryFormat::ChannelsLast);
    return model.head(trunk_in_chunks(model, x, /*train=*/false)).to(torch::kCPU, torch::kFloat32);
}

double add_scores(EvalResult& r, const torch::Tensor& logits, const torch::Tensor& labels,
                  const std::vector<size_t>& indices) {
    const torch::Tensor l = logits.to(torch::kCPU, torch::kFloat).contiguous();
    const torch::Tensor y = labels.to(torch::kCPU, torch::kLong).contiguous();
    return add_scores(r, l.data_ptr<float>(), indices.size(), size_t(l.size(1)), y.data_ptr<int64_t>(),
                      indices.data());
}

EvalResult evaluate(nets::Model& model, const std::vector<data::Sample>& samples, size_t num_classes,
                    data::LoaderOptions opt, const std::function<void(const data::FailedSample&)>& on_fail) {
    opt.train = false;
    tune_allocator();
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
        loss_sum += add_scores(r, infer_logits(model, b.images), b.labels, b.indices);
    }
    r.loss = r.n ? loss_sum / (double)r.n : std::nan("");
    return r;
}

}  // namespace catdog::train
