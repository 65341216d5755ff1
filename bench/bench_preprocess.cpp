// Single-thread throughput of the shared core's val pipeline, for bench/preprocess:
// read + decode + Resize(256) + CenterCrop(224) + ToTensor + Normalize, images/s.
//
//   bench_preprocess FILE_LIST [repeats]
// FILE_LIST has one image path per line. Prints "native <images/s> <images> <cpu seconds>"
// plus a split into decode and the rest. Time is this process's CPU time, so the figure is
// per core even when other jobs share the machine; wall time is printed alongside.
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <string>
#include <vector>

#include "catdog/image.h"
#include "catdog/transforms.h"

namespace {
double now() {  // CPU time of this process (single-threaded: of this core)
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}
double wall() {
    using namespace std::chrono;
    return duration<double>(steady_clock::now().time_since_epoch()).count();
}
}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s FILE_LIST [repeats]\n", argv[0]);
        return 2;
    }
    std::vector<std::string> files;
    std::ifstream list(argv[1]);
    for (std::string line; std::getline(list, line);)
        if (!line.empty()) files.push_back(line);
    if (files.empty()) {
        std::fprintf(stderr, "%s: no files listed\n", argv[1]);
        return 2;
    }
    const int repeats = argc > 2 ? std::stoi(argv[2]) : 1;
    const catdog::TransformSpec spec;
    std::vector<float> tensor(3 * size_t(spec.crop) * spec.crop);

    double checksum = 0, t_decode = 0, t_rest = 0;
    size_t n = 0;
    for (size_t i = 0; i < files.size() && i < 50; ++i)  // warm up caches and allocator
        catdog::val_tensor(catdog::load_image(files[i]), spec, tensor.data());
    const double t0 = now(), w0 = wall();
    for (int r = 0; r < repeats; ++r)
        for (const std::string& f : files) {
            const double a = now();
            const catdog::Image img = catdog::load_image(f);
            const double b = now();
            catdog::val_tensor(img, spec, tensor.data());
            t_decode += b - a;
            t_rest += now() - b;
            checksum += tensor[tensor.size() / 2];  // keeps the work observable
            ++n;
        }
    const double secs = now() - t0, wsecs = wall() - w0;
    std::printf("native %.1f %zu %.3f %.3f\n", n / secs, n, secs, wsecs);
    std::printf("# per image: read+decode %.3f ms, resize+crop+normalise %.3f ms (checksum %.3f)\n",
                1e3 * t_decode / n, 1e3 * t_rest / n, checksum);
    return 0;
}
