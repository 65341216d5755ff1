// wasm/bridge.h - the C++ side of the wasm <-> JS boundary.
//
// JS -> wasm: the extern "C" cd_* functions in bridge.cpp (EMSCRIPTEN_KEEPALIVE), called by
//             web/catdog.js with data copied into the wasm heap.
// wasm -> JS: the functions below (EM_JS), which call into `Module.host` (web/catdog.js).
// Nothing here blocks: inference is a JS Promise whose result comes back through
// cd_result_output / cd_result_done.
#pragma once
#include <string>

namespace catdog::web {

// Asks JS to run the model on the tensor of request `req` (copied out of the heap at once).
void js_infer(int req, const float* tensor, int n);
// Tells JS that request `req` failed before inference (decode/preprocess error).
void js_fail(int req, const std::string& message);
// UI actions that only the browser can do.
void js_open_picker();
void js_load_sample(const std::string& name);
void js_camera(bool on, bool front);
void js_camera_snap();
// Re-uploads the current camera frame into `tex` (a GL texture id); returns false when none.
bool js_camera_frame(unsigned tex, int* w, int* h);
// The canvas's CSS size and devicePixelRatio.
void js_canvas_size(double* css_w, double* css_h, double* dpr);
// Sets the canvas's backing store size (device pixels); GLFW's window follows.
void js_set_canvas_size(int w, int h);
// Publishes a panel's rectangle (CSS pixels) for tests and screen readers.
void js_panel_rect(const char* name, float x, float y, float w, float h);
// Mirrors the layer the user picked, so window.catdog knows it.
void js_layer_changed(const std::string& name, int channel);

}  // namespace catdog::web
