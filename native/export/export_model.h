// export/export_model.h - export.h for a LibTorch nets::Model held in memory (the tests build
// models from reference weights and export them without a run folder).
#pragma once
#include <map>
#include <string>
#include <vector>
#include <torch/torch.h>
#include "export/export.h"
#include "nets/model.h"

namespace catdog::exporter {

// export_weights with `model`'s parameters (any device; read on the CPU).
ExportResult export_model(const nets::Model& model, const std::vector<std::string>& labels,
                          const std::string& dir, const ExportOptions& opt = {});

// calibrate_linears through `model` on `photos` ([N,3,S,S], the val transform).
std::map<std::string, std::vector<float>> calibrate_linears(nets::Model& model, const torch::Tensor& photos,
                                                            const OnnxOptions& onnx = {});

}  // namespace catdog::exporter
