// nets/mobilenet_v2.cpp - MobileNet V2 (width 1.0, 224) as Google's TFLite graph
// mobilenet_v2_1.0_224_quant: BatchNorm folded into the convs (so every conv has a bias),
// ReLU6, and TF 'SAME' padding, which is asymmetric for stride 2 (0 top/left, 1 bottom/right).
// Names follow torchvision's mobilenet_v2 so a reader of either finds the same layer:
//   features.0.0                 stem conv 3->32, stride 2
//   features.N.conv.0.0          expand 1x1 (t = 6) or the depthwise 3x3 (block 1, t = 1)
//   features.N.conv.1.0          depthwise 3x3 (t = 6)
//   features.N.conv.2 / .conv.1  linear projection 1x1 (no activation)
//   features.N                   residual Add, where stride 1 and channels match
//   features.18.0                last conv 320->1280
//   classifier.1                 the head: Linear(1280, classes) (TFLite's Logits 1x1 conv)
// Views are the activated convs (after ReLU6), named after the conv like AlexNet's.
#include "nets/layer_builders.h"

namespace catdog::nets {

// TF 'SAME' for a k x k conv at `stride` on an even-sized input: total = k - stride,
// the extra pixel going to the bottom/right.
static std::array<int, 4> same_pad(int k, int stride) {
    const int total = k > stride ? k - stride : 0;
    const int lo = total / 2, hi = total - lo;
    return {lo, lo, hi, hi};
}

NetSpec make_mobilenet_v2_spec(int num_classes) {
    using namespace build;
    NetSpec s;
    s.backbone = "mobilenet_v2";
    s.input_size = 224;
    s.transform.resize = 256;
    s.transform.crop = 224;
    s.transform.mean = {0.5f, 0.5f, 0.5f};  // input scaled to [-1, 1]
    s.transform.std = {0.5f, 0.5f, 0.5f};
    s.conv1 = "features.0.0";
    auto& L = s.layers;
    auto conv_relu6 = [&](const std::string& prefix, int in, int out, int k, int stride, int groups) {
        L.push_back(conv(prefix + ".0", in, out, k, stride, same_pad(k, stride), groups));
        L.push_back(act(prefix + ".2", Op::Relu6, prefix + ".0"));
    };

    conv_relu6("features.0", 3, 32, 3, 2, 1);
    inverted_residual_blocks(L, 32, conv_relu6, [&](const std::string& p, int sub, int in, int out) {
        L.push_back(conv(p + std::to_string(sub), in, out, 1, 1, {0, 0, 0, 0}));
    });
    conv_relu6("features.18", 320, 1280, 1, 1, 1);
    pooled_linear_head(s, 1280, num_classes, "classifier.1");  // features: the 1280-d global average pool
    return s;
}

}  // namespace catdog::nets
