// catdog/plane.h - one float plane: a feature-map channel, a filter's output, a heat map.
//
// The unit the teaching views exchange: the kernel playground's output (convolve.h), the
// explanations (explain.h), and what window.catdog hands to scripts as {width, height, data}.
#pragma once
#include <vector>

namespace catdog {

// Row-major, no padding: value (x, y) is data[y * width + x].
struct Plane {
    int width = 0, height = 0;
    std::vector<float> data;
    float at(int x, int y) const { return data[size_t(y) * width + x]; }
    bool empty() const { return width == 0 || height == 0; }
};

}  // namespace catdog
