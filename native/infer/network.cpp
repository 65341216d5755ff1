// infer/network.cpp - see network.h.
#include "infer/network.h"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <stdexcept>
#include <thread>
#include "catdog/image.h"
#include "catdog/transforms.h"

namespace fs = std::filesystem;

namespace catdog::infer {

unsigned thread_count(int requested) {
    return requested > 0 ? unsigned(requested) : std::max(1u, std::thread::hardware_concurrency());
}

Network::Network(const std::string& run_dir) : Network(train::read_run(run_dir)) {}

Network::Network(train::RunInfo run) : run_(std::move(run)) {
    spec_ = nets::make_spec(run_.backbone, int(run_.labels.size()));
    const std::string ckpt = (fs::path(run_.dir) / "model.ckpt").string();
    if (!fs::exists(ckpt)) throw std::runtime_error(run_.dir + ": no model.ckpt (has the run finished?)");
    weights_ = std::make_shared<const weights::MappedWeights>(weights::map_pth(ckpt));
    for (const nets::ParamInfo& p : spec_.params()) {
        const weights::RawTensor* t = weights_->find(p.name);
        if (!t) throw std::runtime_error(ckpt + ": no " + p.name + " (not a " + spec_.backbone + " checkpoint?)");
        if (t->shape != p.shape) throw std::runtime_error(ckpt + ": " + p.name + " does not have the shape " + spec_.backbone + " needs");
    }
    if (run_.transform.crop != spec_.input_size)
        throw std::runtime_error(run_.dir + ": config.json's crop " + std::to_string(run_.transform.crop) +
                                 " is not the network's input size " + std::to_string(spec_.input_size));
    if (!onednn::supports(spec_, int(spec_.layers.size()) - 1))
        throw std::runtime_error(run_.dir + ": " + spec_.backbone + " has a layer the oneDNN plan lacks");
    auto lookup = [w = weights_](const std::string& name) {
        const weights::RawTensor* t = w->find(name);
        return t ? onednn::ParamRef{t->data, t->shape, {}} : onednn::ParamRef{};
    };
    onednn::TrunkOptions opt;
    opt.winograd = false;        // direct convolutions: the numbers of the LibTorch forward
    opt.batch_invariant = true;  // a photo's bits do not depend on its batch
    trunk_ = std::make_unique<onednn::Trunk>(spec_, lookup, opt);
}

Network::Network(nets::NetSpec spec, std::vector<std::string> labels, TransformSpec transform,
                 const onednn::ParamLookup& params)
    : spec_(std::move(spec)) {
    run_.backbone = spec_.backbone;
    run_.labels = std::move(labels);
    run_.transform = transform;
    onednn::TrunkOptions opt;
    opt.winograd = false;
    opt.batch_invariant = true;
    trunk_ = std::make_unique<onednn::Trunk>(spec_, params, opt);
}

void Network::run_to(const float* x, int64_t n, int last, float* out) {
    if (n > 0) trunk_->run(x, n, last, out);
}

Prepared prepare_photos(const std::vector<std::string>& files, const TransformSpec& transform, unsigned threads) {
    const size_t n = files.size();
    const int64_t per = 3 * int64_t(transform.crop) * transform.crop;
    Prepared p;
    p.row.assign(n, -1);
    p.error.assign(n, "");
    std::vector<float> x(n * size_t(per));
    std::atomic<size_t> next{0};
    auto work = [&] {
        for (size_t k; (k = next++) < n;) {
            try {
                val_tensor(load_image(files[k]), transform, x.data() + k * size_t(per), Layout::HWC);
            } catch (const std::exception& e) {
                // A DecodeError reads "<file>: <format>: <reason>"; anything else gets the file.
                std::string msg = e.what();
                if (!dynamic_cast<const DecodeError*>(&e)) msg = files[k] + ": " + msg;
                p.error[k] = msg.empty() ? files[k] + ": failed" : msg;
            }
        }
    };
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < std::min<unsigned>(threads, unsigned(n)); ++t) pool.emplace_back(work);
    work();
    for (auto& t : pool) t.join();
    // Squeeze out the photos that failed, keeping the order.
    for (size_t k = 0; k < n; ++k) {
        if (!p.error[k].empty()) continue;
        if (size_t(p.rows) != k)
            std::copy(x.begin() + long(k * per), x.begin() + long((k + 1) * per), x.begin() + long(p.rows * per));
        p.row[k] = int(p.rows++);
    }
    x.resize(size_t(p.rows * per));
    p.x = std::move(x);
    return p;
}

}  // namespace catdog::infer
