// cli/fetch_weights.cpp - `catdog fetch-weights NAME` (a backbone from models/NAME.json) and
// `catdog fetch URL --sha256 HEX --out FILE` (any file, e.g. the demo's dataset zip).
// Both print the final path on stdout, so scripts can capture it; progress goes to stderr.
#include <cstdio>
#include <filesystem>
#include <memory>
#include "cli/command.h"
#include "fetch/download.h"
#include "fetch/manifest.h"

namespace catdog::cli {
namespace {

struct FetchArgs {
    std::string name, url, out, sha256, progress = "auto";
    int retries = 3;
    bool list = false;
};

ProgressMode progress_mode(const std::string& p) {
    if (p == "auto") return ProgressMode::Auto;
    if (p == "bar") return ProgressMode::Bar;
    if (p == "lines") return ProgressMode::Lines;
    if (p == "none") return ProgressMode::None;
    throw Failure("--progress must be auto, bar, lines or none");
}

void report(const fetch::DownloadResult& r) {
    if (r.already_present)
        std::fprintf(stderr, "already present and verified: %s\n", r.path.c_str());
    else
        std::fprintf(stderr, "saved %s (%llu bytes, sha256 %s%s)\n", r.path.c_str(),
                     static_cast<unsigned long long>(r.bytes), r.sha256.c_str(), r.resumed ? ", resumed" : "");
    std::printf("%s\n", r.path.c_str());
}

void run_fetch_weights(const FetchArgs& a) {
    try {
        if (a.list) {
            for (auto& n : fetch::manifest_names()) {
                fetch::Manifest m = fetch::find_manifest(n);
                std::printf("%-25s %-7s %s\n", m.name.c_str(), m.format.c_str(), m.url.c_str());
            }
            return;
        }
        if (a.name.empty()) throw Failure("name a backbone (see --list)");
        fetch::Manifest m = fetch::find_manifest(a.name);
        fetch::DownloadOptions o;
        o.url = a.url.empty() ? m.url : a.url;
        o.sha256 = a.sha256.empty() ? m.sha256 : a.sha256;
        const std::string dir = a.out.empty() ? fetch::default_cache_dir() : a.out;
        o.out = (std::filesystem::path(dir) / m.file).string();
        o.progress = progress_mode(a.progress);
        o.retries = a.retries;
        std::fprintf(stderr, "fetching %s from %s\n", m.file.c_str(), o.url.c_str());
        report(fetch::download(o));
    } catch (const fetch::FetchError& e) {
        throw Failure(e.what());
    }
}

void run_fetch(const FetchArgs& a) {
    try {
        fetch::DownloadOptions o;
        o.url = a.url;
        o.sha256 = a.sha256;
        o.out = a.out.empty() ? std::filesystem::path(a.url).filename().string() : a.out;
        if (o.out.empty()) throw Failure("--out is required when the URL ends without a file name");
        o.progress = progress_mode(a.progress);
        o.retries = a.retries;
        report(fetch::download(o));
    } catch (const fetch::FetchError& e) {
        throw Failure(e.what());
    }
}

const RegisterCommand reg_weights{{"fetch-weights",
    "Download a backbone's pretrained weights (models/NAME.json), resuming and verifying sha256", 90,
    [](CLI::App& app) {
        auto a = std::make_shared<FetchArgs>();
        app.add_option("name", a->name, "Backbone: alexnet | mobilenet_v2 | mobilenet_v2_torchvision | resnet18 | squeezenet1_1");
        app.add_option("--url", a->url, "Download from here instead of the manifest's URL");
        app.add_option("--out", a->out, "Folder to save into (default $XDG_CACHE_HOME/catdog or ~/.cache/catdog)");
        app.add_option("--sha256", a->sha256, "Expected sha256 (full or a prefix of >= 8 hex digits); "
                                              "default: the manifest's");
        app.add_option("--progress", a->progress, "auto | bar | lines | none")->capture_default_str();
        app.add_option("--retries", a->retries, "Resumes after a dropped connection")->capture_default_str();
        app.add_flag("--list", a->list, "List the known backbones and their URLs");
        app.callback([a] { run_fetch_weights(*a); });
    }}};

const RegisterCommand reg_fetch{{"fetch",
    "Download any file with resume and a sha256 check (e.g. the demo's dataset zip)", 91,
    [](CLI::App& app) {
        auto a = std::make_shared<FetchArgs>();
        app.add_option("url", a->url, "http(s) URL")->required();
        app.add_option("--out,-o", a->out, "Output file (default: the URL's file name)");
        app.add_option("--sha256", a->sha256, "Expected sha256 (full or a prefix of >= 8 hex digits)");
        app.add_option("--progress", a->progress, "auto | bar | lines | none")->capture_default_str();
        app.add_option("--retries", a->retries, "Resumes after a dropped connection")->capture_default_str();
        app.callback([a] { run_fetch(*a); });
    }}};

}  // namespace
}  // namespace catdog::cli
