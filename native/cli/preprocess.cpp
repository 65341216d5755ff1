// cli/preprocess.cpp - `catdog preprocess IMG... --npy OUT_DIR [--model RUN | --backbone NAME]`:
// each photo's val tensor (decode, EXIF orientation, Resize, CenterCrop, ToTensor, Normalize:
// exactly what training validates on and predict classifies) as OUT_DIR/<name>.npy, float32
// [3, crop, crop], so it can be fed to any runtime or compared with one's own pipeline.
// OUT_DIR/<name>.npy keeps the photo's own name (cat.1.jpg -> cat.1.jpg.npy).
//
// The transform is the run's (--model), a backbone's (--backbone), or ImageNet's 256/224 with
// torchvision's mean and std. Photos that cannot be read are reported one line each; the
// others are still written, and the exit code says some failed.
//
// No LibTorch: only the core, the run reader and the network specs.
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <vector>
#include "catdog/image.h"
#include "catdog/transforms.h"
#include "cli/command.h"
#include "cli/npy.h"
#include "nets/netspec.h"
#include "train/run_info.h"

namespace fs = std::filesystem;

namespace catdog::cli {
namespace {

struct PreprocessArgs {
    std::vector<std::string> files;
    std::string out, run, backbone;
};

void run_preprocess(const PreprocessArgs& a) {
    if (!a.run.empty() && !a.backbone.empty()) throw Failure("give --model RUN or --backbone NAME, not both");
    TransformSpec spec;  // ImageNet's
    std::string what = "ImageNet defaults";
    if (!a.run.empty()) {
        spec = train::read_run(a.run).transform;
        what = "the run " + a.run;
    } else if (!a.backbone.empty()) {
        try {
            spec = nets::make_spec(a.backbone, 2).transform;
        } catch (const std::invalid_argument& e) {
            throw Failure(e.what());
        }
        what = "backbone " + a.backbone;
    }
    // One output per photo, named after it: refuse two photos that would share a file.
    std::map<std::string, std::string> names;
    for (const auto& f : a.files) {
        const std::string npy = fs::path(f).filename().string() + ".npy";
        auto [it, fresh] = names.emplace(npy, f);
        if (!fresh) throw Failure(f + " and " + it->second + " would both be written as " + npy);
    }
    catdog::ensure_writable_dir(a.out);

    const int S = spec.crop;
    std::vector<float> tensor(size_t(3) * S * S);
    int failed = 0;
    for (const auto& f : a.files) {
        try {
            val_tensor(load_image(f), spec, tensor.data());
        } catch (const DecodeError& e) {
            std::fprintf(stderr, "catdog preprocess: %s\n", e.what());
            ++failed;
            continue;
        }
        const std::string out = (fs::path(a.out) / (fs::path(f).filename().string() + ".npy")).string();
        write_npy(out, {3, S, S}, tensor.data());
        std::printf("%s -> %s\n", f.c_str(), out.c_str());
    }
    std::printf("preprocess: %zu of %zu photos as float32 [3, %d, %d] (Resize %d, CenterCrop %d, mean %.3f %.3f %.3f, "
                "std %.3f %.3f %.3f: %s)\n",
                a.files.size() - size_t(failed), a.files.size(), S, S, spec.resize, spec.crop, spec.mean[0],
                spec.mean[1], spec.mean[2], spec.std[0], spec.std[1], spec.std[2], what.c_str());
    if (failed) throw Failure(std::to_string(failed) + " of " + std::to_string(a.files.size()) + " photo(s) could not be read");
}

const RegisterCommand reg{{"preprocess", "Write each photo's val tensor (what the network sees) as NumPy .npy", 35,
    [](CLI::App& app) {
        auto a = std::make_shared<PreprocessArgs>();
        app.add_option("images", a->files, "Photos (JPEG, PNG, BMP, GIF, WebP)")->required();
        app.add_option("--npy", a->out, "Output folder: one <photo file name>.npy each, float32 [3, crop, crop]")->required();
        app.add_option("--model", a->run, "Use this run's transform (Resize, crop, mean, std)");
        app.add_option("--backbone", a->backbone, "Use this backbone's transform (alexnet, mobilenet_v2, ...)");
        app.callback([a] { run_preprocess(*a); });
    }}};

}  // namespace
}  // namespace catdog::cli
