// train/feature_cache.cpp - stored trunk features per (photo, view), in RAM or mmapped.
//
// Index of this file:
// [SECTION] FeatureStore
// [SECTION] FeatureCache
#include "train/feature_cache.h"
#include "data/seed_mix.h"

#include <cstring>
#include <fcntl.h>
#include <stdexcept>
#include <sys/mman.h>
#include <unistd.h>
#include "train/evaluate.h"

namespace catdog::train {

namespace {

// Random-crop views draw their crops like a training epoch far past any real one.
constexpr int kViewEpochBase = 1 << 20;

}  // namespace

//-----------------------------------------------------------------------------
// [SECTION] FeatureStore
//-----------------------------------------------------------------------------
FeatureStore::FeatureStore(int64_t rows, int64_t dim, const std::string& spill_path, size_t ram_limit)
    : rows_(rows), dim_(dim), path_(spill_path) {
    const size_t bytes = (size_t)rows * (size_t)dim * sizeof(float);
    if (bytes <= ram_limit || spill_path.empty()) {
        ram_.assign((size_t)rows * (size_t)dim, 0.0f);
        data_ = ram_.data();
        return;
    }
    const int fd = ::open(spill_path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) throw std::runtime_error(spill_path + ": cannot create the feature cache file");
    if (::ftruncate(fd, (off_t)bytes) != 0) {
        ::close(fd);
        ::unlink(spill_path.c_str());
        throw std::runtime_error(spill_path + ": cannot size the feature cache file to " + std::to_string(bytes) +
                                 " bytes (disk full?)");
    }
    void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    ::close(fd);
    if (p == MAP_FAILED) {
        ::unlink(spill_path.c_str());
        throw std::runtime_error(spill_path + ": cannot map the feature cache file");
    }
    data_ = static_cast<float*>(p);
    map_size_ = bytes;
}

FeatureStore::~FeatureStore() {
    if (map_size_) {
        ::munmap(data_, map_size_);
        ::unlink(path_.c_str());
    }
}

torch::Tensor FeatureStore::gather(const std::vector<int64_t>& rows) const {
    torch::Tensor out = torch::empty({(int64_t)rows.size(), dim_}, torch::kFloat);
    float* dst = out.data_ptr<float>();
    for (size_t k = 0; k < rows.size(); ++k)
        std::memcpy(dst + (int64_t)k * dim_, data_ + rows[k] * dim_, (size_t)dim_ * sizeof(float));
    return out;
}

//-----------------------------------------------------------------------------
// [SECTION] FeatureCache
//-----------------------------------------------------------------------------
FeatureCache::FeatureCache(const std::vector<data::Sample>& samples, int views, int64_t dim,
                           const std::string& spill_path, size_t ram_limit)
    : samples_(samples), views_(std::max(1, views)), have_view_(views_, false), ok_(samples.size(), 1),
      store_((int64_t)samples.size() * views_, dim, spill_path, ram_limit) {}

int FeatureCache::view_for(size_t index, int epoch, uint64_t seed) const {
    if (epoch < views_) return epoch;
    return (int)(data::splitmix64(data::splitmix64(seed ^ 0xfea7'0000'0000ull) ^ ((uint64_t)epoch << 32) ^ index) %
                 (uint64_t)views_);
}

bool FeatureCache::ensure_view(int v, nets::Model& model, data::LoaderOptions lo, const FailSink& on_fail,
                               const Tick& tick) {
    if (v < 0 || v >= views_) throw std::out_of_range("feature cache: no view " + std::to_string(v));
    if (have_view_[v]) return true;
    lo.train = v >= 2;
    lo.epoch = kViewEpochBase + v;
    data::Loader loader(samples_, data::sequential_order(samples_.size()), lo);
    data::Batch b;
    const torch::Device dev = model.device();
    int64_t done = 0;
    while (loader.next(b)) {
        done += (int64_t)(b.indices.size() + b.failed.size());
        for (const auto& f : b.failed) {
            ok_[f.index] = 0;
            if (on_fail) on_fail(f);
        }
        if (b.indices.empty()) continue;
        torch::Tensor feats;
        {
#if CATDOG_HAVE_INFERENCE_MODE
            c10::InferenceMode guard;
#else
            torch::NoGradGuard guard;
#endif
            torch::Tensor x = b.images.to(dev, true);
            if (v == 1) x = x.flip({3});
            x = x.contiguous(torch::MemoryFormat::ChannelsLast);
            feats = trunk_in_chunks(model, x, /*train=*/false).to(torch::kCPU, torch::kFloat).contiguous();
        }
        const float* src = feats.data_ptr<float>();
        const int64_t dim = store_.dim();
        for (size_t k = 0; k < b.indices.size(); ++k)
            std::memcpy(store_.row((int64_t)b.indices[k] * views_ + v), src + (int64_t)k * dim,
                        (size_t)dim * sizeof(float));
        if (tick && !tick(done)) return false;
    }
    have_view_[v] = true;
    return true;
}

bool FeatureCache::batch(const std::vector<size_t>& indices, const std::vector<int>& views, torch::Tensor& feats,
                         torch::Tensor& labels, std::vector<size_t>* kept) const {
    std::vector<int64_t> rows, labs;
    if (kept) kept->clear();
    for (size_t k = 0; k < indices.size(); ++k) {
        const size_t i = indices[k];
        if (!ok_[i]) continue;
        if (!have_view_.at(views[k])) throw std::logic_error("feature cache: view " + std::to_string(views[k]) + " not computed");
        rows.push_back((int64_t)i * views_ + views[k]);
        labs.push_back(samples_[i].label);
        if (kept) kept->push_back(i);
    }
    if (rows.empty()) return false;
    feats = store_.gather(rows);
    labels = torch::tensor(labs, torch::kInt64);
    return true;
}

}  // namespace catdog::train
