// nets/alexnet.cpp - torchvision's AlexNet (models/alexnet.py), layer for layer, with
// its state_dict names. Views are each conv's activation after its ReLU, named after the conv.
#include "nets/layer_builders.h"

namespace catdog::nets {

NetSpec make_alexnet_spec(int num_classes) {
    using namespace build;
    NetSpec s;
    s.backbone = "alexnet";
    s.input_size = 224;
    s.transform = catdog::TransformSpec{};  // ImageNet mean/std, Resize(256), CenterCrop(224)
    s.conv1 = "features.0";
    auto& L = s.layers;
    L.push_back(conv("features.0", 3, 64, 11, 4, {2, 2, 2, 2}));
    L.push_back(act("features.1", Op::Relu, "features.0"));
    L.push_back(max_pool("features.2", 3, 2));
    L.push_back(conv("features.3", 64, 192, 5, 1, {2, 2, 2, 2}));
    L.push_back(act("features.4", Op::Relu, "features.3"));
    L.push_back(max_pool("features.5", 3, 2));
    L.push_back(conv("features.6", 192, 384, 3, 1, {1, 1, 1, 1}));
    L.push_back(act("features.7", Op::Relu, "features.6"));
    L.push_back(conv("features.8", 384, 256, 3, 1, {1, 1, 1, 1}));
    L.push_back(act("features.9", Op::Relu, "features.8"));
    L.push_back(conv("features.10", 256, 256, 3, 1, {1, 1, 1, 1}));
    L.push_back(act("features.11", Op::Relu, "features.10"));
    L.push_back(max_pool("features.12", 3, 2));
    L.push_back(adaptive_avg_pool("avgpool", 6, 6));
    L.push_back(flatten("flatten"));
    L.push_back(dropout("classifier.0", 0.5f));
    L.push_back(linear("classifier.1", 256 * 6 * 6, 4096));
    L.push_back(act("classifier.2", Op::Relu));
    L.push_back(dropout("classifier.3", 0.5f));
    L.push_back(linear("classifier.4", 4096, 4096));
    L.push_back(act("classifier.5", Op::Relu));
    s.feature_layer = (int)L.size() - 1;  // 4096-d, after classifier.4's ReLU
    s.feature_dim = 4096;
    L.push_back(linear("classifier.6", 4096, num_classes));
    s.head_layer = (int)L.size() - 1;
    s.num_classes = num_classes;
    return s;
}

}  // namespace catdog::nets
