// train/run_info.cpp - reading a run folder's config.json back.
#include "train/run_info.h"

#include <algorithm>
#include <filesystem>
#include <stdexcept>
#include "catdog/files.h"
#include "train/config.h"

namespace fs = std::filesystem;

namespace catdog::train {

RunInfo read_run(const std::string& dir) {
    auto fail = [&](const std::string& why) { throw std::runtime_error(dir + ": not a catdog run folder (" + why + ")"); };
    if (!fs::is_directory(dir)) fail("no such folder");
    const std::string cfg_path = (fs::path(dir) / "config.json").string();
    if (!fs::exists(cfg_path)) fail("config.json is missing");
    RunInfo r;
    r.dir = dir;
    try {
        r.config = nlohmann::json::parse(read_file(cfg_path));
        r.backbone = r.config.at("backbone").get<std::string>();
        r.labels = r.config.at("labels").get<std::vector<std::string>>();
        r.transform = transform_from_json(r.config.at("transform"));
    } catch (const nlohmann::json::exception& e) {
        fail(std::string("config.json: ") + e.what());
    }
    if (r.labels.size() < 2) fail("config.json lists fewer than two labels");
    return r;
}

data::Split read_split(const std::string& dir) {
    const std::string path = (fs::path(dir) / "split.json").string();
    const std::string text = read_file(path);
    try {
        return data::split_from_json(nlohmann::json::parse(text));
    } catch (const nlohmann::json::exception& e) {
        throw std::runtime_error(path + ": not a catdog split (" + e.what() + ")");
    }
}

std::string val_photo_root(const RunInfo& run) {
    const std::string val_dir = run.config.value("val_dir", std::string());
    return val_dir.empty() ? run.config.value("data", std::string()) : val_dir;
}

int epochs_recorded(const std::string& dir) {
    // A header row, then one row per epoch (trainer.cpp writes it whole each epoch).
    std::string text;
    try {
        text = read_file((fs::path(dir) / "metrics.csv").string());
    } catch (const FileError&) {
        return 0;
    }
    int rows = 0;
    for (size_t at = 0; at < text.size();) {
        const size_t end = std::min(text.find('\n', at), text.size());
        rows += end > at;
        at = end + 1;
    }
    return std::max(0, rows - 1);
}

}  // namespace catdog::train
