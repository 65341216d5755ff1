// nets/model_onednn.cpp - Model::trunk's oneDNN path (see set_trunk_engine in model.h).
#include "nets/model.h"

#include <stdexcept>
#ifdef CATDOG_WITH_ONEDNN
#include "onednn/trunk.h"
#endif

namespace catdog::nets {

#ifdef CATDOG_WITH_ONEDNN
bool Model::onednn_available() { return true; }

bool Model::trunk_onednn(const torch::Tensor& x, bool train, torch::Tensor& out) {
    if (engine_ != Engine::OneDnn || !device_.is_cpu() || !lowp_.empty() || x.scalar_type() != torch::kFloat ||
        x.requires_grad() || x.size(2) != spec_.input_size || x.size(3) != spec_.input_size)
        return false;
    // Train mode: dropout draws from torch's generator, so torch runs from the first Dropout.
    int last = spec_.feature_layer;
    if (train) {
        for (int i = 0; i <= spec_.feature_layer; ++i)
            if (spec_.layers[i].op == Op::Dropout) { last = i - 1; break; }
    }
    if (last < 0 || !onednn::supports(spec_, last)) return false;

    if (fast_params_.empty()) fast_params_ = spec_.params();  // once: this runs for every batch
    std::vector<std::pair<const void*, int64_t>> key;
    for (const ParamInfo& p : fast_params_) {
        if (p.layer > spec_.feature_layer) break;
        const torch::Tensor& t = params_.at(p.name);
        if (p.layer <= last && (t.requires_grad() || !t.is_cpu() || t.scalar_type() != torch::kFloat)) return false;
        key.emplace_back(t.data_ptr(), t._version());
    }
    if (!fast_ || fast_key_ != key) {
        fast_.reset();
        auto lookup = [this](const std::string& name) {
            const torch::Tensor& t = params_.at(name);
            return onednn::ParamRef{t.data_ptr<float>(), t.sizes().vec(), t.strides().vec()};
        };
        fast_ = std::make_shared<onednn::Trunk>(spec_, lookup);
        fast_key_ = std::move(key);
    }
    const int64_t n = x.size(0);
    const torch::Tensor xh = x.permute({0, 2, 3, 1}).contiguous();  // NHWC: free when x is channels_last
    std::vector<int64_t> shape{n};
    for (int64_t d : spec_.layers[last].out_shape) shape.push_back(d);
    torch::Tensor y = torch::empty(shape, torch::kFloat);
    fast_->run(xh.data_ptr<float>(), n, last, y.data_ptr<float>());
    out = last == spec_.feature_layer ? y : run(y, last + 1, spec_.feature_layer, train, nullptr);
    return true;
}
#else
bool Model::onednn_available() { return false; }
bool Model::trunk_onednn(const torch::Tensor&, bool, torch::Tensor&) { return false; }
#endif

void Model::set_trunk_engine(Engine e) {
    if (e == Engine::OneDnn && !onednn_available())
        throw std::runtime_error("this catdog was built without oneDNN (libdnnl-dev): use the torch trunk engine");
    engine_ = e;  // built oneDNN trunks stay: switching back is free
}

}  // namespace catdog::nets
