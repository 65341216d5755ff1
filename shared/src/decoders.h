// Internal: one decoder per library, called by decode_image() after format sniffing.
// Each returns an upright-agnostic RGB8 image (EXIF is applied by the caller) or throws
// DecodeError. Each checks DecodeOptions::max_pixels against the header before allocating.
#pragma once
#include "catdog/image.h"

namespace catdog::detail {

// `orientation` receives the EXIF orientation (1..8) found in the first Exif APP1, 1 if none.
// With a `window` (see decode_image_window), only the rows and iMCU columns it needs are decoded.
Image decode_jpeg(const uint8_t* data, size_t size, const std::string& name,
                  const DecodeOptions& opt, int* orientation, const WindowFn* window = nullptr);
// `orientation` (PNG, WebP) receives the orientation PIL's exif_transpose would apply, 1 if none.
// PNG through stb_image (+ its own chunk walk for eXIf / text orientation).
Image decode_png(const uint8_t* data, size_t size, const std::string& name, const DecodeOptions& opt,
                 int* orientation);
// BMP with PIL's BmpImagePlugin semantics (RLE, OS/2, top-down, bitfields).
Image decode_bmp(const uint8_t* data, size_t size, const std::string& name, const DecodeOptions& opt);
// GIF, first frame, through giflib, composed as PIL composes it.
Image decode_gif(const uint8_t* data, size_t size, const std::string& name, const DecodeOptions& opt);
// WebP through libwebp (first frame of an animation through its demux library).
Image decode_webp(const uint8_t* data, size_t size, const std::string& name, const DecodeOptions& opt,
                  int* orientation);

// Throws the pixel-limit DecodeError if w*h exceeds opt.max_pixels (or w, h are not positive).
void check_dimensions(long long w, long long h, const std::string& name, const char* format,
                      const DecodeOptions& opt);


}  // namespace catdog::detail
