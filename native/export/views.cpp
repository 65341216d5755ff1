// export/views.cpp - see views.h.
#include "export/views.h"

#include <stdexcept>

namespace catdog::exporter {

torch::Tensor view_activation(nets::Model& model, const catdog::Image& photo,
                              const catdog::TransformSpec& transform, const std::string& layer) {
    const nets::NetSpec& spec = model.spec();
    bool known = false;
    for (int i : spec.view_layers()) known = known || spec.layers[size_t(i)].view == layer;
    if (!known)
        throw std::invalid_argument("unknown layer '" + layer + "' for " + spec.backbone +
                                    "; valid layers: " + spec.view_names());
    const int S = transform.crop;
    torch::Tensor x = torch::empty({1, 3, S, S}, torch::kFloat32);
    catdog::val_tensor(photo, transform, x.data_ptr<float>());
    torch::NoGradGuard no_grad;
    nets::Taps taps;
    model.forward(x.to(model.device()), /*train=*/false, &taps);
    for (auto& [name, t] : taps)
        if (name == layer) return t[0].to(torch::kCPU, torch::kFloat32).contiguous();
    throw std::logic_error("view_activation: the forward pass did not tap " + layer);
}

torch::Tensor conv1_weight(const nets::Model& model) {
    const auto& p = model.params();
    auto it = p.find(model.spec().conv1 + ".weight");
    if (it == p.end()) throw std::runtime_error("the model has no " + model.spec().conv1 + ".weight");
    return it->second.detach().to(torch::kCPU, torch::kFloat32).contiguous();
}

}  // namespace catdog::exporter
