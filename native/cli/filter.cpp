// cli/filter.cpp - `catdog filter`: one convolution channel on a photo's network input, the
// kernel playground's computation from the command line.
//
//   catdog filter --image IMG --model RUN --channel K        conv1's channel K with the layer's own
//                                                            stride, padding, bias and activation
//   catdog filter --image IMG --preset NAME [--size N]       a classic kernel (identity, sobel_x, ...)
//   catdog filter --image IMG --weights FILE                 any kernel, from a JSON file (below)
//   ... --png OUT | --npy OUT | --json OUT                   (any of them)
//
// The input is the photo as the network sees it: the run's val transform (Resize, CenterCrop,
// ToTensor, Normalize), or ImageNet's when there is no --model. The PNG uses the page's
// feature-map colours (viridis over the plane's min..max, catdog/views.h).
//
// --weights FILE: {"shape": [C, kh, kw], "weights": [C*kh*kw numbers, w[(c*kh + y)*kw + x]],
//                  "stride": 1, "pad": "same" | p | [top, left, bottom, right], "bias": 0,
//                  "activation": "none" | "relu" | "relu6"}       (all but shape/weights optional;
//                  pad defaults to "same": TensorFlow's rule)
// Presets run at stride 1 with 'SAME' padding, no bias and no activation.
//
// No LibTorch: the small `catdog` (lite/main.cpp) answers this command itself; the weights come
// from the run's model.ckpt, mapped in place by weights/pth_reader.h.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <numeric>
#include <nlohmann/json.hpp>
#include "catdog/convolve.h"
#include "catdog/files.h"
#include "catdog/image.h"
#include "catdog/views.h"
#include "cli/command.h"
#include "cli/npy.h"
#include "nets/conv1.h"
#include "train/run_info.h"
#include "weights/pth_reader.h"

namespace fs = std::filesystem;

namespace catdog::cli {
namespace {

struct FilterArgs {
    std::string image, run, preset, weights, png, npy, json_out;
    int channel = -1, size = 3, scale = 0;
};

// [SECTION] Kernels
struct Filter {
    ConvSpec spec;
    TransformSpec transform;  // what the input crop is
    std::string what;         // for the summary line
};

// conv1's kernel `k` of the run, with the layer's own stride, padding, bias and activation.
Filter from_run(const std::string& dir, int k) {
    const train::RunInfo run = train::read_run(dir);
    const nets::NetSpec spec = nets::make_spec(run.backbone, int(run.labels.size()));
    const nets::Conv1Info c1 = nets::conv1_info(spec);
    const std::string ckpt = (fs::path(dir) / "model.ckpt").string();
    if (!fs::exists(ckpt)) throw Failure(dir + ": no model.ckpt (has the run finished?)");

    std::vector<float> w, b;
    std::vector<int64_t> wshape;
    const weights::MappedWeights m = weights::map_pth(ckpt);
    for (const weights::RawTensor& t : m.tensors) {
        const int64_t n = std::accumulate(t.shape.begin(), t.shape.end(), int64_t(1), std::multiplies<>());
        if (t.name == c1.weight) wshape = t.shape, w.assign(t.data, t.data + n);
        if (t.name == c1.bias) b.assign(t.data, t.data + n);
    }
    if (wshape != c1.shape)
        throw Failure(ckpt + ": " + c1.weight + " is missing or not the " + run.backbone + " conv1 shape");
    const int O = int(c1.shape[0]);
    if (k < 0 || k >= O)
        throw Failure("--channel " + std::to_string(k) + " is out of range: " + c1.weight + " has " +
                      std::to_string(O) + " kernels (0 to " + std::to_string(O - 1) + ")");
    if (!c1.bias.empty() && b.size() != size_t(O)) throw Failure(ckpt + ": " + c1.bias + " is missing or not [" + std::to_string(O) + "]");

    Filter f;
    Kernel& K = f.spec.kernel;
    K.c = int(c1.shape[1]), K.kh = int(c1.shape[2]), K.kw = int(c1.shape[3]);
    const size_t per = size_t(K.c) * K.kh * K.kw;
    K.w.assign(w.begin() + ptrdiff_t(per * size_t(k)), w.begin() + ptrdiff_t(per * size_t(k + 1)));
    f.spec.stride = c1.stride;
    f.spec.pad = c1.pad;
    f.spec.bias = c1.bias.empty() ? 0.f : b[size_t(k)];
    f.spec.act = parse_activation(c1.activation);
    f.transform = run.transform;
    f.what = run.backbone + " " + (c1.view.empty() ? spec.conv1 : c1.view) + " channel " + std::to_string(k);
    return f;
}

// The documented --weights JSON; every failure names the file.
ConvSpec from_json_file(const std::string& path, int in_h, int in_w) {
    std::string text;
    try {
        text = read_file(path);
    } catch (const FileError& e) {
        throw Failure(e.what());
    }
    auto bad = [&](const std::string& why) { return Failure(path + ": " + why); };
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(text);
    } catch (const std::exception& e) {
        std::string msg = e.what();
        for (char& ch : msg) if (ch == '\n' || ch == '\r') ch = ' ';
        throw bad("not JSON (" + msg + ")");
    }
    if (!j.is_object()) throw bad("expected an object {\"shape\": [C, kh, kw], \"weights\": [...]}");
    ConvSpec s;
    const auto shape = j.find("shape");
    if (shape == j.end() || !shape->is_array() || shape->size() != 3)
        throw bad("\"shape\" must be [C, kh, kw]");
    int dims[3];
    for (int i = 0; i < 3; ++i) {
        const auto& d = (*shape)[size_t(i)];
        if (!d.is_number_integer() || d.get<int64_t>() < 1 || d.get<int64_t>() > 64)
            throw bad("\"shape\" entries must be integers 1 to 64");
        dims[i] = d.get<int>();
    }
    s.kernel.c = dims[0], s.kernel.kh = dims[1], s.kernel.kw = dims[2];
    const auto w = j.find("weights");
    const size_t n = size_t(dims[0]) * dims[1] * dims[2];
    if (w == j.end() || !w->is_array() || w->size() != n)
        throw bad("\"weights\" must be an array of C*kh*kw = " + std::to_string(n) + " numbers");
    for (const auto& v : *w) {
        if (!v.is_number() || !std::isfinite(v.get<double>())) throw bad("\"weights\" must be finite numbers");
        s.kernel.w.push_back(v.get<float>());
    }
    if (j.contains("stride")) {
        if (!j["stride"].is_number_integer() || j["stride"].get<int64_t>() < 1 || j["stride"].get<int64_t>() > 64)
            throw bad("\"stride\" must be an integer 1 to 64");
        s.stride = j["stride"].get<int>();
    }
    const nlohmann::json pad = j.value("pad", nlohmann::json("same"));
    if (pad.is_string() && pad.get<std::string>() == "same") {
        s.pad = same_pad(in_h, in_w, s.kernel.kh, s.kernel.kw, s.stride);
    } else if (pad.is_number_integer() && pad.get<int64_t>() >= 0 && pad.get<int64_t>() <= 64) {
        s.pad.fill(pad.get<int>());
    } else if (pad.is_array() && pad.size() == 4) {
        for (size_t i = 0; i < 4; ++i) {
            if (!pad[i].is_number_integer() || pad[i].get<int64_t>() < 0 || pad[i].get<int64_t>() > 64)
                throw bad("\"pad\" entries must be integers 0 to 64");
            s.pad[i] = pad[i].get<int>();
        }
    } else {
        throw bad("\"pad\" must be \"same\", an integer or [top, left, bottom, right]");
    }
    if (j.contains("bias")) {
        if (!j["bias"].is_number() || !std::isfinite(j["bias"].get<double>())) throw bad("\"bias\" must be a number");
        s.bias = j["bias"].get<float>();
    }
    if (j.contains("activation")) {
        if (!j["activation"].is_string()) throw bad("\"activation\" must be \"none\", \"relu\" or \"relu6\"");
        try {
            s.act = parse_activation(j["activation"].get<std::string>());
        } catch (const std::invalid_argument& e) {
            throw bad(e.what());
        }
    }
    return s;
}

// [SECTION] Outputs
void write_json(const std::string& path, const Plane& p) {
    nlohmann::json j{{"width", p.width}, {"height", p.height}, {"data", p.data}};
    catdog::write_file_atomic(path, j.dump() + "\n");
}

void run_filter(const FilterArgs& a) {
    const int sources = !a.run.empty() + !a.preset.empty() + !a.weights.empty();
    if (sources != 1) throw Failure("give one of --model RUN --channel K, --preset NAME or --weights FILE");
    if (!a.run.empty() && a.channel < 0) throw Failure("--model needs --channel K (a conv1 kernel)");
    if (a.run.empty() && a.channel >= 0) throw Failure("--channel needs --model RUN");
    if (a.png.empty() && a.npy.empty() && a.json_out.empty()) throw Failure("give --png, --npy or --json for the result");
    if (a.scale < 0 || a.scale > 64) throw Failure("--scale must be between 1 and 64 (0: automatic)");

    Filter f;
    if (!a.run.empty()) {
        f = from_run(a.run, a.channel);
    } else if (!a.preset.empty()) {
        try {
            f.spec.kernel = preset_kernel(a.preset, a.size, 3);
        } catch (const std::invalid_argument& e) {
            throw Failure(e.what());
        }
        f.spec.pad = same_pad(f.transform.crop, f.transform.crop, a.size, a.size, 1);
        f.what = "preset " + a.preset + " " + std::to_string(a.size) + "x" + std::to_string(a.size);
    } else {
        f.spec = from_json_file(a.weights, f.transform.crop, f.transform.crop);
        f.what = a.weights;
    }

    const Image img = load_image(a.image);  // DecodeError names the file
    const int S = f.transform.crop;
    std::vector<float> x(size_t(3) * S * S);
    val_tensor(img, f.transform, x.data(), Layout::CHW);
    Plane p;
    try {
        p = convolve(x.data(), 3, S, S, f.spec);
    } catch (const std::invalid_argument& e) {
        throw Failure((a.weights.empty() ? std::string() : a.weights + ": ") + e.what());
    }

    if (!a.png.empty()) {
        const int scale = a.scale > 0 ? a.scale : featuremap_auto_scale(p.height, 224);
        write_png(a.png, featuremap_grid(p.data.data(), 1, p.height, p.width, 1, scale, 0));
    }
    if (!a.npy.empty()) write_npy(a.npy, {p.height, p.width}, p.data.data());
    if (!a.json_out.empty()) write_json(a.json_out, p);
    float lo = p.data[0], hi = p.data[0];
    for (float v : p.data) lo = std::min(lo, v), hi = std::max(hi, v);
    std::printf("%s on %s: %d x %d, values %.4g to %.4g\n", f.what.c_str(), a.image.c_str(), p.width, p.height,
                double(lo), double(hi));
}

const RegisterCommand reg{{"filter", "Run one conv kernel (conv1's own, a preset or yours) on a photo", 65,
    [](CLI::App& app) {
        auto a = std::make_shared<FilterArgs>();
        app.add_option("--image", a->image, "Photo (JPEG, PNG, WebP, BMP, GIF)")->required();
        app.add_option("--model", a->run, "Run folder: use its conv1 kernel --channel");
        app.add_option("--channel", a->channel, "conv1 kernel (output channel) of --model");
        app.add_option("--preset", a->preset, "A classic kernel: " + [] {
            std::string s;
            for (const auto& n : preset_names()) s += (s.empty() ? "" : ", ") + n;
            return s;
        }());
        app.add_option("--size", a->size, "Preset kernel size (odd; 11 = AlexNet's conv1)")->capture_default_str();
        app.add_option("--weights", a->weights, "Kernel JSON: {\"shape\": [C, kh, kw], \"weights\": [...], "
                                                "\"stride\", \"pad\", \"bias\", \"activation\"}");
        app.add_option("--png", a->png, "Write the result as a PNG (viridis, as the page draws maps)");
        app.add_option("--npy", a->npy, "Write the raw float32 plane as NumPy .npy [height, width]");
        app.add_option("--json", a->json_out, "Write the raw plane as JSON {width, height, data}");
        app.add_option("--scale", a->scale, "PNG upscale factor (0: about 224 px tall)")->capture_default_str();
        app.callback([a] { run_filter(*a); });
    }}};

}  // namespace
}  // namespace catdog::cli
