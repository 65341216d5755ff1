// catdog/convolve.h - one 2-D convolution channel, as a class can see it.
//
// The kernel playground and the step-through run this on the network's input tensor (the
// normalised 3 x S x S crop), natively (`catdog filter`) and in the page (WASM), so both show
// the same numbers. With an unedited conv1 kernel and the layer's own stride, padding, bias
// and activation, the result is that channel of the network's first feature map (the tests
// hold it to onnxruntime and torch's conv2d).
#pragma once
#include <array>
#include <string>
#include <vector>
#include "catdog/plane.h"

namespace catdog {

enum class Activation { None, Relu, Relu6 };
const char* activation_name(Activation a);             // "none", "relu", "relu6"
Activation parse_activation(const std::string& name);   // throws std::invalid_argument

// One output channel's kernel: c input channels of kh x kw, w[(ci * kh + y) * kw + x].
struct Kernel {
    int c = 3, kh = 3, kw = 3;
    std::vector<float> w;
};

struct ConvSpec {
    Kernel kernel;
    int stride = 1;
    std::array<int, 4> pad{0, 0, 0, 0};   // top, left, bottom, right (zeros outside the input)
    float bias = 0.f;
    Activation act = Activation::None;
};

// TensorFlow's 'SAME' padding for an h x w input (top/left get the smaller half), as
// MobileNet V2's TFLite conv1 uses it: out = ceil(in / stride).
std::array<int, 4> same_pad(int h, int w, int kh, int kw, int stride);

// Output size for an h x w input; throws std::invalid_argument if the kernel does not fit.
int conv_out_size(int in, int k, int stride, int pad_before, int pad_after);

// Convolves a C x H x W float tensor (CHW) with `spec` (spec.kernel.c must equal C).
// Throws std::invalid_argument with a one-line reason on mismatched shapes.
Plane convolve(const float* chw, int C, int H, int W, const ConvSpec& spec);

// Everything behind one output value, for the step-through view:
// value = act(sum(patch * kernel) + bias), with patch zero where it falls in the padding.
struct ConvStep {
    int ox = 0, oy = 0;            // output position
    int ix = 0, iy = 0;            // input position of the kernel's top-left tap (may be < 0)
    std::vector<float> patch;      // c x kh x kw input values under the kernel
    std::vector<float> products;   // patch * kernel, element-wise
    double sum = 0;                // sum of products (accumulated in double)
    float bias = 0.f;
    float pre = 0.f;               // sum + bias, as float
    float value = 0.f;             // act(pre): equals convolve(...).at(ox, oy)
};
ConvStep convolve_at(const float* chw, int C, int H, int W, const ConvSpec& spec, int ox, int oy);

// Classic image kernels (setosa.io's set): "identity", "box_blur", "gaussian", "sharpen",
// "sobel_x", "sobel_y", "laplacian", "emboss", "outline". `size` 3 or 5 (or the first
// layer's own size: the 3x3 pattern is scaled up by nearest neighbour and renormalised so
// that blurs still sum to one); the same grey kernel in each of `channels` channels,
// divided by `channels` so that a grey input gives the grey result.
std::vector<std::string> preset_names();
Kernel preset_kernel(const std::string& name, int size = 3, int channels = 3);  // throws std::invalid_argument

}  // namespace catdog
