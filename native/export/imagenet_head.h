// export/imagenet_head.h - the backbone's original ImageNet classifier, kept beside the new head.
//
// Transfer learning replaces the last layer; the export puts the old one back as an extra
// output ("imagenet_logits" of model.onnx / model.web.onnx) reading the same features, so the
// page shows what the frozen features already knew ("tabby") beside the new answer. Its
// weights are re-read from the pretrained file the run recorded in config.json (checkpoints
// stay as they are, so old runs and resume are untouched).
#pragma once
#include <string>
#include <vector>
#include "nets/netspec.h"

namespace catdog::exporter {

struct ImagenetHead {
    int classes = 0;                  // 0: none kept
    int features = 0;
    std::vector<float> weight, bias;  // [classes, features], [classes]
    std::vector<std::string> labels;  // one per class
};

// torchvision's 1000 ImageNet-1k class names (models/imagenet_classes.txt, embedded at build).
const std::vector<std::string>& imagenet_classes();

// The head of `weights_path` for `spec`'s backbone, when the file has one that reads the
// feature layer (a Linear head of F inputs). Returns classes == 0 and sets *why otherwise
// ("random" weights, the file is gone, no head in it, ...). Labels: 1000 classes -> the list
// above; 1001 (TFLite, 0 = background) -> imagenet_labels.txt beside the file when it has
// 1001 lines, else "background" + the list.
ImagenetHead load_imagenet_head(const nets::NetSpec& spec, const std::string& weights_path, std::string* why);

}  // namespace catdog::exporter
