// catdog/image.h - bytes -> upright RGB8 image.
//
// The one entry point every front end uses to turn a file into pixels: the trainer's loader
// threads, the CLI's predict/featuremaps, and the browser (compiled to WebAssembly).
//
// Decoding follows what PIL 9.4 + torchvision 0.14 do with `Image.open(p).convert('RGB')`,
// because the pretrained weights assume that pipeline:
//   - JPEG through libjpeg-turbo 2.1.5 (PIL's own decoder): ISLOW DCT, fancy upsampling.
//     Grayscale is replicated to RGB; CMYK/YCCK (Adobe) is converted like PIL's convert('RGB').
//   - PNG (1-16 bit, gray, palette, alpha) via stb_image; 16-bit grey is PIL's mode I, which
//     convert('RGB') clips at 255 (so do we), other 16-bit samples keep their high byte.
//   - BMP with PIL's BmpImagePlugin semantics, quirks included: OS/2 v1/v2 headers, top-down
//     rows, RLE4/RLE8 (PIL's delta and odd-run readings), bitfields, odd pixel offsets,
//     palettes past 1 << bits, indices past the palette reading PIL's grey ramp.
//   - GIF, first frame, via giflib, composed like PIL: a frame smaller than the screen sits on
//     its transparent index (else index 0); no colour table (or a grey-ramp one) is grey.
//   - WebP via libwebp; an animation gives its first frame (libwebp's demux/AnimDecoder, as PIL).
//   - Alpha channels and palette transparency are composited over white, with the bytes of
//     PIL's alpha_composite onto white; a gray/RGB colour key (tRNS) is ignored, as
//     convert('RGB') ignores it.
//   - Orientation is applied as ImageOps.exif_transpose finds it: JPEG's Exif APP1, WebP's
//     EXIF chunk, PNG's eXIf chunk, else its "Raw profile type exif" text, else XMP's
//     tiff:Orientation in its "XML:com.adobe.xmp" text chunk. So the result is upright.
//   - A file that ends before its last scanline is an error, as PIL refuses it; libjpeg's
//     corrupt-data *warnings* are ignored, as PIL ignores them.
// Anything else is a DecodeError whose message names the file, the format and the reason.
// A header that declares more pixels than `max_pixels` is refused before any pixel buffer
// is allocated.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>
#include "catdog/one_line.h"

namespace catdog {

// Interleaved RGB8, row-major, no padding: pixel (x, y) channel c is rgb[(y * w + x) * 3 + c].
struct Image {
    int w = 0, h = 0;
    std::vector<uint8_t> rgb;
    bool empty() const { return w == 0 || h == 0; }
};

struct DecodeOptions {
    uint64_t max_pixels = 100'000'000;  // 100 MP; checked against the header, before allocation
    bool apply_exif_orientation = true;  // JPEG, PNG and WebP (see above)
};

// One line, "<name>: <format>: <reason>", e.g. "cat.1.jpg: JPEG: truncated stream".
// Reasons can quote bytes of the file, so the message goes through one_line_text.
class DecodeError : public std::runtime_error {
public:
    DecodeError(const std::string& name, const std::string& format, const std::string& reason)
        : std::runtime_error(one_line_text(name + ": " + format + ": " + reason)), format_(format),
          reason_(one_line_text(reason)) {}
    const std::string& format() const { return format_; }
    const std::string& reason() const { return reason_; }
private:
    std::string format_, reason_;
};

enum class ImageFormat { Unknown, Jpeg, Png, Bmp, Gif, Webp };
const char* format_name(ImageFormat f);
// Sniffs magic bytes; the file name's extension is never trusted.
ImageFormat sniff_format(const uint8_t* data, size_t size);

// `name` is only used in error messages (usually the file path).
Image decode_image(const uint8_t* data, size_t size, const std::string& name,
                   const DecodeOptions& opt = {});
// Reads the file and decodes it; unreadable files are a DecodeError too (format "file").
Image load_image(const std::string& path, const DecodeOptions& opt = {});

// A rectangle of pixels, [x, x+w) x [y, y+h).
struct PixelRect { int x = 0, y = 0, w = 0, h = 0; };
// Given the upright size (after EXIF orientation), says which pixels the caller will read.
using WindowFn = std::function<PixelRect(int w, int h)>;

// decode_image for callers that read only part of the picture (e.g. the support of a resize
// followed by a centre crop). The result has the full upright size, but only the pixels inside
// window(w, h) are guaranteed: they are the same bytes decode_image gives; the others are zero
// or decoded as a margin. JPEG skips the rows above and below the window (jpeg_skip_scanlines, which still
// entropy-decodes them, so truncated files fail as before) and decodes only the iMCU columns
// it needs (jpeg_crop_scanline); other formats are decoded whole.
Image decode_image_window(const uint8_t* data, size_t size, const std::string& name,
                          const WindowFn& window, const DecodeOptions& opt = {});

// RGBA8 (straight alpha) -> RGB8 over an opaque white background, rounded exactly like PIL 9.4's
// Image.alpha_composite(white, im): every decoder and the page's browser-decoded pixels use it.
// `n` pixels; `rgb` may alias `rgba` (it writes behind it).
void composite_over_white(const uint8_t* rgba, uint8_t* rgb, size_t n);

}  // namespace catdog
