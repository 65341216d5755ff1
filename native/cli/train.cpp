// cli/train.cpp - `catdog train`: options -> train::TrainConfig -> train_new / train_resume,
// then the export step (model.onnx, model.web.onnx, model.json) into the run folder.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <unistd.h>
#include "cli/command.h"
#include "cli/torch_commands.h"
#if !CATDOG_TRAINER_ONLY
#include "export/export.h"
#endif
#if CATDOG_WITH_FETCH
#include "fetch/download.h"
#include "fetch/manifest.h"
#endif
#include "train/trainer.h"

namespace fs = std::filesystem;

namespace catdog::cli {
namespace {

std::string exe_dir() {
    std::error_code ec;
    auto p = fs::read_symlink("/proc/self/exe", ec);
    return ec ? std::string(".") : p.parent_path().string();
}

// Where a backbone's pretrained file is when --weights is not given: the download cache
// (`catdog fetch-weights NAME`), then the ../shared copy beside a checkout its manifest names.
std::string default_weights(const std::string& backbone) {
    std::vector<std::string> tried;
#if CATDOG_WITH_FETCH
    try {
        auto m = fetch::find_manifest(backbone);
        std::string cached = (fs::path(fetch::default_cache_dir()) / m.file).string();
        if (fs::exists(cached)) return cached;
        tried.push_back(cached);
    } catch (const std::exception&) {
    }
#endif
    // A copy under ../shared named by the manifest (mobilenet_v2, squeezenet1_1).
    std::string rel;
#if CATDOG_WITH_FETCH
    try {
        rel = fetch::find_manifest(backbone).local;
    } catch (const std::exception&) {
    }
#endif
    if (rel.empty() && backbone == "mobilenet_v2")
        rel = "weights/mobilenet_v2_1.0_224_quant/mobilenet_v2_1.0_224_quant.tflite";
    if (!rel.empty()) {
        std::vector<fs::path> roots;
        if (const char* env = std::getenv("CATDOG_SHARED"); env && *env) roots.emplace_back(env);
        roots.emplace_back("../shared");
        roots.emplace_back(fs::path(exe_dir()) / "../../../shared");
        for (auto& r : roots) {
            auto p = (r / rel).lexically_normal();
            if (fs::exists(p)) return fs::absolute(p).lexically_normal().string();
            tried.push_back(p.string());
        }
    }
    std::string where;
    for (auto& t : tried) where += (where.empty() ? "" : ", ") + t;
    throw Failure("no pretrained weights for " + backbone + " (looked in: " + (where.empty() ? "nowhere" : where) +
                  "); run `catdog fetch-weights " + backbone + "` or pass --weights FILE (or --weights random)");
}

void setup(CLI::App& app) {
    auto cfg = std::make_shared<train::TrainConfig>();
    auto resume = std::make_shared<std::string>();
    app.add_option("--data", cfg->data, "photo folder: flat Kaggle (cat.1.jpg ...) or one subfolder per class");
    app.add_option("--val-dir", cfg->val_dir, "separate validation folder (default: split --data)");
    app.add_option("--val-split", cfg->val_split, "fraction of each class held out for validation")->capture_default_str();
    app.add_option("--backbone", cfg->backbone, "alexnet | mobilenet_v2 | mobilenet_v2_torchvision | resnet18 | squeezenet1_1 (catdog backbones)")->capture_default_str();
    app.add_option("--weights", cfg->weights,
                   "pretrained backbone file (.pth / .tflite); 'random' = untrained (benchmarks)");
    app.add_option("--strategy", cfg->strategy, "feature (frozen backbone) | finetune")->capture_default_str();
    app.add_option("--unfreeze", cfg->unfreeze, "finetune: also train the last K parameterised backbone layers (lr x 0.1)");
    app.add_option("--epochs", cfg->epochs, "epochs")->capture_default_str();
    app.add_option("--batch-size", cfg->batch_size, "batch size")->capture_default_str();
    app.add_option("--lr", cfg->lr, "Adam learning rate of the head")->capture_default_str();
    app.add_option("--lr-schedule", cfg->lr_schedule, "step | exp | inv (lr / (1 + decay * epoch))")->capture_default_str();
    app.add_option("--lr-step", cfg->lr_step, "step: epochs between decays")->capture_default_str();
    app.add_option("--lr-gamma", cfg->lr_gamma, "step/exp: decay factor")->capture_default_str();
    app.add_option("--lr-decay", cfg->lr_decay, "inv: decay rate")->capture_default_str();
    app.add_option("--seed", cfg->seed, "random seed (split, order, crops, head init, dropout)")->capture_default_str();
    app.add_option("--workers", cfg->workers, "decoding threads (0 = auto: beside a GPU one per core, up to 8; on a CPU decode each batch on the compute threads)")->capture_default_str();
    app.add_option("--device", cfg->device, "auto | cpu | cuda[:N]")->capture_default_str();
    app.add_option("--out", cfg->out, "run folder (default runs/<backbone>-<time>)");
    app.add_option("--resume", *resume, "continue the run in this folder where it stopped");
    app.add_option("--checkpoint-secs", cfg->checkpoint_secs, "mid-epoch checkpoint at most this often")->capture_default_str();
    app.add_option("--checkpoint-every", cfg->checkpoint_every, "also checkpoint every N batches (0 = off)");
    app.add_flag("!--no-export", cfg->export_model, "skip writing model.onnx / model.web.onnx / model.json");
    app.add_option("--precision", cfg->precision,
                   "frozen trunk precision: fp32 | bf16 (CPU oneDNN / CUDA) | fp16 (CUDA); head stays fp32")
        ->capture_default_str();
    app.add_flag("--cache-features", cfg->cache_features,
                 "frozen backbone: run the trunk once per photo and view (center, flip, --cache-crops random "
                 "crops), then train the head from the stored features");
    app.add_option("--cache-crops", cfg->cache_crops, "--cache-features: seeded random-crop views per photo")
        ->capture_default_str();
    app.add_option("--threads", cfg->threads, "compute threads (0 = one per core)")->capture_default_str();
    app.add_option("--engine", cfg->engine,
                   "frozen fp32 trunk on a CPU: auto (onednn when built in) | onednn (one oneDNN plan: Winograd "
                   "3x3 convs, fused ReLU) | torch (LibTorch op by op)")
        ->capture_default_str();
    app.add_flag("!--no-trunk-dropout", cfg->trunk_dropout,
                 "evaluate the frozen trunk without dropout (the seed trains it in train mode)");
    auto* g = app.add_option_group("test hooks");
    g->add_option("--stop-after-epoch", cfg->stop_after_epoch, "stop cleanly after N epochs (as on Ctrl-C)");
    g->add_option("--stop-after-batches", cfg->stop_after_batches, "stop cleanly after N batches (as on Ctrl-C)");

    app.callback([cfg, resume] {
        train::TrainResult r;
        try {
            if (!resume->empty()) {
                r = train::train_resume(*resume, *cfg);
            } else {
                if (cfg->data.empty()) throw Failure("--data DIR is required (or --resume RUN)");
                if (cfg->weights.empty()) cfg->weights = default_weights(cfg->backbone);
                r = train::train_new(*cfg);
            }
        } catch (const std::invalid_argument& e) {
            throw Failure(e.what(), 2);
        }
        if (r.outcome == train::TrainOutcome::Stopped) {
            if (r.interrupted) throw Failure("interrupted; the checkpoint is saved", 130);
            return;
        }
        // ---- export hook: the run's final model -> model.onnx, model.web.onnx, model.json ----
#if CATDOG_TRAINER_ONLY
        if (cfg->export_model) std::printf("(trainer-only build: no ONNX export; run `catdog export` elsewhere)\n");
#else
        if (cfg->export_model) {
            try {
                auto e = exporter::export_run(r.run_dir);
                std::printf("exported %s, %s, %s%s%s\n", e.onnx_path.c_str(), e.web_path.c_str(), e.json_path.c_str(),
                            e.explain_path.empty() ? "" : ", ", e.explain_path.c_str());
                if (!e.explain_note.empty()) std::printf("  no explain graph: %s\n", e.explain_note.c_str());
                if (!e.imagenet_note.empty()) std::printf("  no ImageNet head: %s\n", e.imagenet_note.c_str());
            } catch (const std::exception& e) {
                throw Failure(std::string("training finished, but export failed: ") + e.what() +
                              " (retry with `catdog export --model " + r.run_dir + "`)");
            }
        }
#endif
    });
}

RegisterCommand reg({kTrainCommand.name, kTrainCommand.help, kTrainCommand.order, setup});

}  // namespace
}  // namespace catdog::cli
