// nets/resnet18.cpp - torchvision's ResNet-18 (models/resnet.py), with its state_dict names:
//   conv1, bn1, relu, maxpool                      the stem (view conv1: after the ReLU)
//   layerS.B.conv1 / bn1 / relu / conv2 / bn2      a BasicBlock (view layerS.B.conv1)
//   layerS.B.downsample.0 / .1                     1x1 stride-2 conv + BN on the shortcut
//   layerS.B.add, layerS.B                         the residual sum, then its ReLU: the block's
//                                                  output (view layerS.B)
//   avgpool, flatten, fc                           global average pool, head Linear(512, n)
// torchvision calls one `relu` module twice per block; the spec names the second one after the
// block, so every layer has its own name.
#include "nets/layer_builders.h"

namespace catdog::nets {

NetSpec make_resnet18_spec(int num_classes) {
    using namespace build;
    NetSpec s;
    s.backbone = "resnet18";
    s.input_size = 224;
    s.transform = catdog::TransformSpec{};  // ImageNet mean/std, Resize(256), CenterCrop(224)
    s.conv1 = "conv1";
    auto& L = s.layers;
    L.push_back(conv_nobias("conv1", 3, 64, 7, 2, 3));
    L.push_back(batch_norm("bn1", 64));
    L.push_back(act("relu", Op::Relu, "conv1"));
    Layer pool = max_pool("maxpool", 3, 2);
    pool.pad = {1, 1, 1, 1};
    L.push_back(pool);
    int in = 64;
    for (int stage = 1; stage <= 4; ++stage) {
        const int out = 64 << (stage - 1);
        for (int b = 0; b < 2; ++b) {
            const int stride = (stage > 1 && b == 0) ? 2 : 1;
            const std::string p = "layer" + std::to_string(stage) + "." + std::to_string(b);
            const int block_input = (int)L.size() - 1;
            L.push_back(conv_nobias(p + ".conv1", in, out, 3, stride, 1));
            L.push_back(batch_norm(p + ".bn1", out));
            L.push_back(act(p + ".relu", Op::Relu, p + ".conv1"));
            L.push_back(conv_nobias(p + ".conv2", out, out, 3, 1, 1));
            L.push_back(batch_norm(p + ".bn2", out));
            const int main_path = (int)L.size() - 1;
            int shortcut = block_input;
            if (stride != 1 || in != out) {
                Layer d = conv_nobias(p + ".downsample.0", in, out, 1, stride, 0);
                d.inputs = {block_input};
                L.push_back(d);
                L.push_back(batch_norm(p + ".downsample.1", out));
                shortcut = (int)L.size() - 1;
            }
            L.push_back(add(p + ".add", main_path, shortcut));
            L.push_back(act(p, Op::Relu, p));
            in = out;
        }
    }
    pooled_linear_head(s, 512, num_classes, "fc");  // features: the 512-d global average pool
    return s;
}

}  // namespace catdog::nets
