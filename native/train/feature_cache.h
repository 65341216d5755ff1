// train/feature_cache.h - --cache-features: the frozen trunk runs once per (photo, view), the
// head trains from the stored features (the fast feature-extraction path of tch-rs and Keras).
//
// Views of a training photo, all fixed by the seed:
//   0  center: the val transform (Resize + CenterCrop)
//   1  flip: view 0 mirrored
//   2.. K random crops: the training transform (Resize + RandomCrop + RandomHorizontalFlip)
//       with its own seeded draws per view
// A view's features are computed the first time an epoch needs them (epoch e < views uses
// view e for every photo; later epochs draw one stored view per photo from the seed), so a
// 2-epoch run pays two trunk passes per training photo and one per validation photo.
//
// Features are taken with the trunk in eval mode (no dropout): a stored feature stands for a
// view in every epoch, and fixed dropout masks would be replayed identically each time.
//
// Memory: rows x feature_dim floats (alexnet: 16 KB a row). Up to `ram_limit` bytes live in
// RAM; beyond that the rows go to a memory-mapped file in the run folder, removed at the end.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>
#include <torch/torch.h>
#include "data/dataset.h"
#include "data/loader.h"
#include "nets/model.h"

namespace catdog::train {

// A rows x dim float matrix in RAM or in a memory-mapped file.
class FeatureStore {
public:
    FeatureStore(int64_t rows, int64_t dim, const std::string& spill_path, size_t ram_limit);
    ~FeatureStore();
    FeatureStore(const FeatureStore&) = delete;
    FeatureStore& operator=(const FeatureStore&) = delete;
    float* row(int64_t r) { return data_ + r * dim_; }
    int64_t dim() const { return dim_; }
    bool spilled() const { return map_size_ != 0; }
    // Copies the given rows into a [n, dim] tensor.
    torch::Tensor gather(const std::vector<int64_t>& rows) const;

private:
    int64_t rows_, dim_;
    std::vector<float> ram_;
    float* data_ = nullptr;
    size_t map_size_ = 0;
    std::string path_;
};

class FeatureCache {
public:
    // `samples` with `views` views each (1 = center only: validation). Nothing is computed yet.
    FeatureCache(const std::vector<data::Sample>& samples, int views, int64_t dim, const std::string& spill_path,
                 size_t ram_limit = size_t(1) << 30);

    using FailSink = std::function<void(const data::FailedSample&)>;
    // Called after each trunk batch with the photos done so far; returning false stops the
    // pass early (SIGINT): the view is then not stored and ensure_view returns false.
    using Tick = std::function<bool(int64_t done)>;
    // Makes sure view `v` is stored for every photo: one trunk pass (eval mode, no grad) over
    // them, with the loader's threads decoding ahead. `lo` gives transform, batch, workers, seed.
    bool ensure_view(int v, nets::Model& model, data::LoaderOptions lo, const FailSink& on_fail,
                     const Tick& tick = {});
    bool has_view(int v) const { return have_view_.at(v); }

    // Features and labels for these sample indices, each under views[k]; photos that failed to
    // decode are left out (`kept` lists the indices that remain). Returns false when none is left.
    bool batch(const std::vector<size_t>& indices, const std::vector<int>& views, torch::Tensor& feats,
               torch::Tensor& labels, std::vector<size_t>* kept = nullptr) const;

    // The view each photo gets in `epoch`: e < views -> e; later, a seeded draw per photo.
    int view_for(size_t index, int epoch, uint64_t seed) const;
    int views() const { return views_; }
    static const char* view_name(int v) { return v == 0 ? "center" : v == 1 ? "flip" : "random crop"; }
    bool spilled() const { return store_.spilled(); }
    size_t bytes() const { return (size_t)samples_.size() * views_ * store_.dim() * sizeof(float); }

private:
    const std::vector<data::Sample>& samples_;
    int views_;
    std::vector<bool> have_view_;
    std::vector<uint8_t> ok_;     // per sample: decoded fine
    FeatureStore store_;
};

}  // namespace catdog::train
