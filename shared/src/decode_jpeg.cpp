// JPEG through the libjpeg API of libjpeg-turbo 2.1.5, set up the way PIL 9.4 sets it up, so
// the pixels are PIL's bit for bit.
//
// What PIL does (src/libImaging/JpegDecode.c + JpegImagePlugin.py), and what we mirror:
//   - library defaults: ISLOW DCT, fancy upsampling, block smoothing;
//   - libjpeg *errors* fail the image; *warnings* (corrupt data, premature end of a data
//     segment, extraneous bytes) are ignored;
//   - running out of data before the last scanline fails the image ("image file is
//     truncated"): PIL's source suspends and ImageFile.load() raises at end of file. We fail
//     at once instead of letting libjpeg pad with a fake EOI and grey blocks. A missing EOI
//     *after* the last scanline is accepted, as PIL accepts it;
//   - 4-component files are read as CMYK and always treated as Adobe-inverted ("CMYK;I"),
//     then converted with PIL's cmyk2rgb. libjpeg turns YCCK into CMYK itself.
//
// libjpeg reports errors with longjmp. Only C frames (libjpeg's) are jumped over: the setjmp
// lives in run(), which keeps all its state in the Ctx owned by the caller.
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <utility>
#include <vector>

#include <jpeglib.h>
#include <jerror.h>

#include "decoders.h"
#include "exif.h"

namespace catdog::detail {

namespace {

constexpr int kMaxScans = 256;  // real progressive files have ~10; guards against scan bombs

struct ErrorMgr {
    jpeg_error_mgr pub;  // first: libjpeg casts cinfo->err to this
    std::jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
};

// Memory source that never pads: end of data is an error unless every scanline is out.
struct SourceMgr {
    jpeg_source_mgr pub;  // first: libjpeg casts cinfo->src to this
    const uint8_t* data;
    size_t size;
    bool all_rows_read;
};

const JOCTET kFakeEoi[2] = {0xFF, JPEG_EOI};

void on_error(j_common_ptr cinfo) {
    auto* err = reinterpret_cast<ErrorMgr*>(cinfo->err);
    (*cinfo->err->format_message)(cinfo, err->message);
    std::longjmp(err->jump, 1);
}
void on_output_message(j_common_ptr) {}  // warnings are counted by libjpeg, never printed

void src_init(j_decompress_ptr) {}
void src_term(j_decompress_ptr) {}
boolean src_fill(j_decompress_ptr cinfo) {
    auto* src = reinterpret_cast<SourceMgr*>(cinfo->src);
    if (!src->all_rows_read) ERREXIT(cinfo, JERR_INPUT_EOF);  // truncated: PIL fails here too
    src->pub.next_input_byte = kFakeEoi;
    src->pub.bytes_in_buffer = sizeof kFakeEoi;
    return TRUE;
}
void src_skip(j_decompress_ptr cinfo, long n) {
    auto* src = reinterpret_cast<SourceMgr*>(cinfo->src);
    while (n > 0) {
        if (src->pub.bytes_in_buffer == 0) src_fill(cinfo);
        size_t step = size_t(n) < src->pub.bytes_in_buffer ? size_t(n) : src->pub.bytes_in_buffer;
        src->pub.next_input_byte += step;
        src->pub.bytes_in_buffer -= step;
        n -= long(step);
    }
}

void on_progress(j_common_ptr cinfo) {
    auto* d = reinterpret_cast<j_decompress_ptr>(cinfo);
    if (d->input_scan_number > kMaxScans) {
        auto* err = reinterpret_cast<ErrorMgr*>(cinfo->err);
        std::snprintf(err->message, sizeof err->message, "more than %d scans", kMaxScans);
        err->pub.msg_code = -1;
        std::longjmp(err->jump, 1);
    }
}

// PIL 9.4's cmyk2rgb after the "CMYK;I" unpack (v -> 255 - v):
// out = nk - nk*C/255 (rounded with MULDIV255), with nk = 255 - K.
inline uint8_t cmyk_channel(int inverted_c, int nk) {
    int c = 255 - inverted_c;
    int t = c * nk + 128;
    return uint8_t(nk - (((t >> 8) + t) >> 8));
}

struct Ctx {
    jpeg_decompress_struct cinfo;
    ErrorMgr err;
    SourceMgr src;
    jpeg_progress_mgr progress;
    bool created = false;
    const std::string* name;
    const DecodeOptions* opt;
    const WindowFn* window = nullptr;
    PixelRect want;  // the window in stored (pre-EXIF) pixels
    Image img;
    std::vector<JSAMPROW> rows;
    std::vector<uint8_t> cmyk_row;
    int orientation = 1;
    ~Ctx() {
        if (created) jpeg_destroy_decompress(&cinfo);
    }
};

// Our source never suspends, so a scanline read that returns nothing is a bug, not a wait.
bool stalled(Ctx* c) {
    std::snprintf(c->err.message, sizeof c->err.message, "decoder made no progress");
    c->err.pub.msg_code = -1;
    return false;
}

// Returns false after a libjpeg error (message in c->err.message). May throw DecodeError
// (pixel limit) or std::bad_alloc from our own code, never from inside libjpeg.
bool run(Ctx* c) {
    if (setjmp(c->err.jump)) return false;
    j_decompress_ptr cinfo = &c->cinfo;
    jpeg_create_decompress(cinfo);
    c->created = true;
    cinfo->src = &c->src.pub;
    cinfo->progress = &c->progress;
    jpeg_save_markers(cinfo, JPEG_APP0 + 1, 0xFFFF);
    jpeg_read_header(cinfo, TRUE);

    check_dimensions(cinfo->image_width, cinfo->image_height, *c->name, "JPEG", *c->opt);
    // PIL reads the first APP1 that starts "Exif\0".
    for (jpeg_saved_marker_ptr m = cinfo->marker_list; m; m = m->next) {
        if (m->marker == JPEG_APP0 + 1 && m->data_length >= 5 && std::memcmp(m->data, "Exif", 5) == 0) {
            c->orientation = exif_orientation(m->data, m->data_length);
            break;
        }
    }

    if (c->window) {
        const int orientation = c->opt->apply_exif_orientation ? c->orientation : 1;
        const bool swap = orientation >= 5;
        const int uw = int(swap ? cinfo->image_height : cinfo->image_width);
        const int uh = int(swap ? cinfo->image_width : cinfo->image_height);
        PixelRect r = (*c->window)(uw, uh);
        const int x0 = r.x < 0 ? 0 : r.x, y0 = r.y < 0 ? 0 : r.y;
        const int x1 = r.x + r.w > uw ? uw : r.x + r.w, y1 = r.y + r.h > uh ? uh : r.y + r.h;
        r = x1 > x0 && y1 > y0 ? PixelRect{x0, y0, x1 - x0, y1 - y0} : PixelRect{};
        c->want = stored_rect(r, orientation, int(cinfo->image_width), int(cinfo->image_height));
    }

    const bool cmyk = cinfo->jpeg_color_space == JCS_CMYK || cinfo->jpeg_color_space == JCS_YCCK;
    cinfo->out_color_space = cmyk ? JCS_CMYK : JCS_RGB;  // gray -> RGB replicates, like convert('RGB')
    cinfo->dct_method = JDCT_ISLOW;
    cinfo->do_fancy_upsampling = TRUE;
    jpeg_start_decompress(cinfo);

    const size_t w = cinfo->output_width, h = cinfo->output_height;
    c->img.w = int(w);
    c->img.h = int(h);
    c->img.rgb.resize(w * h * 3);
    uint8_t* out = c->img.rgb.data();

    // Rows [row_begin, row_end) and columns from xoff are decoded; by default all of them.
    JDIMENSION xoff = 0, row_begin = 0, row_end = JDIMENSION(h);
    if (c->window) {
        // Columns need a margin: at a cropped edge, fancy upsampling (one chroma sample each
        // side) and progressive block smoothing (two blocks each side in libjpeg-turbo 2.1,
        // active when scans are missing) would see a border. So: 2 samples, or 3 iMCUs.
        // Rows need none: skipping keeps the upsampler's context rows and the coefficients.
        const PixelRect& r = c->want;
        const int mx = cinfo->max_h_samp_factor * (cinfo->progressive_mode ? 3 * DCTSIZE : 2);
        const int x0 = r.x - mx > 0 ? r.x - mx : 0, x1 = r.x + r.w + mx < int(w) ? r.x + r.w + mx : int(w);
        row_begin = JDIMENSION(r.y);  // stored_rect() clamps to the image
        row_end = JDIMENSION(r.y + r.h);
        JDIMENSION cw = JDIMENSION(x1 - x0);
        xoff = JDIMENSION(x0);
        if (cw > 0 && cw < w) jpeg_crop_scanline(cinfo, &xoff, &cw);  // widens to iMCU bounds
        if (row_begin > 0) jpeg_skip_scanlines(cinfo, row_begin);
    }

    if (!cmyk) {
        c->rows.resize(h);
        for (size_t y = 0; y < h; ++y) c->rows[y] = out + (y * w + xoff) * 3;
        while (cinfo->output_scanline < row_end) {
            if (jpeg_read_scanlines(cinfo, c->rows.data() + cinfo->output_scanline,
                                    row_end - cinfo->output_scanline) == 0)
                return stalled(c);
        }
    } else {
        c->cmyk_row.resize(size_t(cinfo->output_width) * 4);
        JSAMPROW row = c->cmyk_row.data();
        while (cinfo->output_scanline < row_end) {
            uint8_t* dst = out + (size_t(cinfo->output_scanline) * w + xoff) * 3;
            if (jpeg_read_scanlines(cinfo, &row, 1) != 1) return stalled(c);
            for (size_t x = 0; x < cinfo->output_width; ++x) {
                const uint8_t* p = row + x * 4;
                int nk = p[3];  // 255 - inverted K
                dst[x * 3 + 0] = cmyk_channel(p[0], nk);
                dst[x * 3 + 1] = cmyk_channel(p[1], nk);
                dst[x * 3 + 2] = cmyk_channel(p[2], nk);
            }
        }
    }
    // Skipped rows are still entropy-decoded, so a truncated file fails as PIL fails; but a skip
    // to the very end reads nothing (libjpeg just marks EOI), so stop one row short and read it.
    if (cinfo->output_scanline + 1 < h) jpeg_skip_scanlines(cinfo, JDIMENSION(h) - 1 - cinfo->output_scanline);
    if (cinfo->output_scanline < h) {
        c->cmyk_row.resize(size_t(cinfo->output_width) * 4);  // big enough for an RGB row too
        JSAMPROW row = c->cmyk_row.data();
        if (jpeg_read_scanlines(cinfo, &row, 1) != 1) return stalled(c);
    }
    c->src.all_rows_read = true;
    jpeg_finish_decompress(cinfo);
    return true;
}

}  // namespace

Image decode_jpeg(const uint8_t* data, size_t size, const std::string& name,
                  const DecodeOptions& opt, int* orientation, const WindowFn* window) {
    Ctx c;
    c.name = &name;
    c.opt = &opt;
    c.window = window;
    c.cinfo.err = jpeg_std_error(&c.err.pub);
    c.err.pub.error_exit = on_error;
    c.err.pub.output_message = on_output_message;
    c.err.message[0] = '\0';
    c.src.pub.init_source = src_init;
    c.src.pub.fill_input_buffer = src_fill;
    c.src.pub.skip_input_data = src_skip;
    c.src.pub.resync_to_restart = jpeg_resync_to_restart;
    c.src.pub.term_source = src_term;
    c.src.pub.next_input_byte = data;
    c.src.pub.bytes_in_buffer = size;
    c.src.data = data;
    c.src.size = size;
    c.src.all_rows_read = false;
    c.progress = {};
    c.progress.progress_monitor = on_progress;

    if (!run(&c)) {
        std::string reason = c.err.message;
        if (c.err.pub.msg_code == JERR_INPUT_EOF) reason = "truncated (premature end of data)";
        throw DecodeError(name, "JPEG", reason);
    }
    if (orientation) *orientation = c.orientation;
    return std::move(c.img);
}

}  // namespace catdog::detail
