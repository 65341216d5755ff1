// cli/export.cpp - `catdog export --model RUN`: model.onnx, model.web.onnx, model.json.
#include <cstdio>
#include <memory>
#include "cli/command.h"
#include "export/export.h"

namespace catdog::cli {
namespace {

struct ExportArgs {
    std::string run;
    std::string web_linear = "dequantize";
    bool no_web = false, no_explain = false;
};

void run_export(const ExportArgs& a) {
    exporter::ExportOptions opt;
    if (a.web_linear == "dynamic") opt.web_linear = exporter::WebLinear::Dynamic;
    else if (a.web_linear == "dequantize") opt.web_linear = exporter::WebLinear::Dequantize;
    else if (a.web_linear == "fp32") opt.web_linear = exporter::WebLinear::None;
    else throw Failure("--web-linear must be dynamic, dequantize or fp32, not '" + a.web_linear + "'");
    opt.write_web = !a.no_web;
    opt.write_explain = !a.no_explain;
    exporter::ExportResult r = exporter::export_run(a.run, opt);
    std::printf("wrote %s (%.1f MiB)\n", r.onnx_path.c_str(), r.onnx_bytes / 1048576.0);
    if (opt.write_web)
        std::printf("wrote %s (%.1f MiB; %s)\n", r.web_path.c_str(), r.web_bytes / 1048576.0,
                    r.calibration_photos ? ("int8 biases corrected on " + std::to_string(r.calibration_photos) +
                                            " training photos").c_str()
                                         : "no training photos found: int8 biases not corrected");
    if (!r.explain_path.empty())
        std::printf("wrote %s (%.1f MiB; gradients for Grad-CAM)\n", r.explain_path.c_str(), r.explain_bytes / 1048576.0);
    else if (opt.write_explain)
        std::printf("no explain graph: %s\n", r.explain_note.c_str());
    if (r.imagenet_classes > 0) std::printf("kept the %d-class ImageNet head as imagenet_logits\n", r.imagenet_classes);
    else if (!r.imagenet_note.empty()) std::printf("no ImageNet head: %s\n", r.imagenet_note.c_str());
    std::printf("wrote %s\n", r.json_path.c_str());
}

const RegisterCommand reg{{"export", "Write model.onnx, model.web.onnx (int8) and model.json into a run folder", 40,
    [](CLI::App& app) {
        auto a = std::make_shared<ExportArgs>();
        app.add_option("--model", a->run, "Run folder (from catdog train)")->required();
        app.add_option("--web-linear", a->web_linear,
                       "Web model's large Linear layers: dequantize (int8 + DequantizeLinear, folded to fp32 by "
                       "the page at load), dynamic (int8, DynamicQuantizeLinear + MatMulInteger) or fp32")
            ->capture_default_str();
        app.add_flag("--no-web", a->no_web, "Skip model.web.onnx");
        app.add_flag("--no-explain", a->no_explain, "Skip model.explain.onnx");
        app.callback([a] { run_export(*a); });
    }}};

}  // namespace
}  // namespace catdog::cli
