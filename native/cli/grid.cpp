// cli/grid.cpp - `catdog grid --data DIR -n 16 --nrow 4 --seed S`: sample photos as the
// network sees them (val crops, or train-augmented crops with --augmented), labelled, in a
// make_grid picture - the seed's first figure.
#include <algorithm>
#include <cstdio>
#include <memory>
#include "catdog/grid.h"
#include "catdog/transforms.h"
#include "cli/command.h"
#include "data/dataset.h"
#include "export/plot.h"

namespace catdog::cli {
namespace {

struct GridArgs {
    std::string data, out;
    int n = 16, nrow = 4;
    uint64_t seed = 0;
    bool augmented = false, no_labels = false;
};

void run_grid(const GridArgs& a) {
    if (a.n < 1 || a.n > 1024) throw Failure("-n must be between 1 and 1024");
    if (a.nrow < 1) throw Failure("--nrow must be at least 1");
    const std::string out = !a.out.empty() ? a.out : a.augmented ? "grid-augmented.png" : "grid.png";
    data::Dataset ds = data::scan_folder(a.data, /*allow_single_class=*/true);

    // A seeded shuffle (catdog::Rng, the same on every platform); unreadable photos are
    // skipped with a warning and the next one takes their place.
    catdog::Rng rng(a.seed);
    std::vector<size_t> order(ds.samples.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.uniform(uint32_t(i))]);

    const catdog::TransformSpec spec;  // Resize(256), crop 224
    const int S = spec.crop;
    std::vector<float> tiles;
    std::vector<std::string> captions;
    for (size_t k = 0; k < order.size() && int(captions.size()) < a.n; ++k) {
        const data::Sample& s = ds.samples[order[k]];
        catdog::Image crop;
        try {
            catdog::Image img = catdog::load_image(s.path);
            crop = a.augmented ? catdog::train_crop(img, spec, rng) : catdog::val_crop(img, spec);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "catdog grid: skipping %s\n", e.what());
            continue;
        }
        const size_t base = tiles.size(), plane = size_t(S) * S;
        tiles.resize(base + 3 * plane);
        for (size_t p = 0; p < plane; ++p)
            for (int c = 0; c < 3; ++c) tiles[base + c * plane + p] = crop.rgb[p * 3 + c] / 255.f;
        captions.push_back(ds.labels[size_t(s.label)]);
    }
    if (captions.empty()) throw Failure(a.data + ": no readable photos");
    const int n = int(captions.size());
    catdog::FloatGrid g = catdog::make_grid(tiles.data(), n, 3, S, S, a.nrow, 2, catdog::GridNorm::None);
    catdog::Image img = catdog::grid_to_image(g);
    if (!a.no_labels) {
        const int cols = std::min(a.nrow, n);
        for (int k = 0; k < n; ++k) {
            const int ox = n == 1 ? 0 : (k % cols) * (S + 2) + 2, oy = n == 1 ? 0 : (k / cols) * (S + 2) + 2;
            exporter::draw_label(img, ox + 4, oy + 4, captions[size_t(k)], {255, 255, 255}, {0, 0, 0}, 2);
        }
    }
    catdog::write_png(out, img);
    std::printf("wrote %s: %d %s photos from %s (seed %llu), %dx%d px\n", out.c_str(), n,
                a.augmented ? "train-augmented" : "val-cropped", a.data.c_str(),
                (unsigned long long)a.seed, img.w, img.h);
}

const RegisterCommand reg{{"grid", "Draw a grid of sample photos (val crops or augmented) as a PNG", 50,
    [](CLI::App& app) {
        auto a = std::make_shared<GridArgs>();
        app.add_option("--data", a->data, "Photo folder (flat Kaggle or one subfolder per class)")->required();
        app.add_option("-n", a->n, "Number of photos")->capture_default_str();
        app.add_option("--nrow", a->nrow, "Photos per row")->capture_default_str();
        app.add_option("--seed", a->seed, "Sampling (and augmentation) seed")->capture_default_str();
        app.add_flag("--augmented", a->augmented,
                     "Show train-augmented crops (RandomCrop + RandomHorizontalFlip)");
        app.add_flag("--no-labels", a->no_labels, "Leave the class captions off");
        app.add_option("--out,-o", a->out, "Output PNG (default grid.png / grid-augmented.png)");
        app.callback([a] { run_grid(*a); });
    }}};

}  // namespace
}  // namespace catdog::cli
