// bench/bench_trunk_precision.cpp - frozen-trunk throughput, float32 vs bfloat16 (oneDNN on CPU),
// interleaved rounds on one random-weight model (speed does not depend on the weights).
//
//   bench_trunk_precision [alexnet|mobilenet_v2] [rounds=3] [batch=64] [iters=3]
// Prints one JSON line: img/s for each precision and the ratio.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <torch/torch.h>
#include "nets/model.h"
#include "nets/net_spec.h"

using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
    const std::string backbone = argc > 1 ? argv[1] : "alexnet";
    const int rounds = argc > 2 ? std::atoi(argv[2]) : 3;
    const int64_t batch = argc > 3 ? std::atoi(argv[3]) : 64;
    const int iters = argc > 4 ? std::atoi(argv[4]) : 3;
    torch::manual_seed(0);
    catdog::nets::Model m(catdog::nets::make_spec(backbone, 2));
    m.set_channels_last(true);
    const torch::Tensor x = torch::randn({batch, 3, 224, 224});
    torch::NoGradGuard no_grad;
    double secs[2] = {0, 0};
    for (int r = 0; r <= rounds; ++r) {          // round 0 warms up (oneDNN primitive creation)
        for (int p = 0; p < 2; ++p) {
            m.set_trunk_dtype(p ? torch::kBFloat16 : torch::kFloat);
            auto t0 = Clock::now();
            for (int i = 0; i < iters; ++i) m.trunk(x, /*train=*/true);   // the seed's train-mode trunk
            if (r > 0) secs[p] += std::chrono::duration<double>(Clock::now() - t0).count();
        }
    }
    const double n = (double)batch * iters * rounds;
    std::printf("{\"backbone\": \"%s\", \"fp32_img_s\": %.1f, \"bf16_img_s\": %.1f, \"bf16_speedup\": %.2f}\n",
                backbone.c_str(), n / secs[0], n / secs[1], secs[0] / secs[1]);
    return 0;
}
