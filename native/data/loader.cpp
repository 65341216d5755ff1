// data/loader.cpp - batch-building worker threads with bounded, in-order prefetch.
#include "data/loader.h"
#include "data/seed_mix.h"

#include <ATen/Parallel.h>
#include <atomic>
#include <cstring>

#include <algorithm>
#include <numeric>
#include <torch/torch.h>

namespace catdog::data {

std::vector<size_t> sequential_order(size_t n) {
    std::vector<size_t> v(n);
    std::iota(v.begin(), v.end(), size_t{0});
    return v;
}

std::vector<size_t> shuffled_order(size_t n, uint64_t seed, int epoch) {
    auto v = sequential_order(n);
    catdog::Rng rng(splitmix64(seed ^ 0x0dd5'0000'0000ull), 0x5000u + (uint64_t)epoch);
    for (size_t i = n; i > 1; --i) std::swap(v[i - 1], v[rng.uniform((uint32_t)i)]);
    return v;
}

int default_workers() {
    unsigned hw = std::thread::hardware_concurrency();
    return (int)std::clamp(hw == 0 ? 2u : hw, 1u, 8u);
}

Loader::Loader(const std::vector<Sample>& samples, std::vector<size_t> order, LoaderOptions opt,
               int64_t first_batch)
    : samples_(samples), order_(std::move(order)), opt_(opt) {
    if (opt_.batch_size < 1) throw std::invalid_argument("batch size must be at least 1");
    inline_ = opt_.workers <= 0;
    if (opt_.prefetch <= 0) opt_.prefetch = opt_.workers + 2;
    num_batches_ = ((int64_t)order_.size() + opt_.batch_size - 1) / opt_.batch_size;
    next_build_ = next_out_ = std::clamp<int64_t>(first_batch, 0, num_batches_);
    if (inline_) return;
    for (int i = 0; i < opt_.workers; ++i) threads_.emplace_back([this] { work(); });
}

Loader::~Loader() {
    {
        std::lock_guard<std::mutex> lk(mu_);
        stop_ = true;
    }
    cv_space_.notify_all();
    for (auto& t : threads_) t.join();
}

void Loader::work() {
    for (;;) {
        int64_t b;
        {
            std::unique_lock<std::mutex> lk(mu_);
            cv_space_.wait(lk, [&] {
                return stop_ || next_build_ >= num_batches_ || next_build_ < next_out_ + opt_.prefetch;
            });
            if (stop_ || next_build_ >= num_batches_) return;
            b = next_build_++;
        }
        Batch batch;
        std::exception_ptr err;
        try {
            batch = build(b);
        } catch (...) {
            err = std::current_exception();
        }
        {
            std::lock_guard<std::mutex> lk(mu_);
            if (err) errors_[b] = err;
            else ready_[b] = std::move(batch);
        }
        cv_ready_.notify_all();
    }
}

Batch Loader::build(int64_t b) const {
    const int64_t begin = b * opt_.batch_size;
    const int64_t end = std::min<int64_t>(begin + opt_.batch_size, (int64_t)order_.size());
    const int crop = opt_.transform.crop;
    const int64_t per_image = 3LL * crop * crop;

    Batch out;
    out.number = b;
    const auto format = opt_.channels_last ? torch::MemoryFormat::ChannelsLast : torch::MemoryFormat::Contiguous;
    const catdog::Layout layout = opt_.channels_last ? catdog::Layout::HWC : catdog::Layout::CHW;
    torch::Tensor images;
    // A fresh 38 MB batch is mmapped and page-faulted in by glibc every time: reuse the last one
    // when nothing else holds it (inline mode only; `spare_` is then the sole owner).
    if (inline_ && spare_.defined() && spare_.storage().use_count() == 1 && spare_.size(0) >= end - begin)
        images = spare_.narrow(0, 0, end - begin);
    else
        images = torch::empty({end - begin, 3, crop, crop},
                              torch::TensorOptions().dtype(torch::kFloat32).pinned_memory(opt_.pin_memory))
                     .contiguous(format);
    if (inline_ && !(spare_.defined() && images.is_alias_of(spare_))) spare_ = images;
    float* dst = images.data_ptr<float>();
    const uint64_t epoch_seed = splitmix64(splitmix64(opt_.seed) ^ (uint64_t)(opt_.epoch + 1));

    // Each photo into its own row (in parallel on the intra-op threads when inline), then the
    // rows of photos that failed are squeezed out, keeping the order.
    std::vector<std::string> errors(size_t(end - begin));
    auto one = [&](int64_t k) {
        const size_t idx = order_[k];
        const Sample& s = samples_[idx];
        try {
            catdog::Image img = catdog::load_image(s.path, opt_.decode);
            float* row = dst + (k - begin) * per_image;
            if (opt_.train) {
                catdog::Rng rng(epoch_seed, idx);
                catdog::to_tensor_normalize(catdog::train_crop(img, opt_.transform, rng), opt_.transform, row, layout);
            } else {
                catdog::val_tensor(img, opt_.transform, row, layout);
            }
        } catch (const std::exception& e) {
            // DecodeError already reads "<file>: <format>: <reason>"; anything else gets the file.
            std::string msg = e.what();
            if (!dynamic_cast<const catdog::DecodeError*>(&e)) msg = s.path + ": " + msg;
            errors[size_t(k - begin)] = msg.empty() ? s.path + ": failed" : msg;
        }
    };
    if (inline_) {
        // Photos differ in size: threads take them one at a time rather than in fixed halves.
        std::atomic<int64_t> next{begin};
        at::parallel_for(0, at::get_num_threads(), 1, [&](int64_t, int64_t) {
            for (int64_t k; (k = next++) < end;) one(k);
        });
    } else {
        for (int64_t k = begin; k < end; ++k) one(k);
    }
    std::vector<int64_t> labels;
    for (int64_t k = begin; k < end; ++k) {
        const size_t idx = order_[k];
        if (!errors[size_t(k - begin)].empty()) {
            out.failed.push_back({idx, errors[size_t(k - begin)]});
            continue;
        }
        const int64_t row = (int64_t)out.indices.size();
        if (row != k - begin)
            std::memmove(dst + row * per_image, dst + (k - begin) * per_image, size_t(per_image) * sizeof(float));
        out.indices.push_back(idx);
        labels.push_back(samples_[idx].label);
    }
    const int64_t n = (int64_t)out.indices.size();
    out.images = images.narrow(0, 0, n);
    out.labels = torch::tensor(labels, torch::kInt64);
    if (n == 0) out.labels = torch::empty({0}, torch::kInt64);
    return out;
}

bool Loader::next(Batch& out) {
    if (inline_) {
        if (next_out_ >= num_batches_) return false;
        out = Batch{};  // drop the caller's last batch first, so its buffer can be reused
        out = build(next_out_++);
        return true;
    }
    std::unique_lock<std::mutex> lk(mu_);
    if (next_out_ >= num_batches_) return false;
    const int64_t b = next_out_;
    cv_ready_.wait(lk, [&] { return ready_.count(b) || errors_.count(b); });
    if (errors_.count(b)) std::rethrow_exception(errors_[b]);
    out = std::move(ready_[b]);
    ready_.erase(b);
    ++next_out_;
    lk.unlock();
    cv_space_.notify_all();
    return true;
}

}  // namespace catdog::data
