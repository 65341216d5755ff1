// export/export.cpp - Model -> model.onnx, model.web.onnx, model.json (see export.h).
#include "export/export.h"

#include <map>
#include <stdexcept>
#include "train/atomic_write.h"
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
    int c1 = spec.find(spec.conv1);
    if (c1 < 0) throw std::runtime_error("model.json: the spec's conv1 '" + spec.conv1 + "' is not a layer");
    const auto& C = spec.layers[size_t(c1)];
    info.conv1_weight = C.name + ".weight";
    info.conv1_shape = {C.out_ch, C.in_ch / std::max(1, C.groups), C.kh, C.kw};
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
    r.onnx_bytes = export_onnx(spec, lookup, o, r.onnx_path);
    if (opt.write_web) {
        o.linear = opt.web_linear;
        r.web_bytes = export_onnx(spec, lookup, o, r.web_path);
    }
    train::write_file_atomic(r.json_path, catdog::model_info_to_json(make_model_info(spec, labels)));
    return r;
}

ExportResult export_run(const std::string& run_dir, const ExportOptions& opt) {
    train::RunInfo run = train::read_run(run_dir);
    auto model = train::load_run_model(run, torch::kCPU);
    try {
        return export_model(*model, run.labels, run_dir, opt);
    } catch (const std::exception& e) {
        throw std::runtime_error(run_dir + ": export failed: " + e.what());
    }
}

}  // namespace catdog::exporter
