// tests/web/tensor_dump.cpp - the native core's input tensor for one photo, as raw float32
// bytes on stdout: the reference the page's WASM tensor is hashed against.
// Usage: web_tensor_dump MODEL_JSON IMAGE
#include <cstdio>
#include <fstream>
#include <sstream>
#include <vector>
#include "catdog/image.h"
#include "catdog/model_info.h"
#include "catdog/transforms.h"

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s MODEL_JSON IMAGE\n", argv[0]);
        return 2;
    }
    try {
        std::ifstream in(argv[1]);
        std::stringstream s;
        s << in.rdbuf();
        catdog::ModelInfo info = catdog::parse_model_info(s.str());
        catdog::Image img = catdog::load_image(argv[2]);
        std::vector<float> t(size_t(3) * info.transform.crop * info.transform.crop);
        catdog::val_tensor(img, info.transform, t.data());
        std::fwrite(t.data(), sizeof(float), t.size(), stdout);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "web_tensor_dump: %s\n", e.what());
        return 1;
    }
    return 0;
}
