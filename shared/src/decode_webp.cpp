// WebP (lossy and lossless, still images) through libwebp's simple decoding API. PIL 9.4 uses
// the same library with the same default (fancy) upsampling. Alpha is composited over white.
#include <vector>

#include <webp/decode.h>

#include "decoders.h"

namespace catdog::detail {

namespace {

const char* status_text(VP8StatusCode s) {
    switch (s) {
        case VP8_STATUS_OUT_OF_MEMORY: return "out of memory";
        case VP8_STATUS_INVALID_PARAM: return "invalid parameter";
        case VP8_STATUS_BITSTREAM_ERROR: return "corrupt bitstream";
        case VP8_STATUS_UNSUPPORTED_FEATURE: return "unsupported feature";
        case VP8_STATUS_SUSPENDED: return "suspended";
        case VP8_STATUS_USER_ABORT: return "aborted";
        case VP8_STATUS_NOT_ENOUGH_DATA: return "truncated (not enough data)";
        default: return "unknown error";
    }
}

}  // namespace

Image decode_webp(const uint8_t* data, size_t size, const std::string& name, const DecodeOptions& opt) {
    WebPBitstreamFeatures f;
    const VP8StatusCode st = WebPGetFeatures(data, size, &f);
    if (st != VP8_STATUS_OK) throw DecodeError(name, "WebP", std::string("invalid header: ") + status_text(st));
    if (f.has_animation) throw DecodeError(name, "WebP", "animated WebP is not supported");
    check_dimensions(f.width, f.height, name, "WebP", opt);

    Image img;
    img.w = f.width;
    img.h = f.height;
    const size_t n = size_t(f.width) * size_t(f.height);
    img.rgb.resize(n * 3);
    bool ok;
    if (!f.has_alpha) {
        ok = WebPDecodeRGBInto(data, size, img.rgb.data(), img.rgb.size(), f.width * 3) != nullptr;
    } else {
        std::vector<uint8_t> rgba(n * 4);
        ok = WebPDecodeRGBAInto(data, size, rgba.data(), rgba.size(), f.width * 4) != nullptr;
        if (ok) composite_over_white(rgba.data(), img.rgb.data(), n);
    }
    if (!ok) throw DecodeError(name, "WebP", "corrupt or truncated data");
    return img;
}

}  // namespace catdog::detail
