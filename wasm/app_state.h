// wasm/app_state.h - everything the panels draw, in one place.
//
// The page's data flows one way: JS hands bytes (or RGBA) to the bridge, the pipeline turns
// them into the photo, the 224x224 crop and the input tensor, JS runs ORT-web on that tensor
// and hands the outputs back, and the panels draw whatever is in AppState.
#pragma once
#include <string>
#include <vector>
#include "catdog/convolve.h"
#include "catdog/image.h"
#include "catdog/model_info.h"
#include "catdog/transforms.h"

namespace catdog::web {

// A GL texture with its size. 0 = none.
struct Texture {
    unsigned id = 0;
    int w = 0, h = 0;
};
// Uploads (or re-uploads into `tex`) an RGB8 image. `nearest`: no smoothing (kernels, maps).
void upload_rgb(Texture& tex, const Image& img, bool nearest);
void upload_rgba(Texture& tex, const uint8_t* rgba, int w, int h, bool nearest);

// One intermediate activation for the current photo: C x H x W floats.
struct FeatureMap {
    std::string name;
    int c = 0, h = 0, w = 0;
    std::vector<float> data;
    const float* channel(int i) const { return data.data() + size_t(i) * h * w; }
};

struct Timing { double decode = 0, preprocess = 0, inference = 0; };

struct Photo {
    std::string name;
    bool browser_decoded = false;  // a huge photo decoded (and shrunk) by the browser
    int src_w = 0, src_h = 0;      // pixels as decoded
    Image display;                 // a copy at most ~640 px, for the panel
    CropBox crop_in_src;           // the network's square, in the decoded photo's pixels
    Image crop;                    // the exact crop x crop uint8 image the network sees
    std::vector<float> tensor;     // 3 x crop x crop, normalised
    Texture display_tex, crop_tex;
};

// The kernel playground and step-through (panel_playground.cpp). The kernel that runs is
// conv1's own (source Conv1), a classic preset, or the user's edit of either.
enum class KernelSource { Conv1, Preset, Edited };
struct Playground {
    KernelSource source = KernelSource::Conv1;
    int conv1 = 0;                  // conv1 kernel index (source Conv1, or what an edit started from)
    std::string preset = "sobel_x";
    int size = 3;                   // preset size: 3, 5 or conv1's own
    bool grey = false;              // edit one grey kernel for all three channels
    Kernel kernel;                  // the weights that run, [c][kh][kw]
    int stride = 1;
    float bias = 0.f;
    Activation act = Activation::None;
    int version = 1;                // bumped on every change: the output is recomputed once
    // step-through: the output pixel under the kernel (-1 = none), playing across positions
    int step_x = -1, step_y = -1;
    bool step_on_network = false;   // the pixel was picked on the network's own conv1 map
    bool playing = false;
};

struct MetricsRow { double epoch = 0, train_loss = 0, val_loss = 0, val_acc = 0, lr = 0; };

struct AppState {
    // --- model and runtime
    bool model_ready = false;
    ModelInfo info;
    std::string status = "Loading the app...";
    float progress = -1.f;        // model download fraction, < 0 when not downloading
    int threads = 1;
    bool isolated = false;
    std::string last_error;       // shown in the prediction panel until the next success

    // --- the current photo and its prediction
    Photo photo;
    bool has_photo = false;
    int pending_request = 0;      // request id awaiting ORT-web, 0 when idle
    int shown_request = 0;
    std::vector<float> probs;
    Timing ms;
    std::vector<FeatureMap> maps;       // filled by the result callback
    std::vector<FeatureMap> incoming;   // outputs of the request in flight

    // --- kernels (conv1 weights, [O, I, kh, kw])
    std::vector<float> kernels;
    int k_o = 0, k_i = 0, k_h = 0, k_w = 0;
    bool kernels_per_tile = false;

    // --- feature maps view
    int layer = 0;                // index into maps
    int channel = -1;             // enlarged channel, -1 = none
    float overlay_alpha = 0.6f;

    // --- training
    std::vector<MetricsRow> metrics;
    std::vector<std::vector<double>> confusion;
    double val_acc = -1;

    // --- input
    std::vector<std::string> samples;
    bool camera_on = false;
    bool camera_front = false;
    Texture camera_tex;

    // --- kernel playground and step-through
    Playground play;
    std::vector<float> conv1_bias;      // [O], empty = no bias

    // --- layout
    float ui_scale = 1.f;         // devicePixelRatio x user zoom
    float zoom = 1.f;
    std::string panel = "Feature maps";  // the panel presenter mode (and the narrow layout) shows
    bool presenter = false;              // one panel full-screen, larger text
    std::string wanted_layer;            // a lesson link's layer, applied when its maps arrive
    int wanted_channel = -1;
};

AppState& app();
// Asks for a few more frames. The app draws only after input or a state change (software
// WebGL and phones pay for every frame), except while the camera runs.
void wake();

}  // namespace catdog::web
