// train/run.cpp - reading a run folder back: its config, and its final (or best) model.
#include "train/run.h"

#include <filesystem>
#include "train/atomic_write.h"
#include "train/checkpoint.h"
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

std::unique_ptr<nets::Model> load_run_model(const RunInfo& run, torch::Device device) {
    // Init::None: every tensor comes from the file (no 61M random draws before predict's forward).
    auto model = std::make_unique<nets::Model>(nets::make_spec(run.backbone, (int)run.labels.size()),
                                               nets::Model::Init::None);
    const fs::path dir(run.dir);
    if (fs::exists(dir / "model.ckpt")) {
        model->load_file((dir / "model.ckpt").string());
    } else if (fs::exists(dir / "checkpoint-best.ckpt")) {
        load_checkpoint((dir / "checkpoint-best.ckpt").string(), *model, nullptr);
    } else if (fs::exists(dir / "checkpoint-last.ckpt")) {
        load_checkpoint((dir / "checkpoint-last.ckpt").string(), *model, nullptr);
    } else {
        throw std::runtime_error(run.dir + ": the run has no model yet (no model.ckpt or checkpoint)");
    }
    model->to(device);
    return model;
}

}  // namespace catdog::train
