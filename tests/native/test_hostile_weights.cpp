// Hostile weight files: .pth and TFLite files whose sizes, offsets, strides,
// indices or lengths lie must be refused with one WeightError line naming the file, without
// committing memory. tests/fuzz/make_hostile_weights.py writes the cases (and well-formed
// controls, checked with torch.load there, that must load here) at test time; each is read
// in a forked child whose peak RSS over an idle child is printed and bounded.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "peak_memory.h"
#include "test_paths.h"
#include "weights/pth_reader.h"
#include "weights/tflite_reader.h"

namespace {

struct Case { std::string file, expect, what; };

std::vector<Case> generate() {
    const std::string out = catdog_test::binary_dir() + "/hostile-weights";
    const std::string cmd = "/usr/bin/python3 " + catdog_test::source_dir() +
                            "/tests/fuzz/make_hostile_weights.py --out " + out + " --shared " +
                            catdog_test::shared_dir();
    REQUIRE(std::system(cmd.c_str()) == 0);
    std::ifstream index(out + "/index.tsv");
    REQUIRE(index.good());
    std::vector<Case> cases;
    for (std::string line; std::getline(index, line);) {
        std::istringstream cols(line);
        Case c;
        std::getline(cols, c.file, '\t');
        std::getline(cols, c.expect, '\t');
        std::getline(cols, c.what, '\t');
        c.file = out + "/" + c.file;
        cases.push_back(c);
    }
    return cases;
}

bool ends_with(const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

}  // namespace

TEST_CASE("hostile: weight files with lying sizes and offsets are refused early", "[hostile]") {
    using catdog_test::ChildOutcome;
    const std::vector<Case> cases = generate();
    REQUIRE(cases.size() > 50);
    std::printf("hostile weight files (peak RSS over an idle child; bound %ld MB%s):\n",
                catdog_test::kPeakBoundKb / 1024, catdog_test::kUnderAsan ? ", ASan build" : "");
    int refused = 0, loaded = 0;
    long worst_kb = 0;
    std::string worst;
    for (const Case& c : cases) {
        const bool tflite = ends_with(c.file, ".tflite");
        const ChildOutcome out = catdog_test::run_measured<catdog::weights::WeightError>([&] {
            if (tflite) catdog::weights::read_tflite(c.file);
            else catdog::weights::read_pth(c.file);
        });
        const std::string base = c.file.substr(c.file.rfind('/') + 1);
        std::printf("  %-40s %-6s %-9s peak +%6.1f MB  %s\n", base.c_str(), c.expect.c_str(),
                    catdog_test::kind_name(out.kind), out.peak_kb / 1024.0,
                    out.kind == ChildOutcome::Accepted ? c.what.c_str() : out.message.c_str());
        INFO(base << " (" << c.what << "): " << catdog_test::kind_name(out.kind) << ": " << out.message);
        if (c.expect == "ok") {
            CHECK(out.kind == ChildOutcome::Accepted);
            ++loaded;
        } else if (c.expect == "any") {
            CHECK((out.kind == ChildOutcome::Accepted || out.kind == ChildOutcome::Refused));
        } else {
            CHECK(out.kind == ChildOutcome::Refused);
            if (out.kind == ChildOutcome::Refused) {
                ++refused;
                CHECK(out.message.rfind(c.file + ": ", 0) == 0);
                CHECK(out.message.find('\n') == std::string::npos);
            }
        }
        CHECK(out.peak_kb < catdog_test::kPeakBoundKb);
        if (out.peak_kb > worst_kb) { worst_kb = out.peak_kb; worst = base; }
    }
    std::printf("hostile weight files: %zu cases, %d refused, %d controls loaded; largest peak +%.1f MB (%s)\n",
                cases.size(), refused, loaded, worst_kb / 1024.0, worst.c_str());
}
