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
        root["conv1"] = ojson{{"weight", info.conv1_weight}, {"shape", info.conv1_shape}};
    return root.dump(2) + "\n";
}

}  // namespace catdog
