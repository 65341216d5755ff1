// nets/model_io.cpp - see model_io.h.
#include "nets/model_io.h"

#include <filesystem>
#include <stdexcept>
#include "catdog/files.h"
#include "nets/pretrained.h"
#include "weights/pth_reader.h"

namespace catdog::nets {

int load_weights(Model& model, const weights::WeightMap& w, bool include_head) {
    const NetSpec& spec = model.spec_;
    check_weights(w, spec, false, "weights for " + spec.backbone);
    torch::NoGradGuard no_grad;
    int loaded = 0;
    for (const ParamInfo& p : spec.params()) {
        auto it = w.tensors.find(p.name);
        if (it == w.tensors.end()) continue;  // only the head can be absent (checked above)
        if (p.layer == spec.head_layer && (!include_head || it->second.shape != p.shape)) continue;
        const weights::Tensor& src = it->second;
        torch::Tensor t = torch::from_blob(const_cast<float*>(src.data.data()), src.shape, torch::kFloat);
        model.params_.at(p.name).copy_(t);
        ++loaded;
    }
    model.rebuild_lowp();
    return loaded;
}

void save_model(const Model& model, const std::string& path) {
    c10::Dict<std::string, torch::Tensor> dict;
    for (const ParamInfo& p : model.spec().params())
        dict.insert(p.name, model.params().at(p.name).detach().to(torch::kCPU).contiguous());
    const std::vector<char> bytes = torch::pickle_save(dict);
    write_file_atomic(path, bytes.data(), bytes.size());
}

void load_model(Model& model, const std::string& path) {
    // The file's tensors are used where they lie in the mapped file (weights::map_pth), so
    // loading AlexNet's 228 MB costs page faults as the forward touches them, not a read.
    weights::MappedWeights m;
    try {
        m = weights::map_pth(path);
    } catch (const weights::WeightError& e) {
        if (!std::filesystem::exists(path)) throw;  // "<path>: cannot open (No such file or directory)"
        std::string why = e.what();
        if (why.rfind(path + ": ", 0) == 0) why = why.substr(path.size() + 2);
        throw std::runtime_error(path + ": not a catdog checkpoint (" + why + ")");
    }
    std::map<std::string, torch::Tensor> got;
    const std::shared_ptr<const void> keep = m.memory;
    for (const weights::RawTensor& t : m.tensors)
        got[t.name] = torch::from_blob(const_cast<float*>(t.data), t.shape, [keep](void*) {}, torch::kFloat);
    model.adopt(path, got);
}

}  // namespace catdog::nets
