// GIF, first frame, through giflib, composed the way PIL 9.4's GifImagePlugin composes it:
//   - the canvas is the logical screen, grown to hold the first frame if it sticks out;
//   - outside the frame the canvas holds the frame's transparent index if it has one, else
//     index 0 (not the background colour);
//   - the colour table is the frame's local one, else the global one; a table that is exactly
//     the grey ramp 0, 1, 2, ... counts as none, and with no table the image is grey ("L"):
//     index v is (v, v, v);
//   - indices past the end of the table read PIL's default palette, the ramp (i, i, i);
//   - with a table, the transparent index is composited over white (catdog's rule for every
//     kind of transparency); without one it is a grey colour key, which convert('RGB') ignores;
//   - disposal only matters from the second frame on, which is never read.
// PIL needs neither the sub-block terminator after the pixel data nor the trailer, so the
// reader hands giflib one terminator when the file ends; pixel data cut short still fails.
#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <gif_lib.h>

#include "decoders.h"

namespace catdog::detail {

namespace {

struct Reader {
    const uint8_t* data;
    size_t size, pos;
    bool gave_terminator;
};

int read_bytes(GifFileType* gif, GifByteType* buf, int len) {
    auto* r = static_cast<Reader*>(gif->UserData);
    size_t k = len > 0 ? size_t(len) : 0;
    if (k > r->size - r->pos) k = r->size - r->pos;
    std::memcpy(buf, r->data + r->pos, k);
    r->pos += k;
    if (k < size_t(len) && !r->gave_terminator) {
        buf[k++] = 0;  // the block terminator PIL does not need
        r->gave_terminator = true;
    }
    return int(k);
}

struct GifCloser {
    void operator()(GifFileType* g) const {
        int err = 0;
        DGifCloseFile(g, &err);
    }
};

// PIL's _is_palette_needed: false for the grey ramp 0, 1, 2, ...
bool palette_needed(const ColorMapObject* m) {
    for (int i = 0; i < m->ColorCount; ++i) {
        const GifColorType& c = m->Colors[i];
        if (!(c.Red == i && c.Green == i && c.Blue == i)) return true;
    }
    return false;
}

}  // namespace

Image decode_gif(const uint8_t* data, size_t size, const std::string& name, const DecodeOptions& opt) {
    Reader reader{data, size, 0, false};
    int err = 0;
    std::unique_ptr<GifFileType, GifCloser> gif(DGifOpen(&reader, read_bytes, &err));
    auto fail = [&](const std::string& what) -> DecodeError {
        const int code = gif ? gif->Error : err;
        const char* why = GifErrorString(code);
        return DecodeError(name, "GIF", what + " (giflib: " + (why ? why : "unknown error") + ")");
    };
    if (!gif) throw fail("invalid header");

    int transparent = -1;
    for (;;) {
        GifRecordType type;
        if (DGifGetRecordType(gif.get(), &type) == GIF_ERROR) throw fail("no image in the file");
        if (type == TERMINATE_RECORD_TYPE) throw DecodeError(name, "GIF", "no image in the file");
        if (type == EXTENSION_RECORD_TYPE) {
            int code = 0;
            GifByteType* block = nullptr;
            if (DGifGetExtension(gif.get(), &code, &block) == GIF_ERROR) throw fail("corrupt extension block");
            if (code == GRAPHICS_EXT_FUNC_CODE && block && block[0] >= 4 && (block[1] & 1)) transparent = block[4];
            while (block)
                if (DGifGetExtensionNext(gif.get(), &block) == GIF_ERROR) throw fail("corrupt extension block");
            continue;
        }
        if (type != IMAGE_DESC_RECORD_TYPE) continue;
        if (DGifGetImageDesc(gif.get()) == GIF_ERROR) throw fail("corrupt image descriptor");
        break;
    }

    const GifImageDesc& f = gif->Image;
    const long long x0 = f.Left, y0 = f.Top, fw = f.Width, fh = f.Height;
    const long long w = std::max<long long>(gif->SWidth, x0 + fw), h = std::max<long long>(gif->SHeight, y0 + fh);
    check_dimensions(w, h, name, "GIF", opt);

    // A local ramp does not hide the global table: PIL then attaches the global palette, and
    // loading the frame turns the image into P with it.
    const ColorMapObject* global = gif->SColorMap && palette_needed(gif->SColorMap) ? gif->SColorMap : nullptr;
    const ColorMapObject* table = f.ColorMap && palette_needed(f.ColorMap) ? f.ColorMap : global;

    const size_t W = size_t(w), H = size_t(h);
    std::vector<uint8_t> index(W * H, uint8_t(transparent >= 0 ? transparent : 0));
    std::vector<GifPixelType> line(size_t(fw > 0 ? fw : 1));
    auto put_row = [&](long long row) {
        std::memcpy(&index[size_t(y0 + row) * W + size_t(x0)], line.data(), size_t(fw));
    };
    if (fw > 0 && fh > 0) {
        if (f.Interlace) {
            static const int start[4] = {0, 4, 2, 1}, step[4] = {8, 8, 4, 2};
            for (int pass = 0; pass < 4; ++pass)
                for (long long r = start[pass]; r < fh; r += step[pass]) {
                    if (DGifGetLine(gif.get(), line.data(), int(fw)) == GIF_ERROR) throw fail("truncated or corrupt pixel data");
                    put_row(r);
                }
        } else {
            for (long long r = 0; r < fh; ++r) {
                if (DGifGetLine(gif.get(), line.data(), int(fw)) == GIF_ERROR) throw fail("truncated or corrupt pixel data");
                put_row(r);
            }
        }
    }

    uint8_t pal[256 * 3];
    for (int i = 0; i < 256; ++i) pal[3 * i] = pal[3 * i + 1] = pal[3 * i + 2] = uint8_t(i);
    if (table)
        for (int i = 0; i < table->ColorCount && i < 256; ++i) {
            pal[3 * i] = table->Colors[i].Red, pal[3 * i + 1] = table->Colors[i].Green;
            pal[3 * i + 2] = table->Colors[i].Blue;
        }
    const bool composite = table && transparent >= 0;

    Image img;
    img.w = int(w), img.h = int(h);
    img.rgb.resize(W * H * 3);
    for (size_t i = 0; i < W * H; ++i) {
        uint8_t* o = &img.rgb[3 * i];
        if (composite && index[i] == transparent) o[0] = o[1] = o[2] = 255;  // alpha 0 over white
        else std::memcpy(o, pal + 3 * index[i], 3);
    }
    return img;
}

}  // namespace catdog::detail
