// data/dataset.cpp - folder scan (flat Kaggle or ImageFolder), stratified split, split.json.
#include "data/dataset.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <system_error>
#include "catdog/transforms.h"

namespace fs = std::filesystem;

namespace catdog::data {

namespace {

bool hidden(const fs::path& p) { return p.filename().string().rfind('.', 0) == 0; }

// Entries of `dir` (not hidden), sorted by name so the scan never depends on the filesystem.
std::vector<fs::directory_entry> list_dir(const fs::path& dir) {
    std::vector<fs::directory_entry> out;
    std::error_code ec;
    fs::directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
    if (ec) throw DataError(dir.string() + ": cannot read folder (" + ec.message() + ")");
    for (const auto& e : it) {
        if (!hidden(e.path())) out.push_back(e);
    }
    std::sort(out.begin(), out.end(),
              [](const auto& a, const auto& b) { return a.path().filename() < b.path().filename(); });
    return out;
}

bool is_dir(const fs::directory_entry& e) {
    std::error_code ec;
    return e.is_directory(ec);  // follows symlinks; a broken link is not a folder
}

}  // namespace

Dataset scan_folder(const std::string& dir, bool allow_single_class) {
    std::error_code ec;
    if (dir.empty()) throw DataError("no data folder given");
    if (!fs::exists(dir, ec)) throw DataError(dir + ": data folder does not exist");
    if (!fs::is_directory(dir, ec)) throw DataError(dir + ": not a folder");

    Dataset ds;
    ds.root = fs::absolute(dir).lexically_normal().string();
    auto entries = list_dir(ds.root);
    bool has_subdirs = std::any_of(entries.begin(), entries.end(), is_dir);

    // (label name, path) pairs; a file that is not a folder is a sample candidate even when
    // it is a broken link, so the loader reports it instead of it silently vanishing.
    std::vector<std::pair<std::string, std::string>> found;
    if (has_subdirs) {
        ds.layout = "imagefolder";
        for (const auto& sub : entries) {
            if (!is_dir(sub)) continue;
            for (const auto& f : list_dir(sub.path())) {
                if (!is_dir(f)) found.emplace_back(sub.path().filename().string(), f.path().string());
            }
        }
    } else {
        ds.layout = "flat";
        for (const auto& f : entries) {
            std::string name = f.path().filename().string();
            auto dot = name.find('.');
            if (dot == std::string::npos || dot == 0) {
                std::fprintf(stderr, "warning: %s: no label in the file name (expected <label>.<n>.jpg), ignored\n",
                             f.path().c_str());
                continue;
            }
            found.emplace_back(name.substr(0, dot), f.path().string());
        }
    }
    if (found.empty()) {
        throw DataError(ds.root + ": no image files found (expected cat.1.jpg ... or class subfolders)");
    }

    std::set<std::string> names;
    for (auto& f : found) names.insert(f.first);
    ds.labels.assign(names.begin(), names.end());
    if (ds.labels.size() < 2 && !allow_single_class) {
        throw DataError(ds.root + ": only one class (\"" + ds.labels[0] +
                        "\") found; training needs at least two");
    }
    std::map<std::string, int> index;
    for (size_t i = 0; i < ds.labels.size(); ++i) index[ds.labels[i]] = (int)i;
    for (auto& f : found) ds.samples.push_back({f.second, index[f.first]});
    std::stable_sort(ds.samples.begin(), ds.samples.end(),
                     [](const Sample& a, const Sample& b) { return a.label < b.label; });
    return ds;
}

void relabel(Dataset& ds, const std::vector<std::string>& model_labels) {
    std::map<std::string, int> index;
    for (size_t i = 0; i < model_labels.size(); ++i) index[model_labels[i]] = (int)i;
    std::vector<int> remap(ds.labels.size());
    for (size_t i = 0; i < ds.labels.size(); ++i) {
        auto it = index.find(ds.labels[i]);
        if (it == index.end()) {
            std::string known;
            for (auto& l : model_labels) known += (known.empty() ? "" : ", ") + l;
            throw DataError(ds.root + ": class \"" + ds.labels[i] + "\" is not one the model knows (" + known + ")");
        }
        remap[i] = it->second;
    }
    for (auto& s : ds.samples) s.label = remap[s.label];
    ds.labels = model_labels;
}

Split stratified_split(const Dataset& ds, double val_fraction, uint64_t seed) {
    if (!(val_fraction > 0.0 && val_fraction < 1.0)) {
        throw DataError("--val-split must be between 0 and 1 (got " + std::to_string(val_fraction) + ")");
    }
    std::vector<std::vector<size_t>> by_class(ds.labels.size());
    for (size_t i = 0; i < ds.samples.size(); ++i) by_class[ds.samples[i].label].push_back(i);

    std::vector<char> is_val(ds.samples.size(), 0);
    for (size_t c = 0; c < by_class.size(); ++c) {
        auto& idx = by_class[c];
        size_t n = idx.size();
        size_t n_val = (size_t)std::llround(n * val_fraction);
        if (n >= 2) n_val = std::clamp<size_t>(n_val, 1, n - 1);
        else n_val = 0;
        // Fisher-Yates with the portable Rng: one stream per class.
        catdog::Rng rng(seed, 0x5eed0000u + c);
        for (size_t i = n; i > 1; --i) std::swap(idx[i - 1], idx[rng.uniform((uint32_t)i)]);
        for (size_t k = 0; k < n_val; ++k) is_val[idx[k]] = 1;
    }
    Split s;
    for (size_t i = 0; i < ds.samples.size(); ++i) (is_val[i] ? s.val : s.train).push_back(ds.samples[i]);
    return s;
}

nlohmann::json split_to_json(const Split& s, const std::vector<std::string>& labels) {
    auto list = [](const std::vector<Sample>& v) {
        nlohmann::json a = nlohmann::json::array();
        for (auto& x : v) a.push_back({{"file", x.path}, {"label", x.label}});
        return a;
    };
    return {{"labels", labels}, {"train", list(s.train)}, {"val", list(s.val)}};
}

Split split_from_json(const nlohmann::json& j) {
    auto list = [&](const char* key) {
        std::vector<Sample> v;
        for (auto& x : j.at(key)) v.push_back({x.at("file").get<std::string>(), x.at("label").get<int>()});
        return v;
    };
    return {list("train"), list("val")};
}

std::vector<int64_t> class_counts(const std::vector<Sample>& samples, size_t num_classes) {
    std::vector<int64_t> n(num_classes, 0);
    for (auto& s : samples) {
        if (s.label >= 0 && (size_t)s.label < num_classes) ++n[s.label];
    }
    return n;
}

}  // namespace catdog::data
