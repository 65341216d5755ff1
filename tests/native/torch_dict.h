// A dict saved by Python's torch.save (zip format), as name -> IValue: how the native tests read
// the reference tensors that tests/reference/*.py wrote with torch and torchvision.
// Include after <torch/torch.h>.
#pragma once
#include <fstream>
#include <iterator>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace catdog_test {

inline std::map<std::string, c10::IValue> load_torch_dict(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw std::runtime_error("missing fixture " + path + " (run through ctest: a fixture test makes it)");
    std::vector<char> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    std::map<std::string, c10::IValue> out;
    for (const auto& kv : torch::pickle_load(bytes).toGenericDict()) out[kv.key().toStringRef()] = kv.value();
    return out;
}

}  // namespace catdog_test
