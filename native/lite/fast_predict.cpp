// lite/fast_predict.cpp - see fast_predict.h.
#include "lite/fast_predict.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <thread>
#include "catdog/image.h"
#include "catdog/transforms.h"
#include "nets/netspec.h"
#include "onednn/trunk.h"
#include "train/run_info.h"
#include "weights/pth_reader.h"

namespace fs = std::filesystem;

namespace catdog::lite {

bool predict_without_torch(const cli::PredictArgs& a, const train::PredictionSink& emit) {
    if (a.opt.device != "auto" && a.opt.device != "cpu") return false;
    train::RunInfo run;
    nets::NetSpec spec;
    try {
        run = train::read_run(a.model);
        spec = nets::make_spec(run.backbone, (int)run.labels.size());
    } catch (const std::exception&) {
        return false;  // the LibTorch path reports it
    }
    const std::string ckpt = (fs::path(a.model) / "model.ckpt").string();
    if (!fs::exists(ckpt)) return false;
    weights::MappedWeights mapped;
    try {
        mapped = weights::map_pth(ckpt);
    } catch (const weights::WeightError&) {
        return false;  // the LibTorch path reports it
    }
    std::map<std::string, const weights::RawTensor*> by_name;
    for (const auto& t : mapped.tensors) by_name[t.name] = &t;
    for (const auto& p : spec.params()) {
        auto it = by_name.find(p.name);
        if (it == by_name.end() || it->second->shape != p.shape) return false;
    }
    // The plan runs the trunk; after it must come exactly the head Linear.
    if (!onednn::supports(spec, spec.feature_layer) || spec.head_layer != spec.feature_layer + 1 ||
        spec.head_layer != (int)spec.layers.size() - 1 || run.transform.crop != spec.input_size)
        return false;

    const nets::Layer& head = spec.layers[spec.head_layer];
    const float* W = by_name.at(head.name + ".weight")->data;
    const float* B = head.bias ? by_name.at(head.name + ".bias")->data : nullptr;
    auto lookup = [&](const std::string& name) {
        const weights::RawTensor* t = by_name.at(name);
        return onednn::ParamRef{t->data, t->shape, {}};
    };
    onednn::Trunk trunk(spec, lookup, onednn::TrunkOptions{/*winograd=*/false});

    const int64_t S = spec.input_size, per = 3 * S * S, F = spec.feature_dim, K = (int64_t)run.labels.size();
    const size_t batch = (size_t)std::max(1, a.opt.batch_size);
    const unsigned threads = a.opt.workers > 0 ? (unsigned)a.opt.workers : std::max(1u, std::thread::hardware_concurrency());
    std::vector<float> x, feats;
    for (size_t begin = 0; begin < a.files.size(); begin += batch) {
        const size_t n = std::min(batch, a.files.size() - begin);
        x.assign(n * per, 0.f);
        std::vector<std::string> errors(n);
        // Decode + val transform, photos shared out one at a time (they differ in size).
        std::atomic<size_t> next{0};
        auto work = [&] {
            for (size_t k; (k = next++) < n;) {
                const std::string& path = a.files[begin + k];
                try {
                    const Image img = load_image(path);
                    val_tensor(img, run.transform, x.data() + k * per, Layout::HWC);
                } catch (const std::exception& e) {
                    // DecodeError already reads "<file>: <format>: <reason>"; anything else gets the file.
                    std::string msg = e.what();
                    if (!dynamic_cast<const DecodeError*>(&e)) msg = path + ": " + msg;
                    errors[k] = msg.empty() ? path + ": failed" : msg;
                }
            }
        };
        std::vector<std::thread> pool;
        for (unsigned t = 1; t < std::min<unsigned>(threads, (unsigned)n); ++t) pool.emplace_back(work);
        work();
        for (auto& t : pool) t.join();

        // Squeeze out the photos that failed, keeping the order, then one trunk pass.
        size_t ok = 0;
        for (size_t k = 0; k < n; ++k) {
            if (!errors[k].empty()) continue;
            if (ok != k) std::memmove(x.data() + ok * per, x.data() + k * per, per * sizeof(float));
            ++ok;
        }
        feats.assign(ok * F, 0.f);
        if (ok) trunk.run(x.data(), (int64_t)ok, spec.feature_layer, feats.data());

        size_t row = 0;
        for (size_t k = 0; k < n; ++k) {
            train::Prediction p;
            p.file = a.files[begin + k];
            if (!errors[k].empty()) {
                p.error = errors[k];
            } else {
                // The head: logits = W f + b, then a softmax (max subtracted, like torch's).
                const float* f = feats.data() + row++ * F;
                std::vector<float> logits(K);
                for (int64_t c = 0; c < K; ++c) {
                    double s = B ? B[c] : 0.0;
                    for (int64_t i = 0; i < F; ++i) s += (double)W[c * F + i] * f[i];
                    logits[c] = (float)s;
                }
                const float mx = *std::max_element(logits.begin(), logits.end());
                double sum = 0;
                p.probs.resize(K);
                for (int64_t c = 0; c < K; ++c) sum += p.probs[c] = std::exp(logits[c] - mx);
                for (float& v : p.probs) v = (float)(v / sum);
                p.label = (int)(std::max_element(p.probs.begin(), p.probs.end()) - p.probs.begin());
            }
            emit(p, run.labels);
        }
    }
    return true;
}

}  // namespace catdog::lite
