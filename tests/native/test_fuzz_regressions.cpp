// Replays, natively and in the normal suite, every input the fuzzers ever broke on
// (tests/fixtures/fuzz-regressions/<target>/) through the fuzzers' own entry points
// (tests/fuzz/fuzz_entry.h), and runs every file of ../shared/datasets/odd through the
// decode -> resize -> crop -> normalise path, checking the outcome its MANIFEST gives:
// a decoded image of the listed size for the format variants, one DecodeError line for
// `error` rows.
#include <dirent.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "fuzz_entry.h"
#include "test_paths.h"

namespace {

using Bytes = std::vector<uint8_t>;

Bytes read_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    REQUIRE(f.good());
    return Bytes(std::istreambuf_iterator<char>(f), {});
}

std::vector<std::string> files_in(const std::string& dir) {
    std::vector<std::string> out;
    if (DIR* d = opendir(dir.c_str())) {
        while (dirent* e = readdir(d)) {
            const std::string n = e->d_name;
            if (n != "." && n != ".." && n.find(".md") == std::string::npos) out.push_back(dir + "/" + n);
        }
        closedir(d);
    }
    std::sort(out.begin(), out.end());
    return out;
}

template <class F>
int replay(const std::string& kind, F entry) {
    int n = 0;
    for (const std::string& path : files_in(catdog_test::source_dir() + "/tests/fixtures/fuzz-regressions/" + kind)) {
        INFO(path);
        const Bytes b = read_file(path);
        REQUIRE_NOTHROW(entry(b.data(), b.size()));
        ++n;
    }
    return n;
}

}  // namespace

TEST_CASE("fuzz regressions replay through the fuzzers' entry points", "[fuzz][regression]") {
    const int image = replay("image", [](const uint8_t* d, size_t n) { catdog_fuzz::run_image(d, n); });
    const int pth = replay("pth", [](const uint8_t* d, size_t n) { catdog_fuzz::run_pth(d, n); });
    const int tflite = replay("tflite", [](const uint8_t* d, size_t n) { catdog_fuzz::run_tflite(d, n); });
    std::printf("fuzz regressions replayed: %d image, %d pth, %d tflite\n", image, pth, tflite);
    CHECK(image >= 1);  // the saved inputs were found (an empty folder would test nothing)
    CHECK(pth >= 1);
    CHECK(tflite >= 2);
}

TEST_CASE("odd/: every file gives its MANIFEST result through decode -> crop -> normalise", "[odd]") {
    const std::string odd = catdog_test::dataset("odd");
    std::ifstream manifest(catdog_test::shared_dir() + "/datasets/odd.MANIFEST.tsv");
    REQUIRE(manifest.good());
    std::string line;
    std::getline(manifest, line);
    int decoded = 0, refused = 0;
    while (std::getline(manifest, line)) {
        std::vector<std::string> col;
        std::istringstream cols(line);
        for (std::string c; std::getline(cols, c, '\t');) col.push_back(c);
        REQUIRE(col.size() >= 4);
        const std::string& name = col[0];
        const std::string& label = col[1];
        const std::string& pil = col[3];  // "ok JPEG RGB 451x300" or "FAIL ..."
        INFO(name << " (" << label << ", PIL: " << pil << ")");
        const std::string path = odd + "/" + name;
        const Bytes b = read_file(path);
        // The fuzzer's path, at the product's own pixel limit: no crash, no foreign exception.
        REQUIRE_NOTHROW(catdog_fuzz::run_image(b.data(), b.size(), catdog::DecodeOptions{}.max_pixels));
        if (label == "error") {
            try {
                catdog::load_image(path);
                FAIL_CHECK("decoded a file the MANIFEST lists as an error");
            } catch (const catdog::DecodeError& e) {
                const std::string m = e.what();
                CHECK(m.rfind(path + ": ", 0) == 0);
                CHECK(m.find('\n') == std::string::npos);
                ++refused;
            }
        } else {
            const catdog::Image img = catdog::load_image(path);
            // PIL's size is before EXIF orientation; 5..8 swap the axes.
            const std::string size = pil.substr(pil.rfind(' ') + 1);
            const int w = std::stoi(size.substr(0, size.find('x'))), h = std::stoi(size.substr(size.find('x') + 1));
            const bool swapped = name.find("exif_orientation6") != std::string::npos;
            CHECK(img.w == (swapped ? h : w));
            CHECK(img.h == (swapped ? w : h));
            ++decoded;
        }
    }
    std::printf("odd/: %d decoded at their MANIFEST size, %d refused with one line\n", decoded, refused);
    CHECK(decoded + refused == 54);
}
