// cli/featuremaps.cpp - `catdog featuremaps --model RUN --image IMG --layer NAME`: every
// channel of one layer's activation as a viridis tile (one scale per layer), in a grid.
#include <algorithm>
#include <cstdio>
#include <memory>
#include "catdog/views.h"
#include "cli/command.h"
#include "infer/network.h"

namespace catdog::cli {
namespace {

struct FeaturemapsArgs {
    std::string run, image, layer, out = "featuremaps.png";
    int nrow = 0, scale = 0;
    bool list = false;
};

void run_featuremaps(const FeaturemapsArgs& a) {
    train::RunInfo run = train::read_run(a.run);
    const nets::NetSpec spec = nets::make_spec(run.backbone, int(run.labels.size()));
    if (a.list || a.layer.empty()) {
        if (!a.list) throw Failure("--layer is required; valid layers: " + spec.view_names());
        std::printf("%s\n", spec.view_names().c_str());
        return;
    }
    if (a.image.empty()) throw Failure("--image is required");
    if (a.scale < 0 || a.scale > 64) throw Failure("--scale must be between 1 and 64 (0 = auto)");
    // Check the name and the photo before the (slower) model load.
    int layer = -1;
    for (int i : spec.view_layers())
        if (spec.layers[size_t(i)].view == a.layer) layer = i;
    if (layer < 0) throw Failure("unknown layer '" + a.layer + "'; valid layers: " + spec.view_names());
    catdog::Image photo = catdog::load_image(a.image);  // DecodeError: one line naming the file

    infer::Network net(std::move(run));
    std::vector<float> x(size_t(net.input_floats()));
    catdog::val_tensor(photo, net.run().transform, x.data(), catdog::Layout::HWC);
    const auto& s = spec.layers[size_t(layer)].out_shape;  // [C, H, W]
    if (s.size() != 3) throw Failure("layer '" + a.layer + "' is not a [C, H, W] map");
    const int c = int(s[0]), h = int(s[1]), w = int(s[2]);
    std::vector<float> act(size_t(c) * h * w);
    net.run_to(x.data(), 1, layer, act.data());
    const int scale = a.scale > 0 ? a.scale : catdog::featuremap_auto_scale(h);
    catdog::Image img = catdog::featuremap_grid(act.data(), c, h, w, a.nrow, scale);
    catdog::write_png(a.out, img);
    const auto [lo, hi] = std::minmax_element(act.begin(), act.end());
    std::printf("wrote %s: %s %s, %d channels of %dx%d, values %.4g..%.4g, %dx%d px\n", a.out.c_str(),
                net.run().backbone.c_str(), a.layer.c_str(), c, h, w, *lo, *hi, img.w, img.h);
}

const RegisterCommand reg{{"featuremaps", "Draw one layer's activations for a photo as a PNG grid", 70,
    [](CLI::App& app) {
        auto a = std::make_shared<FeaturemapsArgs>();
        app.add_option("--model", a->run, "Run folder (from catdog train)")->required();
        app.add_option("--image", a->image, "Photo (JPEG, PNG, BMP, GIF, WebP)");
        app.add_option("--layer", a->layer, "Layer name, e.g. features.0 (--list shows them)");
        app.add_flag("--list", a->list, "List the layers and exit");
        app.add_option("--nrow", a->nrow, "Tiles per row (0 = near-square)");
        app.add_option("--scale", a->scale, "Upscale factor per tile (0 = auto)");
        app.add_option("--out,-o", a->out, "Output PNG")->capture_default_str();
        app.callback([a] { run_featuremaps(*a); });
    }}};

}  // namespace
}  // namespace catdog::cli
