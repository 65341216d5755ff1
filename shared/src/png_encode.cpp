// PNG bytes through stb_image_write, and an atomic file write for the CLI.
// The one STB_IMAGE_WRITE_IMPLEMENTATION of the project lives here.
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image_write.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "catdog/files.h"
#include "catdog/grid.h"

namespace catdog {
namespace {

void append_bytes(void* ctx, void* data, int size) {
    auto* out = static_cast<std::vector<uint8_t>*>(ctx);
    const auto* p = static_cast<const uint8_t*>(data);
    out->insert(out->end(), p, p + size);
}

}  // namespace

std::vector<uint8_t> encode_png(const Image& img) {
    if (img.empty() || img.rgb.size() != static_cast<size_t>(img.w) * img.h * 3)
        throw std::invalid_argument("encode_png: empty or inconsistent image");
    std::vector<uint8_t> out;
    if (!stbi_write_png_to_func(append_bytes, &out, img.w, img.h, 3, img.rgb.data(), img.w * 3))
        throw std::runtime_error("encode_png: stb_image_write failed for a " +
                                 std::to_string(img.w) + "x" + std::to_string(img.h) + " image");
    return out;
}

void write_png(const std::string& path, const Image& img) {
    const std::vector<uint8_t> bytes = encode_png(img);
    write_file_atomic(path, bytes.data(), bytes.size());
}

}  // namespace catdog
