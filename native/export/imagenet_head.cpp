// export/imagenet_head.cpp - the original classifier from the pretrained file (imagenet_head.h).
#include "export/imagenet_head.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include "nets/pretrained.h"

namespace catdog::exporter {

namespace fs = std::filesystem;

const std::vector<std::string>& imagenet_classes() {
    static const std::vector<std::string> list = [] {
        static const char text[] =
#include "imagenet_classes.inc"
            ;
        std::vector<std::string> out;
        std::istringstream in(text);
        for (std::string line; std::getline(in, line);)
            if (!line.empty()) out.push_back(line);
        return out;
    }();
    return list;
}

ImagenetHead load_imagenet_head(const nets::NetSpec& spec, const std::string& weights_path, std::string* why) {
    ImagenetHead h;
    auto none = [&](const std::string& reason) {
        if (why) *why = reason;
        return ImagenetHead{};
    };
    if (weights_path.empty() || weights_path == "random") return none("the run was trained without pretrained weights");
    if (spec.head_layer < 0 || spec.layers[size_t(spec.head_layer)].op != nets::Op::Linear)
        return none(spec.backbone + "'s head is not a Linear layer");
    if (!fs::is_regular_file(weights_path)) return none(weights_path + " is gone");
    const nets::Layer& head = spec.layers[size_t(spec.head_layer)];
    weights::WeightMap w;
    try {
        w = nets::load_pretrained(spec.backbone, weights_path);
    } catch (const std::exception& e) {
        return none(e.what());
    }
    auto wt = w.tensors.find(head.name + ".weight"), bt = w.tensors.find(head.name + ".bias");
    if (wt == w.tensors.end() || bt == w.tensors.end()) return none(weights_path + " has no " + head.name + " head");
    const auto& ws = wt->second.shape;
    if (ws.size() != 2 || ws[1] != head.in_ch || bt->second.shape != std::vector<int64_t>{ws[0]})
        return none(weights_path + ": its " + head.name + " does not read the " + std::to_string(head.in_ch) + " features");
    h.classes = int(ws[0]);
    h.features = head.in_ch;
    h.weight = wt->second.data;
    h.bias = bt->second.data;

    const auto& names = imagenet_classes();
    if (h.classes == int(names.size())) {
        h.labels = names;
    } else if (h.classes == int(names.size()) + 1) {
        std::ifstream f(fs::path(weights_path).parent_path() / "imagenet_labels.txt");
        for (std::string line; f && std::getline(f, line);) {
            if (!line.empty() && line.back() == '\r') line.pop_back();
            h.labels.push_back(line);
        }
        if (int(h.labels.size()) != h.classes) {
            h.labels = {"background"};
            h.labels.insert(h.labels.end(), names.begin(), names.end());
        }
    } else {
        for (int k = 0; k < h.classes; ++k) h.labels.push_back("class " + std::to_string(k));
    }
    return h;
}

}  // namespace catdog::exporter
