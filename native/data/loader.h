// data/loader.h - worker threads that decode + transform photos into batches, ahead of compute.
//
// One Loader walks one epoch: a fixed order of sample indices cut into batches. Workers build
// whole batches (decode with catdog::load_image, then the shared core's train_crop or
// val_tensor) while the caller computes on earlier ones; at most `prefetch` batches exist at
// once, so memory is bounded whatever the dataset size.
// With workers = 0 there are no threads of its own: next() builds the batch right then, its
// photos spread over LibTorch's intra-op threads. On a CPU that is faster than workers that
// run beside the compute: oneDNN splits each op evenly over its threads, so one preempted by a
// decoding worker holds up the whole op. Batches come out in order, and every
// random draw comes from an Rng seeded by (seed, epoch, sample index), so the tensors never
// depend on which thread built them or when.
//
// A photo that fails to decode is left out of its batch and listed in Batch::failed (the
// caller decides how to report it); training never stops for a bad file.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>
#include <torch/types.h>
#include "catdog/image.h"
#include "catdog/transforms.h"
#include "data/dataset.h"

namespace catdog::data {

struct LoaderOptions {
    catdog::TransformSpec transform;
    int batch_size = 64;
    int workers = 2;             // decoding threads; 0 = inline on the intra-op threads
    int prefetch = 0;            // batches in flight (built or being built); 0 = workers + 2
    bool train = false;          // train: RandomCrop + HFlip; else Resize + CenterCrop
    uint64_t seed = 0;           // with `epoch`, seeds each sample's crop/flip
    int epoch = 0;
    bool pin_memory = false;     // page-locked batches for non-blocking copies to CUDA
    bool channels_last = false;  // batches in NHWC memory (same values; oneDNN's CPU layout)
    catdog::DecodeOptions decode;
};

struct Batch {
    int64_t number = 0;          // position in the epoch, from 0
    torch::Tensor images;        // [n, 3, crop, crop] float32, n = rows that decoded
    torch::Tensor labels;        // [n] int64
    std::vector<size_t> indices; // sample index of each row
    std::vector<FailedSample> failed;
};

class Loader {
public:
    // `order` lists sample indices in visiting order; batches before `first_batch` are skipped
    // (resume in the middle of an epoch).
    Loader(const std::vector<Sample>& samples, std::vector<size_t> order, LoaderOptions opt,
           int64_t first_batch = 0);
    ~Loader();
    Loader(const Loader&) = delete;
    Loader& operator=(const Loader&) = delete;

    // The next batch in order; false when the epoch is done. Rethrows a worker's exception.
    bool next(Batch& out);
    int64_t num_batches() const { return num_batches_; }

private:
    void work();
    Batch build(int64_t b) const;

    const std::vector<Sample>& samples_;
    std::vector<size_t> order_;
    LoaderOptions opt_;
    int64_t num_batches_ = 0;

    std::mutex mu_;
    std::condition_variable cv_ready_, cv_space_;
    int64_t next_build_ = 0;     // next batch a worker will take
    int64_t next_out_ = 0;       // next batch next() returns
    bool stop_ = false;
    std::map<int64_t, Batch> ready_;
    std::map<int64_t, std::exception_ptr> errors_;
    std::vector<std::thread> threads_;
    bool inline_ = false;
    mutable torch::Tensor spare_;  // inline: the last batch's buffer, reused once the caller drops it
};

// The epoch's visiting order: a Fisher-Yates shuffle seeded by (seed, epoch).
std::vector<size_t> shuffled_order(size_t n, uint64_t seed, int epoch);
std::vector<size_t> sequential_order(size_t n);

// A sensible worker count for this machine (hardware threads, capped).
int default_workers();

}  // namespace catdog::data
