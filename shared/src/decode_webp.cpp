// WebP through libwebp, as PIL 9.4 reads it (its _webp module: WebPAnimDecoder over the
// demuxer, fancy upsampling):
//   - still images decode with the simple API (the same pixels the animation decoder gives a
//     key frame); alpha is composited over white;
//   - animated files give their first frame through WebPAnimDecoder, on a canvas that starts
//     transparent black, as PIL's first frame does. PIL calls the image RGBA only when the
//     features say it has alpha; otherwise the alpha byte is dropped (uncovered canvas: black);
//   - the EXIF chunk's orientation is returned for the caller to apply (PIL's exif_transpose
//     reads info["exif"], which is that chunk). The XMP chunk is not consulted: PIL 9.4 keeps it
//     as info["xmp"], which getexif() does not read.
#include <memory>
#include <vector>

#include <webp/decode.h>
#include <webp/demux.h>

#include "decoders.h"
#include "exif.h"

namespace catdog::detail {

namespace {

const char* status_text(VP8StatusCode s) {
    switch (s) {
        case VP8_STATUS_OUT_OF_MEMORY: return "out of memory";
        case VP8_STATUS_INVALID_PARAM: return "invalid parameter";
        case VP8_STATUS_BITSTREAM_ERROR: return "corrupt bitstream";
        case VP8_STATUS_UNSUPPORTED_FEATURE: return "unsupported feature";
        case VP8_STATUS_SUSPENDED: return "suspended";
        case VP8_STATUS_USER_ABORT: return "aborted";
        case VP8_STATUS_NOT_ENOUGH_DATA: return "truncated (not enough data)";
        default: return "unknown error";
    }
}

// Orientation from the EXIF chunk, 1 without one (or for a file the demuxer cannot parse).
int exif_chunk_orientation(const WebPData& wd) {
    std::unique_ptr<WebPDemuxer, void (*)(WebPDemuxer*)> demux(WebPDemux(&wd), &WebPDemuxDelete);
    if (!demux) return 1;
    WebPChunkIterator it;
    int orientation = 1;
    if (WebPDemuxGetChunk(demux.get(), "EXIF", 1, &it)) {
        orientation = exif_payload_orientation(it.chunk.bytes, it.chunk.size);
        WebPDemuxReleaseChunkIterator(&it);
    }
    return orientation;
}

}  // namespace

Image decode_webp(const uint8_t* data, size_t size, const std::string& name, const DecodeOptions& opt,
                  int* orientation) {
    WebPBitstreamFeatures f;
    const VP8StatusCode st = WebPGetFeatures(data, size, &f);
    if (st != VP8_STATUS_OK) throw DecodeError(name, "WebP", std::string("invalid header: ") + status_text(st));
    check_dimensions(f.width, f.height, name, "WebP", opt);
    const WebPData wd{data, size};
    *orientation = exif_chunk_orientation(wd);

    Image img;
    img.w = f.width;
    img.h = f.height;
    const size_t n = size_t(f.width) * size_t(f.height);
    img.rgb.resize(n * 3);
    if (f.has_animation) {
        WebPAnimDecoderOptions o;
        if (!WebPAnimDecoderOptionsInit(&o)) throw DecodeError(name, "WebP", "libwebp version mismatch");
        o.color_mode = MODE_RGBA;
        o.use_threads = 0;
        std::unique_ptr<WebPAnimDecoder, void (*)(WebPAnimDecoder*)> dec(WebPAnimDecoderNew(&wd, &o),
                                                                          &WebPAnimDecoderDelete);
        WebPAnimInfo info;
        if (!dec || !WebPAnimDecoderGetInfo(dec.get(), &info))
            throw DecodeError(name, "WebP", "corrupt or truncated animation");
        if (int(info.canvas_width) != f.width || int(info.canvas_height) != f.height)
            throw DecodeError(name, "WebP", "animation canvas does not match the header");
        uint8_t* rgba = nullptr;
        int timestamp = 0;
        if (!WebPAnimDecoderGetNext(dec.get(), &rgba, &timestamp) || !rgba)
            throw DecodeError(name, "WebP", "corrupt or truncated first frame");
        if (f.has_alpha) {
            composite_over_white(rgba, img.rgb.data(), n);
        } else {
            for (size_t i = 0; i < n; ++i)
                img.rgb[3 * i] = rgba[4 * i], img.rgb[3 * i + 1] = rgba[4 * i + 1], img.rgb[3 * i + 2] = rgba[4 * i + 2];
        }
        return img;
    }
    bool ok;
    if (!f.has_alpha) {
        ok = WebPDecodeRGBInto(data, size, img.rgb.data(), img.rgb.size(), f.width * 3) != nullptr;
    } else {
        std::vector<uint8_t> rgba(n * 4);
        ok = WebPDecodeRGBAInto(data, size, rgba.data(), rgba.size(), f.width * 4) != nullptr;
        if (ok) composite_over_white(rgba.data(), img.rgb.data(), n);
    }
    if (!ok) throw DecodeError(name, "WebP", "corrupt or truncated data");
    return img;
}

}  // namespace catdog::detail
