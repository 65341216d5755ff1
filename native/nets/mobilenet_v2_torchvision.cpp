// nets/mobilenet_v2_torchvision.cpp - torchvision's MobileNet V2 (models/mobilenetv2.py,
// width 1.0), with its state_dict names. Unlike Google's TFLite graph (mobilenet_v2.cpp)
// it keeps BatchNorm after every conv and pads symmetrically:
//   features.0.0 / .1 / .2               stem conv 3->32 stride 2, BN, ReLU6
//   features.N.conv.0.0 / .1 / .2        expand 1x1 (t = 6) or the depthwise 3x3 (block 1)
//   features.N.conv.1.0 / .1 / .2        depthwise 3x3 (t = 6)
//   features.N.conv.2 / .3               linear projection 1x1 + BN (block 1: conv.1 / conv.2)
//   features.N                           residual Add, where stride 1 and channels match
//   features.18.0 / .1 / .2              last conv 320->1280
//   classifier.0 / .1                    Dropout(0.2), then the head Linear(1280, n); the
//                                        dropout sits in the trunk, like AlexNet's
// Views are the activated convs (after ReLU6), named after the conv.
#include "nets/layer_builders.h"

namespace catdog::nets {

NetSpec make_mobilenet_v2_torchvision_spec(int num_classes) {
    using namespace build;
    NetSpec s;
    s.backbone = "mobilenet_v2_torchvision";
    s.input_size = 224;
    s.transform = catdog::TransformSpec{};  // torchvision's ImageNet preprocessing
    s.conv1 = "features.0.0";
    auto& L = s.layers;
    auto conv_bn_relu6 = [&](const std::string& prefix, int in, int out, int k, int stride, int groups) {
        L.push_back(conv_nobias(prefix + ".0", in, out, k, stride, (k - 1) / 2, groups));
        L.push_back(batch_norm(prefix + ".1", out));
        L.push_back(act(prefix + ".2", Op::Relu6, prefix + ".0"));
    };

    conv_bn_relu6("features.0", 3, 32, 3, 2, 1);
    inverted_residual_blocks(L, 32, conv_bn_relu6, [&](const std::string& p, int sub, int in, int out) {
        L.push_back(conv_nobias(p + std::to_string(sub), in, out, 1, 1, 0));
        L.push_back(batch_norm(p + std::to_string(sub + 1), out));
    });
    conv_bn_relu6("features.18", 320, 1280, 1, 1, 1);
    pooled_linear_head(s, 1280, num_classes, "classifier.1", 0.2f, "classifier.0");  // 1280-d pool (+ dropout)
    return s;
}

}  // namespace catdog::nets
