// train/inference.h - using a trained run: classify files, or score a labelled folder.
// No torch in this header, so the CLI files that call it compile in a second.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace catdog::train {

struct InferenceOptions {
    std::string device = "auto";
    int batch_size = 32;
    int workers = 0;            // 0 = data::default_workers()
};

struct Prediction {
    std::string file;
    std::string error;          // non-empty: the file could not be classified (one line)
    int label = -1;
    std::vector<float> probs;   // softmax, one per label
};

// Classifies `files` with the run's model and val transform, in batches; `emit` sees each
// result (with the run's labels) in the order given, as soon as its batch is done, so memory
// stays bounded however many files there are.
using PredictionSink = std::function<void(const Prediction&, const std::vector<std::string>& labels)>;
void predict_files(const std::string& run_dir, const std::vector<std::string>& files, const InferenceOptions& opt,
                   const PredictionSink& emit);

struct EvalReport {
    std::vector<std::string> labels;
    std::string data_dir;
    bool used_val_split = false;        // data_dir is the run's training folder: its val split only
    int64_t n = 0;
    double accuracy = 0, loss = 0;
    std::vector<double> per_class_acc;  // NaN for a class with no photos
    std::vector<std::vector<int64_t>> confusion;
    struct Wrong { std::string file; int truth, pred; std::vector<float> probs; };
    std::vector<Wrong> misclassified;
    struct Failed { std::string file, error; };
    std::vector<Failed> failed;
    std::string val_results;            // the run's val_results.json when this was its own val split
};

// Scores `data_dir` (flat or ImageFolder, classes named like the run's labels). When it is the
// run's own training folder (and the run used a split), only the val split is scored unless
// `all_files`.
EvalReport evaluate_folder(const std::string& run_dir, const std::string& data_dir, bool all_files,
                           const InferenceOptions& opt);

}  // namespace catdog::train
