// BMP, read the way PIL 9.4's BmpImagePlugin reads it, quirks included, because the
// pretrained pipeline sees what PIL gives (no library reads BMP with PIL's semantics):
//   - headers: OS/2 v1 (12 bytes, 16-bit sizes), Windows v3 (40), OS/2 v2 (64), v4 (108), v5 (124);
//     top-down files (the height's top byte 0xFF); BI_RGB, BI_BITFIELDS (PIL's mask list), RLE8, RLE4;
//   - the palette is read right after the header (3 or 4 bytes an entry, `colors` entries or
//     1 << bits); a pixel offset that points at the palette is moved past it (4 bytes an entry,
//     as PIL does even for OS/2); more than 256 entries is an error unless the palette is grey;
//   - a palette that is exactly the grey ramp 0..n-1 (or black/white for 2 colours) makes the
//     image "L" (or "1"), unpacked 8 (or 1) bits a pixel whatever the depth says;
//   - palette indices past the palette's end read PIL's default ramp (i, i, i);
//   - RLE follows BmpRleDecoder line by line: its delta reads 4 bytes and uses the last two, an
//     absolute run in RLE4 reads count/2 bytes, runs past a row's end spill into the next, and
//     fewer pixels than the image has are an error ("not enough image data");
//   - uncompressed rows need stride*(h-1) + one row's bytes; fewer is "truncated".
// RGBA layouts (BGRA, ABGR, RGBA bitfields) are composited over white like every alpha image.
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "decoders.h"

namespace catdog::detail {

namespace {

uint32_t u16le(const uint8_t* p) { return uint32_t(p[0]) | uint32_t(p[1]) << 8; }
uint32_t u32le(const uint8_t* p) { return u16le(p) | u16le(p + 2) << 16; }

// How PIL unpacks one pixel row ("rawmode") into the image mode it reports.
enum class Raw { P1, P4, P8, L8, Bit1, BGR15, BGR16, BGR, BGRX, XBGR, ABGR, RGBA, BGRA };

int raw_bits(Raw r) {
    switch (r) {
        case Raw::P1: case Raw::Bit1: return 1;
        case Raw::P4: return 4;
        case Raw::P8: case Raw::L8: return 8;
        case Raw::BGR15: case Raw::BGR16: return 16;
        case Raw::BGR: return 24;
        default: return 32;
    }
}
bool raw_has_alpha(Raw r) { return r == Raw::ABGR || r == Raw::RGBA || r == Raw::BGRA; }

struct Bitfields { uint32_t r, g, b, a; };

// PIL's MASK_MODES, or false for a layout PIL refuses.
bool bitfields_raw(int bits, const Bitfields& m, Raw* raw) {
    auto is = [&](uint32_t r, uint32_t g, uint32_t b, uint32_t a) { return m.r == r && m.g == g && m.b == b && m.a == a; };
    if (bits == 32) {
        if (is(0xFF0000, 0xFF00, 0xFF, 0)) *raw = Raw::BGRX;
        else if (is(0xFF000000, 0xFF0000, 0xFF00, 0)) *raw = Raw::XBGR;
        else if (is(0xFF000000, 0xFF0000, 0xFF00, 0xFF)) *raw = Raw::ABGR;
        else if (is(0xFF, 0xFF00, 0xFF0000, 0xFF000000)) *raw = Raw::RGBA;
        else if (is(0xFF0000, 0xFF00, 0xFF, 0xFF000000) || is(0, 0, 0, 0)) *raw = Raw::BGRA;
        else return false;
        return true;
    }
    if (bits == 24 && m.r == 0xFF0000 && m.g == 0xFF00 && m.b == 0xFF) return *raw = Raw::BGR, true;
    if (bits == 16 && m.r == 0xF800 && m.g == 0x7E0 && m.b == 0x1F) return *raw = Raw::BGR16, true;
    if (bits == 16 && m.r == 0x7C00 && m.g == 0x3E0 && m.b == 0x1F) return *raw = Raw::BGR15, true;
    return false;
}

// One row of `w` pixels from `in` into RGBA (palette modes look up `pal`, 256 RGB entries).
void unpack_row(Raw raw, const uint8_t* in, int w, const uint8_t* pal, uint8_t* out) {
    for (int x = 0; x < w; ++x, out += 4) {
        uint32_t v;
        out[3] = 255;
        switch (raw) {
            case Raw::P1: case Raw::P4: case Raw::P8: {
                const unsigned i = raw == Raw::P1 ? (in[x >> 3] >> (7 - (x & 7))) & 1
                                 : raw == Raw::P4 ? (in[x >> 1] >> ((x & 1) ? 0 : 4)) & 15 : in[x];
                std::memcpy(out, pal + 3 * i, 3);
                break;
            }
            case Raw::L8: out[0] = out[1] = out[2] = in[x]; break;
            case Raw::Bit1: out[0] = out[1] = out[2] = ((in[x >> 3] >> (7 - (x & 7))) & 1) ? 255 : 0; break;
            case Raw::BGR15:
                v = u16le(in + 2 * x);
                out[2] = uint8_t((v & 31) * 255 / 31), out[1] = uint8_t(((v >> 5) & 31) * 255 / 31);
                out[0] = uint8_t(((v >> 10) & 31) * 255 / 31);
                break;
            case Raw::BGR16:
                v = u16le(in + 2 * x);
                out[2] = uint8_t((v & 31) * 255 / 31), out[1] = uint8_t(((v >> 5) & 63) * 255 / 63);
                out[0] = uint8_t(((v >> 11) & 31) * 255 / 31);
                break;
            case Raw::BGR: out[0] = in[3 * x + 2], out[1] = in[3 * x + 1], out[2] = in[3 * x]; break;
            case Raw::BGRX: out[0] = in[4 * x + 2], out[1] = in[4 * x + 1], out[2] = in[4 * x]; break;
            case Raw::BGRA:
                out[0] = in[4 * x + 2], out[1] = in[4 * x + 1], out[2] = in[4 * x], out[3] = in[4 * x + 3];
                break;
            case Raw::XBGR: out[0] = in[4 * x + 3], out[1] = in[4 * x + 2], out[2] = in[4 * x + 1]; break;
            case Raw::ABGR:
                out[0] = in[4 * x + 3], out[1] = in[4 * x + 2], out[2] = in[4 * x + 1], out[3] = in[4 * x];
                break;
            case Raw::RGBA: std::memcpy(out, in + 4 * x, 4); break;
        }
    }
}

// BmpRleDecoder: the pixel indices in file order (bottom-up unless top-down), one byte each.
// Sets *read_error where PIL's decoder raises instead of stopping (a delta cut short).
std::vector<uint8_t> rle_indices(const uint8_t* d, size_t n, size_t pos, int w, int h, bool rle4, bool* read_error) {
    std::vector<uint8_t> out;
    const size_t want = size_t(w) * size_t(h);
    out.reserve(want);
    size_t x = 0;
    *read_error = false;
    while (out.size() < want) {
        if (pos + 2 > n) break;  // PIL: "if not pixels or not byte: break"
        const unsigned count = d[pos], byte = d[pos + 1];
        pos += 2;
        if (count) {  // encoded run, clipped at the row's end
            const size_t run = x + count > size_t(w) ? (size_t(w) > x ? size_t(w) - x : 0) : count;
            for (size_t i = 0; i < run; ++i) out.push_back(rle4 ? uint8_t(i % 2 ? byte & 15 : byte >> 4) : uint8_t(byte));
            x += run;
        } else if (byte == 0) {  // end of line
            while (out.size() % size_t(w)) out.push_back(0);
            x = 0;
        } else if (byte == 1) {  // end of bitmap
            break;
        } else if (byte == 2) {  // delta: PIL reads two bytes, then takes (right, up) from the next two
            if (pos + 2 > n) break;
            pos += 2;
            if (pos + 2 > n) { *read_error = true; break; }  // "not enough values to unpack"
            const size_t right = d[pos], up = d[pos + 1];
            pos += 2;
            // PIL appends right + up*w zeros; anything past the image's end is never read.
            const size_t grown = out.size() + right + up * size_t(w);
            out.resize(grown < want ? grown : want, 0);
            x = out.size() % size_t(w);
        } else {  // absolute run
            const size_t bytes = rle4 ? byte / 2 : byte;
            const size_t got = pos + bytes <= n ? bytes : n - pos;
            for (size_t i = 0; i < got; ++i) {
                if (rle4) {
                    out.push_back(uint8_t(d[pos + i] >> 4));
                    out.push_back(uint8_t(d[pos + i] & 15));
                } else {
                    out.push_back(d[pos + i]);
                }
            }
            pos += got;
            if (got < bytes) break;
            x += byte;
            if (pos % 2) ++pos;  // word alignment, measured from the start of the file as PIL does
        }
    }
    return out;
}

}  // namespace

Image decode_bmp(const uint8_t* d, size_t n, const std::string& name, const DecodeOptions& opt) {
    auto fail = [&](const std::string& why) -> DecodeError { return DecodeError(name, "BMP", why); };
    if (n < 18) throw fail("truncated file header (" + std::to_string(n) + " bytes)");
    size_t offset = u32le(d + 10);
    const uint32_t header_size = u32le(d + 14);
    if (header_size < 4 || header_size - 4 > n - 18) throw fail("truncated info header");
    const uint8_t* hd = d + 18;  // header data after its size field

    long long w = 0, h = 0;
    unsigned bits = 0, compression = 0, colors = 0, palette_padding = 4;
    bool top_down = false;
    size_t pos = 18 + (header_size - 4);  // where PIL's file pointer is after the header
    Bitfields masks{0, 0, 0, 0};
    if (header_size == 12) {  // OS/2 v1
        w = u16le(hd), h = u16le(hd + 2), bits = u16le(hd + 6);
        palette_padding = 3;
    } else if (header_size == 40 || header_size == 64 || header_size == 108 || header_size == 124) {
        top_down = hd[7] == 0xFF;
        w = u32le(hd);
        h = top_down ? (1ll << 32) - u32le(hd + 4) : u32le(hd + 4);
        bits = u16le(hd + 10), compression = u32le(hd + 12), colors = u32le(hd + 28);
        if (compression == 3) {
            if (header_size - 4 >= 52) {
                masks = {u32le(hd + 36), u32le(hd + 40), u32le(hd + 44), u32le(hd + 48)};
            } else {  // 40-byte header: three masks follow it, and the reserved 4th is not alpha
                if (pos + 12 > n) throw fail("truncated bitfield masks");
                masks = {u32le(d + pos), u32le(d + pos + 4), u32le(d + pos + 8), 0};
                pos += 12;
            }
        }
    } else {
        throw fail("unsupported header type (" + std::to_string(header_size) + ")");
    }
    check_dimensions(w, h, name, "BMP", opt);
    const uint64_t ncolors = colors ? colors : (bits < 32 ? 1ull << bits : 0);
    if (offset == 14 + header_size && bits <= 8) offset += 4 * ncolors;

    Raw raw;
    switch (bits) {
        case 1: raw = Raw::P1; break;
        case 4: raw = Raw::P4; break;
        case 8: raw = Raw::P8; break;
        case 16: raw = Raw::BGR15; break;
        case 24: raw = Raw::BGR; break;
        case 32: raw = Raw::BGRX; break;
        default: throw fail("unsupported pixel depth (" + std::to_string(bits) + ")");
    }
    const bool rle = compression == 1 || compression == 2;
    if (compression == 3) {
        if (!bitfields_raw(int(bits), masks, &raw)) throw fail("unsupported bitfields layout");
    } else if (compression != 0 && !rle) {
        throw fail("unsupported compression (" + std::to_string(compression) + ")");
    }

    // The palette, over PIL's default ramp; "L"/"1" when it is the grey ramp itself.
    uint8_t pal[256 * 3];
    for (int i = 0; i < 256; ++i) pal[3 * i] = pal[3 * i + 1] = pal[3 * i + 2] = uint8_t(i);
    const bool palette_mode = bits <= 8;
    if (palette_mode) {
        if (ncolors == 0 || ncolors > 65536) throw fail("unsupported palette size (" + std::to_string(ncolors) + ")");
        const size_t want = palette_padding * size_t(ncolors);
        const size_t have = pos < n ? (n - pos < want ? n - pos : want) : 0;
        const uint8_t* p = d + pos;
        bool grey = true;
        for (size_t i = 0; i < ncolors && grey; ++i) {
            const uint8_t v = uint8_t(ncolors == 2 ? (i ? 255 : 0) : i);
            grey = i * palette_padding + 3 <= have && p[i * palette_padding] == v &&
                   p[i * palette_padding + 1] == v && p[i * palette_padding + 2] == v;
        }
        if (grey) {
            raw = ncolors == 2 ? Raw::Bit1 : Raw::L8;
        } else {
            const size_t entries = have / palette_padding;
            if (entries > 256) throw fail("invalid palette size (" + std::to_string(ncolors) + " colours)");
            for (size_t i = 0; i < entries; ++i) {  // stored BGR(X)
                pal[3 * i] = p[i * palette_padding + 2];
                pal[3 * i + 1] = p[i * palette_padding + 1];
                pal[3 * i + 2] = p[i * palette_padding];
            }
        }
        pos += have;
    }
    if (offset == 0) offset = pos;

    // The pixel buffer is allocated only once the data behind it is known to be there.
    const size_t W = size_t(w), H = size_t(h);
    std::vector<uint8_t> rgba;
    auto row_out = [&](size_t file_row) { return rgba.data() + (top_down ? file_row : H - 1 - file_row) * W * 4; };
    if (rle) {
        if (raw != Raw::P1 && raw != Raw::P4 && raw != Raw::P8 && raw != Raw::L8)
            throw fail("RLE compression with " + std::to_string(bits) + "-bit pixels");
        bool read_error = false;
        const std::vector<uint8_t> idx =
            offset < n ? rle_indices(d, n, offset, int(w), int(h), compression == 2, &read_error) : std::vector<uint8_t>();
        if (read_error) throw fail("truncated RLE delta");
        if (idx.size() < W * H) throw fail("not enough image data (RLE stream ends after " + std::to_string(idx.size()) +
                                           " of " + std::to_string(W * H) + " pixels)");
        rgba.resize(W * H * 4);
        for (size_t r = 0; r < H; ++r) unpack_row(raw == Raw::L8 ? Raw::L8 : Raw::P8, &idx[r * W], int(w), pal, row_out(r));
    } else {
        const size_t stride = ((W * bits + 31) >> 3) & ~size_t(3);
        const size_t row_bytes = (W * size_t(raw_bits(raw)) + 7) / 8;
        if (stride < row_bytes) throw fail("rows shorter than their pixels (decoder error)");
        if (offset > n || (n - offset) / stride < H - 1 || (n - offset) - stride * (H - 1) < row_bytes)
            throw fail("image file is truncated (pixel data ends early)");
        rgba.resize(W * H * 4);
        for (size_t r = 0; r < H; ++r) unpack_row(raw, d + offset + r * stride, int(w), pal, row_out(r));
    }

    Image img;
    img.w = int(w), img.h = int(h);
    img.rgb.resize(W * H * 3);
    if (raw_has_alpha(raw)) {
        composite_over_white(rgba.data(), img.rgb.data(), W * H);
    } else {
        for (size_t i = 0; i < W * H; ++i) std::memcpy(&img.rgb[3 * i], &rgba[4 * i], 3);
    }
    return img;
}

}  // namespace catdog::detail
