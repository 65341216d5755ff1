// nets/mapped_weights.cpp - the <ckpt>.f32 sidecar (weights/f32_sidecar.h) as torch tensors.
#include "nets/mapped_weights.h"

#include "weights/f32_sidecar.h"

namespace catdog::nets {

std::string mapped_weights_path(const std::string& ckpt_path) { return weights::f32_sidecar_path(ckpt_path); }

void write_mapped_weights(const std::string& ckpt_path,
                          const std::vector<std::pair<std::string, torch::Tensor>>& tensors) {
    std::vector<torch::Tensor> keep;
    std::vector<weights::RawTensor> raw;
    for (const auto& [name, t] : tensors) {
        keep.push_back(t.detach().to(torch::kCPU, torch::kFloat).contiguous());
        raw.push_back({name, keep.back().sizes().vec(), keep.back().data_ptr<float>()});
    }
    weights::write_f32_sidecar(ckpt_path, raw);
}

bool read_mapped_weights(const std::string& ckpt_path, std::map<std::string, torch::Tensor>& out) {
    weights::F32Sidecar s;
    if (!weights::open_f32_sidecar(ckpt_path, s)) return false;
    std::map<std::string, torch::Tensor> got;
    auto map = s.mapping;  // each tensor keeps the mapping alive
    for (const auto& t : s.tensors)
        got[t.name] = torch::from_blob(const_cast<float*>(t.data), t.shape, [map](void*) {}, torch::kFloat);
    out = std::move(got);
    return true;
}

}  // namespace catdog::nets
