// train/inference.cpp - predict and eval over a run's model.
#include "train/inference.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <torch/torch.h>
#include "data/dataset.h"
#include "data/loader.h"
#include "catdog/files.h"
#include "train/checkpoint.h"
#include "train/evaluate.h"
#include "train/run.h"

namespace fs = std::filesystem;

#ifdef __GLIBC__
#include <malloc.h>
#endif

namespace catdog::train {

namespace {

data::LoaderOptions loader_options(const RunInfo& run, const InferenceOptions& opt, torch::Device device) {
    data::LoaderOptions lo;
    lo.transform = run.transform;
    lo.batch_size = std::max(1, opt.batch_size);
    lo.workers = opt.workers > 0 ? opt.workers : data::default_workers();
    lo.pin_memory = device.is_cuda();
    lo.channels_last = device.is_cpu();  // the layout infer_logits feeds oneDNN
    return lo;
}

bool same_folder(const std::string& a, const std::string& b) {
    std::error_code ec1, ec2;
    auto ca = fs::weakly_canonical(a, ec1), cb = fs::weakly_canonical(b, ec2);
    return !ec1 && !ec2 && ca == cb;
}

}  // namespace

void predict_files(const std::string& run_dir, const std::vector<std::string>& files, const InferenceOptions& opt,
                   const PredictionSink& emit) {
    RunInfo run = read_run(run_dir);
    torch::Device device = resolve_device(opt.device);
    auto model = load_run_model(run, device);
    // Many photos repay planning the trunk on oneDNN (~0.2 s for AlexNet); one or two do not.
    if (files.size() >= 64) model->set_trunk_engine(trunk_engine("auto"));
    std::vector<data::Sample> samples;
    for (auto& f : files) samples.push_back({f, 0});
    data::Loader loader(samples, data::sequential_order(samples.size()), loader_options(run, opt, device));
    data::Batch b;
    const size_t k = run.labels.size();
    while (loader.next(b)) {
        torch::Tensor probs;
        if (!b.indices.empty()) probs = torch::softmax(infer_logits(*model, b.images), 1).contiguous();
        // Merge decoded rows and failures back into the input order.
        size_t row = 0, fail = 0;
        while (row < b.indices.size() || fail < b.failed.size()) {
            Prediction p;
            if (fail < b.failed.size() && (row >= b.indices.size() || b.failed[fail].index < b.indices[row])) {
                p.file = files[b.failed[fail].index];
                p.error = b.failed[fail].message;
                ++fail;
            } else {
                p.file = files[b.indices[row]];
                const float* pr = probs.data_ptr<float>() + row * k;
                p.probs.assign(pr, pr + k);
                p.label = (int)(std::max_element(p.probs.begin(), p.probs.end()) - p.probs.begin());
                ++row;
            }
            emit(p, run.labels);
        }
#ifdef __GLIBC__
        // Hand freed batch memory back to the OS: otherwise glibc's heaps keep growing with
        // the number of files (seen: 321 MB for 100 files, 651 MB for 1,000).
        malloc_trim(0);
#endif
    }
}

EvalReport evaluate_folder(const std::string& run_dir, const std::string& data_dir, bool all_files,
                           const InferenceOptions& opt) {
    RunInfo run = read_run(run_dir);
    torch::Device device = resolve_device(opt.device);
    EvalReport rep;
    rep.labels = run.labels;

    std::vector<data::Sample> samples;
    const std::string split_path = (fs::path(run_dir) / "split.json").string();
    const bool own_folder = run.config.value("val_dir", std::string()).empty() &&
                            same_folder(data_dir, run.config.value("data", std::string())) && fs::exists(split_path);
    if (own_folder && !all_files) {
        samples = read_split(run_dir).val;
        rep.used_val_split = true;
        rep.data_dir = data_dir;
    } else {
        data::Dataset ds = data::scan_folder(data_dir, /*allow_single_class=*/true);
        data::relabel(ds, run.labels);
        samples = std::move(ds.samples);
        rep.data_dir = ds.root;
    }
    auto model = load_run_model(run, device);
    model->set_trunk_engine(trunk_engine("auto"));
    EvalResult r = evaluate(*model, samples, run.labels.size(), loader_options(run, opt, device));
    rep.n = r.n;
    rep.accuracy = r.confusion.accuracy();
    rep.loss = r.loss;
    rep.per_class_acc = r.confusion.per_class_acc();
    rep.confusion = r.confusion.m;
    for (auto& w : r.misclassified) rep.misclassified.push_back({samples[w.index].path, samples[w.index].label, w.pred, w.probs});
    for (auto& f : r.failed) rep.failed.push_back({samples[f.index].path, f.message});
    const std::string val_dir = run.config.value("val_dir", std::string());
    if ((own_folder && !all_files) || (!val_dir.empty() && same_folder(data_dir, val_dir))) {
        // The run's own val split: refresh its per-photo results (the page's mistakes view).
        // The epoch is the number of rows metrics.csv holds.
        const int epoch = epochs_recorded(run_dir);
        std::string root = val_photo_root(run);
        if (root.empty()) root = data_dir;
        const std::string out = (fs::path(run_dir) / "val_results.json").string();
        try {
            write_file_atomic(out, val_results_json(r, samples, run.labels, root, epoch).dump(1) + "\n");
            rep.val_results = out;
        } catch (const std::exception& e) {
            std::fprintf(stderr, "warning: %s not written: %s\n", out.c_str(), e.what());
        }
    }
    return rep;
}

}  // namespace catdog::train
