// train/trainer.cpp - the training loop, checkpoints and resume.
//
// Index of this file:
// [SECTION] Session: the run being trained
// [SECTION] Setup: new run / resumed run -> a Session (model, optimizer, split, state)
// [SECTION] Epoch end: validation, metrics.csv, best/last checkpoints
// [SECTION] Finish: model.ckpt, summary.json
// [SECTION] Checkpoint policy: mid-epoch checkpoints and stop requests
// [SECTION] Epochs: streamed from the photos, or from cached features (--cache-features)
// [SECTION] Loop: epochs, validation, the end of the run
// [SECTION] Entry points: train_new, train_resume
#include "train/trainer.h"

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <memory>
#include <optional>
#include <torch/torch.h>
#include "data/dataset.h"
#include "data/loader.h"
#include "data/seed_mix.h"
#include "nets/model.h"
#include "nets/model_io.h"
#include "nets/pretrained.h"
#include "catdog/files.h"
#include "catdog/progress.h"
#include "train/checkpoint.h"
#include "train/evaluate.h"
#include "train/feature_cache.h"
#include "train/run_info.h"
#include "train/run_state.h"
#ifdef CATDOG_WITH_INFER
#include "infer/classify.h"
#endif

namespace fs = std::filesystem;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace catdog::train {

namespace {

// SIGINT asks the loop to stop at the end of the current batch; a second one kills as usual.
std::atomic<int> g_stop_signal{0};
extern "C" void on_sigint(int sig) {
    g_stop_signal = sig;
    std::signal(sig, SIG_DFL);
}

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

//-----------------------------------------------------------------------------
// [SECTION] Session: the run being trained
//-----------------------------------------------------------------------------
struct Session {
    TrainConfig cfg;
    fs::path dir;
    torch::Device device{torch::kCPU};
    data::Split split;
    std::unique_ptr<nets::Model> model;
    std::unique_ptr<torch::optim::Adam> opt;
    RunState st;
    // --cache-features: trunk outputs per (photo, view); built lazily, never checkpointed (a
    // resumed run recomputes the views it needs: the eval-mode trunk is deterministic).
    std::unique_ptr<FeatureCache> train_cache, val_cache;

    std::string path(const char* name) const { return (dir / name).string(); }

    // One warning line per bad file for the whole run (the list survives resume).
    void report(const data::FailedSample& f, const std::string& file) {
        if (!st.bad_files.emplace(file, f.message).second) return;
        std::fprintf(stderr, "warning: skipped %s\n", f.message.c_str());
    }
};

//-----------------------------------------------------------------------------
// [SECTION] Setup: new run / resumed run -> a Session (model, optimizer, split, state)
//-----------------------------------------------------------------------------
std::string default_out(const std::string& backbone) {
    std::time_t t = std::time(nullptr);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", std::localtime(&t));
    return "runs/" + backbone + "-" + buf;
}

// Builds the model exactly as a fresh run does: pretrained trunk, then a seeded new head.
std::unique_ptr<nets::Model> build_model(const TrainConfig& cfg, const nets::NetSpec& spec) {
    torch::manual_seed(cfg.seed);
    auto model = std::make_unique<nets::Model>(spec);
    if (cfg.weights != "random") nets::load_weights(*model, nets::load_pretrained(cfg.backbone, cfg.weights), false);
    torch::manual_seed(cfg.seed);
    model->reset_head((int)cfg.labels.size());
    return model;
}

void make_optimizer(Session& s) {
    s.model->to(s.device);
    // NHWC weights on CPU (oneDNN's fast path; replaces the 4-D tensors, so before the groups).
    if (s.device.is_cpu()) s.model->set_channels_last(true);
    s.model->set_trainable(s.cfg.unfreeze);
    // --precision: the frozen trunk in bf16 (oneDNN AVX-512 / CUDA) or fp16 (CUDA); head in fp32.
    if (s.cfg.precision == "bf16") s.model->set_trunk_dtype(torch::kBFloat16);
    else if (s.cfg.precision == "fp16") s.model->set_trunk_dtype(torch::kHalf);
    // --engine: the frozen fp32 trunk as one oneDNN plan (Winograd convs) where it applies.
    s.model->set_trunk_engine(trunk_engine(s.cfg.engine));
    std::vector<torch::optim::OptimizerParamGroup> groups;
    groups.emplace_back(s.model->head_parameters(),
                        std::make_unique<torch::optim::AdamOptions>(s.cfg.lr));
    auto backbone = s.model->unfrozen_backbone_parameters();
    if (!backbone.empty()) {
        groups.emplace_back(backbone,
                            std::make_unique<torch::optim::AdamOptions>(s.cfg.lr * s.cfg.backbone_lr_scale));
    }
    s.opt = std::make_unique<torch::optim::Adam>(groups);
}

void set_lr(Session& s, double factor) {
    auto& groups = s.opt->param_groups();
    for (size_t g = 0; g < groups.size(); ++g) {
        double base = s.cfg.lr * (g == 0 ? 1.0 : s.cfg.backbone_lr_scale);
        static_cast<torch::optim::AdamOptions&>(groups[g].options()).lr(base * factor);
    }
}

void print_header(const Session& s) {
    auto tr = data::class_counts(s.split.train, s.cfg.labels.size());
    auto va = data::class_counts(s.split.val, s.cfg.labels.size());
    std::string counts;
    for (size_t i = 0; i < s.cfg.labels.size(); ++i) {
        counts += (i ? ", " : "") + s.cfg.labels[i] + " " + std::to_string(tr[i]) + "/" + std::to_string(va[i]);
    }
    std::printf("run %s\n  %s, %s on %s, %zu train / %zu val (%s), batch %d, lr %g (%s), %d epochs, seed %llu\n",
                s.dir.c_str(), s.cfg.backbone.c_str(),
                s.cfg.strategy == "feature" ? "frozen backbone" : ("last " + std::to_string(s.cfg.unfreeze) + " layers unfrozen").c_str(),
                s.device.str().c_str(), s.split.train.size(), s.split.val.size(), counts.c_str(), s.cfg.batch_size,
                s.cfg.lr, s.cfg.lr_schedule.c_str(), s.cfg.epochs, (unsigned long long)s.cfg.seed);
    std::fflush(stdout);
}

//-----------------------------------------------------------------------------
// [SECTION] Epoch end: validation, metrics.csv, best/last checkpoints
//-----------------------------------------------------------------------------
void write_metrics_csv(const Session& s) {
    std::string csv = "epoch,train_loss,val_loss,val_acc,lr,img_s\n";
    char line[256];
    for (const EpochRecord& r : s.st.history) {
        std::snprintf(line, sizeof line, "%d,%.6f,%.6f,%.6f,%.8g,%.2f\n", r.epoch, r.train_loss, r.val_loss,
                      r.val_acc, r.lr, r.img_s);
        csv += line;
    }
    write_file_atomic(s.path("metrics.csv"), csv);
}

// The val split's loss and confusion: through the model, or through the cached val features
// (computed in the first epoch, then only the head runs).
EvalResult validate_epoch(Session& s, const data::LoaderOptions& lo) {
    auto on_fail = [&](const data::FailedSample& f) { s.report(f, s.split.val[f.index].path); };
    if (!s.val_cache) {
#ifdef CATDOG_WITH_INFER
        // On a CPU with a float32 trunk: the one LibTorch-free inference path (infer/), so the
        // numbers are those `catdog predict` and `eval` give for the same weights.
        if (s.device.is_cpu() && s.model->trunk_dtype() == torch::kFloat) {
            auto lookup = [&](const std::string& name) {
                const torch::Tensor& t = s.model->params().at(name);
                return onednn::ParamRef{t.data_ptr<float>(), t.sizes().vec(), t.strides().vec()};
            };
            infer::Network net(s.model->spec(), s.cfg.labels, s.cfg.transform, lookup);
            return infer::evaluate_samples(net, s.split.val, size_t(s.cfg.batch_size), infer::thread_count(s.cfg.threads),
                                           on_fail);
        }
#endif
        return evaluate(*s.model, s.split.val, s.cfg.labels.size(), lo, on_fail);
    }
    s.val_cache->ensure_view(0, *s.model, lo, on_fail);
    EvalResult r;
    r.confusion = Confusion(s.cfg.labels.size());
    double loss_sum = 0;
    torch::NoGradGuard no_grad;
    const size_t n = s.split.val.size(), bs = (size_t)s.cfg.batch_size;
    for (size_t i = 0; i < n; i += bs) {
        std::vector<size_t> idx(std::min(bs, n - i)), kept;
        for (size_t k = 0; k < idx.size(); ++k) idx[k] = i + k;
        torch::Tensor f, y;
        if (!s.val_cache->batch(idx, std::vector<int>(idx.size(), 0), f, y, &kept)) continue;
        torch::Tensor logits = s.model->head(f.to(s.device)).to(torch::kCPU, torch::kFloat);
        loss_sum += add_scores(r, logits, y, kept);
    }
    r.loss = r.n ? loss_sum / (double)r.n : std::nan("");
    return r;
}

void end_epoch(Session& s, int epoch, data::LoaderOptions lo) {
    const auto& labels = s.cfg.labels;
    std::printf("validating on %zu photos...\n", s.split.val.size());
    std::fflush(stdout);
    EvalResult v = validate_epoch(s, lo);
    EpochRecord row;
    row.epoch = epoch + 1;
    row.train_loss = s.st.train_loss();
    row.val_loss = v.loss;
    row.val_acc = v.confusion.accuracy();
    row.lr = s.cfg.lr * lr_factor(s.cfg, epoch);
    row.img_s = s.st.epoch_rate();
    const std::vector<double> per_class = v.confusion.per_class_acc();
    for (size_t i = 0; i < per_class.size(); ++i) row.per_class_acc[labels[i]] = per_class[i];
    row.confusion = v.confusion.m;
    s.st.history.push_back(row);
    const double acc = row.val_acc;
    std::printf("epoch %d/%d  train_loss %.4f  val_loss %.4f  val_acc %.4f  lr %.3g  %.1f img/s\n", epoch + 1,
                s.cfg.epochs, row.train_loss, v.loss, acc, row.lr, row.img_s);
    std::printf("  per class: %s\n%s", format_per_class(v.confusion.per_class_acc(), labels).c_str(),
                format_confusion(v.confusion, labels).c_str());
    std::fflush(stdout);

    // The epoch is done: roll the state forward, then persist (best first, so a kill between
    // the two writes re-does only this epoch's validation on resume).
    s.st.next_epoch();
    if (!std::isnan(acc) && acc > s.st.best_val_acc) {
        s.st.best_val_acc = acc;
        s.st.best_epoch = epoch + 1;
        save_checkpoint(s.path("checkpoint-best.ckpt"), *s.model, s.opt.get(), to_json(s.st));
    }
    save_checkpoint(s.path("checkpoint-last.ckpt"), *s.model, s.opt.get(), to_json(s.st));
    write_metrics_csv(s);
    if (epoch + 1 == s.cfg.epochs) {  // the final model's per-photo results, for the page's mistakes view
        const std::string root = s.cfg.val_dir.empty() ? s.cfg.data : s.cfg.val_dir;
        write_file_atomic(s.path("val_results.json"),
                          val_results_json(v, s.split.val, labels, root, epoch + 1).dump(1) + "\n");
    }
}

//-----------------------------------------------------------------------------
// [SECTION] Finish: model.ckpt, summary.json
//-----------------------------------------------------------------------------
void finish(Session& s) {
    write_metrics_csv(s);  // again: a kill may have come between the last checkpoint and the csv
    nets::save_model(*s.model, s.path("model.ckpt"));
    const json last = to_json(s.st).at("history").back();  // the last epoch as summary.json shows it
    json skipped = json::array();
    for (auto& [file, msg] : s.st.bad_files) skipped.push_back({{"file", file}, {"error", msg}});
    json summary = {
        {"backbone", s.cfg.backbone},
        {"labels", s.cfg.labels},
        {"epochs", s.cfg.epochs},
        {"val_acc", last["val_acc"]},
        {"val_loss", last["val_loss"]},
        {"train_loss", last["train_loss"]},
        {"per_class_acc", last["per_class_acc"]},
        {"confusion", last["confusion"]},
        {"best_val_acc", s.st.best_val_acc},
        {"best_epoch", s.st.best_epoch},
        {"train_img_s", s.st.run_rate()},
        {"train_samples", s.split.train.size()},
        {"val_samples", s.split.val.size()},
        {"skipped_files", skipped.size()},
        {"skipped", skipped},
        {"device", s.device.str()},
    };
    write_file_atomic(s.path("summary.json"), summary.dump(2) + "\n");
    std::printf("done: val_acc %.4f, %.1f img/s; model in %s\n", s.st.history.back().val_acc, s.st.run_rate(),
                s.path("model.ckpt").c_str());
    std::fflush(stdout);
}

//-----------------------------------------------------------------------------
// [SECTION] Checkpoint policy: mid-epoch checkpoints and stop requests
//-----------------------------------------------------------------------------
// One optimisation step of the head (and any unfrozen layers) on a batch; returns the summed loss.
double train_step(Session& s, const torch::Tensor& feats, const torch::Tensor& y) {
    auto loss = torch::nn::functional::cross_entropy(s.model->head(feats), y);
    s.opt->zero_grad();
    loss.backward();
    s.opt->step();
    return loss.item<double>() * (double)y.size(0);
}

std::string loss_text(const RunState& st) {  // the running mean, for the progress bar
    if (!st.loss_n) return "";
    char buf[32];
    std::snprintf(buf, sizeof buf, "loss %.4f", st.train_loss());
    return buf;
}

// When checkpoint-last.ckpt is written inside an epoch (--checkpoint-every, --checkpoint-secs,
// and before stopping), and when the run stops early: Ctrl-C, --stop-after-batches,
// --stop-after-epoch. Epoch ends always checkpoint (end_epoch).
class CheckpointPolicy {
public:
    explicit CheckpointPolicy(Session& s) : s_(s), last_(Clock::now()) {}

    bool stop_requested() const {
        return g_stop_signal != 0 || (s_.cfg.stop_after_batches > 0 && batches_ >= s_.cfg.stop_after_batches);
    }
    void save() {
        save_checkpoint(s_.path("checkpoint-last.ckpt"), *s_.model, s_.opt.get(), to_json(s_.st));
        last_ = Clock::now();
    }
    // After batch `number` of `num_batches`: a checkpoint when due or stopping. True = stop now.
    bool after_batch(int64_t number, int64_t num_batches) {
        ++batches_;
        const TrainConfig& cfg = s_.cfg;
        const bool mid_epoch = number + 1 < num_batches;
        const bool stop = stop_requested();
        const bool due = (cfg.checkpoint_every > 0 && (number + 1) % cfg.checkpoint_every == 0) ||
                         (cfg.checkpoint_secs > 0 && seconds_since(last_) >= cfg.checkpoint_secs);
        if (mid_epoch && (stop || due)) save();
        return mid_epoch && stop;
    }
    // The epoch was validated and checkpointed. True = stop before the next one.
    bool after_epoch() {
        last_ = Clock::now();
        ++epochs_;
        return stop_requested() || (s_.cfg.stop_after_epoch > 0 && epochs_ >= s_.cfg.stop_after_epoch);
    }
    TrainResult stopped(bool interrupted) const {
        std::printf("stopped at epoch %d, batch %lld; continue with: catdog train --resume %s\n", s_.st.epoch + 1,
                    (long long)s_.st.batch, s_.dir.c_str());
        std::fflush(stdout);
        return TrainResult{TrainOutcome::Stopped, s_.dir.string(), interrupted};
    }

private:
    Session& s_;
    Clock::time_point last_;
    int batches_ = 0, epochs_ = 0;  // in this process
};

//-----------------------------------------------------------------------------
// [SECTION] Epochs: streamed from the photos, or from cached features (--cache-features)
//-----------------------------------------------------------------------------
// Each returns nothing when the epoch's batches are done, or the result of stopping early.
using Stop = std::optional<TrainResult>;

std::string epoch_title(const Session& s, int epoch) {
    return "epoch " + std::to_string(epoch + 1) + "/" + std::to_string(s.cfg.epochs);
}

// Decode, augment, trunk, head: the whole network runs on every batch.
Stop streamed_epoch(Session& s, int epoch, const data::LoaderOptions& lo, CheckpointPolicy& policy) {
    const TrainConfig& cfg = s.cfg;
    const int64_t ntrain = (int64_t)s.split.train.size(), first = s.st.batch;
    data::Loader loader(s.split.train, data::shuffled_order(ntrain, cfg.seed, epoch), lo, first);
    Progress bar(ProgressOptions{epoch_title(s, epoch), ntrain, std::min<int64_t>(first * cfg.batch_size, ntrain)});
    data::Batch b;
    for (;;) {
        auto t0 = Clock::now();
        if (!loader.next(b)) break;
        for (auto& f : b.failed) s.report(f, s.split.train[f.index].path);
        const int64_t n = (int64_t)b.indices.size();
        double loss_sum = 0;
        if (n > 0) {
            // Dropout masks come from (seed, epoch, batch): the same after a resume.
            torch::manual_seed(data::mix2(cfg.seed, (uint64_t)epoch << 32 | (uint64_t)b.number));
            auto x = b.images.to(s.device, true).contiguous(torch::MemoryFormat::ChannelsLast);
            auto y = b.labels.to(s.device, true);
            torch::Tensor feats;
            if (cfg.unfreeze > 0) {
                feats = s.model->trunk(x, cfg.trunk_dropout);
            } else {
                torch::NoGradGuard no_grad;  // frozen trunk: no autograd graph at all
                feats = trunk_in_chunks(*s.model, x, cfg.trunk_dropout);
            }
            loss_sum = train_step(s, feats, y);
        }
        s.st.count_batch(b.number, n, loss_sum, seconds_since(t0));
        bar.update(std::min<int64_t>((b.number + 1) * cfg.batch_size, ntrain), s.st.epoch_rate(), loss_text(s.st));
        if (policy.after_batch(b.number, loader.num_batches())) {
            bar.finish();
            return policy.stopped(g_stop_signal != 0);
        }
    }
    bar.finish();
    return std::nullopt;
}

// The trunk runs only for the views (center, flip, crops) not cached yet; then only the head
// trains, on each photo's view for this epoch.
Stop cached_epoch(Session& s, int epoch, const data::LoaderOptions& lo, CheckpointPolicy& policy) {
    const TrainConfig& cfg = s.cfg;
    const int64_t ntrain = (int64_t)s.split.train.size(), first = s.st.batch;
    FeatureCache& cache = *s.train_cache;
    const int views = cache.views();
    double view_secs = 0;  // trunk time: counted as training time once the bar is done
    for (int v = 0; v < views; ++v) {
        if (cache.has_view(v) || (epoch < views && v != epoch)) continue;
        Progress pb(ProgressOptions{"features: view " + std::to_string(v + 1) + "/" + std::to_string(views) + " (" +
                                    FeatureCache::view_name(v) + ")", ntrain});
        const auto t0 = Clock::now();
        const bool done = cache.ensure_view(
            v, *s.model, lo, [&](const data::FailedSample& f) { s.report(f, s.split.train[f.index].path); },
            [&](int64_t n) {
                pb.update(n, (double)n / std::max(1e-9, seconds_since(t0)));
                return g_stop_signal == 0;
            });
        pb.finish();
        view_secs += seconds_since(t0);
        if (!done) {
            s.st.add_time(view_secs);
            policy.save();
            return policy.stopped(true);
        }
    }
    const std::vector<size_t> order = data::shuffled_order(ntrain, cfg.seed, epoch);
    const int64_t bs = cfg.batch_size, num_batches = (ntrain + bs - 1) / bs;
    Progress bar(ProgressOptions{epoch_title(s, epoch), ntrain, std::min<int64_t>(first * bs, ntrain)});
    for (int64_t b = first; b < num_batches; ++b) {
        const auto t0 = Clock::now();
        std::vector<size_t> idx(order.begin() + b * bs, order.begin() + std::min(ntrain, (b + 1) * bs));
        std::vector<int> vs(idx.size());
        for (size_t k = 0; k < idx.size(); ++k) vs[k] = cache.view_for(idx[k], epoch, cfg.seed);
        torch::Tensor f, y;
        double loss_sum = 0;
        int64_t n = 0;
        if (cache.batch(idx, vs, f, y)) {
            loss_sum = train_step(s, f.to(s.device), y.to(s.device));
            n = y.size(0);
        }
        s.st.count_batch(b, n, loss_sum, seconds_since(t0));
        bar.update(std::min<int64_t>((b + 1) * bs, ntrain), s.st.epoch_rate(), loss_text(s.st));
        if (policy.after_batch(b, num_batches)) {
            bar.finish();
            s.st.add_time(view_secs);
            return policy.stopped(g_stop_signal != 0);
        }
    }
    bar.finish();
    s.st.add_time(view_secs);
    return std::nullopt;
}

//-----------------------------------------------------------------------------
// [SECTION] Loop: epochs, validation, the end of the run
//-----------------------------------------------------------------------------
TrainResult run(Session& s) {
    const TrainConfig& cfg = s.cfg;
    struct SigGuard {
        void (*old)(int);
        SigGuard() { g_stop_signal = 0; old = std::signal(SIGINT, on_sigint); }
        ~SigGuard() { std::signal(SIGINT, old); }
    } sig_guard;

    tune_allocator();
    set_compute_threads(cfg.threads);
    data::LoaderOptions lo;
    lo.transform = cfg.transform;
    lo.batch_size = cfg.batch_size;
    // Default: worker threads ahead of a GPU; inline on the compute threads on a CPU.
    lo.workers = cfg.workers > 0 ? cfg.workers : s.device.is_cuda() ? data::default_workers() : 0;
    lo.seed = cfg.seed;
    lo.pin_memory = s.device.is_cuda();
    lo.channels_last = s.device.is_cpu();  // NHWC straight from the loader: no conversion copy
    if (cfg.cache_features) {
        // Past 1 GB the rows go to a file in the run folder (".tmp": a resume tidies it away).
        const int64_t dim = cfg.feature_dim;
        s.train_cache = std::make_unique<FeatureCache>(s.split.train, 2 + cfg.cache_crops, dim, s.path("features-train.tmp"));
        s.val_cache = std::make_unique<FeatureCache>(s.split.val, 1, dim, s.path("features-val.tmp"));
    }

    CheckpointPolicy policy(s);
    for (int epoch = s.st.epoch; epoch < cfg.epochs; ++epoch) {
        set_lr(s, lr_factor(cfg, epoch));
        lo.epoch = epoch;
        lo.train = true;
        if (Stop stop = s.train_cache ? cached_epoch(s, epoch, lo, policy) : streamed_epoch(s, epoch, lo, policy))
            return *stop;
        if (s.st.epoch_images == 0) {
            // Every training photo failed: there is nothing to learn from (the loss would be NaN).
            throw std::runtime_error(cfg.data + ": none of the " + std::to_string(s.split.train.size()) +
                                     " training photos could be decoded (see the warnings above)");
        }
        end_epoch(s, epoch, lo);
        if (policy.after_epoch() && epoch + 1 < cfg.epochs) return policy.stopped(g_stop_signal != 0);
    }
    finish(s);
    return {TrainOutcome::Finished, s.dir.string(), false};
}

}  // namespace

//-----------------------------------------------------------------------------
// [SECTION] Entry points: train_new, train_resume
//-----------------------------------------------------------------------------
TrainResult train_new(TrainConfig cfg) {
    validate(cfg);
    Session s;
    s.device = resolve_device(cfg.device);
    if (cfg.out.empty()) cfg.out = default_out(cfg.backbone);
    s.dir = fs::path(cfg.out);
    if (fs::exists(s.dir / "config.json")) {
        throw std::runtime_error(cfg.out + ": already holds a run; continue it with --resume " + cfg.out +
                                 " or choose another --out");
    }

    // Data: scan, then the split (a separate val folder, or a seeded stratified one).
    data::Dataset ds = data::scan_folder(cfg.data);
    cfg.data = ds.root;
    cfg.labels = ds.labels;
    if (!cfg.val_dir.empty()) {
        data::Dataset vds = data::scan_folder(cfg.val_dir, /*allow_single_class=*/true);
        data::relabel(vds, ds.labels);
        cfg.val_dir = vds.root;
        s.split = {ds.samples, vds.samples};
    } else {
        s.split = data::stratified_split(ds, cfg.val_split, cfg.seed);
    }

    // Model: the backbone's own preprocessing and feature layer go into the config. MobileNet
    // V2's layout (TFLite or torchvision) is the weight file's.
    if (!cfg.weights.empty() && cfg.weights != "random") cfg.backbone = nets::resolve_backbone(cfg.backbone, cfg.weights);
    nets::NetSpec spec = nets::make_spec(cfg.backbone, (int)cfg.labels.size());
    cfg.transform = spec.transform;
    cfg.feature_layer = spec.layers.at(spec.feature_layer).name;
    cfg.feature_dim = spec.feature_dim;
    if (cfg.weights.empty()) {
        throw std::runtime_error("no pretrained weights for " + cfg.backbone + ": pass --weights FILE");
    }
    if (cfg.weights != "random") cfg.weights = fs::absolute(cfg.weights).lexically_normal().string();
    if (cfg.strategy == "finetune" && cfg.unfreeze > (int)spec.backbone_param_layers().size()) {
        throw std::invalid_argument("--unfreeze " + std::to_string(cfg.unfreeze) + ": " + cfg.backbone + " has only " +
                                    std::to_string(spec.backbone_param_layers().size()) + " parameterised layers");
    }
    if (cfg.weights == "random") std::fprintf(stderr, "warning: --weights random: the backbone is untrained\n");
    s.model = build_model(cfg, spec);  // reads the weights before anything is written

    ensure_writable_dir(cfg.out);
    s.cfg = cfg;
    write_file_atomic(s.path("config.json"), to_json(cfg).dump(2) + "\n");
    write_file_atomic(s.path("split.json"), data::split_to_json(s.split, cfg.labels).dump(1) + "\n");
    make_optimizer(s);
    print_header(s);
    return run(s);
}

TrainResult train_resume(const std::string& run_dir, const TrainConfig& overrides) {
    Session s;
    s.dir = fs::path(run_dir);
    if (!fs::exists(s.dir / "config.json")) {
        throw std::runtime_error(run_dir + ": not a catdog run folder (config.json is missing)");
    }
    try {
        s.cfg = config_from_json(json::parse(read_file(s.path("config.json"))));
    } catch (const json::exception& e) {
        throw std::runtime_error(run_dir + ": damaged config.json (" + e.what() + ")");
    }
    s.split = read_split(run_dir);
    // Runtime settings may change on resume; the recipe may not.
    s.cfg.workers = overrides.workers;
    s.cfg.threads = overrides.threads;
    s.cfg.engine = overrides.engine;
    if (!overrides.device.empty() && overrides.device != "auto") s.cfg.device = overrides.device;
    s.cfg.checkpoint_secs = overrides.checkpoint_secs;
    s.cfg.checkpoint_every = overrides.checkpoint_every;
    s.cfg.stop_after_epoch = overrides.stop_after_epoch;
    s.cfg.stop_after_batches = overrides.stop_after_batches;
    s.cfg.export_model = overrides.export_model;
    s.device = resolve_device(s.cfg.device);
    ensure_writable_dir(run_dir);
    // A kill in the middle of an atomic write leaves its temporary file behind: tidy up.
    for (const auto& e : fs::directory_iterator(s.dir)) {
        const std::string name = e.path().filename().string();
        if (name.find(".tmp") != std::string::npos && e.is_regular_file()) fs::remove(e.path());
    }

    if (fs::exists(s.dir / "model.ckpt") && fs::exists(s.dir / "summary.json")) {
        std::printf("%s: the run already finished (%d epochs)\n", run_dir.c_str(), s.cfg.epochs);
        return {TrainOutcome::Finished, run_dir, false};
    }
    nets::NetSpec spec = nets::make_spec(s.cfg.backbone, (int)s.cfg.labels.size());
    const bool have_ckpt = fs::exists(s.dir / "checkpoint-last.ckpt");
    if (have_ckpt) {
        // Every parameter comes from the checkpoint: no need to read the pretrained file.
        s.model = std::make_unique<nets::Model>(spec, nets::Model::Init::None);
    } else {
        s.model = build_model(s.cfg, spec);  // killed before the first checkpoint: start over
    }
    make_optimizer(s);
    if (have_ckpt) {
        const std::string ckpt = s.path("checkpoint-last.ckpt");
        s.st = run_state_from_json(load_checkpoint(ckpt, *s.model, s.opt.get()), ckpt);
    }
    std::printf("resuming at epoch %d, batch %lld\n", s.st.epoch + 1, (long long)s.st.batch);
    print_header(s);
    return run(s);
}

}  // namespace catdog::train
