// wasm/bridge.cpp - JS <-> wasm calls (see bridge.h for the direction of each).
//
// [SECTION] wasm -> JS (EM_JS)
// [SECTION] JS -> wasm: model, kernels, training data, samples
// [SECTION] JS -> wasm: a photo to classify (bytes or RGBA)
// [SECTION] JS -> wasm: inference results
//
// Index of this file:
// [SECTION] wasm -> JS (EM_JS)
// [SECTION] JS -> wasm: model, kernels, training data, samples
// [SECTION] JS -> wasm: a photo to classify (bytes or RGBA)
// [SECTION] JS -> wasm: inference results
#include "bridge.h"

#include <emscripten.h>
#include <cstring>
#include <exception>
#include <functional>
#include <sstream>
#include <nlohmann/json.hpp>
#include "app_state.h"
#include "panels.h"
#include "pipeline.h"

//-----------------------------------------------------------------------------
// [SECTION] wasm -> JS (EM_JS)
//-----------------------------------------------------------------------------
EM_JS(void, cdjs_infer, (int req, const float* p, int n), {
    Module.host.infer(req, HEAPF32.slice(p >> 2, (p >> 2) + n));
});
EM_JS(void, cdjs_fail, (int req, const char* msg), { Module.host.fail(req, UTF8ToString(msg)); });
EM_JS(void, cdjs_open_picker, (), { Module.host.openPicker(); });
EM_JS(void, cdjs_load_sample, (const char* name), { Module.host.loadSample(UTF8ToString(name)); });
EM_JS(void, cdjs_camera, (int on, int front), { Module.host.camera(!!on, !!front); });
EM_JS(void, cdjs_camera_snap, (), { Module.host.cameraSnap(); });
EM_JS(int, cdjs_camera_frame, (unsigned tex, int* w, int* h), {
    var v = Module.host.cameraVideo();
    if (!v || v.readyState < 2 || !v.videoWidth) return 0;
    GLctx.bindTexture(GLctx.TEXTURE_2D, GL.textures[tex]);
    GLctx.texImage2D(GLctx.TEXTURE_2D, 0, GLctx.RGBA, GLctx.RGBA, GLctx.UNSIGNED_BYTE, v);
    HEAP32[w >> 2] = v.videoWidth;
    HEAP32[h >> 2] = v.videoHeight;
    return 1;
});
EM_JS(void, cdjs_canvas_size, (double* w, double* h, double* dpr), {
    var r = Module.canvas.getBoundingClientRect();
    HEAPF64[w >> 3] = r.width;
    HEAPF64[h >> 3] = r.height;
    HEAPF64[dpr >> 3] = window.devicePixelRatio || 1;
});
// Browser.setCanvasSize, not glfwSetWindowSize: emscripten's GLFW asks for fullscreen when the
// size equals the screen's. GLFW learns the new size through its canvas resize listener.
EM_JS(void, cdjs_set_canvas_size, (int w, int h), { Browser.setCanvasSize(w, h); });
EM_JS(void, cdjs_panel_rect, (const char* name, float x, float y, float w, float h), {
    Module.host.panelRect(UTF8ToString(name), x, y, w, h);
});
EM_JS(void, cdjs_layer_changed, (const char* name, int ch), { Module.host.layerChanged(UTF8ToString(name), ch); });

namespace catdog::web {
void js_infer(int req, const float* t, int n) { cdjs_infer(req, t, n); }
void js_fail(int req, const std::string& m) { cdjs_fail(req, m.c_str()); }
void js_open_picker() { cdjs_open_picker(); }
void js_load_sample(const std::string& name) { cdjs_load_sample(name.c_str()); }
void js_camera(bool on, bool front) { cdjs_camera(on, front); }
void js_camera_snap() { cdjs_camera_snap(); }
bool js_camera_frame(unsigned tex, int* w, int* h) { return cdjs_camera_frame(tex, w, h) != 0; }
void js_canvas_size(double* w, double* h, double* dpr) { cdjs_canvas_size(w, h, dpr); }
void js_set_canvas_size(int w, int h) { cdjs_set_canvas_size(w, h); }
void js_panel_rect(const char* n, float x, float y, float w, float h) { cdjs_panel_rect(n, x, y, w, h); }
void js_layer_changed(const std::string& name, int ch) { cdjs_layer_changed(name.c_str(), ch); }
}  // namespace catdog::web

using namespace catdog;
using namespace catdog::web;

extern "C" {

//-----------------------------------------------------------------------------
// [SECTION] JS -> wasm: model, kernels, training data, samples
//-----------------------------------------------------------------------------
// model.json's text. Returns 1 on success; 0 and the reason in the status otherwise.
EMSCRIPTEN_KEEPALIVE int cd_set_model_info(const char* json) {
    wake();
    try {
        app().info = parse_model_info(json);
        return 1;
    } catch (const std::exception& e) {
        app().status = std::string("model.json: ") + e.what();
        return 0;
    }
}

// Loading status line and the model download fraction (< 0: not downloading).
// `ready`: 1 when the session is created and warmed up.
EMSCRIPTEN_KEEPALIVE void cd_set_status(const char* text, float progress, int ready) {
    wake();
    app().status = text;
    app().progress = progress;
    app().model_ready = ready != 0;
}

EMSCRIPTEN_KEEPALIVE void cd_set_runtime(int threads, int isolated) {
    wake();
    app().threads = threads;
    app().isolated = isolated != 0;
}

// conv1's weights, [o, i, kh, kw] float32 (copied).
EMSCRIPTEN_KEEPALIVE void cd_set_kernels(const float* w, int o, int i, int kh, int kw) {
    wake();
    auto& a = app();
    a.kernels.assign(w, w + size_t(o) * i * kh * kw);
    a.k_o = o; a.k_i = i; a.k_h = kh; a.k_w = kw;
}

// metrics.csv: a header line naming the columns, then one row per epoch.
EMSCRIPTEN_KEEPALIVE void cd_set_metrics(const char* csv) {
    wake();
    auto& rows = app().metrics;
    rows.clear();
    std::istringstream in(csv);
    std::string line;
    std::vector<std::string> cols;
    auto split = [](const std::string& s) {
        std::vector<std::string> out;
        std::stringstream ss(s);
        std::string f;
        while (std::getline(ss, f, ',')) out.push_back(f);
        return out;
    };
    if (std::getline(in, line)) cols = split(line);
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty()) continue;
        auto f = split(line);
        MetricsRow r;
        for (size_t k = 0; k < f.size() && k < cols.size(); ++k) {
            double v = std::atof(f[k].c_str());
            const std::string& c = cols[k];
            if (c == "epoch") r.epoch = v;
            else if (c == "train_loss") r.train_loss = v;
            else if (c == "val_loss") r.val_loss = v;
            else if (c == "val_acc") r.val_acc = v;
            else if (c == "lr") r.lr = v;
        }
        rows.push_back(r);
    }
}

// summary.json: uses val_acc and confusion (rows = true class, columns = predicted).
EMSCRIPTEN_KEEPALIVE void cd_set_summary(const char* text) {
    wake();
    auto& a = app();
    a.confusion.clear();
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return;
    if (j.contains("val_acc") && j["val_acc"].is_number()) a.val_acc = j["val_acc"].get<double>();
    if (j.contains("confusion") && j["confusion"].is_array())
        for (auto& row : j["confusion"]) {
            std::vector<double> r;
            if (row.is_array())
                for (auto& v : row) r.push_back(v.is_number() ? v.get<double>() : 0.0);
            a.confusion.push_back(r);
        }
}

// A JSON array of sample photo names the server offers.
EMSCRIPTEN_KEEPALIVE void cd_set_samples(const char* text) {
    wake();
    auto j = nlohmann::json::parse(text, nullptr, false);
    app().samples.clear();
    if (j.is_array())
        for (auto& s : j)
            if (s.is_string()) app().samples.push_back(s.get<std::string>());
}

//-----------------------------------------------------------------------------
// [SECTION] JS -> wasm: a photo to classify (bytes or RGBA)
//-----------------------------------------------------------------------------
static int start_request(int req, const std::function<void(Photo&, Timing&)>& load) {
    wake();
    auto& a = app();
    try {
        Photo p;
        Timing t;
        load(p, t);
        release_photo(a.photo);
        a.photo = std::move(p);
        a.has_photo = true;
        a.ms = t;
        a.pending_request = req;
        a.last_error.clear();
        js_infer(req, a.photo.tensor.data(), int(a.photo.tensor.size()));
        return 1;
    } catch (const std::exception& e) {
        a.last_error = e.what();
        js_fail(req, e.what());
        return 0;
    }
}

// An encoded file (JPEG/PNG/BMP/GIF/WebP): decoded by the core exactly like native.
EMSCRIPTEN_KEEPALIVE int cd_classify_bytes(int req, const uint8_t* data, int size, const char* name) {
    wake();
    std::string n = name;
    return start_request(req, [&](Photo& p, Timing& t) {
        load_photo_bytes(p, data, size_t(size), n, app().info.transform, t);
    });
}

// Pixels the browser decoded (a huge photo, or a camera frame): RGBA, alpha over white.
EMSCRIPTEN_KEEPALIVE int cd_classify_rgba(int req, const uint8_t* rgba, int w, int h, const char* name,
                                          double decode_ms) {
    wake();
    std::string n = name;
    return start_request(req, [&](Photo& p, Timing& t) {
        load_photo_rgba(p, rgba, w, h, n, app().info.transform, t);
        t.decode = decode_ms;
    });
}

// The input tensor of the current photo (for tests: its hash equals the native one).
EMSCRIPTEN_KEEPALIVE const float* cd_tensor_ptr() { return app().photo.tensor.data(); }
EMSCRIPTEN_KEEPALIVE int cd_tensor_size() { return int(app().photo.tensor.size()); }

//-----------------------------------------------------------------------------
// [SECTION] JS -> wasm: inference results
//-----------------------------------------------------------------------------
// One output of request `req` ([1, c, h, w]; logits/probs as c = n, h = w = 1). Copied.
EMSCRIPTEN_KEEPALIVE void cd_result_output(int req, const char* name, const float* data, int c, int h, int w) {
    wake();
    auto& a = app();
    if (req != a.pending_request) return;  // a newer photo replaced this one
    FeatureMap m;
    m.name = name;
    m.c = c; m.h = h; m.w = w;
    m.data.assign(data, data + size_t(c) * h * w);
    a.incoming.push_back(std::move(m));
}

EMSCRIPTEN_KEEPALIVE void cd_result_done(int req, double inference_ms) {
    wake();
    auto& a = app();
    if (req != a.pending_request) return;
    a.probs.clear();
    std::vector<FeatureMap> maps;
    for (auto& m : a.incoming) {
        if (m.name == a.info.probs_output) a.probs = m.data;
        else if (m.h > 1 || m.w > 1) maps.push_back(std::move(m));
    }
    explain_take_outputs(req, a.incoming);  // what is left: logits, ImageNet logits (panel_explain.cpp)
    // Keep the model.json order (network order), whatever order ORT returned.
    std::vector<FeatureMap> ordered;
    for (auto& l : a.info.layers)
        for (auto& m : maps)
            if (m.name == l.name) ordered.push_back(std::move(m));
    a.maps = std::move(ordered);
    a.incoming.clear();
    if (a.layer >= int(a.maps.size())) a.layer = 0;
    // A lesson link's layer, named before its maps existed.
    for (size_t i = 0; i < a.maps.size() && !a.wanted_layer.empty(); ++i)
        if (a.maps[i].name == a.wanted_layer) {
            a.layer = int(i);
            a.channel = a.wanted_channel;
            a.wanted_layer.clear();
        }
    if (a.channel >= 0 && !a.maps.empty() && a.channel >= a.maps[a.layer].c) a.channel = -1;
    a.ms.inference = inference_ms;
    a.pending_request = 0;
    a.shown_request = req;
}

// Inference (or the browser's decoder) failed for request `req`.
EMSCRIPTEN_KEEPALIVE void cd_fail(int req, const char* message) {
    wake();
    auto& a = app();
    if (req == a.pending_request) a.pending_request = 0;
    a.incoming.clear();
    a.last_error = message;
}

// Selects a layer (and channel, -1 for none) in the feature-map panel by name. 0 if unknown.
EMSCRIPTEN_KEEPALIVE int cd_select_layer(const char* name, int channel) {
    wake();
    auto& a = app();
    for (size_t i = 0; i < a.maps.size(); ++i)
        if (a.maps[i].name == name) {
            a.layer = int(i);
            a.channel = channel < a.maps[i].c ? channel : -1;
            a.panel = "Feature maps";   // featureMap() shows it
            return 1;
        }
    return 0;
}

EMSCRIPTEN_KEEPALIVE void cd_set_zoom(float zoom) {
    wake();
    app().zoom = zoom;
}

// The camera's state as JS sees it (window.catdog.camera, or a failed getUserMedia).
EMSCRIPTEN_KEEPALIVE void cd_set_camera(int on, int front) {
    wake();
    app().camera_on = on != 0;
    app().camera_front = front != 0;
}

// Input arrived (pointer, keys, wheel, touch): draw the next frames.
EMSCRIPTEN_KEEPALIVE void cd_wake() { wake(); }

}  // extern "C"

// The last photo's decode (0) and preprocess (1) times in ms, measured in wasm.
extern "C" EMSCRIPTEN_KEEPALIVE double cd_ms(int which) {
    return which == 0 ? app().ms.decode : app().ms.preprocess;
}
