// Bytes -> upright RGB8: format sniffing, dispatch to one decoder per library, EXIF
// orientation, the pixel limit, and file reading. See catdog/image.h for the contract.
#include "catdog/image.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "catdog/files.h"
#include "decoders.h"
#include "exif.h"

namespace catdog {

const char* format_name(ImageFormat f) {
    switch (f) {
        case ImageFormat::Jpeg: return "JPEG";
        case ImageFormat::Png: return "PNG";
        case ImageFormat::Bmp: return "BMP";
        case ImageFormat::Gif: return "GIF";
        case ImageFormat::Webp: return "WebP";
        case ImageFormat::Unknown: break;
    }
    return "unknown format";
}

ImageFormat sniff_format(const uint8_t* d, size_t n) {
    auto starts = [&](const char* magic, size_t len, size_t at = 0) {
        return n >= at + len && std::memcmp(d + at, magic, len) == 0;
    };
    if (starts("\xFF\xD8\xFF", 3)) return ImageFormat::Jpeg;  // SOI + the next marker's 0xFF
    if (starts("\x89PNG\r\n\x1A\n", 8)) return ImageFormat::Png;
    if (starts("GIF87a", 6) || starts("GIF89a", 6)) return ImageFormat::Gif;
    if (starts("RIFF", 4) && starts("WEBP", 4, 8)) return ImageFormat::Webp;
    if (starts("BM", 2) && n >= 26) return ImageFormat::Bmp;  // file header + smallest (OS/2) info header
    return ImageFormat::Unknown;
}

namespace detail {

void check_dimensions(long long w, long long h, const std::string& name, const char* format,
                      const DecodeOptions& opt) {
    if (w <= 0 || h <= 0)
        throw DecodeError(name, format, "invalid dimensions " + std::to_string(w) + "x" + std::to_string(h));
    if (uint64_t(w) * uint64_t(h) > opt.max_pixels)
        throw DecodeError(name, format,
                          std::to_string(w) + "x" + std::to_string(h) + " exceeds the pixel limit of " +
                              std::to_string(opt.max_pixels) + " pixels");
}

}  // namespace detail

void composite_over_white(const uint8_t* rgba, uint8_t* rgb, size_t n) {
    // round((c*a + 255*(255-a)) / 255): the same bytes as PIL's alpha_composite onto white.
    for (size_t i = 0; i < n; ++i, rgba += 4, rgb += 3) {
        const unsigned a = rgba[3], bg = 255u * (255u - a) + 127u;
        const uint8_t r = rgba[0], g = rgba[1], b = rgba[2];  // read first: rgb may alias rgba
        rgb[0] = uint8_t((r * a + bg) / 255u);
        rgb[1] = uint8_t((g * a + bg) / 255u);
        rgb[2] = uint8_t((b * a + bg) / 255u);
    }
}

namespace {

Image decode(const uint8_t* data, size_t size, const std::string& name, const DecodeOptions& opt,
             const WindowFn* window) {
    if (!data || size == 0) throw DecodeError(name, "unknown format", "empty file (0 bytes)");
    const ImageFormat fmt = sniff_format(data, size);
    int orientation = 1;
    Image img;
    switch (fmt) {
        case ImageFormat::Jpeg:
            img = detail::decode_jpeg(data, size, name, opt, &orientation, window);
            break;
        case ImageFormat::Png:
            img = detail::decode_png(data, size, name, opt, &orientation);
            break;
        case ImageFormat::Bmp:
            img = detail::decode_bmp(data, size, name, opt);
            break;
        case ImageFormat::Gif:
            img = detail::decode_gif(data, size, name, opt);
            break;
        case ImageFormat::Webp:
            img = detail::decode_webp(data, size, name, opt, &orientation);
            break;
        case ImageFormat::Unknown: {
            char head[3 * 8 + 1] = {0};
            for (size_t i = 0; i < size && i < 8; ++i) std::snprintf(head + 3 * i, 4, " %02x", data[i]);
            throw DecodeError(name, "unknown format",
                              "not a JPEG, PNG, BMP, GIF or WebP file (first bytes:" + std::string(head) + ")");
        }
    }
    if (opt.apply_exif_orientation && orientation != 1)
        img = detail::apply_orientation(std::move(img), orientation);
    return img;
}

}  // namespace

Image decode_image(const uint8_t* data, size_t size, const std::string& name, const DecodeOptions& opt) {
    return decode(data, size, name, opt, nullptr);
}

Image decode_image_window(const uint8_t* data, size_t size, const std::string& name, const WindowFn& window,
                          const DecodeOptions& opt) {
    return decode(data, size, name, opt, window ? &window : nullptr);
}

Image load_image(const std::string& path, const DecodeOptions& opt) {
    std::vector<uint8_t> bytes;
    try {
        bytes = read_file<std::vector<uint8_t>>(path);
    } catch (const FileError& e) {
        throw DecodeError(path, "file", e.reason());  // callers skip a bad photo by this type
    }
    return decode_image(bytes.data(), bytes.size(), path, opt);
}

}  // namespace catdog
