// Helpers for the export tests: raw float files, photos -> input batches, and running the
// outside reference (onnxruntime under node, tests/reference/ort_parity.mjs).
//
// Include this BEFORE <catch2/catch.hpp>: LibTorch's headers pull in glog, whose CHECK macro
// (abort on failure) would otherwise replace Catch's CHECK in the test file.
#pragma once
#include <torch/torch.h>
#undef CHECK
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>
#include <nlohmann/json.hpp>
#include "catdog/image.h"
#include "catdog/transforms.h"
#include "test_paths.h"

namespace export_test {

namespace fs = std::filesystem;

inline std::string work_dir(const std::string& name) {
    fs::path d = fs::path(catdog_test::binary_dir()) / "export_test" / name;
    fs::remove_all(d);
    fs::create_directories(d);
    return d.string();
}

inline void write_f32(const std::string& path, const torch::Tensor& t) {
    torch::Tensor c = t.to(torch::kCPU, torch::kFloat32).contiguous();
    std::ofstream f(path, std::ios::binary);
    f.write(reinterpret_cast<const char*>(c.data_ptr<float>()), std::streamsize(c.numel() * 4));
    REQUIRE(f.good());
}

inline torch::Tensor read_f32(const std::string& path, std::vector<int64_t> shape) {
    torch::Tensor t = torch::empty(shape, torch::kFloat32);
    std::ifstream f(path, std::ios::binary | std::ios::ate);
    REQUIRE(f.good());
    REQUIRE(int64_t(f.tellg()) == t.numel() * 4);
    f.seekg(0);
    f.read(reinterpret_cast<char*>(t.data_ptr<float>()), std::streamsize(t.numel() * 4));
    return t;
}

// Photos through the val transform -> [N, 3, S, S].
inline torch::Tensor photo_batch(const std::vector<std::string>& paths, const catdog::TransformSpec& spec) {
    const int S = spec.crop;
    torch::Tensor x = torch::empty({int64_t(paths.size()), 3, S, S}, torch::kFloat32);
    for (size_t i = 0; i < paths.size(); ++i)
        catdog::val_tensor(catdog::load_image(paths[i]), spec, x[int64_t(i)].data_ptr<float>());
    return x;
}

inline std::vector<std::string> jpegs(const std::string& dir) {
    std::vector<std::string> v;
    for (auto& e : fs::directory_iterator(dir))
        if (e.path().extension() == ".jpg") v.push_back(e.path().string());
    std::sort(v.begin(), v.end());
    return v;
}

struct OrtResult {
    nlohmann::json meta;
    std::map<std::string, torch::Tensor> out;
};

// Runs node + onnxruntime on the given input batch files; returns every fetched output.
inline OrtResult run_ort(const std::string& model, const std::vector<std::string>& inputs,
                         const std::string& out_dir, const std::string& backend = "node",
                         const std::string& fetch = "", int bench = 0, bool fold_dq = false) {
    std::string files;
    for (auto& f : inputs) files += (files.empty() ? "" : ",") + f;
    std::string cmd = "node " + catdog_test::source_dir() + "/tests/reference/ort_parity.mjs --model '" +
                      model + "' --input '" + files + "' --shape -1,3,224,224 --out '" + out_dir +
                      "' --backend " + backend + " --bench " + std::to_string(bench);
    if (!fetch.empty()) cmd += " --outputs " + fetch;
    if (fold_dq) cmd += " --fold-dq 1";
    INFO("reference command: " << cmd);
    REQUIRE(std::system(cmd.c_str()) == 0);
    OrtResult r;
    std::ifstream jf(out_dir + "/outputs.json");
    r.meta = nlohmann::json::parse(jf);
    for (auto& [name, dims] : r.meta.at("outputs").items())
        r.out[name] = read_f32(out_dir + "/" + name + ".bin", dims.get<std::vector<int64_t>>());
    return r;
}

inline double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
    REQUIRE(a.sizes() == b.sizes());
    return (a.to(torch::kCPU) - b.to(torch::kCPU)).abs().max().item<double>();
}

}  // namespace export_test
