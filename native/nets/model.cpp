// nets/model.cpp - the NetSpec interpreted with torch's functional ops.
//
// Index of this file:
// [SECTION] Initialisation (torch.nn's reset_parameters)
// [SECTION] Forward: one switch over the spec's ops
// [SECTION] Freezing and devices
// [SECTION] Adopting a file's tensors
#include "nets/model.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>


namespace catdog::nets {
namespace {

std::string dims(at::IntArrayRef s) {
    std::string r = "[";
    for (size_t i = 0; i < s.size(); ++i) r += (i ? "," : "") + std::to_string(s[i]);
    return r + "]";
}

//-----------------------------------------------------------------------------
// [SECTION] Initialisation
//-----------------------------------------------------------------------------

// torch.nn.Conv2d / Linear reset_parameters: kaiming_uniform_(w, a=sqrt(5)) (a bound of
// 1/sqrt(fan_in)) and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)). Drawn weight then bias,
// layer by layer, so the same torch::manual_seed gives torchvision's random model.
void init_layer(const Layer& l, std::map<std::string, torch::Tensor>& params) {
    torch::NoGradGuard no_grad;
    if (l.op == Op::BatchNorm) {  // torch.nn.BatchNorm2d: identity affine, unit running variance
        params[l.name + ".weight"] = torch::ones({l.out_ch}, torch::kFloat);
        params[l.name + ".bias"] = torch::zeros({l.out_ch}, torch::kFloat);
        params[l.name + ".running_mean"] = torch::zeros({l.out_ch}, torch::kFloat);
        params[l.name + ".running_var"] = torch::ones({l.out_ch}, torch::kFloat);
        return;
    }
    std::vector<int64_t> shape;
    if (l.op == Op::Conv) shape = {l.out_ch, l.in_ch / l.groups, l.kh, l.kw};
    else if (l.op == Op::Linear) shape = {l.out_ch, l.in_ch};
    else return;
    torch::Tensor w = torch::empty(shape, torch::kFloat);
    torch::nn::init::kaiming_uniform_(w, std::sqrt(5.0));
    params[l.name + ".weight"] = w;
    if (l.bias) {
        int64_t fan_in = 1;
        for (size_t i = 1; i < shape.size(); ++i) fan_in *= shape[i];
        const double bound = fan_in > 0 ? 1.0 / std::sqrt(double(fan_in)) : 0.0;
        params[l.name + ".bias"] = torch::empty({l.out_ch}, torch::kFloat).uniform_(-bound, bound);
    }
}

bool symmetric(const std::array<int, 4>& p) { return p[0] == p[2] && p[1] == p[3]; }

// (top, left, bottom, right) -> constant_pad_nd's order, last dim first: (left, right, top, bottom).
std::vector<int64_t> lrtb(const std::array<int, 4>& p) { return {p[1], p[3], p[0], p[2]}; }

}  // namespace

Model::Model(NetSpec spec) : Model(std::move(spec), Init::Random) {}

Model::Model(NetSpec spec, Init init) : spec_(std::move(spec)) {
    spec_.infer_shapes();
    if (init == Init::Random) {
        for (const Layer& l : spec_.layers) init_layer(l, params_);
    } else {
        for (const ParamInfo& p : spec_.params()) params_[p.name] = torch::empty(p.shape, torch::kFloat);
    }
    set_trainable(0);
}

void Model::reset_head(int num_classes) {
    if (num_classes < 1) throw std::invalid_argument("reset_head: num_classes must be >= 1");
    Layer& h = spec_.layers[spec_.head_layer];
    h.out_ch = num_classes;
    spec_.num_classes = num_classes;
    spec_.infer_shapes();
    init_layer(h, params_);
    torch::NoGradGuard no_grad;
    for (const char* suffix : {".weight", ".bias"}) {
        auto it = params_.find(h.name + suffix);
        if (it == params_.end()) continue;
        it->second = it->second.to(device_);
        it->second.set_requires_grad(true);
    }
}

//-----------------------------------------------------------------------------
// [SECTION] Forward
//-----------------------------------------------------------------------------

// Runs layers [from, to] on x (x is the input of layer `from`). Outputs are dropped after
// their last reader, so an inference pass holds only the live activations.
torch::Tensor Model::run(const torch::Tensor& x, int from, int to, bool train, Taps* taps) {
    const int n = to - from + 1;
    std::vector<torch::Tensor> out(n);
    std::vector<int> last_use(n, -1);
    for (int i = from; i <= to; ++i)
        for (int j : spec_.inputs_of(i))
            if (j >= from) last_use[j - from] = i;
    const torch::Tensor* prev = &x;

    for (int i = from; i <= to; ++i) {
        const Layer& l = spec_.layers[i];
        auto input = [&](int k) -> const torch::Tensor& {
            const int j = spec_.input_of(i, size_t(k));
            if (j == from - 1 && k == 0 && l.inputs.empty()) return x;
            if (j < from) throw std::logic_error("layer '" + l.name + "' reads a layer outside the range run");
            return out[j - from];
        };
        // Safe to overwrite in place: the input is ours alone (a fresh conv/linear/add output
        // read by no one else and not tapped). Autograd allows it: none of those ops needs
        // its own output for backward.
        auto can_inplace = [&]() {
            if (!l.inputs.empty() || i == from) return false;
            const Layer& p = spec_.layers[i - 1];
            return (p.op == Op::Conv || p.op == Op::Linear || p.op == Op::Add || p.op == Op::BatchNorm ||
                    p.op == Op::Concat) &&
                   p.view.empty() && last_use[i - 1 - from] == i;
        };
        torch::Tensor y;
        switch (l.op) {
        case Op::Conv: {
            const torch::Tensor& w = param(l.name + ".weight", i);
            torch::Tensor b = l.bias ? param(l.name + ".bias", i) : torch::Tensor();
            const std::vector<int64_t> stride{l.stride, l.stride}, dilation{1, 1};
            if (symmetric(l.pad)) {
                const std::vector<int64_t> pad{l.pad[0], l.pad[1]};
                y = torch::conv2d(input(0), w, b, stride, pad, dilation, l.groups);
            } else {  // TF 'SAME' at stride 2: pad right/bottom only
                torch::Tensor p = torch::constant_pad_nd(input(0), lrtb(l.pad), 0);
                const std::vector<int64_t> zero{0, 0};
                y = torch::conv2d(p, w, b, stride, zero, dilation, l.groups);
            }
            break;
        }
        case Op::Relu:
            y = can_inplace() ? torch::relu_(out[i - 1 - from]) : torch::relu(input(0));
            break;
        case Op::Relu6:
            y = can_inplace() ? torch::hardtanh_(out[i - 1 - from], 0.0, 6.0) : torch::hardtanh(input(0), 0.0, 6.0);
            break;
        case Op::MaxPool: {
            const std::vector<int64_t> kernel{l.kh, l.kw}, stride{l.stride, l.stride};
            if (symmetric(l.pad)) {
                const std::vector<int64_t> pad{l.pad[0], l.pad[1]};
                y = torch::max_pool2d(input(0), kernel, stride, pad);
            } else {
                const double ninf = -std::numeric_limits<double>::infinity();
                y = torch::max_pool2d(torch::constant_pad_nd(input(0), lrtb(l.pad), ninf), kernel, stride);
            }
            break;
        }
        case Op::AdaptiveAvgPool: {
            const std::vector<int64_t> size{l.out_h, l.out_w};
            y = torch::adaptive_avg_pool2d(input(0), size);
            break;
        }
        case Op::Flatten:
            y = input(0).flatten(1);
            break;
        case Op::Dropout:
            y = torch::dropout(input(0), l.p, train);
            break;
        case Op::Linear: {
            torch::Tensor b = l.bias ? param(l.name + ".bias", i) : torch::Tensor();
            y = torch::linear(input(0), param(l.name + ".weight", i), b);
            break;
        }
        case Op::Add:
            y = torch::add(input(0), input(1));
            break;
        case Op::Concat: {
            std::vector<torch::Tensor> parts;
            for (size_t k = 0; k < l.inputs.size(); ++k) parts.push_back(input((int)k));
            y = torch::cat(parts, 1);
            break;
        }
        case Op::BatchNorm: {
            // Batch statistics (and a running-statistics update, momentum 0.1) only where the
            // layer trains, as PyTorch's train(); a frozen BatchNorm keeps inference mode.
            const torch::Tensor& w = param(l.name + ".weight", i);
            const bool batch_stats = train && params_.at(l.name + ".weight").requires_grad();
            y = torch::batch_norm(input(0), w, param(l.name + ".bias", i), param(l.name + ".running_mean", i),
                                  param(l.name + ".running_var", i), batch_stats, 0.1, l.eps,
                                  /*cudnn_enabled=*/true);
            break;
        }
        }
        if (taps && !l.view.empty()) taps->emplace_back(l.view, y);
        out[i - from] = y;
        // Release what no later layer reads.
        for (int j : spec_.inputs_of(i))
            if (j >= from && last_use[j - from] == i) out[j - from] = torch::Tensor();
        prev = &out[i - from];
    }
    return *prev;
}

const torch::Tensor& Model::param(const std::string& name, int layer) const {
    if (!lowp_.empty() && layer <= spec_.feature_layer) return lowp_.at(name);
    return params_.at(name);
}

void Model::rebuild_lowp() {
    lowp_.clear();
    if (trunk_dtype_ == torch::kFloat) return;
    torch::NoGradGuard no_grad;
    for (const ParamInfo& p : spec_.params())
        if (p.layer <= spec_.feature_layer) lowp_[p.name] = params_.at(p.name).detach().to(trunk_dtype_);
}

void Model::set_trunk_dtype(torch::ScalarType dtype) {
    if (dtype != torch::kFloat && dtype != torch::kBFloat16 && dtype != torch::kHalf)
        throw std::invalid_argument("trunk precision must be float32, bfloat16 or float16");
    trunk_dtype_ = dtype;
    rebuild_lowp();
}

torch::Tensor Model::trunk(const torch::Tensor& x, bool train, Taps* taps) {
    // A [C,H,W] feature map (SqueezeNet) leaves as [N, C*H*W] rows in NCHW order: what the
    // feature cache stores and head() takes.
    torch::Tensor f = trunk_map(x, train, taps);
    return f.dim() == 2 ? f : f.contiguous().flatten(1);
}

torch::Tensor Model::unflatten_features(const torch::Tensor& features) const {
    const auto& fs = spec_.layers[spec_.feature_layer].out_shape;
    if (fs.size() != 3) return features;
    return features.view({features.size(0), fs[0], fs[1], fs[2]});
}

torch::Tensor Model::trunk_map(const torch::Tensor& x, bool train, Taps* taps) {
    if (x.dim() != 4 || x.size(1) != 3)
        throw std::invalid_argument(spec_.backbone + ": input must be [N,3,H,W], got " + dims(x.sizes()));
    if (torch::Tensor f; !taps && trunk_onednn(x, train, f)) return f;
    if (!lowp_.empty()) {
        for (const ParamInfo& p : spec_.params())
            if (p.layer <= spec_.feature_layer && params_.at(p.name).requires_grad())
                throw std::logic_error(spec_.backbone + ": a reduced-precision trunk must be frozen (" + p.name +
                                       " trains)");
        torch::Tensor xl = x.to(trunk_dtype_);
        if (channels_last_) xl = xl.contiguous(at::MemoryFormat::ChannelsLast);
        return run(xl, 0, spec_.feature_layer, train, taps).to(torch::kFloat);
    }
    if (channels_last_ && !x.is_contiguous(at::MemoryFormat::ChannelsLast))
        return run(x.contiguous(at::MemoryFormat::ChannelsLast), 0, spec_.feature_layer, train, taps);
    return run(x, 0, spec_.feature_layer, train, taps);
}

torch::Tensor Model::head(const torch::Tensor& features) {
    if (features.dim() != 2 || features.size(1) != spec_.feature_dim)
        throw std::invalid_argument(spec_.backbone + ": head expects [N," + std::to_string(spec_.feature_dim) +
                                    "] features, got " + dims(features.sizes()));
    return run(unflatten_features(features.contiguous()), spec_.feature_layer + 1, (int)spec_.layers.size() - 1,
               false, nullptr);
}

torch::Tensor Model::forward(const torch::Tensor& x, bool train, Taps* taps) {
    torch::Tensor f = trunk_map(x, train, taps);
    return run(f, spec_.feature_layer + 1, (int)spec_.layers.size() - 1, train, taps);
}

//-----------------------------------------------------------------------------
// [SECTION] Freezing and devices
//-----------------------------------------------------------------------------
void Model::set_trainable(int unfreeze_last) {
    const std::vector<int> bb = spec_.backbone_param_layers();
    if (unfreeze_last < 0 || unfreeze_last > (int)bb.size()) unfreeze_last = (int)bb.size();
    unfreeze_last_ = unfreeze_last;
    const std::vector<bool> trainable = trainable_layers(unfreeze_last, true);
    for (const ParamInfo& p : spec_.params()) params_.at(p.name).set_requires_grad(!p.buffer && trainable[p.layer]);
}

// Which layers train: the head (when `head`), the last K convs/linears and their BatchNorms.
std::vector<bool> Model::trainable_layers(int unfreeze_last, bool head) const {
    const std::vector<int> bb = spec_.backbone_param_layers();
    std::vector<bool> trainable(spec_.layers.size(), false);
    trainable[spec_.head_layer] = head;
    for (int k = (int)bb.size() - unfreeze_last; k < (int)bb.size(); ++k) trainable[bb[k]] = true;
    for (int i = 0; i < (int)spec_.layers.size(); ++i)
        if (spec_.layers[i].op == Op::BatchNorm) trainable[i] = trainable[spec_.bn_owner(i)];
    return trainable;
}

std::vector<torch::Tensor> Model::head_parameters() {
    std::vector<torch::Tensor> out;
    for (const ParamInfo& p : spec_.params())
        if (p.layer == spec_.head_layer) out.push_back(params_.at(p.name));
    return out;
}

std::vector<torch::Tensor> Model::unfrozen_backbone_parameters() {
    const std::vector<bool> unfrozen = trainable_layers(unfreeze_last_, false);
    std::vector<torch::Tensor> out;
    for (const ParamInfo& p : spec_.params())
        if (unfrozen[p.layer] && !p.buffer) out.push_back(params_.at(p.name));
    return out;
}

void Model::to(torch::Device device) {
    torch::NoGradGuard no_grad;
    for (auto& [name, t] : params_) {
        const bool rg = t.requires_grad();
        t = t.to(device);
        t.set_requires_grad(rg);
    }
    device_ = device;
    rebuild_lowp();
}

void Model::set_channels_last(bool on) {
    torch::NoGradGuard no_grad;
    const auto fmt = on ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::Contiguous;
    for (auto& [name, t] : params_) {
        if (t.dim() != 4) continue;
        const bool rg = t.requires_grad();
        t = t.contiguous(fmt);
        t.set_requires_grad(rg);
    }
    channels_last_ = on;
    rebuild_lowp();
}

//-----------------------------------------------------------------------------
// [SECTION] Adopting a file's tensors
//-----------------------------------------------------------------------------
void Model::adopt(const std::string& path, std::map<std::string, torch::Tensor>& got) {
    // The head takes the file's class count.
    const std::string head_w = spec_.layers[spec_.head_layer].name + ".weight";
    auto hw = got.find(head_w);
    const Layer& head = spec_.layers[spec_.head_layer];
    const int64_t head_in = head.in_ch;  // Linear in_features, or the head conv's input channels
    if (hw != got.end() && hw->second.dim() >= 2 && hw->second.size(0) != spec_.num_classes &&
        hw->second.size(1) == head_in)
        reset_head((int)hw->second.size(0));
    for (const ParamInfo& p : spec_.params()) {
        auto it = got.find(p.name);
        if (it == got.end()) throw std::runtime_error(path + ": no " + p.name + " (not a " + spec_.backbone + " checkpoint?)");
        if (it->second.sizes() != at::IntArrayRef(p.shape))
            throw std::runtime_error(path + ": " + p.name + " is " + dims(it->second.sizes()) + ", " + spec_.backbone +
                                     " needs " + dims(p.shape));
    }
    if (got.size() != spec_.params().size())
        throw std::runtime_error(path + ": holds " + std::to_string(got.size()) + " tensors, " + spec_.backbone +
                                 " has " + std::to_string(spec_.params().size()));
    // Adopt the unpickled tensors (no second copy of 228 MB), in this model's layout/device.
    torch::NoGradGuard no_grad;
    for (const ParamInfo& p : spec_.params()) {
        torch::Tensor& dst = params_.at(p.name);
        const bool rg = dst.requires_grad();
        torch::Tensor t = got.at(p.name).to(device_, torch::kFloat);
        if (channels_last_ && t.dim() == 4) t = t.contiguous(at::MemoryFormat::ChannelsLast);
        else t = t.contiguous();
        dst = t.set_requires_grad(rg);
    }
    rebuild_lowp();
}

}  // namespace catdog::nets
