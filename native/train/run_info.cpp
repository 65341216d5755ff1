// train/run_info.cpp - reading a run folder's config.json back.
#include "train/run_info.h"

#include <filesystem>
#include <stdexcept>
#include "train/atomic_write.h"
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

}  // namespace catdog::train
