// bench/bench_model_load.cpp - where `catdog predict`'s time goes for one photo: torch start,
// building the Model, reading the checkpoint, one forward. Prints one JSON line (seconds).
//
//   bench_model_load RUN_DIR/model.ckpt alexnet IMAGE
#include <chrono>
#include <cstdio>
#include <string>
#include <torch/torch.h>
#include "catdog/image.h"
#include "catdog/transforms.h"
#include "nets/model.h"
#include "nets/model_io.h"
#include "nets/netspec.h"

using Clock = std::chrono::steady_clock;
static double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

int main(int argc, char** argv) {
    if (argc < 4) {
        std::fprintf(stderr, "usage: %s MODEL.ckpt BACKBONE IMAGE\n", argv[0]);
        return 2;
    }
    auto t0 = Clock::now();
    torch::Tensor warm = torch::ones({1});  // the first op starts torch's thread pools
    const double t_init = since(t0);

    auto t1 = Clock::now();
    catdog::nets::Model model(catdog::nets::make_spec(argv[2], 2), catdog::nets::Model::Init::None);
    const double t_ctor = since(t1);

    auto t2 = Clock::now();
    catdog::nets::load_model(model, argv[1]);
    const double t_load = since(t2);

    auto t3 = Clock::now();
    catdog::Image img = catdog::load_image(argv[3]);
    const auto& tf = model.spec().transform;
    torch::Tensor x = torch::empty({1, 3, tf.crop, tf.crop});
    catdog::val_tensor(img, tf, x.data_ptr<float>());
    const double t_pre = since(t3);

    auto t4 = Clock::now();
    torch::Tensor p;
    {
        torch::InferenceMode im;
        p = torch::softmax(model.forward(x, false), 1);
    }
    const double t_fwd = since(t4);
    std::printf("{\"torch_init\": %.3f, \"model_ctor\": %.3f, \"load_file\": %.3f, \"preprocess\": %.3f, "
                "\"forward\": %.3f, \"total\": %.3f, \"p0\": %.4f}\n",
                t_init, t_ctor, t_load, t_pre, t_fwd, since(t0), p[0][0].item<float>());
    return 0;
}
