// bench/bench_trunk.cpp - frozen-trunk throughput by engine and precision, interleaved rounds
// on one random-weight model (speed does not depend on the weights):
//   torch fp32   LibTorch op by op (oneDNN direct convs, channels_last)
//   onednn fp32  the spec planned on oneDNN (onednn/trunk.h: Winograd 3x3, fused ReLU)
//   torch bf16   `--precision bf16` (oneDNN's AVX-512 bf16 kernels)
//
//   bench_trunk [alexnet|mobilenet_v2] [rounds=3] [batch=64] [iters=3] [train|eval]
// train (default) runs the seed's train-mode trunk: dropout active, so the oneDNN engine
// stops before AlexNet's first Dropout and torch runs the classifier. Prints one JSON line.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <torch/torch.h>
#include "nets/model.h"
#include "nets/netspec.h"

using Clock = std::chrono::steady_clock;
using catdog::nets::Model;

int main(int argc, char** argv) {
    const std::string backbone = argc > 1 ? argv[1] : "alexnet";
    const int rounds = argc > 2 ? std::atoi(argv[2]) : 3;
    const int64_t batch = argc > 3 ? std::atoi(argv[3]) : 64;
    const int iters = argc > 4 ? std::atoi(argv[4]) : 3;
    const bool train = !(argc > 5 && std::string(argv[5]) == "eval");
    torch::manual_seed(0);
    Model m(catdog::nets::make_spec(backbone, 2));
    m.set_channels_last(true);
    const torch::Tensor x = torch::randn({batch, 3, 224, 224}).contiguous(torch::MemoryFormat::ChannelsLast);
    torch::NoGradGuard no_grad;
    struct Config { const char* name; Model::Engine engine; torch::ScalarType dtype; };
    std::vector<Config> configs{{"torch_fp32", Model::Engine::Torch, torch::kFloat},
                                {"torch_bf16", Model::Engine::Torch, torch::kBFloat16}};
    if (Model::onednn_available()) configs.insert(configs.begin() + 1, {"onednn_fp32", Model::Engine::OneDnn, torch::kFloat});
    std::vector<double> secs(configs.size(), 0.0);
    for (int r = 0; r <= rounds; ++r) {  // round 0 warms up (primitive creation, weight reorders)
        for (size_t c = 0; c < configs.size(); ++c) {
            m.set_trunk_engine(configs[c].engine);
            m.set_trunk_dtype(configs[c].dtype);
            auto t0 = Clock::now();
            for (int i = 0; i < iters; ++i) m.trunk(x, train);
            if (r > 0) secs[c] += std::chrono::duration<double>(Clock::now() - t0).count();
        }
    }
    const double n = (double)batch * iters * rounds;
    std::printf("{\"backbone\": \"%s\", \"mode\": \"%s\", \"threads\": %d", backbone.c_str(), train ? "train" : "eval",
                at::get_num_threads());
    for (size_t c = 0; c < configs.size(); ++c) std::printf(", \"%s_img_s\": %.1f", configs[c].name, n / secs[c]);
    for (size_t c = 1; c < configs.size(); ++c)
        std::printf(", \"%s_vs_torch_fp32\": %.2f", configs[c].name, secs[0] / secs[c]);
    std::printf("}\n");
    return 0;
}
