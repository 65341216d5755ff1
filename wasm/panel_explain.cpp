// wasm/panel_explain.cpp - "where the network looks" over the crop (CAM, Grad-CAM, occlusion,
// two-class evidence) and the backbone's own ImageNet answer beside the new head's.
//
// [SECTION] State
// [SECTION] Jobs: what to compute for the current photo and settings
// [SECTION] The maps (the core's arithmetic, catdog/explain.h)
// [SECTION] JS -> wasm (cd_explain_*, cd_imagenet_topk)
// [SECTION] Drawing
//
// The page's network runs in JS (ORT-web), so a map is a small job: the panel (or
// window.catdog.explain) asks for one, web/explain.js runs whatever the method needs (nothing
// for CAM, the explain graph for Grad-CAM, batches of occluded crops for occlusion) in a
// worker and hands the tensors back here, where the core turns them into the map.
//
// Index of this file:
// [SECTION] State
// [SECTION] Jobs: what to compute for the current photo and settings
// [SECTION] The maps (the core's arithmetic, catdog/explain.h)
// [SECTION] Drawing helpers
// [SECTION] JS -> wasm (cd_explain_*, cd_imagenet_topk)
// [SECTION] Drawing
#include <emscripten.h>
#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <nlohmann/json.hpp>
#include "app_state.h"
#include "bridge.h"
#include "catdog/explain.h"
#include "panels.h"

//-----------------------------------------------------------------------------
// [SECTION] State
//-----------------------------------------------------------------------------
EM_JS(void, cdjs_explain_needed, (int id), { Module.host.explainNeeded && Module.host.explainNeeded(id); });

namespace catdog::web {
namespace {

enum Method { kCam = 0, kGradCam = 1, kOcclusion = 2 };
const char* const kMethodNames[] = {"cam", "gradcam", "occlusion"};

// What the user picked (and lesson links carry).
struct Settings {
    int method = -1;        // -1: the best one the model offers
    int cls = -1;           // -1: the predicted class
    int versus = -1;        // >= 0: the signed map cls against versus
    int layer = -1;         // index into info.explain_layers (Grad-CAM); -1: the last
    int patch = 32, stride = 16;
    float opacity = 0.55f;
};

// Everything a map depends on; a new key is a new job.
struct JobKey {
    int req = 0, method = 0, cls = 0, versus = -1, layer = 0, patch = 0, stride = 0;
    bool operator==(const JobKey& o) const {
        return req == o.req && method == o.method && cls == o.cls && versus == o.versus && layer == o.layer &&
               patch == o.patch && stride == o.stride;
    }
};

struct Explain {
    Settings s;
    // CAM head ([K, C] weight and [K] bias of the Linear after global pooling).
    std::vector<float> head_w, head_b;
    int head_k = 0, head_c = 0;
    // The last photo's logits and ImageNet logits (extra outputs of model.web.onnx).
    int outputs_req = -1;
    std::vector<float> logits, imagenet_probs;

    // The job in hand.
    int job_id = 0;
    JobKey job;
    bool job_open = false;            // asked for, no map or error yet
    std::vector<float> job_tensor;    // the photo's tensor when the job started
    OcclusionGrid grid;
    std::vector<float> scores;
    std::vector<char> scored;
    int scored_count = 0;
    bool has_base = false;
    float base = 0;
    std::vector<float> batch;
    std::string error;                // the last job's failure (or why none can run)
    double job_t0 = 0, job_ms = 0;

    // The last finished map.
    int map_id = 0;
    JobKey map_key;
    Plane map;
    float logit = 0;
    bool map_signed = false;
    std::string map_layer;

    // Textures derived from it.
    Texture overlay, raw, legend;
    int overlay_id = -1, raw_id = -1;
    float overlay_opacity = -1;
    int tab_request = -1;             // a tab to select on the next frame (0, 1, 2)
    int tab = 0;                      // the tab shown
};

Explain& g() {
    static Explain e;
    return e;
}

bool has_cam() { return !app().info.cam_layer.empty() && g().head_k > 0; }
bool has_gradcam() { return !app().info.explain_file.empty() && !app().info.explain_layers.empty(); }
bool method_available(int m) { return m == kCam ? has_cam() : m == kGradCam ? has_gradcam() : true; }
int default_method() { return has_cam() ? kCam : has_gradcam() ? kGradCam : kOcclusion; }
int method_of(const Settings& s) { return s.method >= 0 ? s.method : default_method(); }

int predicted() {
    auto& p = app().probs;
    return p.empty() ? 0 : int(std::max_element(p.begin(), p.end()) - p.begin());
}
int class_of(const Settings& s) { return s.cls >= 0 ? s.cls : predicted(); }
int layer_of(const Settings& s) {
    int n = int(app().info.explain_layers.size());
    return s.layer >= 0 && s.layer < n ? s.layer : n - 1;
}
const std::string& label(int c) {
    static const std::string none = "?";
    auto& l = app().info.labels;
    return c >= 0 && c < int(l.size()) ? l[size_t(c)] : none;
}
int label_index(const std::string& name) {
    auto& l = app().info.labels;
    auto it = std::find(l.begin(), l.end(), name);
    return it == l.end() ? -1 : int(it - l.begin());
}

//-----------------------------------------------------------------------------
// [SECTION] Jobs: what to compute for the current photo and settings
//-----------------------------------------------------------------------------
// Starts a job when the photo or a setting changed. Returns its id (0: nothing to explain yet).
int refresh_job() {
    auto& a = app();
    auto& e = g();
    if (!a.model_ready || !a.has_photo || a.pending_request || a.shown_request == 0 || a.probs.empty()) return 0;
    JobKey k;
    k.req = a.shown_request;
    k.method = method_of(e.s);
    k.cls = class_of(e.s);
    k.versus = e.s.versus == k.cls ? -1 : e.s.versus;
    k.layer = k.method == kGradCam ? layer_of(e.s) : -1;
    k.patch = k.method == kOcclusion ? e.s.patch : 0;
    k.stride = k.method == kOcclusion ? e.s.stride : 0;
    if (e.job_id && k == e.job) return e.job_id;
    e.job = k;
    ++e.job_id;
    e.error.clear();
    if (!method_available(k.method)) {
        e.error = k.method == kCam ? "CAM needs a global-average-pool + Linear head (no \"cam\" in model.json)"
                                   : "no explain graph in this run (model.json has no \"explain\")";
        e.job_open = false;
        return e.job_id;
    }
    e.job_open = true;
    e.job_tensor = a.photo.tensor;
    e.job_t0 = emscripten_get_now();
    if (k.method == kOcclusion) {
        try {
            e.grid = occlusion_grid(a.info.transform.crop, k.patch, k.stride);
        } catch (const std::exception& ex) {
            e.error = std::string("occlusion: ") + ex.what();
            e.job_open = false;
            return e.job_id;
        }
        e.scores.assign(size_t(e.grid.count()), 0.f);
        e.scored.assign(size_t(e.grid.count()), 0);
        e.scored_count = 0;
        e.has_base = false;
    }
    cdjs_explain_needed(e.job_id);
    return e.job_id;
}

void finish(int id, Plane&& map, float logit, bool signed_map, const std::string& layer) {
    auto& e = g();
    e.map_id = id;
    e.map_key = e.job;
    e.map = std::move(map);
    e.logit = logit;
    e.map_signed = signed_map;
    e.map_layer = layer;
    e.job_open = false;
    e.job_ms = emscripten_get_now() - e.job_t0;
    wake();
}

// The score a map explains: one class's logit, or (signed) the difference of two.
float score_of(const float* logits, const JobKey& k) {
    return logits[k.cls] - (k.versus >= 0 ? logits[k.versus] : 0.f);
}

std::string fail_job(int id, const std::string& why) {
    auto& e = g();
    if (id == e.job_id) {
        e.error = why;
        e.job_open = false;
    }
    wake();
    return why;
}

//-----------------------------------------------------------------------------
// [SECTION] The maps (the core's arithmetic, catdog/explain.h)
//-----------------------------------------------------------------------------
int compute_cam(int id) {
    auto& a = app();
    auto& e = g();
    if (id != e.job_id || e.job.method != kCam) return 0;
    const FeatureMap* acts = nullptr;
    for (auto& m : a.maps)
        if (m.name == a.info.cam_layer) acts = &m;
    if (!acts) return fail_job(id, "CAM: the network gave no output \"" + a.info.cam_layer + "\""), 0;
    if (acts->c != e.head_c)
        return fail_job(id, "CAM: " + a.info.cam_layer + " has " + std::to_string(acts->c) + " channels, the head reads " +
                                std::to_string(e.head_c)), 0;
    const JobKey& k = e.job;
    std::vector<float> w(e.head_w.begin() + size_t(k.cls) * e.head_c, e.head_w.begin() + size_t(k.cls + 1) * e.head_c);
    float b = e.head_b[size_t(k.cls)];
    if (k.versus >= 0) {  // CAM is linear in the weights: the difference of two classes' maps
        for (int c = 0; c < e.head_c; ++c) w[size_t(c)] -= e.head_w[size_t(k.versus) * e.head_c + c];
        b -= e.head_b[size_t(k.versus)];
    }
    float logit = 0;
    Plane map = class_activation_map(acts->data.data(), acts->c, acts->h, acts->w, w.data(), b, &logit);
    finish(id, std::move(map), logit, k.versus >= 0, a.info.cam_layer);
    return 1;
}

//-----------------------------------------------------------------------------
// [SECTION] Drawing helpers
//-----------------------------------------------------------------------------
// The map's own colours at its own resolution (heat_overlay at opacity 1 over nothing).
Image raw_colors(const Plane& map, bool signed_map) {
    Image blank;
    blank.w = map.width;
    blank.h = map.height;
    blank.rgb.assign(size_t(map.width) * map.height * 3, 0);
    return heat_overlay(blank, map, 1.f, signed_map);
}

void publish(const std::string& name) { publish_item_rect(name.c_str()); }

}  // namespace

// publish_item_rect (panels.h) lives in main.cpp, beside the panel rectangles.

// The outputs of a finished classification that are not feature maps (bridge.cpp).
void explain_take_outputs(int req, const std::vector<FeatureMap>& outs) {
    auto& a = app();
    auto& e = g();
    e.outputs_req = req;
    e.logits.clear();
    e.imagenet_probs.clear();
    for (auto& m : outs) {
        if (m.name == a.info.logits_output) e.logits = m.data;
        if (!a.info.imagenet_output.empty() && m.name == a.info.imagenet_output && !m.data.empty()) {
            // Softmax in double: 1000 classes, probabilities down to 1e-6 still shown.
            double mx = *std::max_element(m.data.begin(), m.data.end()), sum = 0;
            std::vector<double> p(m.data.size());
            for (size_t i = 0; i < p.size(); ++i) sum += p[i] = std::exp(double(m.data[i]) - mx);
            e.imagenet_probs.resize(p.size());
            for (size_t i = 0; i < p.size(); ++i) e.imagenet_probs[i] = float(p[i] / sum);
        }
    }
}

// The ImageNet top-k of the last photo: indices and probabilities, best first.
static std::vector<int> imagenet_top(int k) {
    auto& p = g().imagenet_probs;
    std::vector<int> order(p.size());
    std::iota(order.begin(), order.end(), 0);
    k = std::min<int>(k, int(order.size()));
    std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](int x, int y) { return p[size_t(x)] > p[size_t(y)]; });
    order.resize(size_t(k));
    return order;
}

}  // namespace catdog::web

using namespace catdog;
using namespace catdog::web;

//-----------------------------------------------------------------------------
// [SECTION] JS -> wasm (cd_explain_*, cd_imagenet_topk)
//-----------------------------------------------------------------------------
extern "C" {

// The CAM head from model.web.onnx's initializers: weight [K, C], bias [K] (copied).
EMSCRIPTEN_KEEPALIVE void cd_explain_set_head(const float* w, int k, int c, const float* b) {
    auto& e = g();
    e.head_w.assign(w, w + size_t(k) * c);
    e.head_b.assign(b, b + k);
    e.head_k = k;
    e.head_c = c;
    wake();
}

// The settings as JSON: {"method", "className", "versus", "layer", "opacity", "patch", "stride"}
// ("className"/"versus" null = predicted / none; "method" null = the model's default).
EMSCRIPTEN_KEEPALIVE const char* cd_explain_state() {
    auto& a = app();
    auto& e = g();
    static std::string out;
    nlohmann::json j;
    j["method"] = e.s.method >= 0 ? nlohmann::json(kMethodNames[e.s.method]) : nlohmann::json(nullptr);
    j["className"] = e.s.cls >= 0 ? nlohmann::json(label(e.s.cls)) : nlohmann::json(nullptr);
    j["versus"] = e.s.versus >= 0 ? nlohmann::json(label(e.s.versus)) : nlohmann::json(nullptr);
    j["layer"] = e.s.layer >= 0 && e.s.layer < int(a.info.explain_layers.size())
                     ? nlohmann::json(a.info.explain_layers[size_t(e.s.layer)]) : nlohmann::json(nullptr);
    j["opacity"] = std::round(e.s.opacity * 1000) / 1000;
    j["patch"] = e.s.patch;
    j["stride"] = e.s.stride;
    j["tab"] = e.tab;
    out = j.dump();
    return out.c_str();
}

// Applies the keys present in `json` (same names as cd_explain_state; "tab": 0-2 selects a tab,
// "show": true brings the panel to the front).
// Returns the job id for the resulting settings (0: no photo yet), or -1 with the reason in
// cd_explain_error(): the settings are then unchanged.
EMSCRIPTEN_KEEPALIVE int cd_explain_set(const char* json) {
    auto& a = app();
    auto& e = g();
    wake();
    auto j = nlohmann::json::parse(json, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return e.error = "explain: settings are not a JSON object", -1;
    Settings s = e.s;
    auto text = [&](const char* key, std::string& out) {
        if (!j.contains(key) || j[key].is_null()) return false;
        if (!j[key].is_string()) throw std::runtime_error(std::string("\"") + key + "\" must be a string");
        out = j[key].get<std::string>();
        return true;
    };
    auto classes = [&]() {
        std::string l;
        for (auto& n : a.info.labels) l += (l.empty() ? "" : ", ") + n;
        return l;
    };
    try {
        std::string v;
        if (j.contains("method")) {
            if (!text("method", v)) s.method = -1;
            else {
                auto it = std::find(std::begin(kMethodNames), std::end(kMethodNames), v);
                if (it == std::end(kMethodNames)) throw std::runtime_error("method \"" + v + "\": use cam, gradcam or occlusion");
                s.method = int(it - std::begin(kMethodNames));
                if (!method_available(s.method))
                    throw std::runtime_error(s.method == kCam ? "cam: this model's head is not global-average-pool + Linear (no \"cam\" in model.json); use gradcam or occlusion"
                                                             : "gradcam: this run has no explain graph (no \"explain\" in model.json)");
            }
        }
        if (j.contains("className")) {
            if (!text("className", v)) s.cls = -1;
            else if ((s.cls = label_index(v)) < 0) throw std::runtime_error("class \"" + v + "\": the classes are " + classes());
        }
        if (j.contains("versus")) {
            if (!text("versus", v)) s.versus = -1;
            else if ((s.versus = label_index(v)) < 0) throw std::runtime_error("versus \"" + v + "\": the classes are " + classes());
        }
        if (j.contains("layer")) {
            if (!text("layer", v)) s.layer = -1;
            else {
                auto& L = a.info.explain_layers;
                auto it = std::find(L.begin(), L.end(), v);
                if (it == L.end()) {
                    std::string names;
                    for (auto& n : L) names += (names.empty() ? "" : ", ") + n;
                    // CAM has exactly one layer: naming it is fine.
                    if (!(v == a.info.cam_layer && method_of(s) == kCam))
                        throw std::runtime_error("layer \"" + v + "\": the explain layers are " + (names.empty() ? "none" : names));
                } else s.layer = int(it - L.begin());
            }
        }
        auto number = [&](const char* key) {
            if (!j[key].is_number()) throw std::runtime_error(std::string("\"") + key + "\" must be a number");
            return j[key].get<double>();
        };
        if (j.contains("opacity")) s.opacity = float(std::clamp(number("opacity"), 0.0, 1.0));
        int size = a.info.transform.crop;
        if (j.contains("patch")) s.patch = int(number("patch"));
        if (j.contains("stride")) s.stride = int(number("stride"));
        if (j.contains("patch") || j.contains("stride")) occlusion_grid(size, s.patch, s.stride);  // throws if unusable
        if (j.contains("tab") && j["tab"].is_number()) e.tab_request = std::clamp(j["tab"].get<int>(), 0, 2);
        if (j.value("show", false)) a.panel = "Explain";   // this panel's tab to the front (main.cpp)
    } catch (const std::exception& ex) {
        e.error = std::string("explain: ") + ex.what();
        return -1;
    }
    e.s = s;
    return refresh_job();
}

// Starts the job for the current photo and settings if there is none (for the panel's frames and
// scripts). Returns its id, 0 when there is no photo yet.
EMSCRIPTEN_KEEPALIVE int cd_explain_refresh() { return refresh_job(); }

EMSCRIPTEN_KEEPALIVE const char* cd_explain_error() { return g().error.c_str(); }

// The job `id` as JSON ({"stale": true} once a newer job replaced it; "failed" once it failed).
EMSCRIPTEN_KEEPALIVE const char* cd_explain_job(int id) {
    auto& a = app();
    auto& e = g();
    static std::string out;
    nlohmann::json j;
    if (id != e.job_id) j["stale"] = true;
    else {
        const JobKey& k = e.job;
        j["id"] = id;
        j["method"] = kMethodNames[k.method];
        j["cls"] = k.cls;
        j["versus"] = k.versus;
        j["classes"] = int(a.info.labels.size());
        j["size"] = a.info.transform.crop;
        j["open"] = e.job_open;
        j["done"] = e.map_id == id;
        j["error"] = e.error;
        if (k.method == kGradCam) j["layer"] = a.info.explain_layers[size_t(k.layer)];
        if (k.method == kOcclusion) j["count"] = e.grid.count(), j["scored"] = e.scored_count, j["hasBase"] = e.has_base;
    }
    out = j.dump();
    return out.c_str();
}

EMSCRIPTEN_KEEPALIVE int cd_explain_cam(int id) { return compute_cam(id); }

// The job's input tensor (the photo when the job started): 3 x S x S floats.
EMSCRIPTEN_KEEPALIVE const float* cd_explain_tensor(int id) {
    return id == g().job_id ? g().job_tensor.data() : nullptr;
}

// Grad-CAM from the explain graph's outputs: activation L and grad:L ([C, H, W]) and the logits.
EMSCRIPTEN_KEEPALIVE int cd_explain_gradcam(int id, const float* acts, const float* grads, int c, int h, int w,
                                            const float* logits, int k) {
    auto& e = g();
    if (id != e.job_id || e.job.method != kGradCam) return 0;
    if (k != int(app().info.labels.size())) return fail_job(id, "Grad-CAM: the explain graph gave " + std::to_string(k) + " logits"), 0;
    Plane map = grad_cam(acts, grads, c, h, w, e.job.versus >= 0);
    finish(id, std::move(map), score_of(logits, e.job), e.job.versus >= 0, app().info.explain_layers[size_t(e.job.layer)]);
    return 1;
}

// `count` occluded copies of the job's tensor, occlusions first .. first + count - 1, in one
// buffer (count x 3 x S x S) that stays valid until the next call. Null if the job is stale.
EMSCRIPTEN_KEEPALIVE const float* cd_explain_occlude(int id, int first, int count) {
    auto& a = app();
    auto& e = g();
    if (id != e.job_id || e.job.method != kOcclusion || first < 0 || count <= 0 || first + count > e.grid.count())
        return nullptr;
    const int S = a.info.transform.crop;
    const size_t n = size_t(3) * S * S;
    float fill[3];
    for (int c = 0; c < 3; ++c) fill[c] = (0.5f - a.info.transform.mean[size_t(c)]) / a.info.transform.std[size_t(c)];
    e.batch.resize(n * size_t(count));
    for (int i = 0; i < count; ++i) occlude(e.job_tensor.data(), 3, e.grid, first + i, fill, e.batch.data() + n * size_t(i));
    return e.batch.data();
}

// The logits [count, k] of occlusions first.. (first = -1, count = 1: the unoccluded photo).
// Returns 1 while the job goes on, 2 when this finished the map, 0 when the job is stale.
EMSCRIPTEN_KEEPALIVE int cd_explain_occlusion_scores(int id, int first, int count, const float* logits, int k) {
    auto& e = g();
    if (id != e.job_id || e.job.method != kOcclusion || !e.job_open) return 0;
    if (k != int(app().info.labels.size())) return fail_job(id, "occlusion: the network gave " + std::to_string(k) + " logits"), 0;
    wake();
    if (first < 0) {
        e.base = score_of(logits, e.job);
        e.has_base = true;
    } else {
        for (int i = 0; i < count && first + i < e.grid.count(); ++i) {
            size_t at = size_t(first + i);
            e.scores[at] = score_of(logits + size_t(i) * k, e.job);
            if (!e.scored[at]) e.scored[at] = 1, ++e.scored_count;
        }
    }
    if (!e.has_base || e.scored_count < e.grid.count()) return 1;
    finish(id, occlusion_map(e.grid, e.scores, e.base), e.base, e.job.versus >= 0, "input");
    return 2;
}

EMSCRIPTEN_KEEPALIVE void cd_explain_fail(int id, const char* message) { fail_job(id, message); }

// The last finished map: JSON description, then its data (width x height floats).
EMSCRIPTEN_KEEPALIVE const char* cd_explain_map_info() {
    auto& e = g();
    static std::string out;
    nlohmann::json j;
    j["id"] = e.map_id;
    j["width"] = e.map.width;
    j["height"] = e.map.height;
    j["logit"] = e.logit;
    j["signed"] = e.map_signed;
    j["method"] = kMethodNames[e.map_key.method];
    j["className"] = label(e.map_key.cls);
    j["versus"] = e.map_key.versus >= 0 ? nlohmann::json(label(e.map_key.versus)) : nlohmann::json(nullptr);
    j["layer"] = e.map_layer;
    j["request"] = e.map_key.req;
    j["ms"] = e.job_ms;
    if (e.map_key.method == kOcclusion) j["patch"] = e.map_key.patch, j["stride"] = e.map_key.stride;
    // The network's own logit (model.web.onnx) for the same photo: CAM's mean + bias must equal it.
    if (e.outputs_req == e.map_key.req && int(e.logits.size()) > e.map_key.cls)
        j["networkLogit"] = score_of(e.logits.data(), e.map_key);
    out = j.dump();
    return out.c_str();
}
EMSCRIPTEN_KEEPALIVE const float* cd_explain_map_data() { return g().map.data.data(); }

// Occlusion progress of job `id` in [0, 1] (1 when done, -1 when stale).
EMSCRIPTEN_KEEPALIVE float cd_explain_progress(int id) {
    auto& e = g();
    if (id != e.job_id) return -1;
    if (e.map_id == id) return 1;
    return e.job.method == kOcclusion && e.grid.count() ? float(e.scored_count) / float(e.grid.count()) : 0;
}

// The last photo's ImageNet top-k (indices into model.json's imagenet labels). Returns how many.
EMSCRIPTEN_KEEPALIVE int cd_imagenet_topk(int k, int* index, float* prob) {
    auto top = imagenet_top(k);
    for (size_t i = 0; i < top.size(); ++i) {
        index[i] = top[i];
        prob[i] = g().imagenet_probs[size_t(top[i])];
    }
    return int(top.size());
}
// The request whose outputs the top-k comes from (0: none yet).
EMSCRIPTEN_KEEPALIVE int cd_imagenet_request() { return g().imagenet_probs.empty() ? 0 : g().outputs_req; }

}  // extern "C"

//-----------------------------------------------------------------------------
// [SECTION] Drawing
//-----------------------------------------------------------------------------
namespace catdog::web {
namespace {

void method_row() {
    auto& e = g();
    int m = method_of(e.s);
    const char* names[] = {"CAM", "Grad-CAM", "Occlusion"};
    const char* tips[] = {"Class activation map: the head's weights for this class times the last conv layer's maps.",
                          ("Gradient of the class score with respect to a conv layer's maps, averaged per channel, "
                           "weights those maps."),
                          "A grey patch slid over the photo: where hiding it drops the score most, the network looked."};
    ImGui::TextUnformatted("Method");
    for (int i = 0; i < 3; ++i) {
        ImGui::SameLine();
        ImGui::BeginDisabled(!method_available(i));
        if (ImGui::RadioButton(names[i], m == i)) e.s.method = i;
        ImGui::EndDisabled();
        publish(std::string("explain method ") + kMethodNames[i]);
        if (ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled))
            ImGui::SetTooltip("%s%s", tips[i], method_available(i) ? "" : "\n(not available for this model)");
    }
}

void class_row() {
    auto& a = app();
    auto& e = g();
    int n = int(a.info.labels.size());
    ImGui::TextUnformatted("Class ");
    ImGui::SameLine();
    char pred[96];
    snprintf(pred, sizeof pred, "predicted (%s)", label(predicted()).c_str());
    if (ImGui::RadioButton(pred, e.s.cls < 0)) e.s.cls = -1;
    publish("explain class predicted");
    for (int c = 0; c < n; ++c) {
        ImGui::SameLine();
        ImGui::PushID(c);
        if (ImGui::RadioButton(label(c).c_str(), e.s.cls == c)) e.s.cls = c;
        ImGui::PopID();
        publish("explain class " + label(c));
    }
    // Two-class evidence: positive for the class, negative for the other.
    ImGui::TextUnformatted("Against");
    ImGui::SameLine();
    if (ImGui::RadioButton("nothing", e.s.versus < 0)) e.s.versus = -1;
    publish("explain versus none");
    for (int c = 0; c < n; ++c) {
        ImGui::SameLine();
        ImGui::PushID(100 + c);
        ImGui::BeginDisabled(c == class_of(e.s));
        if (ImGui::RadioButton(label(c).c_str(), e.s.versus == c)) e.s.versus = c;
        ImGui::EndDisabled();
        ImGui::PopID();
        publish("explain versus " + label(c));
    }
    if (ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled))
        ImGui::SetTooltip("The signed map: red where the photo speaks for the class, blue where for the other one.");
}

void method_options(int m) {
    auto& a = app();
    auto& e = g();
    if (m == kGradCam) {
        auto& L = a.info.explain_layers;
        int cur = layer_of(e.s);
        ImGui::SetNextItemWidth(ImGui::CalcTextSize("features.18 (last)  ").x + ImGui::GetFrameHeight());
        if (ImGui::BeginCombo("Layer", cur >= 0 ? L[size_t(cur)].c_str() : "-")) {
            for (int i = 0; i < int(L.size()); ++i) {
                ImGui::PushID(i);
                if (ImGui::Selectable(L[size_t(i)].c_str(), i == cur)) e.s.layer = i == int(L.size()) - 1 ? -1 : i;
                ImGui::PopID();
            }
            ImGui::EndCombo();
        }
        publish("explain layer");
    } else if (m == kOcclusion) {
        const int S = a.info.transform.crop;
        // Edited on copies: the job restarts when the slider is let go, not on every pixel.
        static int patch = 0, stride = 0;
        if (!ImGui::IsAnyItemActive()) patch = e.s.patch, stride = e.s.stride;
        float w = std::max(60.f, (ImGui::GetContentRegionAvail().x - ImGui::GetStyle().ItemSpacing.x) / 2);
        ImGui::SetNextItemWidth(w);
        ImGui::SliderInt("##patch", &patch, 8, S / 2, "patch %d px");
        bool done = ImGui::IsItemDeactivatedAfterEdit();
        publish("explain patch");
        ImGui::SameLine();
        ImGui::SetNextItemWidth(w);
        ImGui::SliderInt("##stride", &stride, 4, S / 2, "stride %d px");
        done |= ImGui::IsItemDeactivatedAfterEdit();
        publish("explain stride");
        if (done) e.s.patch = patch, e.s.stride = stride;
        if (e.job.method == kOcclusion && e.job_open) {
            char buf[64];
            snprintf(buf, sizeof buf, "%d of %d positions", e.scored_count, e.grid.count());
            ImGui::ProgressBar(e.grid.count() ? float(e.scored_count) / e.grid.count() : 0.f, ImVec2(-1, 0), buf);
            publish("explain progress");
        }
    }
}

void map_view() {
    auto& a = app();
    auto& e = g();
    ImGui::SetNextItemWidth(-1);
    ImGui::SliderFloat("##opacity", &e.s.opacity, 0.f, 1.f, "map opacity %.2f");
    publish("explain opacity");
    if (!e.error.empty()) {
        ImGui::PushStyleColor(ImGuiCol_Text, IM_COL32(255, 110, 110, 255));
        ImGui::TextWrapped("%s", e.error.c_str());
        ImGui::PopStyleColor();
    }
    bool current = e.map_id && e.map_key.req == a.shown_request && !a.pending_request;
    if (!current) {
        ImGui::TextDisabled(e.job_open ? "Computing the map..." : "Classify a photo to see where the network looks.");
        return;
    }
    if (e.map_id != e.job_id && e.job_open) ImGui::TextDisabled("Computing the new map; the last one meanwhile:");
    if (e.overlay_id != e.map_id || e.overlay_opacity != e.s.opacity) {
        upload_rgb(e.overlay, heat_overlay(a.photo.crop, e.map, e.s.opacity, e.map_signed), false);
        e.overlay_id = e.map_id;
        e.overlay_opacity = e.s.opacity;
    }
    if (e.raw_id != e.map_id) {
        upload_rgb(e.raw, raw_colors(e.map, e.map_signed), true);
        // The colour scale, by the same core function: 0..max (or -max..max when signed).
        Plane ramp;
        ramp.width = 64;
        ramp.height = 1;
        for (int i = 0; i < 64; ++i) ramp.data.push_back(e.map_signed ? -1.f + 2.f * i / 63.f : i / 63.f);
        upload_rgb(e.legend, raw_colors(ramp, e.map_signed), false);
        e.raw_id = e.map_id;
    }
    const JobKey& k = e.map_key;
    std::string what = label(k.cls) + (k.versus >= 0 ? " against " + label(k.versus) : "");
    ImGui::TextWrapped("%s for %s: %dx%d map of %s, score %.3f", k.method == kCam ? "CAM" : k.method == kGradCam ? "Grad-CAM" : "Occlusion",
                       what.c_str(), e.map.width, e.map.height, e.map_layer == "input" ? "the input" : e.map_layer.c_str(), e.logit);
    ImVec2 avail = ImGui::GetContentRegionAvail();
    float line = ImGui::GetTextLineHeightWithSpacing();
    float side = std::max(32.f, std::min(avail.x * 0.66f, avail.y - 2 * line));
    ImGui::Image((ImTextureID)(intptr_t)e.overlay.id, ImVec2(side, side));
    publish("explain overlay");
    ImGui::SameLine();
    ImGui::BeginGroup();
    float small = std::max(24.f, std::min(avail.x - side - ImGui::GetStyle().ItemSpacing.x, side * 0.5f));
    ImGui::TextDisabled("raw %dx%d", e.map.width, e.map.height);
    ImGui::Image((ImTextureID)(intptr_t)e.raw.id, ImVec2(small, small));
    publish("explain raw");
    float mx = 0;
    for (float v : e.map.data) mx = std::max(mx, std::fabs(v));
    ImGui::Image((ImTextureID)(intptr_t)e.legend.id, ImVec2(small, line * 0.6f));
    if (e.map_signed) ImGui::TextDisabled("blue %s, red %s", label(k.versus).c_str(), label(k.cls).c_str());
    else ImGui::TextDisabled("0 -> %.3g", mx);
    if (!e.map_signed && mx <= 0)
        ImGui::TextWrapped("All zero: nothing here raised the score of %s (Grad-CAM keeps only positive evidence).",
                           label(k.cls).c_str());
    if (e.map_signed) ImGui::TextDisabled("|map| up to %.3g", mx);
    if (k.method == kCam) {
        double mean = std::accumulate(e.map.data.begin(), e.map.data.end(), 0.0) / std::max<size_t>(1, e.map.data.size());
        ImGui::TextWrapped("mean %.3f + bias %.3f = %.3f", mean, e.logit - mean, e.logit);
        if (e.outputs_req == k.req && int(e.logits.size()) > k.cls)
            ImGui::TextDisabled("network's logit %.3f", score_of(e.logits.data(), k));
    }
    ImGui::TextDisabled("%.0f ms", e.job_ms);
    ImGui::EndGroup();
}

void imagenet_view() {
    auto& a = app();
    auto& e = g();
    ImGui::TextWrapped("Before transfer, the backbone's own 1000-class ImageNet head; after, the new head trained on "
                       "your photos. The features underneath are the same: only the last layer changed.");
    if (!a.has_photo || a.probs.empty()) {
        ImGui::TextDisabled("Classify a photo.");
        return;
    }
    float w = (ImGui::GetContentRegionAvail().x - ImGui::GetStyle().ItemSpacing.x) / 2;
    struct Row { std::string name, full; float p; ImU32 color; };
    // One column: the class name, then its probability as a bar (the full name as a tooltip).
    auto bars = [&](const char* id, const std::vector<Row>& rows) {
        ImGui::BeginChild(id, ImVec2(w, ImGui::GetFrameHeightWithSpacing() * 6 + ImGui::GetTextLineHeightWithSpacing()), false);
        ImGui::TextUnformatted(id);
        float label_w = 0;
        for (auto& r : rows) label_w = std::max(label_w, ImGui::CalcTextSize(r.name.c_str()).x);
        label_w = std::min(label_w, w * 0.5f);
        for (auto& r : rows) {
            ImGui::AlignTextToFramePadding();
            ImGui::TextUnformatted(r.name.c_str());
            if (ImGui::IsItemHovered() && r.full != r.name) ImGui::SetTooltip("%s", r.full.c_str());
            ImGui::SameLine(label_w + ImGui::GetStyle().ItemSpacing.x * 2);
            char buf[32];
            snprintf(buf, sizeof buf, "%.1f %%", 100.0 * r.p);
            ImGui::PushStyleColor(ImGuiCol_PlotHistogram, r.color);
            ImGui::ProgressBar(r.p, ImVec2(-1, 0), buf);
            ImGui::PopStyleColor();
        }
        ImGui::EndChild();
    };
    std::vector<int> order(a.probs.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](int x, int y) { return a.probs[size_t(x)] > a.probs[size_t(y)]; });
    std::vector<Row> after;
    for (size_t i = 0; i < order.size() && i < 5; ++i)
        after.push_back({label(order[i]), label(order[i]), a.probs[size_t(order[i])], colors::for_class(order[i])});
    bars("After: your head", after);
    publish("imagenet after");
    ImGui::SameLine();
    if (a.info.imagenet_output.empty() || e.imagenet_probs.empty() || e.outputs_req != a.shown_request) {
        ImGui::BeginGroup();
        ImGui::TextUnformatted("Before: ImageNet head");
        ImGui::TextDisabled(a.info.imagenet_output.empty() ? "This export kept no ImageNet head." : "Waiting...");
        ImGui::EndGroup();
        return;
    }
    std::vector<Row> before;
    for (int i : imagenet_top(5)) {
        std::string full = i < int(a.info.imagenet_labels.size()) ? a.info.imagenet_labels[size_t(i)] : std::to_string(i);
        before.push_back({full.substr(0, full.find(',')), full, e.imagenet_probs[size_t(i)], IM_COL32(150, 160, 190, 255)});
    }
    bars("Before: ImageNet head", before);
    publish("imagenet before");
}

}  // namespace

// A confusion-matrix cell was clicked (panel_training.cpp): show its photos in the Mistakes tab.
void show_mistakes(int truth, int pred) {
    select_mistakes_cell(truth, pred);
    g().tab_request = 2;
    app().panel = "Explain";   // bring this panel's tab to the front (main.cpp)
    wake();
}

void draw_explain_panel() {
    auto& a = app();
    auto& e = g();
    refresh_job();
    if (ImGui::BeginTabBar("explain tabs")) {
        const char* tabs[] = {"Where it looks", "Before / after", "Mistakes"};
        for (int t = 0; t < 3; ++t) {
            ImGuiTabItemFlags f = e.tab_request == t ? ImGuiTabItemFlags_SetSelected : 0;
            bool open = ImGui::BeginTabItem(tabs[t], nullptr, f);
            publish(std::string("explain tab ") + std::to_string(t));
            if (!open) continue;
            e.tab = t;
            if (t == 0) {
                teaching_note("Where the network looks: warm colours mark the parts of the crop that raised the "
                              "score of the class (blue, in a signed map: the other class).",
                              "CAM and Grad-CAM read the last layers; occlusion just hides patches and watches the score.");
                if (!a.model_ready) ImGui::TextDisabled("Loading the model...");
                else {
                    method_row();
                    class_row();
                    method_options(method_of(e.s));
                    map_view();
                }
            } else if (t == 1) {
                imagenet_view();
            } else {
                draw_mistakes();
            }
            ImGui::EndTabItem();
        }
        e.tab_request = -1;
        ImGui::EndTabBar();
    }
}

}  // namespace catdog::web
