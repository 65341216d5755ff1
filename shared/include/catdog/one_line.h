// catdog/one_line.h - keep error messages on one line.
//
// Errors quote bytes read from untrusted files (stb_image names an unknown PNG chunk by its raw
// type bytes, pickles carry arbitrary global names), so control characters become \xNN.
#pragma once
#include <string>

namespace catdog {

inline std::string one_line_text(const std::string& s) {
    std::string out;
    out.reserve(s.size());
    for (unsigned char c : s) {
        if (c < 0x20 || c == 0x7f) {
            out += "\\x";
            out += "0123456789abcdef"[c >> 4];
            out += "0123456789abcdef"[c & 15];
        } else {
            out += char(c);
        }
    }
    return out;
}

}  // namespace catdog
