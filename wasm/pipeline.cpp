// wasm/pipeline.cpp - decode, crop, normalise, and the panel's display copy.
#include "pipeline.h"

#include <emscripten.h>
#include <GLES3/gl3.h>
#include <algorithm>
#include <cmath>
#include "catdog/resize.h"

namespace catdog::web {
namespace {

// A box-filtered copy no larger than `max_side`: only for display, never for the network.
Image display_copy(const Image& src, int max_side) {
    int f = std::max(1, int(std::ceil(std::max(src.w, src.h) / double(max_side))));
    if (f == 1) return src;
    Image out;
    out.w = src.w / f;
    out.h = src.h / f;
    out.rgb.resize(size_t(out.w) * out.h * 3);
    for (int y = 0; y < out.h; ++y)
        for (int x = 0; x < out.w; ++x)
            for (int c = 0; c < 3; ++c) {
                int sum = 0;
                for (int dy = 0; dy < f; ++dy) {
                    const uint8_t* row = &src.rgb[(size_t(y * f + dy) * src.w + x * f) * 3 + c];
                    for (int dx = 0; dx < f; ++dx) sum += row[dx * 3];
                }
                out.rgb[(size_t(y) * out.w + x) * 3 + c] = uint8_t(sum / (f * f));
            }
    return out;
}

// Everything after decoding: the val transform and the display copy.
void prepare(Photo& p, Image&& img, const std::string& name, const TransformSpec& spec, Timing& t) {
    double t0 = emscripten_get_now();
    p.name = name;
    p.src_w = img.w;
    p.src_h = img.h;
    p.crop = val_crop(img, spec);
    p.tensor.resize(size_t(3) * spec.crop * spec.crop);
    to_tensor_normalize(p.crop, spec, p.tensor.data());
    t.preprocess = emscripten_get_now() - t0;
    // The crop in the decoded photo's pixels: Resize(shorter side) then CenterCrop.
    Size r = resize_shorter_side(img.w, img.h, spec.resize);
    CropBox b = center_crop_box(r.w, r.h, spec.crop, spec.crop);
    double sx = double(img.w) / r.w, sy = double(img.h) / r.h;
    p.crop_in_src = {int(b.x * sx), int(b.y * sy), int(b.w * sx), int(b.h * sy)};
    p.display = display_copy(img, 720);
}

}  // namespace

void load_photo_bytes(Photo& p, const uint8_t* data, size_t size, const std::string& name,
                      const TransformSpec& spec, Timing& t) {
    double t0 = emscripten_get_now();
    DecodeOptions opt;
    opt.max_pixels = kCorePixelLimit;
    Image img = decode_image(data, size, name, opt);
    t.decode = emscripten_get_now() - t0;
    prepare(p, std::move(img), name, spec, t);
}

void load_photo_rgba(Photo& p, const uint8_t* rgba, int w, int h, const std::string& name,
                     const TransformSpec& spec, Timing& t) {
    if (w <= 0 || h <= 0) throw DecodeError(name, "image", "no pixels");
    Image img;
    img.w = w;
    img.h = h;
    img.rgb.resize(size_t(w) * h * 3);
    composite_over_white(rgba, img.rgb.data(), size_t(w) * h);
    p.browser_decoded = true;
    prepare(p, std::move(img), name, spec, t);
}

void release_photo(Photo& p) {
    for (Texture* t : {&p.display_tex, &p.crop_tex})
        if (t->id) {
            glDeleteTextures(1, &t->id);
            *t = {};
        }
}

//-----------------------------------------------------------------------------
// [SECTION] Textures
//-----------------------------------------------------------------------------
static void upload(Texture& tex, const void* px, int w, int h, GLenum fmt, bool nearest) {
    if (!tex.id) glGenTextures(1, &tex.id);
    glBindTexture(GL_TEXTURE_2D, tex.id);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, nearest ? GL_NEAREST : GL_LINEAR);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, nearest ? GL_NEAREST : GL_LINEAR);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
    glTexImage2D(GL_TEXTURE_2D, 0, fmt == GL_RGB ? GL_RGB8 : GL_RGBA8, w, h, 0, fmt, GL_UNSIGNED_BYTE, px);
    tex.w = w;
    tex.h = h;
}

void upload_rgb(Texture& tex, const Image& img, bool nearest) {
    upload(tex, img.rgb.data(), img.w, img.h, GL_RGB, nearest);
}
void upload_rgba(Texture& tex, const uint8_t* rgba, int w, int h, bool nearest) {
    upload(tex, rgba, w, h, GL_RGBA, nearest);
}

}  // namespace catdog::web
