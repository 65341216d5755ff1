// cli/predict_common.cpp - predict's options and output lines (see predict_common.h).
//
//   plain:  cat.1.jpg  cat 0.9934  (dog 0.0066)
//   --json: {"file": "cat.1.jpg", "label": "cat", "probs": {"cat": 0.9934, "dog": 0.0066}}
//           {"file": "bad.jpg", "error": "bad.jpg: JPEG: truncated stream"}
#include "cli/predict_common.h"

#include <algorithm>
#include <memory>
#include <cstdio>
#include <numeric>
#include <nlohmann/json.hpp>
#include "cli/command.h"

namespace catdog::cli {

void add_inference_options(CLI::App& app, train::InferenceOptions& opt) {
    app.add_option("--device", opt.device, "auto | cpu | cuda[:N]")->capture_default_str();
    app.add_option("--batch-size", opt.batch_size, "photos per forward pass")->capture_default_str();
    app.add_option("--workers", opt.workers, "decoding threads (0 = one per core)");
}

void setup_predict(CLI::App& app, ClassifyFn classify) {
    auto a = std::make_shared<PredictArgs>();
    app.add_option("--model", a->model, "run folder (from catdog train)")->required();
    app.add_option("images", a->files, "photos to classify")->required();
    app.add_flag("--json", a->json, "one JSON object per line: {file, label, probs} or {file, error}");
    app.add_option("--topk", a->topk, "show only the K most likely classes (0 = all)");
    add_inference_options(app, a->opt);
    app.callback([a, classify] {
        PredictPrinter print(*a);
        classify(*a, [&](const train::Prediction& p, const std::vector<std::string>& labels) { print(p, labels); });
        print.finish();
    });
}

void PredictPrinter::operator()(const train::Prediction& p, const std::vector<std::string>& labels) {
    if (!p.error.empty()) {
        ++failed_;
        if (a_.json) std::printf("%s\n", nlohmann::json{{"file", p.file}, {"error", p.error}}.dump().c_str());
        else std::fprintf(stderr, "catdog predict: %s\n", p.error.c_str());
        std::fflush(stdout);
        return;
    }
    std::vector<int> rank(p.probs.size());
    std::iota(rank.begin(), rank.end(), 0);
    std::stable_sort(rank.begin(), rank.end(), [&](int x, int y) { return p.probs[x] > p.probs[y]; });
    const size_t k = a_.topk > 0 ? std::min<size_t>(a_.topk, rank.size()) : rank.size();
    if (a_.json) {
        nlohmann::json probs = nlohmann::json::object();
        for (size_t i = 0; i < p.probs.size(); ++i) probs[labels[i]] = p.probs[i];
        nlohmann::json j = {{"file", p.file}, {"label", labels[p.label]}, {"probs", probs}};
        if (a_.topk > 0) {
            j["top"] = nlohmann::json::array();
            for (size_t i = 0; i < k; ++i) j["top"].push_back({labels[rank[i]], p.probs[rank[i]]});
        }
        std::printf("%s\n", j.dump().c_str());
    } else {
        std::string others;
        for (size_t i = 1; i < k; ++i) {
            char buf[64];
            std::snprintf(buf, sizeof buf, "%.4f", p.probs[rank[i]]);
            others += (others.empty() ? "" : ", ") + labels[rank[i]] + " " + buf;
        }
        std::printf("%s  %s %.4f%s%s%s\n", p.file.c_str(), labels[p.label].c_str(), p.probs[p.label],
                    others.empty() ? "" : "  (", others.c_str(), others.empty() ? "" : ")");
    }
    std::fflush(stdout);
}

void PredictPrinter::finish() const {
    if (failed_) throw Failure(std::to_string(failed_) + " of " + std::to_string(a_.files.size()) +
                               " file(s) could not be classified", 1);
}

}  // namespace catdog::cli
