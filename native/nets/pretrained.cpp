// nets/pretrained.cpp - pretrained weights by file content: torchvision .pth or Google's .tflite.
#include <cstdio>
#include <fstream>
#include <string>

#include "nets/pretrained.h"
#include "weights/pth_reader.h"

namespace catdog::nets {
namespace {

enum class Kind { Pth, Tflite };

// By content, whatever the file is called: TFLite has "TFL3" at offset 4, a .pth is a zip
// ("PK\3\4") or a pickle (protocol opcode 0x80).
Kind detect(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw weights::WeightError(path, "cannot open");
    char head[8] = {};
    f.read(head, sizeof head);
    if (f.gcount() == 8 && std::string(head + 4, 4) == "TFL3") return Kind::Tflite;
    if (f.gcount() >= 4 && std::string(head, 4) == std::string("PK\3\4", 4)) return Kind::Pth;
    if (f.gcount() >= 1 && (unsigned char)head[0] == 0x80) return Kind::Pth;
    throw weights::WeightError(path, "neither a torchvision .pth (zip or pickle) nor a TFLite file");
}

std::string dims(const std::vector<int64_t>& s) {
    std::string r = "[";
    for (size_t i = 0; i < s.size(); ++i) r += (i ? "," : "") + std::to_string(s[i]);
    return r + "]";
}

}  // namespace

void check_weights(const weights::WeightMap& w, const NetSpec& spec, bool include_head, const std::string& name) {
    std::vector<ParamInfo> wanted;
    for (const ParamInfo& p : spec.params())
        if (include_head || p.layer != spec.head_layer) wanted.push_back(p);
    // Missing names first: weights of another network fail here, whatever shapes they share.
    std::string missing;
    int n_missing = 0;
    for (const ParamInfo& p : wanted)
        if (!w.tensors.count(p.name) && n_missing++ < 4) missing += (missing.empty() ? "" : ", ") + p.name;
    if (n_missing)
        throw weights::WeightError(name, "not " + spec.backbone + " weights: " + std::to_string(n_missing) +
                                             " parameters missing (" + missing + (n_missing > 4 ? ", ..." : "") + ")");
    for (const ParamInfo& p : wanted) {
        const weights::Tensor& t = w.tensors.at(p.name);
        if (t.shape != p.shape)
            throw weights::WeightError(name, p.name + " is " + dims(t.shape) + ", " + spec.backbone + " needs " +
                                                 dims(p.shape));
        if ((int64_t)t.data.size() != t.numel())
            throw weights::WeightError(name, p.name + " holds " + std::to_string(t.data.size()) +
                                                 " values for shape " + dims(p.shape));
    }
}

std::string resolve_backbone(const std::string& backbone, const std::string& path) {
    if (backbone != "mobilenet_v2" && backbone != "mobilenet_v2_torchvision") return backbone;
    std::ifstream probe(path, std::ios::binary);
    if (!probe) return backbone;  // load_pretrained reports it
    try {
        return detect(path) == Kind::Tflite ? "mobilenet_v2" : "mobilenet_v2_torchvision";
    } catch (const weights::WeightError&) {
        return backbone;
    }
}

weights::WeightMap load_pretrained(const std::string& backbone, const std::string& path) {
    NetSpec probe = make_spec(backbone, 1);  // throws for an unknown backbone
    const Kind kind = detect(path);
    weights::WeightMap w;
    if (kind == Kind::Tflite) {
        if (backbone != "mobilenet_v2")
            throw weights::WeightError(path, "a TFLite file can only provide mobilenet_v2 weights, not " + backbone);
        const weights::TfliteModel m = weights::read_tflite(path);
        // The graph carries its own classifier: map it with that class count.
        int classes = 0;
        for (auto it = m.ops.rbegin(); it != m.ops.rend() && !classes; ++it)
            if (it->op == "CONV_2D" && it->inputs.size() > 1 && it->inputs[1] >= 0 &&
                it->inputs[1] < (int)m.tensors.size() && !m.tensors[it->inputs[1]].shape.empty())
                classes = (int)m.tensors[it->inputs[1]].shape[0];
        if (classes < 1) throw weights::WeightError(path, "no convolution found: not a MobileNet V2 graph");
        w = import_tflite(m, make_spec(backbone, classes), path);
    } else {
        w = weights::read_pth(path);
        if (backbone == "mobilenet_v2") {
            bool torchvision_layout = true;
            try {
                check_weights(w, make_spec("mobilenet_v2_torchvision", 1), false, path);
            } catch (const weights::WeightError&) {
                torchvision_layout = false;  // another network: the check below names what is missing
            }
            if (torchvision_layout)
                throw weights::WeightError(path, "holds torchvision's MobileNet V2 layout (BatchNorm, symmetric "
                                                 "pads): use --backbone mobilenet_v2_torchvision");
        }
    }
    // The head's class count is whatever the file has; the backbone must match exactly.
    const std::string head_w = probe.layers[probe.head_layer].name + ".weight";
    int classes = 1;
    auto it = w.tensors.find(head_w);
    if (it != w.tensors.end() && it->second.shape.size() >= 2 && it->second.shape[0] >= 1)
        classes = (int)it->second.shape[0];
    check_weights(w, make_spec(backbone, classes), it != w.tensors.end(), path);
    return w;
}

}  // namespace catdog::nets
