// model.json <-> ModelInfo with nlohmann::json. Parsing is strict and every failure is one
// line: "model.json: <where>: <what>".
#include "catdog/model_info.h"

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <nlohmann/json.hpp>

namespace catdog {
namespace {

using json = nlohmann::json;
using ojson = nlohmann::ordered_json;
constexpr const char* kFormat = "catdog-model/1";

[[noreturn]] void fail(const std::string& where, const std::string& what) {
    throw std::runtime_error("model.json: " + where + ": " + what);
}

// nlohmann's messages may quote input text; keep the error on one line.
std::string one_line(std::string s) {
    for (char& ch : s)
        if (ch == '\n' || ch == '\r' || ch == '\t') ch = ' ';
    return s;
}

const json& member(const json& obj, const std::string& where, const char* key) {
    auto it = obj.find(key);
    if (it == obj.end()) fail(where, std::string("missing \"") + key + "\"");
    return *it;
}

std::string get_string(const json& obj, const std::string& where, const char* key) {
    const json& v = member(obj, where, key);
    if (!v.is_string()) fail(where + "." + key, "expected a string, got " + std::string(v.type_name()));
    return v.get<std::string>();
}

std::string get_string_or(const json& obj, const std::string& where, const char* key,
                          const std::string& fallback) {
    return obj.contains(key) ? get_string(obj, where, key) : fallback;
}

int get_positive_int(const json& obj, const std::string& where, const char* key) {
    const json& v = member(obj, where, key);
    if (!v.is_number_integer() || v.get<int64_t>() <= 0 || v.get<int64_t>() > 1 << 20)
        fail(where + "." + key, "expected a positive integer, got " + one_line(v.dump()));
    return v.get<int>();
}

std::vector<int64_t> get_shape(const json& obj, const std::string& where, const char* key) {
    const json& v = member(obj, where, key);
    if (!v.is_array() || v.empty()) fail(where + "." + key, "expected a non-empty array of integers");
    std::vector<int64_t> shape;
    for (const json& d : v) {
        if (!d.is_number_integer() || d.get<int64_t>() <= 0)
            fail(where + "." + key, "dimensions must be positive integers, got " + one_line(d.dump()));
        shape.push_back(d.get<int64_t>());
    }
    return shape;
}

std::array<float, 3> get_triple(const json& obj, const std::string& where, const char* key) {
    const json& v = member(obj, where, key);
    if (!v.is_array() || v.size() != 3) fail(where + "." + key, "expected an array of 3 numbers");
    std::array<float, 3> out{};
    for (size_t i = 0; i < 3; ++i) {
        if (!v[i].is_number()) fail(where + "." + key, "expected numbers, got " + one_line(v[i].dump()));
        out[i] = v[i].get<float>();
    }
    return out;
}

// The shortest decimal that reads back as the same float, as a double: 0.485f is written
// "0.485", not "0.48500001430511475".
double float_for_json(float f) {
    char buf[32];
    for (int prec = 6; prec <= 9; ++prec) {
        std::snprintf(buf, sizeof buf, "%.*g", prec, static_cast<double>(f));
        if (std::strtof(buf, nullptr) == f) break;
    }
    return std::strtod(buf, nullptr);
}

ojson triple_json(const std::array<float, 3>& a) {
    return ojson::array({float_for_json(a[0]), float_for_json(a[1]), float_for_json(a[2])});
}

}  // namespace

ModelInfo parse_model_info(const std::string& json_text) {
    json root;
    try {
        root = json::parse(json_text);
    } catch (const json::parse_error& e) {
        fail("syntax", one_line(e.what()));
    }
    if (!root.is_object()) fail("top level", "expected an object, got " + std::string(root.type_name()));
    const std::string format = get_string(root, "top level", "format");
    if (format != kFormat) fail("format", "unsupported \"" + format + "\" (expected " + kFormat + ")");

    ModelInfo info;
    info.backbone = get_string(root, "top level", "backbone");
    const json& labels = member(root, "top level", "labels");
    if (!labels.is_array() || labels.empty()) fail("labels", "expected a non-empty array of strings");
    for (const json& l : labels) {
        if (!l.is_string()) fail("labels", "expected strings, got " + one_line(l.dump()));
        info.labels.push_back(l.get<std::string>());
    }

    const json& input = member(root, "top level", "input");
    if (!input.is_object()) fail("input", "expected an object");
    info.input_name = get_string_or(input, "input", "name", "input");
    info.transform.crop = get_positive_int(input, "input", "size");
    info.transform.resize = get_positive_int(input, "input", "resize");
    info.transform.mean = get_triple(input, "input", "mean");
    info.transform.std = get_triple(input, "input", "std");
    for (float s : info.transform.std)
        if (!(s > 0.f)) fail("input.std", "every std must be > 0");

    if (root.contains("outputs")) {
        const json& out = root["outputs"];
        if (!out.is_object()) fail("outputs", "expected an object");
        info.logits_output = get_string_or(out, "outputs", "logits", info.logits_output);
        info.probs_output = get_string_or(out, "outputs", "probs", info.probs_output);
    }

    if (root.contains("layers")) {
        const json& layers = root["layers"];
        if (!layers.is_array()) fail("layers", "expected an array");
        for (size_t i = 0; i < layers.size(); ++i) {
            const std::string where = "layers[" + std::to_string(i) + "]";
            if (!layers[i].is_object()) fail(where, "expected an object");
            LayerInfo l;
            l.name = get_string(layers[i], where, "name");
            l.kind = get_string_or(layers[i], where, "kind", "");
            l.shape = get_shape(layers[i], where, "shape");
            info.layers.push_back(std::move(l));
        }
    }

    if (root.contains("conv1")) {
        const json& c1 = root["conv1"];
        if (!c1.is_object()) fail("conv1", "expected an object");
        info.conv1_weight = get_string(c1, "conv1", "weight");
        info.conv1_shape = get_shape(c1, "conv1", "shape");
        // Older model.json files stop here: they keep the defaults (stride 1, no padding).
        info.conv1_bias = get_string_or(c1, "conv1", "bias", "");
        if (c1.contains("stride")) info.conv1_stride = get_positive_int(c1, "conv1", "stride");
        if (c1.contains("pad")) {
            const json& p = c1["pad"];
            if (!p.is_array() || p.size() != 4) fail("conv1.pad", "expected [top, left, bottom, right]");
            for (size_t i = 0; i < 4; ++i) {
                if (!p[i].is_number_integer() || p[i].get<int64_t>() < 0 || p[i].get<int64_t>() > 1 << 20)
                    fail("conv1.pad", "expected non-negative integers, got " + one_line(p[i].dump()));
                info.conv1_pad[i] = p[i].get<int>();
            }
        }
        info.conv1_activation = get_string_or(c1, "conv1", "activation", "none");
        if (info.conv1_activation != "none" && info.conv1_activation != "relu" &&
            info.conv1_activation != "relu6")
            fail("conv1.activation", "unknown \"" + info.conv1_activation + "\" (none, relu, relu6)");
        info.conv1_view = get_string_or(c1, "conv1", "view", "");
    }

    auto string_list = [](const json& v, const std::string& where) {
        if (!v.is_array()) fail(where, "expected an array of strings");
        std::vector<std::string> out;
        for (const json& s : v) {
            if (!s.is_string() || s.get<std::string>().empty())
                fail(where, "expected non-empty strings, got " + one_line(s.dump()));
            out.push_back(s.get<std::string>());
        }
        return out;
    };
    if (root.contains("explain")) {
        const json& ex = root["explain"];
        if (!ex.is_object()) fail("explain", "expected an object");
        info.explain_file = get_string(ex, "explain", "file");
        info.explain_seed = get_string_or(ex, "explain", "seed", info.explain_seed);
        info.explain_layers = string_list(member(ex, "explain", "layers"), "explain.layers");
    }
    if (root.contains("cam")) {
        const json& cam = root["cam"];
        if (!cam.is_object()) fail("cam", "expected an object");
        info.cam_layer = get_string(cam, "cam", "layer");
        info.cam_weight = get_string(cam, "cam", "weight");
        info.cam_bias = get_string(cam, "cam", "bias");
    }
    if (root.contains("imagenet")) {
        const json& in = root["imagenet"];
        if (!in.is_object()) fail("imagenet", "expected an object");
        info.imagenet_output = get_string(in, "imagenet", "output");
        info.imagenet_labels = string_list(member(in, "imagenet", "labels"), "imagenet.labels");
        if (info.imagenet_labels.empty()) fail("imagenet.labels", "expected a non-empty array of strings");
    }
    return info;
}

std::string model_info_to_json(const ModelInfo& info) {
    ojson root;
    root["format"] = kFormat;
    root["backbone"] = info.backbone;
    root["labels"] = info.labels;
    root["input"] = ojson{{"name", info.input_name},
                          {"size", info.transform.crop},
                          {"resize", info.transform.resize},
                          {"mean", triple_json(info.transform.mean)},
                          {"std", triple_json(info.transform.std)}};
    root["outputs"] = ojson{{"logits", info.logits_output}, {"probs", info.probs_output}};
    ojson layers = ojson::array();
    for (const LayerInfo& l : info.layers)
        layers.push_back(ojson{{"name", l.name}, {"kind", l.kind}, {"shape", l.shape}});
    root["layers"] = std::move(layers);
    if (!info.conv1_weight.empty())
        root["conv1"] = ojson{{"weight", info.conv1_weight},     {"shape", info.conv1_shape},
                              {"bias", info.conv1_bias},         {"stride", info.conv1_stride},
                              {"pad", info.conv1_pad},           {"activation", info.conv1_activation},
                              {"view", info.conv1_view}};
    if (!info.explain_file.empty())
        root["explain"] = ojson{{"file", info.explain_file},
                                {"seed", info.explain_seed},
                                {"layers", info.explain_layers}};
    if (!info.cam_layer.empty())
        root["cam"] = ojson{{"layer", info.cam_layer}, {"weight", info.cam_weight}, {"bias", info.cam_bias}};
    if (!info.imagenet_output.empty())
        root["imagenet"] = ojson{{"output", info.imagenet_output}, {"labels", info.imagenet_labels}};
    return root.dump(2) + "\n";
}

}  // namespace catdog
