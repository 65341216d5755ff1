// Where tests find their data. ../shared (datasets, weights) is read-only and never copied
// into the repository; when it is missing, tests fail loudly rather than pass vacuously.
#pragma once
#include <cstdlib>
#include <string>
#include <sys/stat.h>
#include <catch2/catch.hpp>

namespace catdog_test {

inline bool is_dir(const std::string& p) {
    struct stat st{};
    return stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// CATDOG_SHARED overrides the configure-time path (the wasm build can't read env reliably).
inline std::string shared_dir() {
    const char* env = std::getenv("CATDOG_SHARED");
    std::string d = env && *env ? env : CATDOG_SHARED_DIR;
    if (!is_dir(d + "/datasets")) {
        FAIL("../shared data folder is MISSING (looked in " << d << "): these tests need its "
             "datasets; set CATDOG_SHARED or place it beside the checkout");
    }
    return d;
}
inline std::string dataset(const std::string& name) { return shared_dir() + "/datasets/" + name; }
inline std::string source_dir() { return CATDOG_SOURCE_DIR; }
inline std::string binary_dir() { return CATDOG_BINARY_DIR; }

}  // namespace catdog_test
