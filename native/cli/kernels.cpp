// cli/kernels.cpp - `catdog kernels --model RUN`: conv1's weights as a tile grid (PNG).
#include <cstdio>
#include <memory>
#include "catdog/views.h"
#include "cli/command.h"
#include "infer/network.h"

namespace catdog::cli {
namespace {

struct KernelsArgs {
    std::string run, out = "kernels.png";
    int scale = 8, nrow = 8;
    bool per_kernel = false;
};

void run_kernels(const KernelsArgs& a) {
    if (a.scale < 1 || a.scale > 64) throw Failure("--scale must be between 1 and 64");
    if (a.nrow < 1) throw Failure("--nrow must be at least 1");
    const infer::Network net(a.run);
    const std::string name = net.spec().conv1 + ".weight";
    const weights::RawTensor* w = net.param(name);
    if (!w || w->shape.size() != 4) throw Failure(a.run + ": model.ckpt has no 4-D " + name);
    const auto& s = w->shape;
    catdog::Image img = catdog::kernel_grid(w->data, int(s[0]), int(s[1]), int(s[2]), int(s[3]), a.nrow,
                                            a.per_kernel, a.scale);
    catdog::write_png(a.out, img);
    std::printf("wrote %s: %s %s, %lld kernels of %lldx%lldx%lld, %dx%d px\n", a.out.c_str(),
                net.run().backbone.c_str(), net.spec().conv1.c_str(), (long long)s[0], (long long)s[1],
                (long long)s[2], (long long)s[3], img.w, img.h);
}

const RegisterCommand reg{{"kernels", "Draw the first conv layer's kernels as a PNG tile grid", 60,
    [](CLI::App& app) {
        auto a = std::make_shared<KernelsArgs>();
        app.add_option("--model", a->run, "Run folder (from catdog train)")->required();
        app.add_option("--scale", a->scale, "Nearest-neighbour upscale factor")->capture_default_str();
        app.add_option("--nrow", a->nrow, "Tiles per row")->capture_default_str();
        app.add_flag("--per-kernel", a->per_kernel,
                     "Normalise each kernel on its own (make_grid's scale_each)");
        app.add_option("--out,-o", a->out, "Output PNG")->capture_default_str();
        app.callback([a] { run_kernels(*a); });
    }}};

}  // namespace
}  // namespace catdog::cli
