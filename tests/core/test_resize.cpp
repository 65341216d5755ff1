// Resize vs PIL 9.4 (outside reference: torchvision_refs.py, run by a ctest fixture) on
// synthetic images of awkward sizes, and the windowed resize vs resize-then-crop.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>

#include "catdog/resize.h"
#include "catdog/transforms.h"
#include "core_refs.h"

using namespace catdog;
using namespace catdog_test;

namespace {

// The same picture as pattern() in tests/reference/torchvision_refs.py.
Image pattern(int w, int h) {
    Image img;
    img.w = w;
    img.h = h;
    img.rgb.resize(static_cast<size_t>(w) * h * 3);
    for (uint32_t y = 0; y < static_cast<uint32_t>(h); ++y)
        for (uint32_t x = 0; x < static_cast<uint32_t>(w); ++x)
            for (uint32_t c = 0; c < 3; ++c) {
                uint32_t v = x * 2654435761u + y * 2246822519u + c * 3266489917u;
                v ^= v >> 15;
                v *= 668265263u;
                v ^= v >> 13;
                const uint32_t noise = v & 255, grad = (x * 3 + y * 5 + c * 85) & 255;
                const bool checker = (((x >> 3) + (y >> 3)) & 1) != 0;
                img.rgb[(static_cast<size_t>(y) * w + x) * 3 + c] =
                    static_cast<uint8_t>(checker ? noise : grad);
            }
    return img;
}

Image crop_of(const Image& img, int x0, int y0, int cw, int ch) {
    Image out;
    out.w = cw;
    out.h = ch;
    for (int y = y0; y < y0 + ch; ++y)
        out.rgb.insert(out.rgb.end(), img.rgb.begin() + (static_cast<size_t>(y) * img.w + x0) * 3,
                       img.rgb.begin() + (static_cast<size_t>(y) * img.w + x0 + cw) * 3);
    return out;
}

size_t count_diff(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b, int* maxd) {
    size_t n = 0;
    *maxd = 0;
    for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
        const int d = std::abs(int(a[i]) - int(b[i]));
        n += d != 0;
        if (d > *maxd) *maxd = d;
    }
    return n;
}

}  // namespace

TEST_CASE("resize_shorter_side follows torchvision's int(size * long / short)") {
    CHECK(resize_shorter_side(500, 375, 256).w == 341);
    CHECK(resize_shorter_side(500, 375, 256).h == 256);
    CHECK(resize_shorter_side(375, 500, 256).h == 341);
    CHECK(resize_shorter_side(256, 256, 256).w == 256);
    CHECK(resize_shorter_side(255, 256, 256).h == 257);
    CHECK(resize_shorter_side(1, 1, 256).w == 256);
    CHECK(resize_shorter_side(6000, 4000, 256).w == 384);
    CHECK(resize_shorter_side(3, 20, 256).h == 1706);
    CHECK_THROWS_AS(resize_shorter_side(0, 5, 256), std::invalid_argument);
}

TEST_CASE("resize matches PIL's antialiased bilinear bit for bit on awkward sizes") {
    const auto rows = read_tsv(core_refs() + "/resize/index.tsv");
    REQUIRE(rows.size() >= 15);
    for (const auto& r : rows) {
        const int w = std::stoi(r[0]), h = std::stoi(r[1]), ow = std::stoi(r[2]), oh = std::stoi(r[3]);
        INFO(w << "x" << h << " -> " << ow << "x" << oh << " (" << r[4] << ")");
        if (r[4] == "resize256") {
            const Size s = resize_shorter_side(w, h, 256);
            CHECK(s.w == ow);
            CHECK(s.h == oh);
        }
        const Image src = pattern(w, h);
        const Image out = resize_bilinear(src, ow, oh);
        const std::vector<uint8_t> ref = read_bytes(core_refs() + "/resize/" + r[5]);
        REQUIRE(out.w == ow);
        REQUIRE(out.h == oh);
        REQUIRE(ref.size() == out.rgb.size());
        int maxd = 0;
        const size_t ndiff = count_diff(out.rgb, ref, &maxd);
        INFO(ndiff << " bytes differ, max |diff| " << maxd);
        CHECK(ndiff == 0);
    }
}

TEST_CASE("Resize + CenterCrop (with zero padding) matches torchvision") {
    const auto rows = read_tsv(core_refs() + "/resize/valcrop.tsv");
    REQUIRE(rows.size() >= 6);
    for (const auto& r : rows) {
        TransformSpec spec;
        const int w = std::stoi(r[0]), h = std::stoi(r[1]);
        spec.resize = std::stoi(r[2]);
        spec.crop = std::stoi(r[3]);
        INFO(w << "x" << h << " Resize(" << spec.resize << ") CenterCrop(" << spec.crop << ")");
        const Image out = val_crop(pattern(w, h), spec);
        const std::vector<uint8_t> ref = read_bytes(core_refs() + "/resize/" + r[4]);
        REQUIRE(out.rgb.size() == ref.size());
        int maxd = 0;
        CHECK(count_diff(out.rgb, ref, &maxd) == 0);
    }
}

TEST_CASE("resize_bilinear_window gives the bytes of resize then crop") {
    Rng rng(2024);
    const int sizes[][4] = {{500, 375, 341, 256}, {375, 500, 256, 341}, {6000, 4000, 384, 256},
                            {99, 77, 329, 256},   {300, 200, 300, 100}, {300, 200, 150, 200},
                            {10, 10, 10, 10},     {1, 1, 7, 5}};
    for (const auto& s : sizes) {
        const Image src = pattern(s[0], s[1]);
        const Image full = resize_bilinear(src, s[2], s[3]);
        for (int i = 0; i < 12; ++i) {
            const int cw = 1 + static_cast<int>(rng.uniform(static_cast<uint32_t>(s[2])));
            const int ch = 1 + static_cast<int>(rng.uniform(static_cast<uint32_t>(s[3])));
            const int x0 = static_cast<int>(rng.uniform(static_cast<uint32_t>(s[2] - cw + 1)));
            const int y0 = static_cast<int>(rng.uniform(static_cast<uint32_t>(s[3] - ch + 1)));
            INFO(s[0] << "x" << s[1] << " -> " << s[2] << "x" << s[3] << " window " << cw << "x"
                      << ch << "+" << x0 << "+" << y0);
            const Image win = resize_bilinear_window(src, s[2], s[3], x0, y0, cw, ch);
            CHECK(win.rgb == crop_of(full, x0, y0, cw, ch).rgb);
        }
    }
}

TEST_CASE("resize rejects bad arguments") {
    const Image src = pattern(4, 4);
    CHECK_THROWS_AS(resize_bilinear(src, 0, 3), std::invalid_argument);
    CHECK_THROWS_AS(resize_bilinear(Image{}, 3, 3), std::invalid_argument);
    CHECK_THROWS_AS(resize_bilinear_window(src, 8, 8, 5, 0, 4, 4), std::invalid_argument);
    CHECK_THROWS_AS(resize_bilinear_window(src, 8, 8, -1, 0, 4, 4), std::invalid_argument);
}
