// wasm/lesson_state.cpp - the wasm app's part of a lesson link (web/lesson_link.js).
//
// The view as JSON: {panel, presenter, layer, channel, playground: {...}}; an edited kernel's
// weights travel as base64 float32 so that a link restores them bit for bit.
#include <emscripten.h>
#include <algorithm>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <string>
#include <nlohmann/json.hpp>
#include "app_state.h"
#include "panels.h"

using namespace catdog;
using namespace catdog::web;
using nlohmann::json;

namespace {

std::string g_json, g_error;

const char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string floats_to_base64(const std::vector<float>& f) {
    const auto* b = reinterpret_cast<const unsigned char*>(f.data());
    size_t n = f.size() * sizeof(float);
    std::string out;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = b[i] << 16 | (i + 1 < n ? b[i + 1] << 8 : 0) | (i + 2 < n ? b[i + 2] : 0);
        out += kB64[v >> 18 & 63];
        out += kB64[v >> 12 & 63];
        out += i + 1 < n ? kB64[v >> 6 & 63] : '=';
        out += i + 2 < n ? kB64[v & 63] : '=';
    }
    return out;
}

std::vector<float> base64_to_floats(const std::string& s) {
    std::vector<unsigned char> bytes;
    unsigned v = 0;
    int bits = 0;
    for (char ch : s) {
        if (ch == '=') break;
        const char* p = std::strchr(kB64, ch);
        if (!p || !ch) throw std::invalid_argument("playground.weights: not base64");
        v = v << 6 | unsigned(p - kB64);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            bytes.push_back((v >> bits) & 255);
        }
    }
    if (bytes.size() % 4) throw std::invalid_argument("playground.weights: not whole float32 values");
    std::vector<float> f(bytes.size() / 4);
    std::memcpy(f.data(), bytes.data(), bytes.size());
    return f;
}

const char* source_name(KernelSource s) {
    return s == KernelSource::Conv1 ? "conv1" : s == KernelSource::Preset ? "preset" : "edited";
}

json playground_json() {
    const Playground& p = app().play;
    json j = {{"source", source_name(p.source)}, {"kernel", p.conv1}, {"size", p.size}, {"grey", p.grey},
              {"shape", {p.kernel.c, p.kernel.kh, p.kernel.kw}}, {"stride", p.stride}, {"bias", p.bias},
              {"activation", activation_name(p.act)}};
    if (p.source == KernelSource::Preset) j["preset"] = p.preset;
    if (p.source == KernelSource::Edited) j["weights"] = floats_to_base64(p.kernel.w);
    j["step"] = p.step_x >= 0 ? json::array({p.step_x, p.step_y}) : json(nullptr);
    return j;
}

template <class T>
T get_or(const json& j, const char* key, T fallback) {
    if (!j.contains(key) || j[key].is_null()) return fallback;
    try {
        return j[key].get<T>();
    } catch (const std::exception&) {
        throw std::invalid_argument(std::string("playground.") + key + ": wrong type");
    }
}

void apply_playground(const json& j) {
    if (!j.is_object()) throw std::invalid_argument("playground: expected an object");
    auto& a = app();
    std::string src = get_or<std::string>(j, "source", "conv1");
    if (src == "conv1") {
        playground_use_conv1(get_or<int>(j, "kernel", 0));
    } else if (src == "preset") {
        playground_use_preset(get_or<std::string>(j, "preset", "sobel_x"), get_or<int>(j, "size", 3));
    } else if (src == "edited") {
        auto shape = get_or<std::vector<int>>(j, "shape", {});
        if (shape.size() != 3 || shape[0] < 1 || shape[1] < 1 || shape[2] < 1)
            throw std::invalid_argument("playground.shape: expected [C, kh, kw]");
        Kernel k;
        k.c = shape[0];
        k.kh = shape[1];
        k.kw = shape[2];
        k.w = base64_to_floats(get_or<std::string>(j, "weights", ""));
        if (k.w.size() != size_t(k.c) * k.kh * k.kw)
            throw std::invalid_argument("playground.weights: " + std::to_string(k.w.size()) + " values for shape " +
                                        std::to_string(k.c) + "x" + std::to_string(k.kh) + "x" + std::to_string(k.kw));
        a.play.conv1 = get_or<int>(j, "kernel", a.play.conv1);
        playground_set_kernel(k);
    } else {
        throw std::invalid_argument("playground.source: \"" + src + "\" (conv1, preset, edited)");
    }
    Playground& p = a.play;
    p.grey = get_or<bool>(j, "grey", p.grey);
    p.stride = std::max(1, get_or<int>(j, "stride", p.stride));
    p.bias = get_or<float>(j, "bias", p.bias);
    if (j.contains("activation")) p.act = parse_activation(get_or<std::string>(j, "activation", "none"));
    if (j.contains("step") && j["step"].is_array() && j["step"].size() == 2)
        playground_step(j["step"][0].get<int>(), j["step"][1].get<int>(), false);
    else if (j.contains("step"))
        p.step_x = p.step_y = -1;
    ++p.version;
}

}  // namespace

extern "C" {

EMSCRIPTEN_KEEPALIVE const char* cd_state_json() {
    auto& a = app();
    json j = {{"panel", a.panel}, {"presenter", a.presenter}};
    const std::string layer = !a.maps.empty() ? a.maps[a.layer].name : a.wanted_layer;
    j["layer"] = layer.empty() ? json(nullptr) : json(layer);
    j["channel"] = a.maps.empty() ? a.wanted_channel : a.channel;
    if (!a.play.kernel.w.empty()) j["playground"] = playground_json();
    g_json = j.dump();
    return g_json.c_str();
}

// Applies the fields `text` has. Returns 1, or 0 with the reason in cd_state_error.
EMSCRIPTEN_KEEPALIVE int cd_set_state(const char* text) {
    wake();
    auto& a = app();
    g_error.clear();
    try {
        json j = json::parse(text);
        if (!j.is_object()) throw std::invalid_argument("expected an object");
        if (j.contains("panel") && j["panel"].is_string()) a.panel = j["panel"].get<std::string>();
        if (j.contains("presenter")) a.presenter = j["presenter"].is_boolean() && j["presenter"].get<bool>();
        if (j.contains("layer") && j["layer"].is_string()) {
            a.wanted_layer = j["layer"].get<std::string>();
            a.wanted_channel = j.value("channel", -1);
            for (size_t i = 0; i < a.maps.size(); ++i)
                if (a.maps[i].name == a.wanted_layer) {
                    a.layer = int(i);
                    a.channel = a.wanted_channel < a.maps[i].c ? a.wanted_channel : -1;
                    a.wanted_layer.clear();
                }
        } else if (j.contains("channel") && j["channel"].is_number_integer() && !a.maps.empty()) {
            int c = j["channel"].get<int>();
            a.channel = c < a.maps[a.layer].c ? c : -1;
        }
        if (j.contains("playground") && !j["playground"].is_null()) apply_playground(j["playground"]);
        return 1;
    } catch (const std::exception& e) {
        g_error = e.what();
        return 0;
    }
}

EMSCRIPTEN_KEEPALIVE const char* cd_state_error() { return g_error.c_str(); }

}  // extern "C"
