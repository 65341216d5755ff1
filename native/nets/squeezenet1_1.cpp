// nets/squeezenet1_1.cpp - torchvision's SqueezeNet 1.1 (models/squeezenet.py), with its
// state_dict names. A fire module is squeeze (1x1) -> ReLU, then expand1x1 and expand3x3 side
// by side on the squeezed map, their ReLUs concatenated along channels:
//   features.N.squeeze / .expand1x1 / .expand3x3   the convs (views: after their ReLU)
//   features.N                                     the Concat (the module's output)
// torchvision's max pools use ceil_mode=True; at 224 every window fits (111 -> 55 -> 27 -> 13),
// so floor and ceil agree and the spec's plain MaxPool is exact at its only input size.
// The transfer head is torchvision's fine-tuning tutorial's: classifier.1 = Conv2d(512, n, 1),
// then ReLU, global average pooling and flatten. classifier.0 (Dropout 0.5) sits in the trunk,
// like AlexNet's dropouts, so the frozen trunk's output is the 512 x 13 x 13 map the head reads.
#include "nets/layer_builders.h"

namespace catdog::nets {

NetSpec make_squeezenet1_1_spec(int num_classes) {
    using namespace build;
    NetSpec s;
    s.backbone = "squeezenet1_1";
    s.input_size = 224;
    s.transform = catdog::TransformSpec{};  // ImageNet mean/std, Resize(256), CenterCrop(224)
    s.conv1 = "features.0";
    auto& L = s.layers;
    auto fire = [&](int n, int in, int squeeze, int e1, int e3) {
        const std::string p = "features." + std::to_string(n);
        L.push_back(conv(p + ".squeeze", in, squeeze, 1, 1, {0, 0, 0, 0}));
        L.push_back(act(p + ".squeeze_activation", Op::Relu, p + ".squeeze"));
        const int squeezed = (int)L.size() - 1;
        L.push_back(conv(p + ".expand1x1", squeeze, e1, 1, 1, {0, 0, 0, 0}));
        L.push_back(act(p + ".expand1x1_activation", Op::Relu, p + ".expand1x1"));
        const int a = (int)L.size() - 1;
        Layer e3c = conv(p + ".expand3x3", squeeze, e3, 3, 1, {1, 1, 1, 1});
        e3c.inputs = {squeezed};
        L.push_back(e3c);
        L.push_back(act(p + ".expand3x3_activation", Op::Relu, p + ".expand3x3"));
        L.push_back(concat(p, {a, (int)L.size() - 1}));
    };
    L.push_back(conv("features.0", 3, 64, 3, 2, {0, 0, 0, 0}));
    L.push_back(act("features.1", Op::Relu, "features.0"));
    L.push_back(max_pool("features.2", 3, 2));
    fire(3, 64, 16, 64, 64);
    fire(4, 128, 16, 64, 64);
    L.push_back(max_pool("features.5", 3, 2));
    fire(6, 128, 32, 128, 128);
    fire(7, 256, 32, 128, 128);
    L.push_back(max_pool("features.8", 3, 2));
    fire(9, 256, 48, 192, 192);
    fire(10, 384, 48, 192, 192);
    fire(11, 384, 64, 256, 256);
    fire(12, 512, 64, 256, 256);
    L.push_back(dropout("classifier.0", 0.5f));
    s.feature_layer = (int)L.size() - 1;  // 512 x 13 x 13
    s.feature_dim = 512 * 13 * 13;
    L.push_back(conv("classifier.1", 512, num_classes, 1, 1, {0, 0, 0, 0}));
    s.head_layer = (int)L.size() - 1;
    L.push_back(act("classifier.2", Op::Relu));
    L.push_back(adaptive_avg_pool("classifier.3", 1, 1));
    L.push_back(flatten("flatten"));
    s.num_classes = num_classes;
    return s;
}

}  // namespace catdog::nets
