// libFuzzer target: see fuzz_entry.h for what counts as a finding.
#include "fuzz_entry.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    catdog_fuzz::run_pth(data, size);
    return 0;
}
