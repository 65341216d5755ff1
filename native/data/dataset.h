// data/dataset.h - a folder of photos -> labelled samples, and the seeded train/val split.
//
// Two layouts, detected automatically:
//   flat (Kaggle's train/):  DIR/cat.9586.jpg      label = file name before the first dot
//   ImageFolder:             DIR/cat/anything.jpg  label = subfolder name
// Labels are sorted unique strings (sklearn's LabelEncoder: cat = 0, dog = 1); any number of
// classes works. Nothing is decoded here: unreadable photos are found (and skipped) by the
// loader, so scanning 25,000 files costs one directory walk.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>
#include <nlohmann/json.hpp>

namespace catdog::data {

// A user-facing data problem (missing folder, one class, ...): one line naming the folder.
struct DataError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct Sample {
    std::string path;   // full path, as opened
    int label = 0;      // index into Dataset::labels
};

struct Dataset {
    std::string root;                 // the folder scanned (absolute)
    std::string layout;               // "flat" | "imagefolder"
    std::vector<std::string> labels;  // sorted
    std::vector<Sample> samples;      // sorted by (label, file name)
};

// Throws DataError when the folder is missing, empty, or (unless `allow_single_class`)
// holds a single class. Hidden files and folders (".xxx") are ignored.
Dataset scan_folder(const std::string& dir, bool allow_single_class = false);

// Re-labels `ds` with a model's label list (eval on another folder): a class the model does
// not know is a DataError naming it.
void relabel(Dataset& ds, const std::vector<std::string>& model_labels);

// A sample that could not be used (decoding failed), with the one-line reason.
struct FailedSample {
    size_t index;                // into the samples vector
    std::string message;         // one line: "<file>: <format>: <reason>"
};

struct Split {
    std::vector<Sample> train, val;
};

// Stratified, seeded split: from each class, round(n * val_fraction) samples go to val
// (at least one when the class has two or more). The same (dataset, fraction, seed) always
// gives the same split, on any platform (the shuffle uses catdog::Rng).
Split stratified_split(const Dataset& ds, double val_fraction, uint64_t seed);

// split.json: {"labels": [...], "train": [{"file", "label"}], "val": [...]}; files are stored
// as given (absolute), so eval and resume read exactly the same photos.
nlohmann::json split_to_json(const Split& s, const std::vector<std::string>& labels);
Split split_from_json(const nlohmann::json& j);

// Per-class counts, for the log line "2400 train (1200 cat, 1200 dog)".
std::vector<int64_t> class_counts(const std::vector<Sample>& samples, size_t num_classes);

}  // namespace catdog::data
