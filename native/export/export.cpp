// export/export.cpp - a run -> model.onnx, model.web.onnx, model.json, model.explain.onnx (see export.h).
#include "export/export.h"

#include <map>
#include <stdexcept>
#include <fstream>
#include <algorithm>
#include <cstdio>
#include "catdog/files.h"
#include "data/dataset.h"
#include "export/explain_graph.h"
#include "infer/network.h"
#include "nets/conv1.h"
#include "train/run_info.h"

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

ExportResult export_weights(const nets::NetSpec& spec_in, const ParamLookup& params,
                            const std::vector<std::string>& labels, const std::string& dir,
                            const ExportOptions& opt) {
    nets::NetSpec spec = spec_in;
    spec.infer_shapes();
    if (!labels.empty() && int(labels.size()) != spec.num_classes)
        throw std::runtime_error(dir + ": " + std::to_string(labels.size()) + " labels for a " +
                                 std::to_string(spec.num_classes) + "-class model");
    const ImagenetHead& in = opt.imagenet;
    // The kept ImageNet head's parameters come from opt, the rest from the caller.
    ParamLookup lookup = [&](const std::string& name) -> ParamView {
        if (in.classes > 0 && name == "imagenet.weight") return {{in.classes, in.features}, in.weight.data()};
        if (in.classes > 0 && name == "imagenet.bias") return {{in.classes}, in.bias.data()};
        return params(name);
    };

    ExportResult r;
    r.onnx_path = dir + "/model.onnx";
    r.web_path = dir + "/model.web.onnx";
    r.json_path = dir + "/model.json";
    OnnxOptions o;
    if (in.classes > 0) {
        if (size_t(in.classes) * size_t(in.features) != in.weight.size() || size_t(in.classes) != in.bias.size() ||
            in.labels.size() != size_t(in.classes))
            throw std::runtime_error(dir + ": inconsistent ImageNet head");
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

std::map<std::string, std::vector<float>> calibrate_linears(const nets::NetSpec& spec_in, int64_t n,
                                                            const CalibrationRun& run_to, bool imagenet,
                                                            const OnnxOptions& onnx) {
    nets::NetSpec spec = spec_in;
    spec.infer_shapes();
    std::map<std::string, std::vector<float>> means;
    auto mean_of = [&](int from) {
        if (from < 0) throw std::runtime_error("calibration: a Linear reads the image itself");
        int64_t f = 1;
        for (int64_t d : spec.layers[size_t(from)].out_shape) f *= d;
        std::vector<float> act(size_t(n * f));
        run_to(from, act.data());
        std::vector<double> sum(static_cast<size_t>(f), 0.0);
        for (int64_t r = 0; r < n; ++r)
            for (int64_t k = 0; k < f; ++k) sum[size_t(k)] += act[size_t(r * f + k)];
        std::vector<float> m(static_cast<size_t>(f));
        for (int64_t k = 0; k < f; ++k) m[size_t(k)] = float(sum[size_t(k)] / double(n));
        return m;
    };
    for (size_t i = 0; i < spec.layers.size(); ++i) {
        const nets::Layer& L = spec.layers[i];
        if (L.op != nets::Op::Linear || L.out_ch * L.in_ch < onnx.quantize_min_elements) continue;
        means[L.name] = mean_of(spec.input_of(int(i)));
    }
    if (imagenet) means["imagenet"] = mean_of(spec.input_of(spec.head_layer));  // reads the new head's input
    return means;
}

namespace {

// Up to `limit` of the run's training photos (spread over the list), val transform, as NHWC
// rows; the ones that are gone or fail to decode are skipped.
infer::Prepared calibration_photos(const train::RunInfo& run, int64_t limit) {
    data::Split split;
    try {
        split = train::read_split(run.dir);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "warning: int8 calibration without the run's photos: %s\n", e.what());
        return {};
    }
    std::vector<std::string> pick;
    const size_t n = split.train.size();
    for (int64_t k = 0; k < limit && size_t(k) < n; ++k)
        pick.push_back(split.train[size_t(k) * n / size_t(std::min<int64_t>(limit, int64_t(n)))].path);
    return infer::prepare_photos(pick, run.transform, infer::thread_count(0));
}

}  // namespace

ExportResult export_run(const std::string& run_dir, const ExportOptions& opt_in) {
    infer::Network net(run_dir);
    try {
        const nets::NetSpec& spec = net.spec();
        ExportOptions opt = opt_in;
        std::string imagenet_note;
        if (opt.keep_imagenet && opt.imagenet.classes == 0)
            opt.imagenet = load_imagenet_head(spec, net.run().config.value("weights", std::string()), &imagenet_note);
        int64_t calibrated = 0;
        if (opt.write_web && opt.linear_input_mean.empty()) {
            const infer::Prepared photos = calibration_photos(net.run(), 128);
            if (photos.rows > 0) {
                opt.linear_input_mean = calibrate_linears(
                    spec, photos.rows, [&](int last, float* out) { net.run_to(photos.x.data(), photos.rows, last, out); },
                    opt.imagenet.classes > 0);
                calibrated = photos.rows;
            }
        }
        ParamLookup lookup = [&net](const std::string& name) -> ParamView {
            const weights::RawTensor* t = net.param(name);
            return t ? ParamView{t->shape, t->data} : ParamView{};
        };
        ExportResult r = export_weights(spec, lookup, net.labels(), run_dir, opt);
        r.calibration_photos = calibrated;
        r.imagenet_note = imagenet_note;
        return r;
    } catch (const std::exception& e) {
        throw std::runtime_error(run_dir + ": export failed: " + e.what());
    }
}

}  // namespace catdog::exporter
