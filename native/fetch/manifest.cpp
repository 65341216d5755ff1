// fetch/manifest.cpp - models/<name>.json (see manifest.h).
#include "fetch/manifest.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <nlohmann/json.hpp>

#include "catdog/files.h"
#include "fetch/download.h"

namespace fs = std::filesystem;

namespace catdog::fetch {

Manifest read_manifest(const std::string& path) {
    Manifest m;
    try {
        m.source_json = read_file(path);
    } catch (const FileError& e) {
        throw FetchError(std::string(e.what()) + " (a download manifest)");
    }
    try {
        auto j = nlohmann::json::parse(m.source_json);
        m.name = j.at("name").get<std::string>();
        m.architecture = j.at("architecture").get<std::string>();
        m.format = j.at("format").get<std::string>();
        m.url = j.at("url").get<std::string>();
        m.file = j.at("file").get<std::string>();
        m.sha256 = j.value("sha256", std::string());
        if (m.sha256.empty()) m.sha256 = j.value("sha256_prefix", std::string());
        m.size = j.value("size", uint64_t{0});
        m.license = j.value("license", std::string());
        m.top1 = j.value("top1", 0.0);
        m.local = j.value("local", std::string());
        if (j.contains("preprocessing")) {
            const auto& p = j.at("preprocessing");
            m.resize = p.value("resize", 256);
            m.crop = p.value("crop", 224);
            m.mean = p.value("mean", std::vector<float>{});
            m.std = p.value("std", std::vector<float>{});
        }
        if (j.contains("features")) {
            m.feature_layer = j.at("features").value("layer", std::string());
            m.feature_dim = j.at("features").value("dim", 0);
        }
    } catch (const nlohmann::json::exception& e) {
        throw FetchError(path + ": bad manifest (" + e.what() + ")");
    }
    if (m.file.find('/') != std::string::npos || m.file.empty() || m.file[0] == '.')
        throw FetchError(path + ": bad manifest (file must be a plain file name)");
    return m;
}

namespace {
std::string exe_dir() {
    std::error_code ec;
    fs::path p = fs::read_symlink("/proc/self/exe", ec);
    return ec ? std::string() : p.parent_path().string();
}
bool has_manifests(const fs::path& d) {
    std::error_code ec;
    return fs::is_regular_file(d / "alexnet.json", ec);
}
}  // namespace

std::string models_dir() {
    std::vector<fs::path> tried;
    if (const char* e = std::getenv("CATDOG_MODELS"); e && *e) tried.emplace_back(e);
    std::string exe = exe_dir();
    if (!exe.empty()) {
        tried.push_back(fs::path(exe) / ".." / ".." / "models");           // build/bin -> source tree
        tried.push_back(fs::path(exe) / ".." / "share" / "catdog" / "models");  // install prefix
    }
#ifdef CATDOG_MODELS_SOURCE_DIR
    tried.emplace_back(CATDOG_MODELS_SOURCE_DIR);
#endif
    std::string list;
    for (auto& d : tried) {
        if (has_manifests(d)) return fs::weakly_canonical(d).string();
        list += (list.empty() ? "" : ", ") + d.string();
    }
    throw FetchError("cannot find the models/ manifests (looked in " + list + "; set CATDOG_MODELS)");
}

std::vector<std::string> manifest_names() {
    std::vector<std::string> names;
    for (auto& e : fs::directory_iterator(models_dir()))
        if (e.path().extension() == ".json") names.push_back(e.path().stem().string());
    std::sort(names.begin(), names.end());
    return names;
}

Manifest find_manifest(const std::string& name) {
    fs::path p = fs::path(models_dir()) / (name + ".json");
    bool plain = !name.empty() && name.find('/') == std::string::npos && name[0] != '.';
    if (!plain || !fs::is_regular_file(p)) {
        std::string known;
        for (auto& n : manifest_names()) known += (known.empty() ? "" : ", ") + n;
        throw FetchError("unknown backbone '" + name + "' (known: " + known + ")");
    }
    return read_manifest(p.string());
}

}  // namespace catdog::fetch
