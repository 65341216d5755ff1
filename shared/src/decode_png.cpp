// PNG through stb_image, which gives PIL 9.4's pixels for every PNG kind (1-16 bit, grey,
// palette, RGB, alpha, Adam7), plus the two things PIL reads that stb does not:
//   - 16-bit grey is PIL's mode "I", and convert('RGB') clips it: values above 255 are white
//     (stb's 8-bit path would keep the high byte instead). 16-bit RGB/LA/RGBA keep the high
//     byte, as PIL's "RGB;16B"/"LA;16B" unpackers do.
//   - orientation, found the way PIL's getexif finds it for a PNG: the eXIf chunk, else an
//     ImageMagick "Raw profile type exif" text chunk (hex), and only when neither has the tag,
//     XMP's tiff:Orientation in a text chunk keyed "XML:com.adobe.xmp". Text chunks may be
//     tEXt, zTXt or iTXt (compressed ones are inflated up to PIL's 1 MB text limit); the
//     last chunk of a kind wins, before or after IDAT, as in PIL's info dict.
// Images with alpha are composited over white; a grey/RGB colour key (tRNS) is ignored, as
// convert('RGB') ignores it.
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
#include <string>

#include "decoders.h"
#include "exif.h"

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

uint32_t u32be(const uint8_t* p) { return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3]; }

constexpr size_t kMaxText = 1 << 20;  // PIL's MAX_TEXT_CHUNK for inflated text

// zlib stream -> at most kMaxText bytes; empty when it is corrupt or larger (PIL drops it or
// fails; either way it gives no orientation).
std::string inflate_text(const uint8_t* p, size_t n) {
    if (n > size_t(INT_MAX)) return {};
    std::string out(kMaxText, '\0');
    const int got = stbi_zlib_decode_buffer(&out[0], int(out.size()), reinterpret_cast<const char*>(p), int(n));
    if (got < 0) return {};
    out.resize(size_t(got));
    return out;
}

// Text chunk -> (keyword, value) as PIL stores it in info; false if PIL would skip it.
bool text_chunk(const char* type, const uint8_t* p, size_t n, std::string* key, std::string* value) {
    const uint8_t* nul = static_cast<const uint8_t*>(std::memchr(p, 0, n));
    if (std::memcmp(type, "tEXt", 4) == 0) {
        *key = nul ? std::string(reinterpret_cast<const char*>(p), size_t(nul - p)) : std::string(reinterpret_cast<const char*>(p), n);
        *value = nul ? std::string(reinterpret_cast<const char*>(nul + 1), size_t(p + n - nul - 1)) : std::string();
        return true;
    }
    if (std::memcmp(type, "zTXt", 4) == 0) {
        if (!nul) return false;
        *key = std::string(reinterpret_cast<const char*>(p), size_t(nul - p));
        const uint8_t* v = nul + 1;
        const size_t vn = size_t(p + n - v);
        if (vn && v[0] != 0) return false;  // unknown compression method (PIL fails the file)
        *value = vn ? inflate_text(v + 1, vn - 1) : std::string();
        return true;
    }
    if (std::memcmp(type, "iTXt", 4) == 0) {
        if (!nul || size_t(p + n - nul - 1) < 2) return false;
        *key = std::string(reinterpret_cast<const char*>(p), size_t(nul - p));
        const uint8_t* r = nul + 1;
        const uint8_t compressed = r[0], method = r[1];
        r += 2;
        const uint8_t* end = p + n;
        for (int field = 0; field < 2; ++field) {  // language tag, translated keyword
            const uint8_t* z = static_cast<const uint8_t*>(std::memchr(r, 0, size_t(end - r)));
            if (!z) return false;
            r = z + 1;
        }
        if (compressed) {
            if (method != 0) return false;
            *value = inflate_text(r, size_t(end - r));
            return !value->empty() || end == r;
        }
        *value = std::string(reinterpret_cast<const char*>(r), size_t(end - r));
        return true;
    }
    return false;
}

// "Raw profile type exif": three header lines, then the EXIF block in hex.
std::string raw_profile_bytes(const std::string& v) {
    size_t at = 0;
    for (int line = 0; line < 3; ++line) {
        at = v.find('\n', at);
        if (at == std::string::npos) return {};
        ++at;
    }
    std::string out;
    int hi = -1;
    for (size_t i = at; i < v.size(); ++i) {
        const char c = v[i];
        if (c == '\n' || c == ' ' || c == '\t' || c == '\r') continue;
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0) return {};  // PIL's bytes.fromhex raises: no orientation
        if (hi < 0) hi = d;
        else out.push_back(char(hi << 4 | d)), hi = -1;
    }
    return hi < 0 ? out : std::string();
}

struct PngInfo {
    int bit_depth = 0, colour_type = -1;
    int orientation = 1;
};

// Walks the chunks (CRCs unchecked, as stb leaves them) for IHDR and the orientation.
PngInfo scan_chunks(const uint8_t* d, size_t n) {
    PngInfo info;
    bool have_exif = false, have_raw = false;
    std::string exif, raw_profile, xmp;
    size_t pos = 8;
    while (pos + 8 <= n) {
        const size_t len = u32be(d + pos);
        const char* type = reinterpret_cast<const char*>(d + pos + 4);
        const uint8_t* body = d + pos + 8;
        if (len > n - pos - 8) break;
        if (std::memcmp(type, "IHDR", 4) == 0 && len >= 13) {
            info.bit_depth = body[8];
            info.colour_type = body[9];
        } else if (std::memcmp(type, "eXIf", 4) == 0) {
            exif.assign(reinterpret_cast<const char*>(body), len);
            have_exif = true;
        } else if (std::memcmp(type, "IEND", 4) == 0) {
            break;
        } else {
            std::string key, value;
            if (text_chunk(type, body, len, &key, &value)) {
                if (key == "XML:com.adobe.xmp") xmp = value;
                if (key == "Raw profile type exif") raw_profile = value, have_raw = true;
            }
        }
        if (n - pos - 8 - len < 4) break;
        pos += 12 + len;
    }
    int o = 0;
    // PIL prefixes eXIf with "Exif\0\0" and Exif.load strips one such prefix.
    if (have_exif) o = tiff_orientation(reinterpret_cast<const uint8_t*>(exif.data()), exif.size());
    else if (have_raw) {
        const std::string b = raw_profile_bytes(raw_profile);
        o = exif_payload_orientation(reinterpret_cast<const uint8_t*>(b.data()), b.size());
    }
    if (o == 0 && !xmp.empty()) o = xmp_orientation(xmp.data(), xmp.size());
    info.orientation = o >= 1 && o <= 8 ? o : 1;
    return info;
}

}  // namespace

Image decode_png(const uint8_t* data, size_t size, const std::string& name, const DecodeOptions& opt,
                 int* orientation) {
    if (size > size_t(INT_MAX)) throw DecodeError(name, "PNG", "file too large");
    const int len = int(size);
    int w = 0, h = 0, comp = 0;
    if (!stbi_info_from_memory(data, len, &w, &h, &comp))
        throw DecodeError(name, "PNG", "invalid or unsupported header (" + stb_reason() + ")");
    check_dimensions(w, h, name, "PNG", opt);
    const PngInfo info = scan_chunks(data, size);
    *orientation = info.orientation;

    Image img;
    img.w = w;
    img.h = h;
    const size_t n = size_t(w) * size_t(h);
    img.rgb.resize(n * 3);
    if (info.colour_type == 0 && info.bit_depth == 16) {  // mode "I": clip at 255
        std::unique_ptr<stbi_us, void (*)(void*)> px(stbi_load_16_from_memory(data, len, &w, &h, &comp, 1),
                                                     &stbi_image_free);
        if (!px) throw DecodeError(name, "PNG", "corrupt or truncated data (" + stb_reason() + ")");
        for (size_t i = 0; i < n; ++i) {
            const uint8_t v = uint8_t(std::min<unsigned>(px.get()[i], 255u));
            img.rgb[3 * i] = img.rgb[3 * i + 1] = img.rgb[3 * i + 2] = v;
        }
        return img;
    }
    const bool alpha = comp == 2 || comp == 4;
    std::unique_ptr<stbi_uc, void (*)(void*)> px(stbi_load_from_memory(data, len, &w, &h, &comp, alpha ? 4 : 3),
                                                 &stbi_image_free);
    if (!px) throw DecodeError(name, "PNG", "corrupt or truncated data (" + stb_reason() + ")");
    if (alpha)
        composite_over_white(px.get(), img.rgb.data(), n);
    else
        std::copy(px.get(), px.get() + n * 3, img.rgb.begin());
    return img;
}

}  // namespace catdog::detail
