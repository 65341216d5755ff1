// cli/eval_common.cpp - eval's options and report (see eval_common.h).
#include "cli/eval_common.h"

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include "cli/predict_common.h"
#include "train/metrics.h"

namespace catdog::cli {

void add_eval_options(CLI::App& app, EvalArgs& a) {
    app.add_option("--model", a.model, "run folder (from catdog train)")->required();
    app.add_option("--data", a.data, "labelled photo folder (flat Kaggle names or class subfolders)")->required();
    app.add_flag("--json", a.json, "print one JSON object");
    app.add_flag("--all", a.all, "on the run's own training folder, score every photo, not just the val split");
    add_inference_options(app, a.opt);
}

void print_eval(const EvalArgs& a, const train::EvalReport& r) {
    const auto& L = r.labels;
    if (a.json) {
        nlohmann::json wrong = nlohmann::json::array(), failed = nlohmann::json::array();
        for (auto& w : r.misclassified) {
            wrong.push_back({{"file", w.file}, {"label", L[w.truth]}, {"pred", L[w.pred]}, {"probs", w.probs}});
        }
        for (auto& f : r.failed) failed.push_back({{"file", f.file}, {"error", f.error}});
        nlohmann::json j = {{"data", r.data_dir},
                            {"split", r.used_val_split ? "val" : "all"},
                            {"n", r.n},
                            {"accuracy", train::json_number(r.accuracy)},
                            {"loss", train::json_number(r.loss)},
                            {"labels", L},
                            {"per_class_acc", train::per_class_json(r.per_class_acc, L)},
                            {"confusion", r.confusion},
                            {"misclassified", wrong},
                            {"failed", failed}};
        std::printf("%s\n", j.dump().c_str());
    } else {
        train::Confusion c;
        c.m = r.confusion;
        std::printf("%s%s: %lld photos\naccuracy %.4f  loss %.4f\nper class: %s\n%s", r.data_dir.c_str(),
                    r.used_val_split ? " (the run's val split)" : "", (long long)r.n, r.accuracy, r.loss,
                    train::format_per_class(r.per_class_acc, L).c_str(), train::format_confusion(c, L).c_str());
        if (!r.misclassified.empty()) std::printf("misclassified (%zu):\n", r.misclassified.size());
        for (auto& w : r.misclassified) {
            std::printf("  %s  %s -> %s (%.4f)\n", w.file.c_str(), L[w.truth].c_str(), L[w.pred].c_str(),
                        w.probs[w.pred]);
        }
        for (auto& f : r.failed) std::fprintf(stderr, "warning: skipped %s\n", f.error.c_str());
    }
    std::fflush(stdout);
}

}  // namespace catdog::cli
