// cli/explain_common.cpp - see explain_common.h.
#include "cli/explain_common.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include "catdog/explain.h"
#include "catdog/grid.h"
#include "catdog/image.h"
#include "catdog/transforms.h"
#include "cli/command.h"
#include "export/explain_graph.h"
#include "train/scores.h"

namespace catdog::cli {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// What one explanation produced.
struct Result {
    catdog::Plane map;
    std::string layer;
    float logit = 0, prob = 0;          // the class's (for two classes: the first's)
    float score = 0;                    // what the map explains: logit_a, or logit_a - logit_b
    float cam_logit = NAN;              // CAM: mean(map) + bias
    double forward_ms = 0, backward_ms = 0, total_ms = 0;
    int passes = 1;
};

int class_index(const std::vector<std::string>& labels, const std::string& name) {
    for (size_t k = 0; k < labels.size(); ++k)
        if (labels[k] == name) return int(k);
    std::string valid;
    for (auto& l : labels) valid += (valid.empty() ? "" : ", ") + l;
    throw Failure("--class " + name + ": not a class of this run (" + valid + ")");
}

std::string out_path(const ExplainArgs& a, const std::string& image) {
    if (a.images.size() == 1) return a.png;
    // Several photos: OUT is a stem, one file per photo.
    fs::path p(a.png);
    const std::string stem = p.extension() == ".png" ? (p.parent_path() / p.stem()).string() : p.string();
    return stem + "-" + fs::path(image).stem().string() + ".png";
}

}  // namespace

void run_explain(const ExplainArgs& a, bool backward, const OpenEngine& open) {
    const auto t_start = Clock::now();
    train::RunInfo run = train::read_run(a.run);
    nets::NetSpec spec = nets::make_spec(run.backbone, int(run.labels.size()));
    spec.infer_shapes();
    const int cam_at = exporter::cam_layer(spec);
    const std::string method = a.method.empty() ? (cam_at >= 0 ? "cam" : "gradcam") : a.method;
    if (method != "cam" && method != "gradcam" && method != "occlusion")
        throw Failure("--method must be cam, gradcam or occlusion, not '" + method + "'");
    if (a.images.empty()) throw Failure("no photo given");
    if (a.png.empty() && !a.json) throw Failure("--png OUT (or --json) is required");
    if (a.classes.size() > 2) throw Failure("--class takes one class, or two for the signed map");
    if (!(a.opacity >= 0.f && a.opacity <= 1.f)) throw Failure("--opacity must be between 0 and 1");
    if (a.batch < 1) throw Failure("--batch must be at least 1");
    std::vector<int> cls;
    for (auto& c : a.classes) cls.push_back(class_index(run.labels, c));
    if (cls.size() == 2 && cls[0] == cls[1]) throw Failure("--class: the two classes must differ");
    const bool signed_map = cls.size() == 2;

    // The layer: CAM's is fixed; Grad-CAM defaults to the last conv view.
    const std::vector<int> conv_views = exporter::explain_layers(spec);
    std::string layer = a.layer;
    if (method == "cam") {
        if (cam_at < 0)
            throw Failure("--method cam needs a global-average-pool + Linear head; " + run.backbone +
                          " has none (use --method gradcam)");
        if (!layer.empty() && layer != spec.layers[size_t(cam_at)].view)
            throw Failure("--layer: CAM reads the last conv, " + spec.layers[size_t(cam_at)].view + " (use gradcam for " +
                          layer + ")");
        layer = spec.layers[size_t(cam_at)].view;
    } else if (method == "gradcam") {
        if (layer.empty()) layer = spec.layers[size_t(conv_views.back())].view;
        bool known = false;
        for (int i : conv_views) known = known || spec.layers[size_t(i)].view == layer;
        if (!known) throw Failure("unknown layer '" + layer + "'; valid layers: " + spec.view_names());
    } else if (!layer.empty()) {
        throw Failure("--layer does not apply to occlusion (it perturbs the photo)");
    }
    if (method == "gradcam" && !backward) throw HandOver{};
    int layer_index = -1;
    for (int i : spec.view_layers())
        if (spec.layers[size_t(i)].view == layer) layer_index = i;
    const catdog::OcclusionGrid grid = [&] {
        try {
            return catdog::occlusion_grid(spec.input_size, a.patch, a.stride);
        } catch (const std::invalid_argument& e) {
            throw Failure(std::string(e.what()) + " (--patch/--stride)");
        }
    }();
    // Decode every photo before the model load: a bad file fails fast with its name.
    std::vector<catdog::Image> crops;
    for (auto& img : a.images) crops.push_back(catdog::val_crop(catdog::load_image(img), run.transform));

    std::unique_ptr<ExplainEngine> engine = open(run, spec);
    const double load_ms = ms_since(t_start);
    const int S = spec.input_size;
    const nets::Layer& head = spec.layers[size_t(spec.head_layer)];

    for (size_t n = 0; n < crops.size(); ++n) {
        const catdog::Image& crop = crops[n];
        const size_t per = size_t(3) * S * S;
        std::vector<float> x(per), logits, act, grad;
        catdog::to_tensor_normalize(crop, run.transform, x.data());
        Result r;
        r.layer = layer;
        const auto t0 = Clock::now();
        const size_t K = run.labels.size();
        std::vector<float> seed(K, 0.f);
        if (method == "gradcam") {
            // The class is the predicted one unless given: a forward first when it is not.
            int c0 = cls.empty() ? -1 : cls[0];
            if (c0 < 0) {
                logits.resize(K);
                engine->logits(x.data(), 1, logits.data());
                c0 = int(std::max_element(logits.begin(), logits.end()) - logits.begin());
            }
            seed[size_t(c0)] = 1.f;
            if (signed_map) seed[size_t(cls[1])] = -1.f;
            engine->gradients(x.data(), layer_index, seed, act, grad, logits);
        } else if (method == "cam") {
            engine->activation(x.data(), layer_index, act, logits);
        } else {
            logits.resize(K);
            engine->logits(x.data(), 1, logits.data());
        }
        r.forward_ms = ms_since(t0);
        const int pred = int(std::max_element(logits.begin(), logits.end()) - logits.begin());
        const int c0 = cls.empty() ? pred : cls[0];
        const int c1 = signed_map ? cls[1] : -1;
        r.logit = logits[size_t(c0)];
        std::vector<float> probs(K);
        train::softmax_rows(logits.data(), 1, K, probs.data());
        r.prob = probs[size_t(c0)];
        r.score = signed_map ? r.logit - logits[size_t(c1)] : r.logit;

        const auto t1 = Clock::now();
        const std::vector<int64_t>& shape = spec.layers[size_t(std::max(0, layer_index))].out_shape;
        if (method == "cam") {
            const int F = int(shape[0]);
            const float* W = engine->param(head.name + ".weight");
            const float* B = engine->param(head.name + ".bias");
            if (!W || !B) throw Failure(a.run + ": no " + head.name + " weight and bias for CAM");
            std::vector<float> w(W + size_t(c0) * F, W + size_t(c0 + 1) * F);
            float bias = B[c0];
            if (signed_map) {
                for (int k = 0; k < F; ++k) w[size_t(k)] -= W[size_t(c1) * F + k];
                bias -= B[c1];
            }
            r.map = catdog::class_activation_map(act.data(), F, int(shape[1]), int(shape[2]), w.data(), bias,
                                                 &r.cam_logit);
            // The identity that makes CAM a decomposition of the logit.
            if (std::fabs(r.cam_logit - r.score) > 1e-4f * std::max(1.f, std::fabs(r.score)))
                throw Failure("CAM check failed: mean(map) + bias = " + std::to_string(r.cam_logit) +
                              ", the network's score is " + std::to_string(r.score));
        } else if (method == "gradcam") {
            r.map = catdog::grad_cam(act.data(), grad.data(), int(shape[0]), int(shape[1]), int(shape[2]), signed_map);
        } else {
            // Mid-grey in the normalised space: (0.5 - mean) / std per channel.
            float fill[3];
            for (int c = 0; c < 3; ++c) fill[c] = (0.5f - run.transform.mean[c]) / run.transform.std[c];
            std::vector<float> scores(size_t(grid.count())), xb, lb;
            for (int i0 = 0; i0 < grid.count(); i0 += a.batch) {
                const int nb = std::min(a.batch, grid.count() - i0);
                xb.resize(size_t(nb) * per);
                lb.resize(size_t(nb) * K);
                for (int k = 0; k < nb; ++k) catdog::occlude(x.data(), 3, grid, i0 + k, fill, xb.data() + size_t(k) * per);
                engine->logits(xb.data(), nb, lb.data());
                for (int k = 0; k < nb; ++k)
                    scores[size_t(i0 + k)] = lb[size_t(k) * K + size_t(c0)] - (signed_map ? lb[size_t(k) * K + size_t(c1)] : 0.f);
            }
            r.map = catdog::occlusion_map(grid, scores, r.score);
            r.passes = 1 + grid.count();
        }
        r.backward_ms = ms_since(t1);
        r.total_ms = ms_since(t0);

        const std::string what = signed_map ? run.labels[size_t(c0)] + " vs " + run.labels[size_t(c1)]
                                            : run.labels[size_t(c0)];
        std::string png;
        if (!a.png.empty()) {
            png = out_path(a, a.images[n]);
            catdog::write_png(png, catdog::heat_overlay(crop, r.map, a.opacity, signed_map));
        }
        if (a.json) {
            nlohmann::json j = {{"image", a.images[n]},       {"method", method},
                                {"class", what},              {"pred", run.labels[size_t(pred)]},
                                {"layer", r.layer},           {"logit", r.logit},
                                {"prob", r.prob},             {"score", r.score},
                                {"signed", signed_map},       {"width", r.map.width},
                                {"height", r.map.height},     {"data", r.map.data},
                                {"forward_ms", r.forward_ms}, {"explain_ms", r.backward_ms},
                                {"passes", r.passes},         {"load_ms", load_ms},
                                {"png", png}};
            if (method == "cam") j["cam_logit"] = r.cam_logit;
            std::printf("%s\n", j.dump().c_str());
        } else {
            std::printf("%s: %s for %s (logit %.4f, p %.4f; predicted %s)", a.images[n].c_str(), method.c_str(),
                        what.c_str(), r.logit, r.prob, run.labels[size_t(pred)].c_str());
            if (!r.layer.empty()) std::printf(" at %s", r.layer.c_str());
            std::printf(", %dx%d map\n", r.map.width, r.map.height);
            if (method == "cam") std::printf("  mean(map) + bias = %.6f = the score %.6f\n", r.cam_logit, r.score);
            if (method == "occlusion")
                std::printf("  %d patches of %d px, stride %d, batches of %d\n", grid.count(), a.patch, a.stride, a.batch);
            std::printf("  timings: model load %.0f ms, forward %.1f ms, %s %.1f ms (%d forward passes)\n", load_ms,
                        r.forward_ms, method == "gradcam" ? "backward" : method == "cam" ? "map" : "occlusion",
                        r.backward_ms, r.passes);
            if (!png.empty()) std::printf("  wrote %s\n", png.c_str());
        }
        std::fflush(stdout);
    }
}


void add_explain_options(CLI::App& app, ExplainArgs& a) {
    app.add_option("--model", a.run, "Run folder (from catdog train)")->required();
    app.add_option("images", a.images, "Photos (JPEG, PNG, BMP, GIF, WebP)")->required();
    app.add_option("--method", a.method, "cam | gradcam | occlusion (default: cam where the head allows it)");
    app.add_option("--class", a.classes,
                       "Class to explain (default: the predicted one); twice for the signed map, e.g. "
                       "--class dog --class cat");
    app.add_option("--layer", a.layer, "Grad-CAM layer, e.g. features.10 (default: the last conv)");
    app.add_option("--opacity", a.opacity, "Heat map opacity over the photo, 0..1")->capture_default_str();
    app.add_option("--patch", a.patch, "Occlusion patch size in pixels")->capture_default_str();
    app.add_option("--stride", a.stride, "Occlusion stride in pixels")->capture_default_str();
    app.add_option("--batch", a.batch, "Occluded photos per forward pass")->capture_default_str();
    app.add_option("--threads", a.threads, "Compute threads (0 = LibTorch's default)");
    app.add_option("--png", a.png, "Output PNG (for several photos: a stem, OUT-<photo>.png)");
    app.add_flag("--json", a.json, "Print one JSON line per photo with the raw map and timings");
}

}  // namespace catdog::cli
