// torchvision 0.14 transforms: val parity on real photos (outside reference: torchvision +
// PIL via tests/reference/torchvision_refs.py), float tensor bits, the seeded RNG against an
// independent Python PCG32, crop uniformity, and native-vs-WASM tensor hashes.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <sys/stat.h>

#include "catdog/image.h"
#include "catdog/transforms.h"
#include "core_refs.h"

using namespace catdog;
using namespace catdog_test;

namespace {

const std::string kHashFile = "/core-hashes/val_tensor_fnv1a.tsv";

std::string hex64(uint64_t v) {
    char b[17];
    std::snprintf(b, sizeof b, "%016llx", static_cast<unsigned long long>(v));
    return b;
}

// Distance in representable floats (0 when bit-identical).
int64_t ulp_diff(float a, float b) {
    int32_t ia, ib;
    std::memcpy(&ia, &a, 4);
    std::memcpy(&ib, &b, 4);
    if (ia < 0) ia = INT32_MIN - ia;
    if (ib < 0) ib = INT32_MIN - ib;
    return std::llabs(int64_t(ia) - int64_t(ib));
}

int64_t max_ulp(const float* a, const float* b, size_t n) {
    int64_t m = 0;
    for (size_t i = 0; i < n; ++i) m = std::max(m, ulp_diff(a[i], b[i]));
    return m;
}

Image ramp256() {  // 256 x 1, pixel x = (x, x, x)
    Image img;
    img.w = 256;
    img.h = 1;
    for (int v = 0; v < 256; ++v) img.rgb.insert(img.rgb.end(), 3, static_cast<uint8_t>(v));
    return img;
}

std::vector<uint64_t> numbers(std::istringstream& ss) {
    std::vector<uint64_t> v;
    for (std::string t; ss >> t;) v.push_back(std::stoull(t));
    return v;
}

// Upper tail of chi-square with k dof (Wilson-Hilferty), z = 3.72 ~ p = 1e-4.
double chi2_critical(int k) {
    const double z = 3.72, a = 2.0 / (9.0 * k);
    return k * std::pow(1 - a + z * std::sqrt(a), 3);
}

}  // namespace

TEST_CASE("center_crop_box uses Python's round-half-even and torchvision's padding") {
    auto box = center_crop_box(341, 256, 224, 224);  // (341-224)/2 = 58.5 -> 58
    CHECK(box.x == 58);
    CHECK(box.y == 16);
    CHECK(center_crop_box(343, 256, 224, 224).x == 60);  // 59.5 -> 60
    CHECK(center_crop_box(342, 256, 224, 224).x == 59);
    CHECK(center_crop_box(224, 224, 224, 224).x == 0);
    box = center_crop_box(100, 300, 224, 224);  // pad left (224-100)//2 = 62
    CHECK(box.x == -62);
    CHECK(box.y == 38);
    box = center_crop_box(101, 101, 224, 224);  // pads 61 left/top, 62 right/bottom
    CHECK(box.x == -61);
    CHECK(box.y == -61);
    CHECK(box.w == 224);
}

TEST_CASE("Rng (PCG32 + Lemire) matches an independent Python implementation") {
    std::ifstream f(core_refs() + "/rng.txt");
    REQUIRE(f);
    int lines = 0;
    for (std::string line; std::getline(f, line); ++lines) {
        std::istringstream ss(line);
        std::string kind;
        uint64_t seed, stream;
        ss >> kind >> seed >> stream;
        Rng rng(seed, stream);
        INFO(kind << " seed " << seed << " stream " << stream);
        if (kind == "u32") {
            for (uint64_t v : numbers(ss)) REQUIRE(rng.next_u32() == v);
        } else if (kind == "uniform") {
            uint64_t n;
            ss >> n;
            for (uint64_t v : numbers(ss)) REQUIRE(rng.uniform(static_cast<uint32_t>(n)) == v);
        } else if (kind == "crops") {
            // Also checks train_crop's draw order: top, left, then the flip.
            TransformSpec spec;
            Image src;  // 341 x 256 stays 341 x 256 under Resize(256)
            src.w = 341;
            src.h = 256;
            src.rgb.resize(341 * 256 * 3);
            for (size_t i = 0; i < src.rgb.size(); ++i) src.rgb[i] = static_cast<uint8_t>(i * 7 % 251);
            Rng rng2(seed, stream);
            for (std::string t; ss >> t;) {
                int x, y, flip;
                REQUIRE(std::sscanf(t.c_str(), "%d,%d,%d", &x, &y, &flip) == 3);
                const CropBox b = random_crop_box(341, 256, 224, 224, rng);
                CHECK(b.x == x);
                CHECK(b.y == y);
                CHECK(random_flip(rng) == (flip != 0));
                const Image tc = train_crop(src, spec, rng2);
                REQUIRE(tc.w == 224);
                // first pixel of the crop: (x, y) unflipped, (x + 223, y) flipped
                const int sx = flip ? x + 223 : x;
                CHECK(std::memcmp(&tc.rgb[0], &src.rgb[(static_cast<size_t>(y) * 341 + sx) * 3], 3) == 0);
            }
        }
    }
    CHECK(lines >= 30);
}

TEST_CASE("RandomCrop offsets and flips are uniform (chi-square)") {
    Rng rng(7);
    const int w = 341, h = 256, nx = w - 224 + 1, ny = h - 224 + 1, draws = 118 * 400;
    std::vector<int> cx(nx), cy(ny);
    int flips = 0;
    for (int i = 0; i < draws; ++i) {
        const CropBox b = random_crop_box(w, h, 224, 224, rng);
        REQUIRE(b.x >= 0);
        REQUIRE(b.x < nx);
        REQUIRE(b.y >= 0);
        REQUIRE(b.y < ny);
        ++cx[b.x];
        ++cy[b.y];
        flips += random_flip(rng);
    }
    auto chi2 = [&](const std::vector<int>& c) {
        const double e = double(draws) / c.size();
        double s = 0;
        for (int o : c) s += (o - e) * (o - e) / e;
        return s;
    };
    const double x2 = chi2(cx), y2 = chi2(cy);
    INFO("chi2 x " << x2 << " (dof " << nx - 1 << "), y " << y2 << " (dof " << ny - 1 << ")");
    CHECK(x2 < chi2_critical(nx - 1));
    CHECK(y2 < chi2_critical(ny - 1));
    CHECK(std::abs(flips - draws / 2.0) < 4 * std::sqrt(draws / 4.0));
    // and the bounded draw itself, for a non-power-of-two range
    std::vector<int> c3(3);
    for (int i = 0; i < 30000; ++i) ++c3[rng.uniform(3)];
    double s3 = 0;
    for (int o : c3) s3 += (o - 10000.0) * (o - 10000.0) / 10000.0;
    CHECK(s3 < chi2_critical(2));
}

TEST_CASE("ToTensor+Normalize is bit-identical to torchvision for every uint8 value") {
    const Image ramp = ramp256();
    struct Case { const char* tag; TransformSpec spec; };
    TransformSpec half;
    half.mean = {0.5f, 0.5f, 0.5f};
    half.std = {0.5f, 0.5f, 0.5f};
    for (const Case& c : {Case{"imagenet", TransformSpec{}}, Case{"half", half}}) {
        const std::vector<float> ref = read_f32(core_refs() + "/val/norm_" + c.tag + ".f32");
        REQUIRE(ref.size() == 3 * 256);
        std::vector<float> out(3 * 256);
        to_tensor_normalize(ramp, c.spec, out.data());
        INFO(c.tag << ": max ulp diff " << max_ulp(out.data(), ref.data(), out.size()));
        CHECK(std::memcmp(out.data(), ref.data(), out.size() * 4) == 0);
    }
}

TEST_CASE("val transform matches torchvision on holdout-dev and dogs-vs-cats-3k") {
    const auto rows = read_tsv(core_refs() + "/val/index.tsv");
    const TransformSpec spec;
    const size_t crop_bytes = size_t(spec.crop) * spec.crop * 3;
    int n_hold = 0, n_dvc = 0, exact = 0, worst = 0, tensors = 0, tensors_exact = 0;
    int64_t tensor_max_ulp = 0;
    double sum_abs = 0, worst_mean = 0;
    std::string worst_name;
    std::ostringstream hashes;
    std::vector<float> tensor(3 * size_t(spec.crop) * spec.crop);
    for (const auto& r : rows) {
        const std::string& name = r[0];
        INFO(r[1] << "/" << name);
        (r[1] == "holdout-dev" ? n_hold : n_dvc)++;
        const Image img = load_image(dataset(r[1]) + "/" + name);
        CHECK(img.w == std::stoi(r[2]));
        CHECK(img.h == std::stoi(r[3]));
        const Image crop = val_crop(img, spec);
        const std::vector<uint8_t> ref = read_bytes(core_refs() + "/val/" + r[4]);
        REQUIRE(crop.rgb.size() == crop_bytes);
        REQUIRE(ref.size() == crop_bytes);
        int maxd = 0;
        double s = 0;
        for (size_t i = 0; i < crop_bytes; ++i) {
            const int d = std::abs(int(crop.rgb[i]) - int(ref[i]));
            maxd = std::max(maxd, d);
            s += d;
        }
        const double mean = s / crop_bytes;
        CHECK(maxd <= 2);
        CHECK(mean <= 0.1);
        exact += maxd == 0;
        sum_abs += s;
        if (maxd > worst || (maxd == worst && mean > worst_mean)) worst_name = name;
        worst = std::max(worst, maxd);
        worst_mean = std::max(worst_mean, mean);

        to_tensor_normalize(crop, spec, tensor.data());
        hashes << r[1] << "/" << name << "\t" << hex64(fnv1a(tensor.data(), tensor.size() * 4)) << "\n";
        if (r.size() > 5 && !r[5].empty()) {  // torchvision's own float tensor
            const std::vector<float> ref_t = read_f32(core_refs() + "/val/" + r[5]);
            REQUIRE(ref_t.size() == tensor.size());
            ++tensors;
            const int64_t u = max_ulp(tensor.data(), ref_t.data(), tensor.size());
            tensors_exact += u == 0;
            tensor_max_ulp = std::max(tensor_max_ulp, u);
            // Normalising torchvision's own crop must give its tensor exactly.
            Image ref_crop;
            ref_crop.w = ref_crop.h = spec.crop;
            ref_crop.rgb = ref;
            std::vector<float> t2(tensor.size());
            to_tensor_normalize(ref_crop, spec, t2.data());
            CHECK(std::memcmp(t2.data(), ref_t.data(), t2.size() * 4) == 0);
        }
    }
    const int n = n_hold + n_dvc;
    char summary[512];
    std::snprintf(summary, sizeof summary,
                  "val parity vs torchvision 0.14/PIL 9.4: %d images (%d holdout-dev, %d dogs-vs-cats-3k), "
                  "%d bit-exact, max |diff| %d, mean |diff| %.6f (worst image mean %.6f%s%s)\n"
                  "float tensors: %d/%d bit-identical to torchvision, max ulp diff %lld\n",
                  n, n_hold, n_dvc, exact, worst, n ? sum_abs / (double(n) * crop_bytes) : 0.0,
                  worst_mean, worst ? ", worst " : "", worst ? worst_name.c_str() : "",
                  tensors_exact, tensors, static_cast<long long>(tensor_max_ulp));
    std::fputs(summary, stdout);
    std::ofstream(binary_dir() + "/core-parity.txt") << summary;  // for the closing notes
    CHECK(n_hold >= 100);
    CHECK(n_dvc >= 50);
    CHECK(tensors >= 5);

#ifndef __EMSCRIPTEN__
    // Native: publish the hashes for the WASM run of this same test.
    mkdir((binary_dir() + "/core-hashes").c_str(), 0755);
    std::ofstream(binary_dir() + kHashFile) << hashes.str();
#else
    // WASM: the float tensors must have the same bytes as the native build's.
    const std::string native = std::string(CATDOG_NATIVE_BUILD_DIR) + kHashFile;
    std::ifstream f(native);
    if (!f) FAIL("no native tensor hashes at " << native << ": run the native tests first "
                 "(make test does), or configure with -DCATDOG_NATIVE_BUILD_DIR=<native build>");
    std::map<std::string, std::string> want;
    for (std::string k, v; f >> k >> v;) want[k] = v;
    std::istringstream got(hashes.str());
    int compared = 0;
    for (std::string k, v; got >> k >> v; ++compared) {
        INFO(k);
        REQUIRE(want.count(k) == 1);
        CHECK(want[k] == v);
    }
    std::printf("native vs wasm: %d float tensor hashes compared\n", compared);
    CHECK(compared == n);
#endif
}
