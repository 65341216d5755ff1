// train/checkpoint.cpp - checkpoint archives and device selection.
#include "train/checkpoint.h"

#include <sstream>
#include "catdog/files.h"

namespace catdog::train {

void save_checkpoint(const std::string& path, const nets::Model& model, const torch::optim::Optimizer* opt,
                     const nlohmann::json& state) {
    torch::serialize::OutputArchive ar;
    nlohmann::json st = state;
    st["params"] = nlohmann::json::array();
    int i = 0;
    for (const auto& [name, t] : model.params()) {
        st["params"].push_back(name);
        ar.write("p" + std::to_string(i++), t.detach().to(torch::kCPU));
    }
    ar.write("state", c10::IValue(st.dump()));
    if (opt) {
        torch::serialize::OutputArchive oa;
        opt->save(oa);
        ar.write("optimizer", oa);
    }
    std::ostringstream bytes;
    ar.save_to(bytes);
    write_file_atomic(path, bytes.str());
}

nlohmann::json load_checkpoint(const std::string& path, nets::Model& model, torch::optim::Optimizer* opt) {
    torch::serialize::InputArchive ar;
    nlohmann::json st;
    try {
        std::istringstream bytes(read_file(path));
        ar.load_from(bytes, model.device());
        c10::IValue v;
        ar.read("state", v);
        st = nlohmann::json::parse(v.toStringRef());
    } catch (const c10::Error& e) {
        throw std::runtime_error(path + ": not a catdog checkpoint (" + e.what_without_backtrace() + ")");
    } catch (const nlohmann::json::exception& e) {
        throw std::runtime_error(path + ": damaged checkpoint state (" + e.what() + ")");
    }
    const auto& names = st.at("params");
    if (names.size() != model.params().size()) {
        throw std::runtime_error(path + ": checkpoint has " + std::to_string(names.size()) +
                                 " parameters, the model " + std::to_string(model.params().size()));
    }
    torch::NoGradGuard no_grad;
    int i = 0;
    for (auto& [name, t] : model.params()) {
        if (names[i].get<std::string>() != name) {
            throw std::runtime_error(path + ": parameter " + std::to_string(i) + " is " +
                                     names[i].get<std::string>() + ", expected " + name);
        }
        torch::Tensor saved;
        ar.read("p" + std::to_string(i++), saved);
        if (saved.sizes() != t.sizes()) throw std::runtime_error(path + ": shape mismatch for " + name);
        t.copy_(saved);
    }
    if (opt) {
        torch::serialize::InputArchive oa;
        if (!ar.try_read("optimizer", oa)) throw std::runtime_error(path + ": no optimizer state to resume from");
        opt->load(oa);
    }
    return st;
}

torch::Device resolve_device(const std::string& name) {
    if (name.empty() || name == "auto") return torch::cuda::is_available() ? torch::Device(torch::kCUDA) : torch::kCPU;
    torch::Device d(torch::kCPU);
    try {
        d = torch::Device(name);
    } catch (const c10::Error&) {
        throw std::invalid_argument("--device must be auto, cpu or cuda[:N] (got " + name + ")");
    }
    if (d.is_cuda() && !torch::cuda::is_available()) {
        throw std::invalid_argument("--device " + name + ": CUDA is not available in this build/machine");
    }
    return d;
}

}  // namespace catdog::train
