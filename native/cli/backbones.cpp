// cli/backbones.cpp - `catdog backbones [--json]`: every backbone the NetSpec registry knows,
// with what its spec says (parameters, MACs at its input size, feature size, preprocessing)
// and what its manifest says (published ImageNet top-1, weight file, licence).
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include "cli/command.h"
#include "nets/netspec.h"
#if CATDOG_WITH_FETCH
#include "fetch/manifest.h"
#endif

namespace catdog::cli {
namespace {

// The ImageNet head the published weights carry: Google's TFLite graph has a background class.
int imagenet_classes(const std::string& backbone) { return backbone == "mobilenet_v2" ? 1001 : 1000; }

struct Figures {
    int64_t params = 0;  // trainable tensors (torch's parameters(), not BatchNorm's running statistics)
    int64_t macs = 0;    // multiply-accumulates of the convs and linears for one image
};

Figures figures(const nets::NetSpec& s) {
    Figures f;
    for (const nets::ParamInfo& p : s.params()) {
        if (p.buffer) continue;
        int64_t n = 1;
        for (int64_t d : p.shape) n *= d;
        f.params += n;
    }
    for (const nets::Layer& l : s.layers) {
        if (l.op == nets::Op::Conv)
            f.macs += l.out_shape[0] * l.out_shape[1] * l.out_shape[2] * (l.in_ch / l.groups) * l.kh * l.kw;
        else if (l.op == nets::Op::Linear)
            f.macs += (int64_t)l.in_ch * l.out_ch;
    }
    return f;
}

nlohmann::json describe(const std::string& name) {
    const nets::NetSpec s = nets::make_spec(name, imagenet_classes(name));
    const Figures f = figures(s);
    const nets::Layer& feat = s.layers[s.feature_layer];
    nlohmann::json j{
        {"name", name},
        {"parameters", f.params},
        {"macs", f.macs},
        {"input", {{"size", s.input_size}, {"resize", s.transform.resize}, {"crop", s.transform.crop},
                   {"mean", s.transform.mean}, {"std", s.transform.std}}},
        {"features", {{"layer", feat.name}, {"shape", feat.out_shape}, {"dim", s.feature_dim}}},
        {"head", s.layers[s.head_layer].name},
        {"imagenet_classes", s.num_classes},
        {"views", s.view_layers().size()},
    };
#if CATDOG_WITH_FETCH
    try {
        const fetch::Manifest m = fetch::find_manifest(name);
        j["top1"] = m.top1 > 0 ? nlohmann::json(m.top1) : nlohmann::json();
        j["weights"] = {{"file", m.file}, {"url", m.url}, {"format", m.format}, {"sha256", m.sha256}};
        if (!m.local.empty()) j["weights"]["shared"] = m.local;
        j["license"] = m.license;
    } catch (const std::exception&) {
        j["top1"] = nullptr;
        j["weights"] = nullptr;
        j["license"] = nullptr;
    }
#endif
    return j;
}

std::string mean_std(const nlohmann::json& in) {
    char buf[96];
    const auto& m = in["mean"];
    const auto& d = in["std"];
    std::snprintf(buf, sizeof buf, "mean %.3g/%.3g/%.3g std %.3g/%.3g/%.3g", m[0].get<double>(), m[1].get<double>(),
                  m[2].get<double>(), d[0].get<double>(), d[1].get<double>(), d[2].get<double>());
    return buf;
}

void run_backbones(bool as_json) {
    nlohmann::json all = nlohmann::json::array();
    for (const std::string& n : nets::backbone_names()) all.push_back(describe(n));
    if (as_json) {
        std::printf("%s\n", all.dump(2).c_str());
        return;
    }
    std::printf("%-25s %11s %6s  %-43s %-19s %6s  %s\n", "backbone", "parameters", "GMACs", "input (Resize 256, crop 224)",
                "features", "top-1", "weights / licence");
    for (const auto& j : all) {
        std::string feat = j["features"]["layer"].get<std::string>() + " " + std::to_string(j["features"]["dim"].get<int>());
        char top1[16] = "-";
        if (j.contains("top1") && j["top1"].is_number()) std::snprintf(top1, sizeof top1, "%.3f", j["top1"].get<double>());
        std::string w = j.contains("weights") && j["weights"].is_object() ? j["weights"]["file"].get<std::string>() : "-";
        std::string lic = j.contains("license") && j["license"].is_string() ? j["license"].get<std::string>() : "";
        lic = lic.substr(0, lic.find(' '));
        std::printf("%-25s %11lld %6.3f  %-43s %-19s %6s  %s%s%s\n", j["name"].get<std::string>().c_str(),
                    (long long)j["parameters"].get<int64_t>(), j["macs"].get<int64_t>() / 1e9,
                    mean_std(j["input"]).c_str(), feat.c_str(), top1, w.c_str(), lic.empty() ? "" : " / ",
                    lic.c_str());
    }
}

const RegisterCommand reg{{"backbones", "List the backbones: parameters, MACs, preprocessing, features, top-1, weights", 85,
    [](CLI::App& app) {
        auto as_json = std::make_shared<bool>(false);
        app.add_flag("--json", *as_json, "One JSON array, one object per backbone");
        app.callback([as_json] { run_backbones(*as_json); });
    }}};

}  // namespace
}  // namespace catdog::cli
