// make_grid + save_image bytes vs torchvision 0.14 (outside reference: torchvision_refs.py),
// colormaps, nearest upscaling and PNG encoding (decoded back with stb_image).
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstring>

#include "catdog/grid.h"
#include "core_refs.h"

// A private, static copy of stb_image's decoder just to read our PNGs back.
#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#include <stb/stb_image.h>

using namespace catdog;
using namespace catdog_test;

TEST_CASE("make_grid and save_image's conversion match torchvision pixel for pixel") {
    const auto rows = read_tsv(core_refs() + "/grid/index.tsv");
    REQUIRE(rows.size() >= 7);
    for (const auto& r : rows) {
        INFO("case " << r[0]);
        const std::vector<float> in = read_f32(core_refs() + "/grid/" + r[1] + ".f32");
        const int n = std::stoi(r[2]), c = std::stoi(r[3]), h = std::stoi(r[4]), w = std::stoi(r[5]);
        const int nrow = std::stoi(r[6]), pad = std::stoi(r[7]);
        const GridNorm norm = r[8] == "global" ? GridNorm::Global
                              : r[8] == "each" ? GridNorm::PerTile : GridNorm::None;
        const float pad_value = std::stof(r[9]);
        REQUIRE(in.size() == size_t(n) * c * h * w);
        const FloatGrid g = make_grid(in.data(), n, c, h, w, nrow, pad, norm, pad_value);
        CHECK(g.h == std::stoi(r[10]));
        CHECK(g.w == std::stoi(r[11]));
        const std::vector<float> ref = read_f32(core_refs() + "/grid/" + r[0] + ".grid.f32");
        REQUIRE(ref.size() == g.chw.size());
        CHECK(std::memcmp(ref.data(), g.chw.data(), ref.size() * 4) == 0);
        const Image img = grid_to_image(g);
        const std::vector<uint8_t> ref8 = read_bytes(core_refs() + "/grid/" + r[0] + ".u8");
        REQUIRE(ref8.size() == img.rgb.size());
        size_t ndiff = 0;
        for (size_t i = 0; i < ref8.size(); ++i) ndiff += ref8[i] != img.rgb[i];
        CHECK(ndiff == 0);
    }
}

TEST_CASE("make_grid layout: one-channel tiles become gray RGB, padding is pad_value") {
    const float tiles[2 * 1 * 1 * 2] = {0.f, 1.f, 0.5f, 0.25f};  // 2 tiles of 1x2, one channel
    const FloatGrid g = make_grid(tiles, 2, 1, 1, 2, 8, 1, GridNorm::None, 0.75f);
    REQUIRE(g.w == 7);  // 1 + 2 + 1 + 2 + 1
    REQUIRE(g.h == 3);
    for (int ch = 0; ch < 3; ++ch) {
        const float* p = &g.chw[size_t(ch) * g.w * g.h];
        CHECK(p[0] == 0.75f);
        CHECK(p[g.w + 1] == 0.f);
        CHECK(p[g.w + 2] == 1.f);
        CHECK(p[g.w + 4] == 0.5f);
        CHECK(p[g.w + 5] == 0.25f);
    }
    CHECK_THROWS_AS(make_grid(tiles, 2, 2, 1, 1), std::invalid_argument);
}

TEST_CASE("upscale_nearest repeats each pixel factor x factor times") {
    Image img;
    img.w = 2;
    img.h = 1;
    img.rgb = {1, 2, 3, 4, 5, 6};
    const Image up = upscale_nearest(img, 3);
    REQUIRE(up.w == 6);
    REQUIRE(up.h == 3);
    CHECK(up.rgb[(2 * 6 + 2) * 3] == 1);
    CHECK(up.rgb[(2 * 6 + 3) * 3 + 2] == 6);
    CHECK_THROWS(upscale_nearest(img, 0));
}

TEST_CASE("colorize maps min to viridis[0] and max to viridis[255]") {
    const float v[4] = {-2.f, 0.f, 1.f, 2.f};
    const Image img = colorize(v, 4, 1);
    const uint8_t first[3] = {68, 1, 84}, last[3] = {253, 231, 36};  // matplotlib's ends
    CHECK(std::memcmp(&img.rgb[0], first, 3) == 0);
    CHECK(std::memcmp(&img.rgb[9], last, 3) == 0);
    // 0.5 of the range -> entry 128 (matplotlib: int(0.5 * 256))
    const Image mid = colorize_range(v + 1, 1, 1, -1.f, 1.f);
    const uint8_t e128[3] = {32, 144, 140};
    CHECK(std::memcmp(&mid.rgb[0], e128, 3) == 0);
    const Image gray = colorize_range(v, 4, 1, -2.f, 2.f, Colormap::Gray);
    CHECK(gray.rgb[0] == 0);
    CHECK(gray.rgb[9] == 255);
    const Image flat = colorize(v, 1, 1);  // a constant map does not divide by zero
    CHECK(std::memcmp(&flat.rgb[0], first, 3) == 0);
}

TEST_CASE("encode_png round-trips and write_png is atomic with clear errors") {
    Image img;
    img.w = 5;
    img.h = 3;
    for (int i = 0; i < 45; ++i) img.rgb.push_back(static_cast<uint8_t>(i * 5));
    const std::vector<uint8_t> png = encode_png(img);
    REQUIRE(png.size() > 8);
    CHECK(std::memcmp(png.data(), "\x89PNG\r\n\x1a\n", 8) == 0);
    int w, h, c;
    unsigned char* back = stbi_load_from_memory(png.data(), int(png.size()), &w, &h, &c, 3);
    REQUIRE(back);
    CHECK(w == 5);
    CHECK(h == 3);
    CHECK(std::memcmp(back, img.rgb.data(), 45) == 0);
    stbi_image_free(back);

    const std::string path = binary_dir() + "/test_grid_out.png";
    write_png(path, img);
    CHECK(read_bytes(path) == png);
    std::FILE* tmp = std::fopen((path + ".tmp").c_str(), "rb");
    CHECK(tmp == nullptr);  // the temp file was renamed away
    if (tmp) std::fclose(tmp);
    std::remove(path.c_str());

    const std::string bad = binary_dir() + "/no/such/dir/x.png";
    try {
        write_png(bad, img);
        FAIL("write_png into a missing folder did not throw");
    } catch (const std::runtime_error& e) {
        CHECK(std::string(e.what()).find(bad) != std::string::npos);
    }
    CHECK_THROWS(encode_png(Image{}));
}
