// cli/handover.cpp - see handover.h.
#include "cli/handover.h"

namespace catdog::cli {

infer::Network open_network(const std::string& run_dir) {
    try {
        return infer::Network(run_dir);
    } catch (const std::exception&) {
        throw HandOver{};
    }
}

}  // namespace catdog::cli
