// PNG (8/16 bit, gray, gray+alpha, palette, RGB, RGBA), BMP and GIF (first frame) through
// stb_image. Images with alpha are composited over white; the rest come out exactly as PIL's
// convert('RGB') (16-bit samples keep their high byte, as PIL's "RGB;16B" unpacker does).
#include <algorithm>
#include <cassert>
#include <climits>
#include <cmath>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "decoders.h"

namespace {
// stb_image calls memcpy(NULL, p, 0) for an empty first IDAT chunk: harmless, but undefined
// behaviour that UBSan reports. Its memcpy calls go through this instead.
inline void* stb_memcpy(void* dst, const void* src, size_t n) { return n ? std::memcpy(dst, src, n) : dst; }
}  // namespace

#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#endif
#define STB_IMAGE_STATIC            // private copy: no clash with other users of stb_image
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#define STBI_ONLY_BMP
#define STBI_ONLY_GIF
#define STBI_NO_STDIO
#define STBI_NO_LINEAR
#define STBI_NO_HDR
#define memcpy stb_memcpy            // the C headers stb includes are already in, unaffected
#include <stb/stb_image.h>
#undef memcpy
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

namespace catdog::detail {

namespace {

// stb_image's last failure reason; for unknown chunk types it can be an empty string.
std::string stb_reason() {
    const char* r = stbi_failure_reason();
    return std::string("stb_image: ") + (r && *r ? r : "unspecified");
}

// BI_RGB 32-bit BMPs carry an unused 4th byte: PIL reads them as "BGRX", so must we.
bool bmp_alpha_is_padding(const uint8_t* d, size_t n) {
    if (n < 34) return false;
    const uint32_t header = d[14] | d[15] << 8 | uint32_t(d[16]) << 16 | uint32_t(d[17]) << 24;
    const uint32_t compression = d[30] | d[31] << 8 | uint32_t(d[32]) << 16 | uint32_t(d[33]) << 24;
    return header >= 40 && compression == 0;
}

}  // namespace

Image decode_stb(const uint8_t* data, size_t size, ImageFormat fmt, const std::string& name,
                 const DecodeOptions& opt) {
    const char* format = format_name(fmt);
    if (size > size_t(INT_MAX)) throw DecodeError(name, format, "file too large");
    const int len = int(size);
    int w = 0, h = 0, comp = 0;
    if (!stbi_info_from_memory(data, len, &w, &h, &comp))
        throw DecodeError(name, format, "invalid or unsupported header (" + stb_reason() + ")");
    check_dimensions(w, h, name, format, opt);

    bool alpha = comp == 2 || comp == 4;
    if (fmt == ImageFormat::Bmp && alpha && bmp_alpha_is_padding(data, size)) alpha = false;
    const int want = alpha ? 4 : 3;
    std::unique_ptr<stbi_uc, void (*)(void*)> px(stbi_load_from_memory(data, len, &w, &h, &comp, want),
                                                 &stbi_image_free);
    if (!px) throw DecodeError(name, format, "corrupt or truncated data (" + stb_reason() + ")");

    Image img;
    img.w = w;
    img.h = h;
    const size_t n = size_t(w) * size_t(h);
    img.rgb.resize(n * 3);
    if (alpha)
        composite_over_white(px.get(), img.rgb.data(), n);
    else
        std::copy(px.get(), px.get() + n * 3, img.rgb.begin());
    return img;
}

}  // namespace catdog::detail
