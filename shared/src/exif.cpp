// EXIF orientation: a small, bounds-checked reader for IFD0's tag 0x0112 (and XMP's
// tiff:Orientation, as PIL's getexif finds it), and the eight transposes of ImageOps.exif_transpose.
#include "exif.h"

#include <cstring>

namespace catdog::detail {

namespace {

struct Tiff {
    const uint8_t* p;
    size_t n;
    bool big_endian;
    bool u16(size_t off, uint32_t* v) const {
        if (off > n || n - off < 2) return false;
        *v = big_endian ? (uint32_t(p[off]) << 8 | p[off + 1]) : (uint32_t(p[off + 1]) << 8 | p[off]);
        return true;
    }
    bool u32(size_t off, uint32_t* v) const {
        if (off > n || n - off < 4) return false;
        const uint8_t* b = p + off;
        *v = big_endian ? (uint32_t(b[0]) << 24 | uint32_t(b[1]) << 16 | uint32_t(b[2]) << 8 | b[3])
                        : (uint32_t(b[3]) << 24 | uint32_t(b[2]) << 16 | uint32_t(b[1]) << 8 | b[0]);
        return true;
    }
};

}  // namespace

namespace {
const uint8_t kExif[6] = {'E', 'x', 'i', 'f', 0, 0};
}

int exif_orientation(const uint8_t* app1, size_t size) {
    if (!app1 || size < 6 || std::memcmp(app1, kExif, 6) != 0) return 1;
    const int o = tiff_orientation(app1 + 6, size - 6);
    return o ? o : 1;
}

int exif_payload_orientation(const uint8_t* data, size_t size) {
    if (data && size >= 6 && std::memcmp(data, kExif, 6) == 0) data += 6, size -= 6;
    return tiff_orientation(data, size);
}

int xmp_orientation(const char* xmp, size_t size) {
    static const char kTag[] = "tiff:Orientation";
    const size_t k = sizeof kTag - 1;
    for (size_t i = 0; xmp && i + k < size; ++i) {
        if (std::memcmp(xmp + i, kTag, k) != 0) continue;
        size_t j = i + k;
        if (j + 1 < size && xmp[j] == '=' && xmp[j + 1] == '"') j += 2;
        else if (j < size && xmp[j] == '>') j += 1;
        else continue;
        if (j < size && xmp[j] >= '0' && xmp[j] <= '9') return xmp[j] - '0';
    }
    return 0;
}

int tiff_orientation(const uint8_t* tiff, size_t size) {
    if (!tiff) return 0;
    Tiff t{tiff, size, false};
    if (t.n < 8) return 0;
    if (t.p[0] == 'M' && t.p[1] == 'M') t.big_endian = true;
    else if (!(t.p[0] == 'I' && t.p[1] == 'I')) return 0;
    uint32_t magic = 0, ifd0 = 0, count = 0;
    if (!t.u16(2, &magic) || magic != 42 || !t.u32(4, &ifd0) || !t.u16(ifd0, &count)) return 0;
    for (uint32_t i = 0; i < count; ++i) {
        size_t e = size_t(ifd0) + 2 + size_t(i) * 12;
        uint32_t tag = 0, type = 0, value = 0;
        if (!t.u16(e, &tag) || !t.u16(e + 2, &type)) return 0;
        if (tag != 0x0112) continue;
        // SHORT is the standard type; accept BYTE and LONG as lenient readers do.
        bool ok = type == 3 ? t.u16(e + 8, &value)
                : type == 4 ? t.u32(e + 8, &value)
                : type == 1 ? (e + 8 < t.n && ((value = t.p[e + 8]), true))
                : false;
        return ok && value >= 1 && value <= 8 ? int(value) : 1;  // present: no XMP fallback
    }
    return 0;
}

PixelRect stored_rect(PixelRect r, int orientation, int W, int H) {
    // Source pixel of upright pixel (u, v), as in apply_orientation.
    auto src = [&](int u, int v, int* sx, int* sy) {
        switch (orientation) {
            case 2: *sx = W - 1 - u; *sy = v; break;
            case 3: *sx = W - 1 - u; *sy = H - 1 - v; break;
            case 4: *sx = u; *sy = H - 1 - v; break;
            case 5: *sx = v; *sy = u; break;
            case 6: *sx = v; *sy = H - 1 - u; break;
            case 7: *sx = W - 1 - v; *sy = H - 1 - u; break;
            case 8: *sx = W - 1 - v; *sy = u; break;
            default: *sx = u; *sy = v; break;
        }
    };
    if (r.w <= 0 || r.h <= 0) return {};
    int ax, ay, bx, by;
    src(r.x, r.y, &ax, &ay);
    src(r.x + r.w - 1, r.y + r.h - 1, &bx, &by);
    int x0 = ax < bx ? ax : bx, x1 = ax < bx ? bx : ax, y0 = ay < by ? ay : by, y1 = ay < by ? by : ay;
    x0 = x0 < 0 ? 0 : x0, y0 = y0 < 0 ? 0 : y0;
    x1 = x1 >= W ? W - 1 : x1, y1 = y1 >= H ? H - 1 : y1;
    if (x1 < x0 || y1 < y0) return {};
    return {x0, y0, x1 - x0 + 1, y1 - y0 + 1};
}

Image apply_orientation(Image img, int orientation) {
    if (orientation < 2 || orientation > 8 || img.empty()) return img;
    const long w = img.w, h = img.h;
    const bool swap = orientation >= 5;
    Image out;
    out.w = swap ? img.h : img.w;
    out.h = swap ? img.w : img.h;
    out.rgb.resize(img.rgb.size());
    // Output pixel (u, v) reads source pixel start + u*du + v*dv (in pixels).
    long start = 0, du = 1, dv = w;
    switch (orientation) {
        case 2: start = w - 1;           du = -1; dv = w;  break;  // FLIP_LEFT_RIGHT
        case 3: start = w * h - 1;       du = -1; dv = -w; break;  // ROTATE_180
        case 4: start = (h - 1) * w;     du = 1;  dv = -w; break;  // FLIP_TOP_BOTTOM
        case 5: start = 0;               du = w;  dv = 1;  break;  // TRANSPOSE
        case 6: start = (h - 1) * w;     du = -w; dv = 1;  break;  // ROTATE_270 (90 deg clockwise)
        case 7: start = w * h - 1;       du = -w; dv = -1; break;  // TRANSVERSE
        case 8: start = w - 1;           du = w;  dv = -1; break;  // ROTATE_90 (90 deg counter-clockwise)
    }
    const uint8_t* src = img.rgb.data();
    uint8_t* dst = out.rgb.data();
    for (long v = 0; v < out.h; ++v) {
        long s = start + v * dv;
        for (long u = 0; u < out.w; ++u, s += du, dst += 3) {
            const uint8_t* px = src + s * 3;
            dst[0] = px[0];
            dst[1] = px[1];
            dst[2] = px[2];
        }
    }
    return out;
}

}  // namespace catdog::detail
