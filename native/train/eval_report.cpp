// train/eval_report.cpp - see eval_report.h.
#include "train/eval_report.h"

#include <cstdio>
#include <filesystem>
#include "catdog/files.h"

namespace fs = std::filesystem;

namespace catdog::train {

namespace {
bool same_folder(const std::string& a, const std::string& b) {
    std::error_code ec1, ec2;
    auto ca = fs::weakly_canonical(a, ec1), cb = fs::weakly_canonical(b, ec2);
    return !ec1 && !ec2 && ca == cb;
}
}  // namespace

EvalSamples eval_samples(const RunInfo& run, const std::string& data_dir, bool all_files) {
    EvalSamples s;
    const std::string val_dir = run.config.value("val_dir", std::string());
    const bool own_folder = val_dir.empty() && same_folder(data_dir, run.config.value("data", std::string())) &&
                            fs::exists(fs::path(run.dir) / "split.json");
    if (own_folder && !all_files) {
        s.samples = read_split(run.dir).val;
        s.used_val_split = true;
        s.data_dir = data_dir;
    } else {
        data::Dataset ds = data::scan_folder(data_dir, /*allow_single_class=*/true);
        data::relabel(ds, run.labels);
        s.samples = std::move(ds.samples);
        s.data_dir = ds.root;
    }
    s.run_val = (own_folder && !all_files) || (!val_dir.empty() && same_folder(data_dir, val_dir));
    return s;
}

EvalReport eval_report(const RunInfo& run, const EvalSamples& s, const EvalResult& r) {
    EvalReport rep;
    rep.labels = run.labels;
    rep.data_dir = s.data_dir;
    rep.used_val_split = s.used_val_split;
    rep.n = r.n;
    rep.accuracy = r.confusion.accuracy();
    rep.loss = r.loss;
    rep.per_class_acc = r.confusion.per_class_acc();
    rep.confusion = r.confusion.m;
    for (auto& w : r.misclassified)
        rep.misclassified.push_back({s.samples[w.index].path, s.samples[w.index].label, w.pred, w.probs});
    for (auto& f : r.failed) rep.failed.push_back({s.samples[f.index].path, f.message});
    if (s.run_val) {
        // The run's own val split: refresh its per-photo results (the page's mistakes view).
        // The epoch is the number of rows metrics.csv holds.
        const int epoch = epochs_recorded(run.dir);
        std::string root = val_photo_root(run);
        if (root.empty()) root = s.data_dir;
        const std::string out = (fs::path(run.dir) / "val_results.json").string();
        try {
            write_file_atomic(out, val_results_json(r, s.samples, run.labels, root, epoch).dump(1) + "\n");
            rep.val_results = out;
        } catch (const std::exception& e) {
            std::fprintf(stderr, "warning: %s not written: %s\n", out.c_str(), e.what());
        }
    }
    return rep;
}

}  // namespace catdog::train
