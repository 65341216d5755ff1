// torchvision 0.14's val/train transforms on uint8 RGB, plus the portable RNG behind the
// random ones. Crops are computed straight from the source through the windowed resize, so
// the full Resize(256) image is never materialised.
#include "catdog/transforms.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

namespace catdog {
namespace {

// Python's round(n / 2.0) for n >= 0: ties go to the even neighbour.
int half_round_even(int n) {
    const int k = n / 2;
    if (n % 2 == 0) return k;
    return (k % 2 == 0) ? k : k + 1;
}

// The crop `box` of the image that resize_bilinear(img, rs.w, rs.h) would give. Parts of
// the box outside the resized image are zero, like torchvision's pad(fill=0) / PIL's crop.
Image resized_crop(const Image& img, Size rs, const CropBox& box) {
    const int ix0 = std::max(box.x, 0), iy0 = std::max(box.y, 0);
    const int ix1 = std::min(box.x + box.w, rs.w), iy1 = std::min(box.y + box.h, rs.h);
    if (box.x == ix0 && box.y == iy0 && box.x + box.w == ix1 && box.y + box.h == iy1)
        return resize_bilinear_window(img, rs.w, rs.h, box.x, box.y, box.w, box.h);
    Image out;
    out.w = box.w;
    out.h = box.h;
    out.rgb.assign(static_cast<size_t>(box.w) * box.h * 3, 0);
    if (ix1 <= ix0 || iy1 <= iy0) return out;
    const Image part = resize_bilinear_window(img, rs.w, rs.h, ix0, iy0, ix1 - ix0, iy1 - iy0);
    for (int y = 0; y < part.h; ++y)
        std::memcpy(&out.rgb[((static_cast<size_t>(y) + iy0 - box.y) * box.w + (ix0 - box.x)) * 3],
                    &part.rgb[static_cast<size_t>(y) * part.w * 3], static_cast<size_t>(part.w) * 3);
    return out;
}

void flip_horizontal(Image& img) {
    for (int y = 0; y < img.h; ++y) {
        uint8_t* row = &img.rgb[static_cast<size_t>(y) * img.w * 3];
        for (int a = 0, b = img.w - 1; a < b; ++a, --b)
            for (int c = 0; c < 3; ++c) std::swap(row[a * 3 + c], row[b * 3 + c]);
    }
}

}  // namespace

CropBox center_crop_box(int w, int h, int crop_w, int crop_h) {
    if (w <= 0 || h <= 0 || crop_w <= 0 || crop_h <= 0)
        throw std::invalid_argument("center_crop_box: sizes must be positive");
    // torchvision 0.14 pads a too-small image with zeros first: left/top get the floor half.
    const int pad_l = crop_w > w ? (crop_w - w) / 2 : 0;
    const int pad_t = crop_h > h ? (crop_h - h) / 2 : 0;
    const int pw = crop_w > w ? crop_w : w;
    const int ph = crop_h > h ? crop_h : h;
    return CropBox{half_round_even(pw - crop_w) - pad_l, half_round_even(ph - crop_h) - pad_t,
                   crop_w, crop_h};
}

// PCG32 (XSH RR), O'Neill's reference seeding: pcg32_srandom_r(seed, stream).
Rng::Rng(uint64_t seed, uint64_t stream) : state_(0), inc_((stream << 1u) | 1u) {
    next_u32();
    state_ += seed;
    next_u32();
}

uint32_t Rng::next_u32() {
    const uint64_t old = state_;
    state_ = old * 6364136223846793005ULL + inc_;
    const uint32_t xorshifted = static_cast<uint32_t>(((old >> 18u) ^ old) >> 27u);
    const uint32_t rot = static_cast<uint32_t>(old >> 59u);
    return (xorshifted >> rot) | (xorshifted << ((0u - rot) & 31u));
}

// Lemire's multiply-and-reject: unbiased, and integer-only so every platform agrees.
uint32_t Rng::uniform(uint32_t n) {
    if (n == 0) throw std::invalid_argument("Rng::uniform: n must be > 0");
    uint64_t m = static_cast<uint64_t>(next_u32()) * n;
    uint32_t low = static_cast<uint32_t>(m);
    if (low < n) {
        const uint32_t threshold = (0u - n) % n;
        while (low < threshold) {
            m = static_cast<uint64_t>(next_u32()) * n;
            low = static_cast<uint32_t>(m);
        }
    }
    return static_cast<uint32_t>(m >> 32);
}

double Rng::uniform01() { return next_u32() * (1.0 / 4294967296.0); }

CropBox random_crop_box(int w, int h, int crop_w, int crop_h, Rng& rng) {
    if (crop_w <= 0 || crop_h <= 0 || crop_w > w || crop_h > h)
        throw std::invalid_argument("random_crop_box: crop " + std::to_string(crop_w) + "x" +
                                    std::to_string(crop_h) + " does not fit in " +
                                    std::to_string(w) + "x" + std::to_string(h));
    if (w == crop_w && h == crop_h) return CropBox{0, 0, w, h};  // torchvision draws nothing
    // torchvision's get_params draws the top (i) first, then the left (j).
    const int y = static_cast<int>(rng.uniform(static_cast<uint32_t>(h - crop_h + 1)));
    const int x = static_cast<int>(rng.uniform(static_cast<uint32_t>(w - crop_w + 1)));
    return CropBox{x, y, crop_w, crop_h};
}

bool random_flip(Rng& rng, double p) { return rng.uniform01() < p; }

Image val_crop(const Image& img, const TransformSpec& spec) {
    const Size rs = resize_shorter_side(img.w, img.h, spec.resize);
    return resized_crop(img, rs, center_crop_box(rs.w, rs.h, spec.crop, spec.crop));
}

Image train_crop(const Image& img, const TransformSpec& spec, Rng& rng) {
    const Size rs = resize_shorter_side(img.w, img.h, spec.resize);
    const CropBox box = random_crop_box(rs.w, rs.h, spec.crop, spec.crop, rng);
    Image out = resized_crop(img, rs, box);
    if (random_flip(rng)) flip_horizontal(out);
    return out;
}

void to_tensor_normalize(const Image& crop, const TransformSpec& spec, float* out, Layout layout) {
    const size_t n = static_cast<size_t>(crop.w) * crop.h;
    if (crop.rgb.size() != n * 3) throw std::invalid_argument("to_tensor_normalize: bad image");
    // The result depends only on (value, channel): build the 3 x 256 entries with torch's
    // float32 steps (x / 255, then - mean, then / std, each rounded), then look them up.
    float lut[3][256];
    for (int c = 0; c < 3; ++c) {
        if (spec.std[c] == 0.f) throw std::invalid_argument("to_tensor_normalize: std is 0");
        for (int v = 0; v < 256; ++v) {
            float x = static_cast<float>(v) / 255.0f;
            x = x - spec.mean[c];
            lut[c][v] = x / spec.std[c];
        }
    }
    if (layout == Layout::HWC) {
        const uint8_t* p = crop.rgb.data();
        for (size_t i = 0; i < n; ++i, p += 3, out += 3) {
            out[0] = lut[0][p[0]];
            out[1] = lut[1][p[1]];
            out[2] = lut[2][p[2]];
        }
        return;
    }
    float* o0 = out;
    float* o1 = out + n;
    float* o2 = out + 2 * n;
    const uint8_t* p = crop.rgb.data();
    for (size_t i = 0; i < n; ++i, p += 3) {
        o0[i] = lut[0][p[0]];
        o1[i] = lut[1][p[1]];
        o2[i] = lut[2][p[2]];
    }
}

void val_tensor(const Image& img, const TransformSpec& spec, float* out, Layout layout) {
    to_tensor_normalize(val_crop(img, spec), spec, out, layout);
}

}  // namespace catdog
