// export/export.h - a trained run -> the files the page and other runtimes load. No LibTorch:
// the weights come from the run's model.ckpt (infer/network.h); export/export_model.h adapts a
// LibTorch nets::Model for the tests.
//
//   model.onnx       fp32, input "input" float32[N,3,S,S], outputs "logits", "probs" and one
//                    output per visualisable activation (named by its view, e.g. "features.0")
//   model.web.onnx   the same graph with large Linear weights in int8 (per output channel)
//   model.json       catdog::ModelInfo: labels, preprocessing, layers and their shapes, conv1,
//                    the explain graph's layers, CAM's head, the ImageNet head's labels
//   model.explain.onnx  the forward graph plus its backward pass (export/explain_graph.h)
// model.onnx and model.web.onnx also output "imagenet_logits" when the backbone's original
// ImageNet head is kept (export/imagenet_head.h).
// Every file is written atomically (temp + rename), so a killed export leaves no torn file.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>
#include "catdog/model_info.h"
#include "export/imagenet_head.h"
#include "export/onnx_writer.h"
#include "nets/netspec.h"

namespace catdog::exporter {

struct ExportOptions {
    // The int8 encoding of the web model. Dequantize: the page has ORT fold DequantizeLinear
    // into float32 weights at load (session.disable_quant_qdq), after which a run is as fast
    // as fp32: 60 ms against 78 ms for Dynamic (DynamicQuantizeLinear + MatMulInteger) in
    // onnxruntime-web, and the activations stay float32, so top-1 agreement with model.onnx is
    // higher (the export tests measure both).
    WebLinear web_linear = WebLinear::Dequantize;
    bool write_web = true;
    // Bias correction of the web model's int8 layers (see calibrate_linears); empty = none.
    std::map<std::string, std::vector<float>> linear_input_mean;
    // The original ImageNet head (classes 0: none). export_run fills it from the pretrained
    // file the run recorded, unless keep_imagenet is false.
    ImagenetHead imagenet;
    bool keep_imagenet = true;
    bool write_explain = true;   // model.explain.onnx
};

struct ExportResult {
    std::string onnx_path, web_path, json_path;
    int64_t onnx_bytes = 0, web_bytes = 0;
    int64_t calibration_photos = 0;   // export_run: training photos behind the bias correction
    std::string explain_path;         // empty: not written (explain_note says why)
    int64_t explain_bytes = 0;
    std::string explain_note, imagenet_note;  // why the explain graph / ImageNet head is missing
    int imagenet_classes = 0;
};

// The output of spec.layers[last] for every calibration photo, `n` rows of its out_shape's
// numel (NCHW order), into out; a network engine binds the photos.
using CalibrationRun = std::function<void(int last, float* out)>;

// The mean input of each Linear layer that the web model stores in int8, over the n photos
// `run_to` was given, for OnnxOptions::linear_input_mean; with `imagenet`, also the mean input of
// the kept ImageNet head (the new head's input) under "imagenet".
std::map<std::string, std::vector<float>> calibrate_linears(const nets::NetSpec& spec, int64_t n,
                                                            const CalibrationRun& run_to, bool imagenet = false,
                                                            const OnnxOptions& onnx = {});

// The model.json contents for a model: layers with shapes from NetSpec::infer_shapes.
catdog::ModelInfo make_model_info(const nets::NetSpec& spec, const std::vector<std::string>& labels);

// Writes the files for `spec` with parameters from `params` into `dir`.
ExportResult export_weights(const nets::NetSpec& spec, const ParamLookup& params,
                            const std::vector<std::string>& labels, const std::string& dir,
                            const ExportOptions& opt = {});

// Reads the run folder and its model.ckpt and exports into the folder. The
// web model's bias correction uses up to 128 of the run's training photos when they are still
// where split.json says (otherwise the web model is written without it).
// Throws std::runtime_error with a one-line reason naming the folder.
ExportResult export_run(const std::string& run_dir, const ExportOptions& opt = {});

}  // namespace catdog::exporter
