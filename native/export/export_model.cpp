// export/export_model.cpp - see export_model.h.
#include "export/export_model.h"

#include <algorithm>

namespace catdog::exporter {

ExportResult export_model(const nets::Model& model, const std::vector<std::string>& labels,
                          const std::string& dir, const ExportOptions& opt) {
    // CPU float32 contiguous copies only where needed; kept alive for the lookups.
    std::map<std::string, torch::Tensor> cpu;
    for (const auto& [name, t] : model.params()) cpu[name] = t.detach().to(torch::kCPU, torch::kFloat32).contiguous();
    ParamLookup lookup = [&cpu](const std::string& name) -> ParamView {
        auto it = cpu.find(name);
        if (it == cpu.end()) return {};
        return {it->second.sizes().vec(), it->second.data_ptr<float>()};
    };
    return export_weights(model.spec(), lookup, labels, dir, opt);
}

std::map<std::string, std::vector<float>> calibrate_linears(nets::Model& model, const torch::Tensor& photos,
                                                            const OnnxOptions& onnx) {
    torch::NoGradGuard no_grad;
    return calibrate_linears(model.spec(), photos.size(0), [&](int last, float* out) {
        const torch::Tensor y = model.run_to(photos, last).to(torch::kCPU, torch::kFloat).contiguous();
        std::copy(y.data_ptr<float>(), y.data_ptr<float>() + y.numel(), out);
    }, false, onnx);
}

}  // namespace catdog::exporter
