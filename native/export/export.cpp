// export/export.cpp - Model -> model.onnx, model.web.onnx, model.json (see export.h).
#include "export/export.h"

#include <map>
#include <stdexcept>
#include <fstream>
#include "data/dataset.h"
#include "data/loader.h"
#include "export/explain_graph.h"
#include "nets/conv1.h"
#include "catdog/files.h"
#include "train/run.h"

namespace catdog::exporter {

namespace {

// The kind of a view: the conv it is named after (views are convs' activations).
std::string view_kind(const nets::NetSpec& spec, const nets::Layer& view_layer) {
    int c = spec.find(view_layer.view);
    if (c >= 0 && spec.layers[size_t(c)].op == nets::Op::Conv) {
        const auto& L = spec.layers[size_t(c)];
        return (L.groups > 1 && L.groups == L.in_ch) ? "dwconv" : "conv";
    }
    return "activation";
}

}  // namespace

catdog::ModelInfo make_model_info(const nets::NetSpec& spec_in,
                                  const std::vector<std::string>& labels) {
    nets::NetSpec spec = spec_in;
    spec.infer_shapes();
    catdog::ModelInfo info;
    info.backbone = spec.backbone;
    info.labels = labels;
    info.transform = spec.transform;
    info.transform.crop = spec.input_size;
    for (int i : spec.view_layers()) {
        const auto& L = spec.layers[size_t(i)];
        info.layers.push_back({L.view, view_kind(spec, L), L.out_shape});
    }
    const nets::Conv1Info c1 = nets::conv1_info(spec);
    info.conv1_weight = c1.weight;
    info.conv1_shape = c1.shape;
    info.conv1_bias = c1.bias;
    info.conv1_stride = c1.stride;
    info.conv1_pad = c1.pad;
    info.conv1_activation = c1.activation;
    info.conv1_view = c1.view;
    return info;
}

ExportResult export_model(const nets::Model& model, const std::vector<std::string>& labels,
                          const std::string& dir, const ExportOptions& opt) {
    nets::NetSpec spec = model.spec();
    spec.infer_shapes();
    if (!labels.empty() && int(labels.size()) != spec.num_classes)
        throw std::runtime_error(dir + ": " + std::to_string(labels.size()) + " labels for a " +
                                 std::to_string(spec.num_classes) + "-class model");

    // CPU float32 contiguous copies only where needed; kept alive for the lookups.
    std::map<std::string, torch::Tensor> cpu;
    for (const auto& [name, t] : model.params())
        cpu[name] = t.detach().to(torch::kCPU, torch::kFloat32).contiguous();
    ParamLookup lookup = [&cpu](const std::string& name) -> ParamView {
        auto it = cpu.find(name);
        if (it == cpu.end()) return {};
        ParamView v;
        v.shape = it->second.sizes().vec();
        v.data = it->second.data_ptr<float>();
        return v;
    };

    ExportResult r;
    r.onnx_path = dir + "/model.onnx";
    r.web_path = dir + "/model.web.onnx";
    r.json_path = dir + "/model.json";
    OnnxOptions o;
    const ImagenetHead& in = opt.imagenet;
    if (in.classes > 0) {
        if (size_t(in.classes) * size_t(in.features) != in.weight.size() || size_t(in.classes) != in.bias.size() ||
            in.labels.size() != size_t(in.classes))
            throw std::runtime_error(dir + ": inconsistent ImageNet head");
        // Borrowed, not copied: the lookups only read while the files are written.
        cpu["imagenet.weight"] = torch::from_blob(const_cast<float*>(in.weight.data()), {in.classes, in.features});
        cpu["imagenet.bias"] = torch::from_blob(const_cast<float*>(in.bias.data()), {in.classes});
        o.imagenet_classes = in.classes;
        r.imagenet_classes = in.classes;
    }
    r.onnx_bytes = export_onnx(spec, lookup, o, r.onnx_path);
    if (opt.write_web) {
        o.linear = opt.web_linear;
        o.linear_input_mean = opt.linear_input_mean;
        r.web_bytes = export_onnx(spec, lookup, o, r.web_path);
    }
    catdog::ModelInfo info = make_model_info(spec, labels);
    if (opt.write_explain) {
        r.explain_path = dir + "/model.explain.onnx";
        try {
            r.explain_bytes = export_explain_onnx(spec, lookup, r.explain_path);
            describe_explain(spec, info);
        } catch (const std::runtime_error& e) {
            // A backbone with an op the backward pass lacks still gets its other files.
            r.explain_note = e.what();
            r.explain_path.clear();
        }
    }
    if (in.classes > 0) {
        info.imagenet_output = "imagenet_logits";
        info.imagenet_labels = in.labels;
    }
    catdog::write_file_atomic(r.json_path, catdog::model_info_to_json(info));
    return r;
}

std::map<std::string, std::vector<float>> calibrate_linears(nets::Model& model, const torch::Tensor& photos,
                                                            const OnnxOptions& onnx) {
    std::map<std::string, std::vector<float>> means;
    const nets::NetSpec& spec = model.spec();
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < spec.layers.size(); ++i) {
        const nets::Layer& L = spec.layers[i];
        if (L.op != nets::Op::Linear || L.out_ch * L.in_ch < onnx.quantize_min_elements) continue;
        const int from = spec.input_of(int(i));
        torch::Tensor x = from < 0 ? photos : model.run_to(photos, from);
        torch::Tensor m = x.flatten(1).to(torch::kCPU, torch::kFloat).mean(0).contiguous();
        means[L.name] = std::vector<float>(m.data_ptr<float>(), m.data_ptr<float>() + m.numel());
    }
    return means;
}

namespace {

// Up to `limit` of the run's training photos (spread over the list), val transform; the ones
// that are gone or fail to decode are skipped.
torch::Tensor calibration_photos(const train::RunInfo& run, int64_t limit) {
    data::Split split;
    try {
        split = train::read_split(run.dir);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "warning: int8 calibration without the run's photos: %s\n", e.what());
        return {};
    }
    std::vector<data::Sample> pick;
    const size_t n = split.train.size();
    for (int64_t k = 0; k < limit && size_t(k) < n; ++k) pick.push_back(split.train[size_t(k) * n / size_t(std::min<int64_t>(limit, n))]);
    data::LoaderOptions lo;
    lo.transform = run.transform;
    lo.batch_size = 64;
    lo.workers = 0;
    std::vector<torch::Tensor> parts;
    data::Loader loader(pick, data::sequential_order(pick.size()), lo);
    data::Batch b;
    while (loader.next(b))
        if (b.images.size(0) > 0) parts.push_back(b.images.clone());
    return parts.empty() ? torch::Tensor() : torch::cat(parts);
}

}  // namespace

ExportResult export_run(const std::string& run_dir, const ExportOptions& opt_in) {
    train::RunInfo run = train::read_run(run_dir);
    auto model = train::load_run_model(run, torch::kCPU);
    try {
        ExportOptions opt = opt_in;
        std::string imagenet_note;
        if (opt.keep_imagenet && opt.imagenet.classes == 0)
            opt.imagenet = load_imagenet_head(model->spec(), run.config.value("weights", std::string()), &imagenet_note);
        int64_t calibrated = 0;
        if (opt.write_web && opt.linear_input_mean.empty()) {
            torch::Tensor photos = calibration_photos(run, 128);
            if (photos.defined()) {
                opt.linear_input_mean = calibrate_linears(*model, photos);
                const nets::NetSpec& spec = model->spec();
                if (opt.imagenet.classes > 0) {  // the ImageNet head reads the new head's input
                    torch::NoGradGuard no_grad;
                    const int from = spec.input_of(spec.head_layer);
                    torch::Tensor m = model->run_to(photos, from).flatten(1).to(torch::kCPU, torch::kFloat).mean(0).contiguous();
                    opt.linear_input_mean["imagenet"] = std::vector<float>(m.data_ptr<float>(), m.data_ptr<float>() + m.numel());
                }
                calibrated = photos.size(0);
            }
        }
        ExportResult r = export_model(*model, run.labels, run_dir, opt);
        r.calibration_photos = calibrated;
        r.imagenet_note = imagenet_note;
        return r;
    } catch (const std::exception& e) {
        throw std::runtime_error(run_dir + ": export failed: " + e.what());
    }
}

}  // namespace catdog::exporter
