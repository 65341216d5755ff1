// model.json: round trip, defaults, and one-line errors on malformed input.
#include <catch2/catch.hpp>

#include "catdog/model_info.h"

using namespace catdog;

namespace {

ModelInfo sample() {
    ModelInfo m;
    m.backbone = "alexnet";
    m.labels = {"cat", "dog"};
    m.layers = {{"features.0", "conv", {64, 55, 55}}, {"features.3", "conv", {192, 27, 27}}};
    m.conv1_weight = "features.0.weight";
    m.conv1_shape = {64, 3, 11, 11};
    return m;
}

std::string error_of(const std::string& text) {
    try {
        parse_model_info(text);
    } catch (const std::runtime_error& e) {
        return e.what();
    }
    return "";
}

const char* kValid = R"({
  "format": "catdog-model/1", "backbone": "mobilenet_v2", "labels": ["cat", "dog"],
  "input": {"name": "input", "size": 224, "resize": 256, "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5]},
  "outputs": {"logits": "logits", "probs": "probs"},
  "layers": [{"name": "features.0", "kind": "conv", "shape": [32, 112, 112]}],
  "conv1": {"weight": "features.0.0.weight", "shape": [32, 3, 3, 3]}
})";

}  // namespace

TEST_CASE("model.json round-trips") {
    const ModelInfo a = sample();
    const std::string text = model_info_to_json(a);
    CHECK(text.find("\"format\": \"catdog-model/1\"") != std::string::npos);
    CHECK(text.find("0.485") != std::string::npos);          // floats written short
    CHECK(text.find("0.48500001") == std::string::npos);
    const ModelInfo b = parse_model_info(text);
    CHECK(b.backbone == a.backbone);
    CHECK(b.labels == a.labels);
    CHECK(b.input_name == a.input_name);
    CHECK(b.transform.resize == a.transform.resize);
    CHECK(b.transform.crop == a.transform.crop);
    CHECK(b.transform.mean == a.transform.mean);  // exact floats
    CHECK(b.transform.std == a.transform.std);
    CHECK(b.logits_output == a.logits_output);
    CHECK(b.probs_output == a.probs_output);
    REQUIRE(b.layers.size() == 2);
    CHECK(b.layers[1].name == "features.3");
    CHECK(b.layers[1].kind == "conv");
    CHECK(b.layers[1].shape == std::vector<int64_t>{192, 27, 27});
    CHECK(b.conv1_weight == a.conv1_weight);
    CHECK(b.conv1_shape == a.conv1_shape);
    CHECK(model_info_to_json(b) == text);
}

TEST_CASE("model.json parses the documented example and applies defaults") {
    const ModelInfo m = parse_model_info(kValid);
    CHECK(m.backbone == "mobilenet_v2");
    CHECK(m.transform.mean[0] == 0.5f);
    CHECK(m.conv1_shape == std::vector<int64_t>{32, 3, 3, 3});
    const ModelInfo minimal = parse_model_info(R"({"format": "catdog-model/1", "backbone": "x",
        "labels": ["a"], "input": {"size": 8, "resize": 9, "mean": [0,0,0], "std": [1,1,1]}})");
    CHECK(minimal.input_name == "input");
    CHECK(minimal.logits_output == "logits");
    CHECK(minimal.layers.empty());
    CHECK(minimal.conv1_weight.empty());
}

TEST_CASE("malformed model.json gives one clear line") {
    struct Case { std::string text, expect; };
    std::string v = kValid;
    auto with = [&](const std::string& from, const std::string& to) {
        std::string s = v;
        const size_t at = s.find(from);
        REQUIRE(at != std::string::npos);
        return s.replace(at, from.size(), to);
    };
    const Case cases[] = {
        {"{\"format\": \n", "syntax"},
        {"", "syntax"},
        {"[1, 2]", "expected an object"},
        {with("catdog-model/1", "catdog-model/9"), "unsupported"},
        {with("\"backbone\": \"mobilenet_v2\",", ""), "missing \"backbone\""},
        {with("[\"cat\", \"dog\"]", "[]"), "labels"},
        {with("[\"cat\", \"dog\"]", "[\"cat\", 3]"), "labels"},
        {with("\"size\": 224", "\"size\": -1"), "input.size"},
        {with("\"size\": 224", "\"size\": \"224\""), "input.size"},
        {with("\"mean\": [0.5, 0.5, 0.5]", "\"mean\": [0.5, 0.5]"), "input.mean"},
        {with("\"std\": [0.5, 0.5, 0.5]", "\"std\": [0.5, 0, 0.5]"), "input.std"},
        {with("[32, 112, 112]", "[32, 0, 112]"), "layers[0].shape"},
        {with("\"name\": \"features.0\", ", ""), "layers[0]"},
        {with("\"weight\": \"features.0.0.weight\", ", ""), "conv1"},
    };
    for (const Case& c : cases) {
        INFO("input: " << c.text);
        const std::string err = error_of(c.text);
        INFO("error: " << err);
        CHECK(err.rfind("model.json: ", 0) == 0);
        CHECK(err.find(c.expect) != std::string::npos);
        CHECK(err.find('\n') == std::string::npos);
    }
}

TEST_CASE("model.json carries the explain graph, CAM head and ImageNet head") {
    ModelInfo a = sample();
    CHECK(model_info_to_json(a).find("\"explain\"") == std::string::npos);  // absent unless set
    a.explain_file = "model.explain.onnx";
    a.explain_layers = {"features.0", "features.3"};
    a.cam_layer = "features.18";
    a.cam_weight = "classifier.1.weight";
    a.cam_bias = "classifier.1.bias";
    a.imagenet_output = "imagenet_logits";
    a.imagenet_labels = {"tench", "goldfish"};
    const std::string text = model_info_to_json(a);
    const ModelInfo b = parse_model_info(text);
    CHECK(b.explain_file == "model.explain.onnx");
    CHECK(b.explain_seed == "seed");
    CHECK(b.explain_layers == a.explain_layers);
    CHECK(b.cam_layer == "features.18");
    CHECK(b.cam_weight == "classifier.1.weight");
    CHECK(b.cam_bias == "classifier.1.bias");
    CHECK(b.imagenet_output == "imagenet_logits");
    CHECK(b.imagenet_labels == a.imagenet_labels);
    CHECK(model_info_to_json(b) == text);

    // Old files without the sections parse with empty fields.
    const ModelInfo old = parse_model_info(kValid);
    CHECK(old.explain_file.empty());
    CHECK(old.explain_layers.empty());
    CHECK(old.cam_layer.empty());
    CHECK(old.imagenet_output.empty());
    CHECK(old.imagenet_labels.empty());

    std::string v = kValid;
    const size_t end = v.rfind('}');
    auto with_section = [&](const std::string& section) {
        return std::string(v).insert(end, ", " + section);
    };
    struct Case { std::string text, expect; };
    const Case cases[] = {
        {with_section(R"("explain": [])"), "explain"},
        {with_section(R"("explain": {"layers": []})"), "missing \"file\""},
        {with_section(R"("explain": {"file": "x.onnx", "layers": ["a", 3]})"), "explain.layers"},
        {with_section(R"("cam": {"layer": "a", "weight": "w"})"), "missing \"bias\""},
        {with_section(R"("imagenet": {"output": "o", "labels": []})"), "imagenet.labels"},
        {with_section(R"("imagenet": {"output": "o"})"), "missing \"labels\""},
    };
    for (const Case& c : cases) {
        INFO("input: " << c.text);
        const std::string err = error_of(c.text);
        INFO("error: " << err);
        CHECK(err.rfind("model.json: ", 0) == 0);
        CHECK(err.find(c.expect) != std::string::npos);
    }
}

TEST_CASE("model.json carries conv1's stride, padding, bias and activation") {
    ModelInfo a = sample();
    a.conv1_bias = "features.0.bias";
    a.conv1_stride = 4;
    a.conv1_pad = {2, 2, 2, 2};
    a.conv1_activation = "relu";
    a.conv1_view = "features.0";
    const std::string text = model_info_to_json(a);
    const ModelInfo b = parse_model_info(text);
    CHECK(b.conv1_bias == "features.0.bias");
    CHECK(b.conv1_stride == 4);
    CHECK(b.conv1_pad == std::array<int, 4>{2, 2, 2, 2});
    CHECK(b.conv1_activation == "relu");
    CHECK(b.conv1_view == "features.0");
    CHECK(model_info_to_json(b) == text);

    // An older file has only weight and shape: stride 1, no padding, no bias, no activation.
    const ModelInfo old = parse_model_info(kValid);
    CHECK(old.conv1_bias.empty());
    CHECK(old.conv1_stride == 1);
    CHECK(old.conv1_pad == std::array<int, 4>{0, 0, 0, 0});
    CHECK(old.conv1_activation == "none");
    CHECK(old.conv1_view.empty());

    std::string v = kValid;
    const std::string key = "\"shape\": [32, 3, 3, 3]";
    auto with = [&](const std::string& extra) {
        std::string s = v;
        return s.replace(s.find(key), key.size(), key + ", " + extra);
    };
    struct Case { std::string text, expect; };
    const Case cases[] = {
        {with(R"("stride": 0)"), "conv1.stride"},
        {with(R"("stride": "2")"), "conv1.stride"},
        {with(R"("pad": [0, 0, 1])"), "conv1.pad"},
        {with(R"("pad": [0, 0, 1, -1])"), "conv1.pad"},
        {with(R"("activation": "tanh")"), "conv1.activation"},
        {with(R"("bias": 3)"), "conv1.bias"},
        {with(R"("view": null)"), "conv1.view"},
    };
    for (const Case& c : cases) {
        INFO("input: " << c.text);
        const std::string err = error_of(c.text);
        INFO("error: " << err);
        CHECK(err.rfind("model.json: ", 0) == 0);
        CHECK(err.find(c.expect) != std::string::npos);
        CHECK(err.find('\n') == std::string::npos);
    }
}
