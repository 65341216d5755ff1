// Internal: EXIF orientation, the one tag catdog needs from EXIF (and its XMP spelling).
#pragma once
#include <cstddef>
#include <cstdint>
#include "catdog/image.h"

namespace catdog::detail {

// Orientation (1..8) from the payload of a JPEG APP1 segment (the bytes after the length
// field, starting "Exif\0\0"). Returns 1 when the tag is absent or anything is malformed;
// every read is bounds-checked, so arbitrary bytes are safe.
int exif_orientation(const uint8_t* app1, size_t size);
// From an EXIF block as PIL's Exif.load takes it (WebP's EXIF chunk, PNG's eXIf): a TIFF
// header, with or without the "Exif\0\0" prefix. 0 when the tag is absent or the block is
// malformed (PIL then looks at XMP), 1 for a present tag whose value is not 1..8.
int exif_payload_orientation(const uint8_t* data, size_t size);
// The same from the TIFF header on.
int tiff_orientation(const uint8_t* tiff, size_t size);
// PIL's XMP rule (Image.getexif): the first match of tiff:Orientation(="|>)([0-9]) in the
// packet; 0 when there is none (digits outside 1..8 make exif_transpose do nothing).
int xmp_orientation(const char* xmp, size_t size);

// The stored-pixel rectangle that apply_orientation(img, orientation) maps onto `upright`
// (clamped to the stored size stored_w x stored_h).
PixelRect stored_rect(PixelRect upright, int orientation, int stored_w, int stored_h);

// Returns the image as PIL's ImageOps.exif_transpose would show it (orientation 1: unchanged).
Image apply_orientation(Image img, int orientation);

}  // namespace catdog::detail
