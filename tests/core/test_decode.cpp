// Decoding against PIL 9.4 (the reference torchvision 0.14 uses), natively, under node (wasm)
// and under ASan+UBSan.
//
// The reference is made at test time by tests/reference/decode_reference.py (ctest fixture
// decode_reference, run with Debian's /usr/bin/python3): an index of what PIL gives for every
// file, with raw RGB dumps and hashes. See that script for the hash and the file layout.
#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "catdog/image.h"
#include "exif.h"  // internal: the EXIF parser's own robustness test
#include "test_paths.h"

using catdog::DecodeError;
using catdog::DecodeOptions;
using catdog::Image;
using catdog::ImageFormat;

namespace {

struct RefRow {
    std::string set, name, path, status;
    int w = 0, h = 0;
    uint64_t hash = 0;
    std::string raw, kind, mode, message;
};

std::string ref_dir() { return CATDOG_DECODE_REF_DIR; }

std::vector<std::string> split_tabs(const std::string& line) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    std::string x;
    while (std::getline(ss, x, '\t')) f.push_back(x);
    return f;
}

const std::vector<RefRow>& reference() {
    static std::vector<RefRow> rows = [] {
        catdog_test::shared_dir();  // fails loudly when ../shared is missing
        std::vector<RefRow> out;
        std::ifstream in(ref_dir() + "/index.tsv");
        if (!in) FAIL("no PIL reference at " << ref_dir() << "/index.tsv: run through ctest (fixture decode_reference)");
        std::string line;
        while (std::getline(in, line)) {
            if (line.empty() || line[0] == '#') continue;
            auto f = split_tabs(line);
            if (f.size() != 11) FAIL("bad reference line: " << line);
            RefRow r;
            r.set = f[0], r.name = f[1], r.path = f[2], r.status = f[3];
            r.w = std::stoi(f[4]), r.h = std::stoi(f[5]);
            r.hash = std::stoull(f[6]);
            r.raw = f[7], r.kind = f[8], r.mode = f[9], r.message = f[10];
            out.push_back(r);
        }
        return out;
    }();
    return rows;
}

std::vector<const RefRow*> rows_of(const std::string& set) {
    std::vector<const RefRow*> v;
    for (auto& r : reference())
        if (r.set == set) v.push_back(&r);
    return v;
}

std::vector<uint8_t> read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    REQUIRE(in.good());
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

// Same definition as decode_reference.py's rgb_hash.
uint64_t rgb_hash(const std::vector<uint8_t>& b) {
    uint64_t h = 0;
    for (size_t i = 0; i < b.size(); ++i) h += (uint64_t(b[i]) + 1) * uint64_t(uint32_t(i) * 2654435761u | 1u);
    return h;
}

struct Stats {
    int files = 0, exact = 0, max_diff = 0;
    double sum_diff = 0;  // over all bytes of the files that have raw dumps
    size_t bytes = 0;
};

// Compares one decoded image with PIL's; returns the largest |diff| (0 = bit-exact).
int compare_with_pil(const Image& img, const RefRow& ref, Stats& st) {
    INFO(ref.set << "/" << ref.name << " (" << ref.mode << ", " << ref.kind << ")");
    REQUIRE(img.w == ref.w);
    REQUIRE(img.h == ref.h);
    REQUIRE(img.rgb.size() == size_t(img.w) * img.h * 3);
    ++st.files;
    int maxd = 0;
    if (rgb_hash(img.rgb) == ref.hash) {
        ++st.exact;
    } else {
        maxd = 256;  // unknown until compared byte by byte
    }
    if (ref.raw != "-") {
        auto pil = read_bytes(ref_dir() + "/" + ref.raw);
        REQUIRE(pil.size() == img.rgb.size());
        int m = 0;
        double sum = 0;
        for (size_t i = 0; i < pil.size(); ++i) {
            int d = std::abs(int(pil[i]) - int(img.rgb[i]));
            m = d > m ? d : m;
            sum += d;
        }
        maxd = m;
        st.sum_diff += sum;
        st.bytes += pil.size();
    }
    st.max_diff = maxd > st.max_diff ? maxd : st.max_diff;
    return maxd;
}

void report(const char* what, const Stats& st) {
    std::printf("[decode] %s: %d/%d bit-exact vs PIL 9.4, max |diff| %d, mean |diff| %.6f\n", what, st.exact,
                st.files, st.max_diff, st.bytes ? st.sum_diff / double(st.bytes) : 0.0);
    std::fflush(stdout);
}

}  // namespace

TEST_CASE("formats are sniffed from magic bytes, never the name", "[decode][sniff]") {
    auto sniff = [](const std::string& s) {
        return catdog::sniff_format(reinterpret_cast<const uint8_t*>(s.data()), s.size());
    };
    CHECK(sniff(std::string("\xFF\xD8\xFF\xE0", 4)) == ImageFormat::Jpeg);
    CHECK(sniff(std::string("\x89PNG\r\n\x1A\n", 8)) == ImageFormat::Png);
    CHECK(sniff("GIF89a......") == ImageFormat::Gif);
    CHECK(sniff("GIF87a......") == ImageFormat::Gif);
    CHECK(sniff(std::string("RIFF\x10\0\0\0WEBPVP8 ", 16)) == ImageFormat::Webp);
    CHECK(sniff(std::string("BM") + std::string(40, '\0')) == ImageFormat::Bmp);
    CHECK(sniff(std::string("\xFF\xD8", 2)) == ImageFormat::Unknown);  // SOI alone: PIL refuses it too
    CHECK(sniff(std::string("RIFF\x10\0\0\0WAVEfmt ", 16)) == ImageFormat::Unknown);
    CHECK(sniff("hello") == ImageFormat::Unknown);
    CHECK(sniff("") == ImageFormat::Unknown);

    const std::string odd = catdog_test::dataset("odd");
    auto png = read_bytes(odd + "/cat.png_named_as.jpg");
    CHECK(catdog::sniff_format(png.data(), png.size()) == ImageFormat::Png);
    auto webp = read_bytes(odd + "/dog.webp_named_as.jpg");
    CHECK(catdog::sniff_format(webp.data(), webp.size()) == ImageFormat::Webp);
}

TEST_CASE("every file of datasets/odd decodes or errors as its MANIFEST says", "[decode][odd]") {
    const std::string odd = catdog_test::dataset("odd");
    std::ifstream man(catdog_test::dataset("odd.MANIFEST.tsv"));
    REQUIRE(man.good());
    std::map<std::string, const RefRow*> pil;
    for (auto* r : rows_of("odd")) pil[r->name] = r;

    std::string line;
    std::getline(man, line);  // header
    int decoded = 0, refused = 0;
    while (std::getline(man, line)) {
        auto f = split_tabs(line);
        if (f.size() < 2) continue;
        const std::string name = f[0], expected = f[1];
        INFO(name << ": expected " << expected);
        REQUIRE(pil.count(name) == 1);
        if (expected == "error") {
            CHECK(pil[name]->status == "error");  // the MANIFEST and PIL agree
            try {
                Image img = catdog::load_image(odd + "/" + name);
                FAIL_CHECK("decoded " << img.w << "x" << img.h << " instead of refusing");
            } catch (const DecodeError& e) {
                INFO("message: " << e.what());
                CHECK(std::string(e.what()).find(name) != std::string::npos);
                CHECK(!e.reason().empty());
                std::printf("[decode] refused as expected: %s\n", e.what());
                ++refused;
            }
        } else {
            Image img = catdog::load_image(odd + "/" + name);
            CHECK(img.w == pil[name]->w);
            CHECK(img.h == pil[name]->h);
            CHECK(img.rgb.size() == size_t(img.w) * img.h * 3);
            ++decoded;
        }
    }
    CHECK(decoded == 46);
    CHECK(refused == 8);
}

TEST_CASE("odd files match PIL: formats, CMYK, gray, alpha over white", "[decode][odd][pil]") {
    Stats all, tol;
    for (auto* r : rows_of("odd")) {
        if (r->status != "ok") continue;
        Image img = catdog::load_image(r->path);
        const int d = compare_with_pil(img, *r, r->kind == "cmyk" || r->kind == "gray" ? tol : all);
        INFO(r->name << ": max |diff| " << d);
        if (r->kind == "cmyk" || r->kind == "gray")
            CHECK(d <= 2);  // a small tolerance is allowed; in practice these are exact
        else
            CHECK(d == 0);
    }
    report("odd (RGB, palette, 16-bit, alpha, BMP, GIF, WebP, JPEG variants)", all);
    report("odd (CMYK and grayscale JPEG)", tol);

    // The transparent corners hide bright green: they must come out white.
    Image a = catdog::load_image(catdog_test::dataset("odd") + "/cat.rgba_alpha.png");
    for (auto [x, y] : {std::pair<int, int>{0, 0}, {a.w - 1, 0}, {0, a.h - 1}, {a.w - 1, a.h - 1}}) {
        const uint8_t* p = &a.rgb[(size_t(y) * a.w + x) * 3];
        INFO("corner " << x << "," << y);
        CHECK((p[0] == 255 && p[1] == 255 && p[2] == 255));
    }
}

TEST_CASE("synthetic variants match PIL: tRNS, 1/4/16-bit, GIF transparency, WebP alpha",
          "[decode][pil]") {
    Stats st;
    auto rows = rows_of("synthetic");
    REQUIRE(rows.size() >= 16);
    for (auto* r : rows) {
        REQUIRE(r->status == "ok");
        // gray16: PIL's mode I, which convert('RGB') clips at 255 (most of it is white).
        CHECK(compare_with_pil(catdog::load_image(ref_dir() + "/synthetic/" + r->name), *r, st) == 0);
    }
    report("synthetic PNG/GIF/BMP/WebP/JPEG variants", st);
}

// The long tail PIL reads (tests/reference/make_decode_variants.py): each file decodes bit-exact
// with PIL, or is refused with one line naming the file, exactly when PIL refuses it.
TEST_CASE("long-tail variants match PIL: RLE/OS2/top-down BMP, GIF, animated WebP, PNG/WebP orientation",
          "[decode][pil][variants]") {
    Stats st;
    auto rows = rows_of("variants");
    REQUIRE(rows.size() >= 60);
    int refused = 0;
    std::map<std::string, std::pair<int, int>> by_kind;  // prefix -> (files, bit-exact)
    for (auto* r : rows) {
        const std::string path = ref_dir() + "/variants/" + r->name;
        const std::string kind = r->name.substr(0, r->name.find('_'));
        INFO(r->name << ": PIL says " << r->status << " " << r->message);
        if (r->status == "error") {
            try {
                Image img = catdog::load_image(path);
                FAIL_CHECK("decoded " << img.w << "x" << img.h << " where PIL refuses the file");
            } catch (const DecodeError& e) {
                const std::string msg = e.what();
                CHECK(msg.find(r->name) != std::string::npos);
                CHECK(msg.find('\n') == std::string::npos);
                std::printf("[decode] variant refused as PIL refuses it: %s\n", msg.c_str());
                ++refused;
            }
            continue;
        }
        Image img;
        try {
            img = catdog::load_image(path);
        } catch (const DecodeError& e) {
            FAIL_CHECK("refused what PIL decodes: " << e.what());
            continue;
        }
        const int d = compare_with_pil(img, *r, st);
        CHECK(d == 0);
        auto& k = by_kind[kind];
        ++k.first;
        k.second += d == 0;
        std::printf("[decode] variant %-40s %s max |diff| %d\n", r->name.c_str(), d == 0 ? "bit-exact" : "DIFFERS", d);
    }
    for (auto& [kind, n] : by_kind) std::printf("[decode] variants %s: %d/%d bit-exact\n", kind.c_str(), n.second, n.first);
    report("long-tail variants", st);
    CHECK(refused >= 6);
}

TEST_CASE("EXIF orientations 1-8 come out as PIL's exif_transpose shows them", "[decode][exif]") {
    Stats st;
    auto rows = rows_of("exif");
    REQUIRE(rows.size() == 8);
    for (auto* r : rows) CHECK(compare_with_pil(catdog::load_image(ref_dir() + "/exif/" + r->name), *r, st) == 0);
    for (auto* r : rows_of("odd"))
        if (r->name.find("exif_orientation") != std::string::npos)
            CHECK(compare_with_pil(catdog::load_image(r->path), *r, st) == 0);
    report("EXIF orientation (8 synthetic + 2 odd)", st);
    REQUIRE(st.exact == 10);

    DecodeOptions raw;
    raw.apply_exif_orientation = false;
    Image stored = catdog::load_image(catdog_test::dataset("odd") + "/cat.exif_orientation6.jpg", raw);
    CHECK(stored.w == 300);
    CHECK(stored.h == 451);
}

TEST_CASE("the EXIF reader is bounds-checked", "[decode][exif]") {
    using catdog::detail::exif_orientation;
    // "Exif\0\0" + little-endian TIFF, one IFD0 entry: Orientation (SHORT) = 6.
    const uint8_t good[] = {'E', 'x', 'i', 'f', 0, 0, 'I', 'I', 42, 0, 8, 0, 0, 0, 1, 0,
                            0x12, 1, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0};
    CHECK(exif_orientation(good, sizeof good) == 6);
    for (size_t n = 0; n < sizeof good; ++n) {
        std::vector<uint8_t> cut(good, good + n);  // exact-size heap copy: ASan sees any overread
        const int o = exif_orientation(cut.data(), cut.size());
        CHECK((o == 1 || o == 6));
    }
    std::mt19937 rng(1234);
    for (int i = 0; i < 2000; ++i) {
        std::vector<uint8_t> b(good, good + sizeof good);
        for (int k = 0; k < 3; ++k) b[6 + rng() % (b.size() - 6)] = uint8_t(rng());
        b.resize(rng() % (b.size() + 1));
        const int o = exif_orientation(b.data(), b.size());
        CHECK((o >= 1 && o <= 8));
    }
    CHECK(exif_orientation(nullptr, 0) == 1);

    // XMP as PIL's getexif matches it: tiff:Orientation(="|>)([0-9]), first match.
    using catdog::detail::xmp_orientation;
    auto xmp = [](const std::string& s) { return xmp_orientation(s.data(), s.size()); };
    CHECK(xmp("<x tiff:Orientation=\"6\"/>") == 6);
    CHECK(xmp("<tiff:Orientation>8</tiff:Orientation>") == 8);
    CHECK(xmp("tiff:Orientation='3' tiff:Orientation=\"5\"") == 5);
    CHECK(xmp("tiff:Orientation=\"") == 0);
    CHECK(xmp("tiff:Orientation") == 0);
    CHECK(xmp("") == 0);
    CHECK(xmp_orientation(nullptr, 0) == 0);
    // A payload with or without "Exif\0\0"; 0 when the tag is absent (PIL then reads XMP).
    CHECK(catdog::detail::exif_payload_orientation(good, sizeof good) == 6);
    CHECK(catdog::detail::exif_payload_orientation(good + 6, sizeof good - 6) == 6);
    CHECK(catdog::detail::exif_payload_orientation(good, 10) == 0);
}

TEST_CASE("dogs-vs-cats-3k sample and holdout-dev are bit-exact with PIL", "[decode][pil]") {
    Stats kaggle, holdout;
    auto sample = rows_of("kaggle-sample");
    auto hold = rows_of("holdout");
    REQUIRE(sample.size() >= 50);
    REQUIRE(hold.size() == 122);
    for (auto* r : sample) {
        REQUIRE(r->status == "ok");
        CHECK(compare_with_pil(catdog::load_image(r->path), *r, kaggle) == 0);
    }
    for (auto* r : hold) {
        REQUIRE(r->status == "ok");
        CHECK(compare_with_pil(catdog::load_image(r->path), *r, holdout) == 0);
    }
    report("dogs-vs-cats-3k sample (every 50th)", kaggle);
    report("holdout-dev (122, 49 progressive)", holdout);
}

TEST_CASE("all 3,000 photos of dogs-vs-cats-3k decode bit-exact with PIL", "[decode][pil][kaggle-all]") {
    Stats st;
    auto rows = rows_of("kaggle-all");
    REQUIRE(rows.size() == 3000);
    for (auto* r : rows) {
        INFO(r->name);
        REQUIRE(r->status == "ok");
        Image img = catdog::load_image(r->path);
        CHECK(compare_with_pil(img, *r, st) == 0);
    }
    report("dogs-vs-cats-3k (all, by hash)", st);
}

TEST_CASE("the pixel limit refuses images from their header", "[decode][limit]") {
    const std::string odd = catdog_test::dataset("odd");
    DecodeOptions small;
    small.max_pixels = 100'000;  // below 451x300
    for (const char* n : {"cat.baseline_ref.jpg", "cat.progressive.jpg", "cat.chelsea_rgb.png", "cat.bmp",
                          "cat.palette.gif", "cat.webp", "dog.webp_named_as.jpg"}) {
        INFO(n);
        try {
            catdog::load_image(odd + "/" + n, small);
            FAIL_CHECK("not refused");
        } catch (const DecodeError& e) {
            CHECK(std::string(e.what()).find("pixel limit") != std::string::npos);
        }
    }
    // The default limit (100 MP) passes the 24 MP photo and refuses a header that declares
    // 65000x65000: with no pixel data behind it, only a header check can answer at once.
    Image huge = catdog::load_image(odd + "/cat.huge_6000x4000.jpg");
    CHECK(huge.w == 6000);
    auto jpg = read_bytes(odd + "/cat.tiny_8x5.jpg");
    bool patched = false;
    for (size_t i = 2; i + 9 < jpg.size(); ++i) {
        if (jpg[i] == 0xFF && (jpg[i + 1] == 0xC0 || jpg[i + 1] == 0xC2)) {  // SOF0/SOF2: height, width
            jpg[i + 5] = 0xFD, jpg[i + 6] = 0xE8, jpg[i + 7] = 0xFD, jpg[i + 8] = 0xE8;
            patched = true;
            break;
        }
    }
    REQUIRE(patched);
    CHECK_THROWS_WITH(catdog::decode_image(jpg.data(), jpg.size(), "bomb.jpg"),
                      Catch::Contains("bomb.jpg") && Catch::Contains("pixel limit"));
    auto png = read_bytes(odd + "/cat.chelsea_rgb.png");
    // IHDR width, height = 12000x12000: small enough for stb_image's own 1 GB cap, over ours.
    const uint8_t dims[8] = {0, 0, 0x2E, 0xE0, 0, 0, 0x2E, 0xE0};  // stb skips CRCs
    std::memcpy(&png[16], dims, 8);
    CHECK_THROWS_WITH(catdog::decode_image(png.data(), png.size(), "bomb.png"), Catch::Contains("pixel limit"));
}

TEST_CASE("errors name the file, the format and the reason", "[decode][errors]") {
    const std::string odd = catdog_test::dataset("odd");
    try {
        catdog::load_image(odd + "/bad.text_named.jpg");
        FAIL("decoded a text file");
    } catch (const DecodeError& e) {
        CHECK(e.format() == "unknown format");
        CHECK(std::string(e.what()).find("bad.text_named.jpg") != std::string::npos);
    }
    try {
        catdog::load_image(odd + "/bad.truncated_55pct.jpg");
        FAIL("decoded a truncated JPEG");
    } catch (const DecodeError& e) {
        CHECK(e.format() == "JPEG");
        CHECK(e.reason().find("truncated") != std::string::npos);
    }
    try {
        catdog::load_image(odd + "/no-such-file.jpg");
        FAIL("opened a missing file");
    } catch (const DecodeError& e) {
        CHECK(e.format() == "file");
        CHECK(std::string(e.what()).find("no-such-file.jpg") != std::string::npos);
    }
    CHECK_THROWS_AS(catdog::decode_image(nullptr, 0, "null"), DecodeError);
}

TEST_CASE("truncated and corrupted inputs give an image or a DecodeError, nothing else",
          "[decode][robust]") {
    const std::string odd = catdog_test::dataset("odd");
    DecodeOptions opt;
    opt.max_pixels = 4'000'000;  // corrupted headers may declare anything; keep the run short
    std::mt19937 rng(42);
    int images = 0, errors = 0;
    for (const char* n : {"cat.tiny_8x5.jpg", "cat.progressive.jpg", "cat.arithmetic_coded.jpg", "cat.cmyk.jpg",
                          "cat.restart_markers.jpg", "cat.tiny_1x1.png", "cat.palette8.png", "cat.gray_alpha_LA.png",
                          "cat.palette.gif", "cat.webp", "cat.bmp"}) {
        const auto orig = read_bytes(odd + "/" + n);
        for (int i = 0; i < 24; ++i) {
            std::vector<uint8_t> b(orig);
            if (i < 12) {
                b.resize(size_t(rng() % orig.size()));  // truncated
            } else {
                for (int k = 0, m = 1 + int(rng() % 8); k < m; ++k) b[rng() % b.size()] = uint8_t(rng());
            }
            INFO(n << " variant " << i << " (" << b.size() << " bytes)");
            try {
                Image img = catdog::decode_image(b.data(), b.size(), n, opt);
                CHECK(img.rgb.size() == size_t(img.w) * img.h * 3);
                ++images;
            } catch (const DecodeError& e) {
                CHECK(std::string(e.what()).find(n) != std::string::npos);
                ++errors;
            }
        }
    }
    // The long-tail variants (RLE and OS/2 BMP, GIF frames and tables, animated WebP, PNG text
    // chunks), mutated the same way: the hand-written BMP reader above all.
    for (const char* n : {"bmp_rle8_delta.bmp", "bmp_rle4_odd_absolute.bmp", "bmp_os2v1_8bit.bmp",
                          "bmp_v4_32bit_bgra.bmp", "bmp_16bit_565_bitfields.bmp", "gif_frame_inside_screen_trns.gif",
                          "gif_interlaced_local.gif", "webp_animated_lossy.webp", "png_xmp_itxt_compressed6.png",
                          "png_raw_profile_exif8.png"}) {
        const auto orig = read_bytes(ref_dir() + "/variants/" + n);
        for (int i = 0; i < 40; ++i) {
            std::vector<uint8_t> b(orig);
            if (i < 16) b.resize(size_t(rng() % orig.size()));
            else
                for (int k = 0, m = 1 + int(rng() % 8); k < m; ++k) b[rng() % b.size()] = uint8_t(rng());
            INFO(n << " variant " << i << " (" << b.size() << " bytes)");
            try {
                Image img = catdog::decode_image(b.data(), b.size(), n, opt);
                CHECK(img.rgb.size() == size_t(img.w) * img.h * 3);
                ++images;
            } catch (const DecodeError& e) {
                CHECK(std::string(e.what()).find(n) != std::string::npos);
                ++errors;
            }
        }
    }
    // An empty IDAT chunk first (found by fuzzing: stb_image then calls memcpy(NULL, p, 0)).
    auto png = read_bytes(odd + "/cat.tiny_1x1.png");
    const std::string idat = "IDAT";
    auto at = std::search(png.begin(), png.end(), idat.begin(), idat.end());
    REQUIRE(at != png.end());
    const uint8_t empty_idat[12] = {0, 0, 0, 0, 'I', 'D', 'A', 'T', 0x35, 0xAF, 0x06, 0x1E};
    png.insert(at - 4, empty_idat, empty_idat + 12);
    Image one = catdog::decode_image(png.data(), png.size(), "empty_idat.png");
    CHECK((one.w == 1 && one.h == 1));

    std::printf("[decode] robustness: %d variants decoded, %d refused, 0 crashes\n", images, errors);
    CHECK(errors > 0);
}

TEST_CASE("decode_image_window gives decode_image's bytes inside the window", "[decode][window]") {
    std::vector<std::string> paths;
    for (auto* r : rows_of("odd"))
        if (r->status == "ok" && r->raw != "-") paths.push_back(r->path);  // all formats, EXIF, CMYK...
    for (auto* r : rows_of("exif")) paths.push_back(ref_dir() + "/exif/" + r->name);
    for (auto* r : rows_of("synthetic")) paths.push_back(ref_dir() + "/synthetic/" + r->name);
    for (auto* r : rows_of("variants"))
        if (r->status == "ok") paths.push_back(ref_dir() + "/variants/" + r->name);
    for (auto* r : rows_of("holdout")) paths.push_back(r->path);  // 49 progressive
    for (auto* r : rows_of("kaggle-sample")) paths.push_back(r->path);
    std::mt19937 rng(7);
    int windows = 0, mismatched = 0;
    for (const auto& p : paths) {
        const auto bytes = read_bytes(p);
        const Image full = catdog::decode_image(bytes.data(), bytes.size(), p);
        std::vector<catdog::PixelRect> rects = {
            {0, 0, full.w, full.h}, {0, 0, 1, 1}, {full.w - 1, full.h - 1, 1, 1},
            {full.w / 4, full.h / 4, full.w / 2, full.h / 2}, {-5, -5, 3, full.h + 10}};
        for (int i = 0; i < 4; ++i) {
            const int x = int(rng() % unsigned(full.w)), y = int(rng() % unsigned(full.h));
            rects.push_back({x, y, 1 + int(rng() % unsigned(full.w - x)), 1 + int(rng() % unsigned(full.h - y))});
        }
        for (const auto& want : rects) {
            INFO(p << " window " << want.x << "," << want.y << " " << want.w << "x" << want.h);
            int asked_w = 0, asked_h = 0;
            const Image win = catdog::decode_image_window(bytes.data(), bytes.size(), p, [&](int w, int h) {
                asked_w = w, asked_h = h;
                return want;
            });
            REQUIRE(win.w == full.w);
            REQUIRE(win.h == full.h);
            if (catdog::sniff_format(bytes.data(), bytes.size()) == ImageFormat::Jpeg) {
                CHECK(asked_w == full.w);
                CHECK(asked_h == full.h);
            }
            size_t bad = 0;
            for (int y = std::max(want.y, 0); y < std::min(want.y + want.h, full.h); ++y)
                for (int x = std::max(want.x, 0); x < std::min(want.x + want.w, full.w); ++x)
                    for (int ch = 0; ch < 3; ++ch) {
                        const size_t i = (size_t(y) * full.w + x) * 3 + ch;
                        bad += win.rgb[i] != full.rgb[i];
                    }
            CHECK(bad == 0);
            ++windows;
            mismatched += bad != 0;
        }
    }
    std::printf("[decode] windowed decoding: %d windows over %zu files, %d differ from the full decode\n", windows,
                paths.size(), mismatched);

    // Without EXIF orientation the window is in stored pixels.
    DecodeOptions stored;
    stored.apply_exif_orientation = false;
    const auto rot = read_bytes(catdog_test::dataset("odd") + "/cat.exif_orientation6.jpg");
    const Image rot_full = catdog::decode_image(rot.data(), rot.size(), "rot", stored);
    const catdog::PixelRect top{0, 0, rot_full.w, 20};
    const Image rot_win = catdog::decode_image_window(rot.data(), rot.size(), "rot", [&](int, int) { return top; }, stored);
    REQUIRE(rot_win.w == rot_full.w);
    CHECK(std::equal(rot_full.rgb.begin(), rot_full.rgb.begin() + size_t(rot_full.w) * 20 * 3, rot_win.rgb.begin()));

    // Rows outside the window are still read, so truncated files fail as PIL fails.
    const auto cut = read_bytes(catdog_test::dataset("odd") + "/bad.truncated_55pct.jpg");
    CHECK_THROWS_AS(catdog::decode_image_window(cut.data(), cut.size(), "cut.jpg",
                                                [](int, int) { return catdog::PixelRect{0, 0, 8, 8}; }),
                    DecodeError);
}
