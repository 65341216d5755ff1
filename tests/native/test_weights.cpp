// Weight readers against outside references:
//   .pth   - files written by torch.save itself (tests/reference/make_pth.py, run as a ctest
//            fixture) and numpy dumps of every tensor: values must match bit for bit;
//   TFLite - Google's mobilenet_v2_1.0_224_quant.tflite from ../shared, against an
//            independent Python reading (tests/reference/tflite_ref.py);
//   hostile files (crafted, truncated, mutated) must give WeightError, never a crash.
//
// Index of this file:
// [SECTION] .pth
// [SECTION] TFLite
#include <algorithm>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <nlohmann/json.hpp>

#include "test_paths.h"
#include "weights/pth_reader.h"
#include "weights/tflite_reader.h"

using namespace catdog::weights;
using nlohmann::json;

namespace {

std::string ref_dir() { return CATDOG_WEIGHTS_REF_DIR; }

std::vector<uint8_t> slurp(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) FAIL("missing reference file " << path << " (the make_pth/tflite_ref fixture did not run?)");
    return std::vector<uint8_t>((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

json load_json(const std::string& path) {
    auto b = slurp(path);
    return json::parse(b.begin(), b.end());
}

// Every tensor of `w` equals the numpy dump <stem>.ref.{json,bin}, in order, bit for bit.
void check_against_dump(const WeightMap& w, const std::string& stem) {
    json entries = load_json(stem + ".ref.json");
    std::vector<uint8_t> bin = slurp(stem + ".ref.bin");
    REQUIRE(w.order.size() == entries.size());
    for (size_t i = 0; i < entries.size(); ++i) {
        const std::string name = entries[i]["name"];
        INFO("tensor " << name);
        REQUIRE(w.order[i] == name);
        const Tensor& t = w.at(name);
        std::vector<int64_t> shape = entries[i]["shape"].get<std::vector<int64_t>>();
        REQUIRE(t.shape == shape);
        REQUIRE(t.data.size() == size_t(t.numel()));
        size_t off = entries[i]["offset"].get<size_t>() * 4;
        REQUIRE(off + t.data.size() * 4 <= bin.size());
        if (!t.data.empty()) CHECK(std::memcmp(t.data.data(), bin.data() + off, t.data.size() * 4) == 0);
    }
}

bool contains(const std::string& s, const std::string& sub) { return s.find(sub) != std::string::npos; }

// Reading must either succeed or throw WeightError; anything else fails the test.
bool pth_survives(const std::vector<uint8_t>& b) {
    try {
        read_pth_bytes(b.data(), b.size(), "mutant.pth");
        return true;
    } catch (const WeightError&) {
        return false;
    }
}
bool tflite_survives(const std::vector<uint8_t>& b) {
    try {
        read_tflite_bytes(b.data(), b.size(), "mutant.tflite");
        return true;
    } catch (const WeightError&) {
        return false;
    }
}

}  // namespace

//-----------------------------------------------------------------------------
// [SECTION] .pth
//-----------------------------------------------------------------------------

TEST_CASE("read_pth: torchvision AlexNet state_dict, zip format, equals torch's tensors exactly", "[weights][pth]") {
    WeightMap w = read_pth(ref_dir() + "/alexnet_zip.pth");
    CHECK(w.order.front() == "features.0.weight");
    CHECK(w.at("features.0.weight").shape == std::vector<int64_t>{64, 3, 11, 11});
    CHECK(w.at("classifier.6.weight").shape == std::vector<int64_t>{1000, 4096});
    check_against_dump(w, ref_dir() + "/alexnet");
}

TEST_CASE("read_pth: legacy (non-zip) format, as in alexnet-owt-4df8aa71.pth", "[weights][pth]") {
    const std::string path = ref_dir() + "/alexnet_legacy.pth";
    auto head = slurp(path);
    REQUIRE(detect_pth_format(head.data(), head.size(), path) == PthFormat::Legacy);
    check_against_dump(read_pth_bytes(head.data(), head.size(), path), ref_dir() + "/alexnet");
}

TEST_CASE("read_pth: zip with pickle protocol 4", "[weights][pth]") {
    check_against_dump(read_pth(ref_dir() + "/alexnet_p4.pth"), ref_dir() + "/alexnet");
}

TEST_CASE("read_pth: strides, storage offsets, shared storages and dtypes", "[weights][pth]") {
    for (const char* f : {"/mixed_zip.pth", "/mixed_legacy.pth"}) {
        INFO(f);
        WeightMap w = read_pth(ref_dir() + f);
        check_against_dump(w, ref_dir() + "/mixed");
        CHECK(w.at("bn.num_batches_tracked").shape.empty());
        CHECK(w.at("bn.num_batches_tracked").data == std::vector<float>{7.f});
        CHECK(w.at("empty").data.empty());
    }
}

TEST_CASE("read_pth: crafted hostile files give a one-line WeightError naming the file", "[weights][pth][hostile]") {
    json expected = load_json(ref_dir() + "/hostile/expected.json");
    REQUIRE(expected.size() >= 20);
    for (auto& [file, why] : expected.items()) {
        const std::string path = ref_dir() + "/hostile/" + file;
        INFO(file);
        if (file.rfind("ok_", 0) == 0) {  // the well-formed control
            WeightMap w = read_pth(path);
            CHECK(w.at("w").shape == std::vector<int64_t>{2, 3});
            CHECK(w.at("w").data == std::vector<float>{2, 3, 4, 5, 6, 7});
            continue;
        }
        try {
            read_pth(path);
            FAIL("accepted " << file);
        } catch (const WeightError& e) {
            std::string msg = e.what();
            INFO(msg);
            CHECK(msg.rfind(path, 0) == 0);
            CHECK(!contains(msg, "\n"));
            CHECK(contains(msg, why.get<std::string>()));
        }
    }
}

TEST_CASE("read_pth: every truncation of a valid file is refused", "[weights][pth][hostile]") {
    for (const char* f : {"/mixed_zip.pth", "/mixed_legacy.pth"}) {
        INFO(f);
        auto full = slurp(ref_dir() + f);
        REQUIRE(pth_survives(full));
        int refused = 0;
        for (size_t cut = 0; cut < full.size(); ++cut) {
            std::vector<uint8_t> b(full.begin(), full.begin() + long(cut));
            refused += !pth_survives(b);
        }
        CHECK(refused == int(full.size()));
    }
}

TEST_CASE("read_pth: random byte mutations never crash", "[weights][pth][hostile]") {
    std::mt19937 rng(1234);
    for (const char* f : {"/mixed_zip.pth", "/mixed_legacy.pth"}) {
        auto full = slurp(ref_dir() + f);
        int ok = 0, refused = 0;
        for (int k = 0; k < 3000; ++k) {
            auto b = full;
            int flips = 1 + int(rng() % 4);
            for (int j = 0; j < flips; ++j) b[rng() % b.size()] = uint8_t(rng());
            (pth_survives(b) ? ok : refused)++;
        }
        INFO(f << ": " << ok << " read, " << refused << " refused");
        CHECK(ok + refused == 3000);
        CHECK(refused > 0);
    }
}

//-----------------------------------------------------------------------------
// [SECTION] TFLite
//-----------------------------------------------------------------------------

namespace {
std::string mobilenet_path() {
    return catdog_test::shared_dir() + "/weights/mobilenet_v2_1.0_224_quant/mobilenet_v2_1.0_224_quant.tflite";
}
}  // namespace

TEST_CASE("read_tflite: mobilenet_v2_1.0_224_quant matches an independent Python reading", "[weights][tflite]") {
    TfliteModel m = read_tflite(mobilenet_path());
    json ref = load_json(ref_dir() + "/mobilenet_v2.ref.json");

    CHECK(m.version == ref["version"].get<uint32_t>());
    REQUIRE(m.tensors.size() == ref["tensors"].size());
    REQUIRE(m.ops.size() == ref["ops"].size());
    CHECK(m.inputs == ref["inputs"].get<std::vector<int>>());
    CHECK(m.outputs == ref["outputs"].get<std::vector<int>>());

    size_t constants = 0;
    for (size_t i = 0; i < m.tensors.size(); ++i) {
        const TfliteTensor& t = m.tensors[i];
        const json& r = ref["tensors"][i];
        INFO("tensor " << i << " " << t.name);
        CHECK(t.name == r["name"].get<std::string>());
        CHECK(t.shape == r["shape"].get<std::vector<int64_t>>());
        CHECK(t.type == r["type"].get<std::string>());
        CHECK(t.quant.scale == r["scale"].get<std::vector<float>>());
        CHECK(t.quant.zero_point == r["zero_point"].get<std::vector<int64_t>>());
        REQUIRE(t.constant == r.contains("const"));
        if (!t.constant) continue;
        ++constants;
        const json& c = r["const"];
        REQUIRE(t.data.size() == c["n"].get<size_t>());
        double sum = 0, abs_sum = 0;
        float lo = t.data[0], hi = t.data[0];
        for (float v : t.data) { sum += v; abs_sum += std::abs(v); lo = std::min(lo, v); hi = std::max(hi, v); }
        CHECK(sum == Approx(c["sum"].get<double>()).epsilon(1e-9).margin(1e-9));
        CHECK(abs_sum == Approx(c["abs_sum"].get<double>()).epsilon(1e-9));
        CHECK(lo == c["min"].get<float>());
        CHECK(hi == c["max"].get<float>());
        auto first = c["first"].get<std::vector<float>>();
        for (size_t k = 0; k < first.size(); ++k) CHECK(t.data[k] == first[k]);
    }
    CHECK(constants > 100);

    static const std::map<int, std::string> names = {{0, "ADD"}, {1, "AVERAGE_POOL_2D"}, {3, "CONV_2D"},
        {4, "DEPTHWISE_CONV_2D"}, {22, "RESHAPE"}, {25, "SOFTMAX"}};
    for (size_t i = 0; i < m.ops.size(); ++i) {
        const TfliteOp& o = m.ops[i];
        const json& r = ref["ops"][i];
        INFO("op " << i << " " << o.op);
        CHECK(o.opcode == r["opcode"].get<int>());
        CHECK(o.op == names.at(o.opcode));
        CHECK(o.inputs == r["inputs"].get<std::vector<int>>());
        CHECK(o.outputs == r["outputs"].get<std::vector<int>>());
        if (r.contains("padding")) {
            CHECK((o.padding == TflitePadding::Same) == (r["padding"].get<int>() == 0));
            CHECK(o.stride_w == r["stride_w"].get<int>());
            CHECK(o.stride_h == r["stride_h"].get<int>());
            static const char* acts[] = {"NONE", "RELU", "RELU_N1_TO_1", "RELU6", "TANH", "SIGN_BIT"};
            CHECK(o.activation == acts[r["activation"].get<int>()]);
            if (r.contains("depth_multiplier")) CHECK(o.depth_multiplier == r["depth_multiplier"].get<int>());
        }
    }
}

TEST_CASE("read_tflite: the facts ../shared/README.md states about the file", "[weights][tflite]") {
    TfliteModel m = read_tflite(mobilenet_path());
    // Stem conv: CONV_2D 3->32, 3x3 stride 2, SAME, ReLU6, weights [O,kh,kw,I].
    const TfliteOp& stem = m.ops.at(0);
    CHECK(stem.op == "CONV_2D");
    CHECK(stem.stride_h == 2);
    CHECK(stem.padding == TflitePadding::Same);
    CHECK(stem.activation == "RELU6");
    CHECK(m.tensors.at(stem.inputs.at(1)).shape == std::vector<int64_t>{32, 3, 3, 3});
    // Input: uint8, scale 1/128, zero point 128 -> x = (q - 128) / 128.
    CHECK(m.input_quant().scale == std::vector<float>{1.f / 128});
    CHECK(m.input_quant().zero_point == std::vector<int64_t>{128});
    CHECK(m.tensors.at(m.inputs[0]).shape == std::vector<int64_t>{1, 224, 224, 3});
    // 1001 outputs; depthwise weights [1,kh,kw,C]; 3,489,099 constant parameters (SOURCE.txt).
    CHECK(m.tensors.at(m.outputs[0]).shape == std::vector<int64_t>{1, 1001});
    size_t params = 0, convs = 0;
    for (auto& t : m.tensors) params += t.data.size();
    for (auto& o : m.ops) {
        if (o.op == "DEPTHWISE_CONV_2D") {
            CHECK(m.tensors.at(o.inputs[1]).shape.at(0) == 1);
            CHECK(o.depth_multiplier == 1);
        }
        convs += o.op == "CONV_2D" || o.op == "DEPTHWISE_CONV_2D";
    }
    CHECK(convs == 53);
    CHECK(params == 3489099);
}

TEST_CASE("read_tflite: truncated, corrupt and mutated files give WeightError", "[weights][tflite][hostile]") {
    auto full = slurp(mobilenet_path());
    SECTION("truncations") {
        for (size_t cut : {size_t(0), size_t(3), size_t(7), size_t(8), size_t(100), size_t(1000), full.size() / 4, full.size() / 2, full.size() / 4 * 3}) {
            std::vector<uint8_t> b(full.begin(), full.begin() + long(cut));
            INFO("cut at " << cut);
            CHECK_THROWS_AS(read_tflite_bytes(b.data(), b.size(), "cut.tflite"), WeightError);
        }
    }
    SECTION("wrong identifier") {
        auto b = full;
        b[4] = 'X';
        CHECK_THROWS_WITH(read_tflite_bytes(b.data(), b.size(), "x.tflite"), Catch::Contains("x.tflite: not a TFLite file"));
    }
    SECTION("a root offset pointing outside the file") {
        auto b = full;
        b[0] = b[1] = b[2] = 0xff;
        b[3] = 0x7f;
        CHECK_THROWS_WITH(read_tflite_bytes(b.data(), b.size(), "x.tflite"), Catch::Contains("verification failed"));
    }
    SECTION("a .pth is not a TFLite file") {
        auto b = slurp(ref_dir() + "/mixed_zip.pth");
        CHECK_THROWS_AS(read_tflite_bytes(b.data(), b.size(), "mixed_zip.pth"), WeightError);
    }
    SECTION("random mutations of the flatbuffer tables") {
        // flatbuffers writes back to front: the tables sit before the weight buffers, from the
        // root at offset 32. Mutate there mostly, and anywhere now and then.
        std::mt19937 rng(99);
        const size_t head = 64 * 1024;
        int ok = 0, refused = 0;
        for (int k = 0; k < 300; ++k) {
            auto b = full;
            int flips = 1 + int(rng() % 8);
            for (int j = 0; j < flips; ++j) {
                size_t pos = (k % 4 == 0) ? rng() % b.size() : rng() % head;
                b[pos] = uint8_t(rng());
            }
            (tflite_survives(b) ? ok : refused)++;
        }
        INFO(ok << " read, " << refused << " refused");
        CHECK(ok + refused == 300);
        CHECK(refused > 0);
    }
}

TEST_CASE("read_pth / read_tflite: missing files name the path", "[weights]") {
    CHECK_THROWS_WITH(read_pth("/nonexistent/x.pth"), Catch::StartsWith("/nonexistent/x.pth: cannot open"));
    CHECK_THROWS_WITH(read_tflite("/nonexistent/y.tflite"), Catch::StartsWith("/nonexistent/y.tflite: cannot open"));
}

TEST_CASE("read_tflite: a tiny project-made model (per-channel int8, float16, custom ops)", "[weights][tflite]") {
    TfliteModel m = read_tflite(ref_dir() + "/tiny.tflite");
    json ref = load_json(ref_dir() + "/tiny.ref.json");
    CHECK(m.version == 3);
    CHECK(m.description == "catdog test model");
    REQUIRE(m.tensors.size() == 11);
    for (auto& [name, values] : ref["constants"].items()) {
        INFO(name);
        auto it = std::find_if(m.tensors.begin(), m.tensors.end(), [&](const TfliteTensor& t) { return t.name == name; });
        REQUIRE(it != m.tensors.end());
        CHECK(it->constant);
        CHECK(it->data == values.get<std::vector<float>>());
    }
    const TfliteTensor& w = m.tensors[1];
    CHECK(w.type == "INT8");
    CHECK(w.quant.scale == std::vector<float>{0.5f, 0.25f, 0.125f});
    CHECK(w.quant.quantized_dimension == 0);
    CHECK_FALSE(m.tensors[3].constant);
    CHECK(m.tensors[3].data.empty());

    REQUIRE(m.ops.size() == 6);
    CHECK(m.ops[0].op == "CONV_2D");
    CHECK(m.ops[0].padding == TflitePadding::Valid);
    CHECK(m.ops[0].activation == "RELU6");
    CHECK(m.ops[0].dilation_h == 1);  // schema default when absent
    CHECK(m.ops[1].op == "DEPTHWISE_CONV_2D");
    CHECK(m.ops[1].inputs == std::vector<int>{3, 4, -1});  // optional bias absent
    CHECK(m.ops[1].stride_h == 2);
    CHECK(m.ops[1].activation == "RELU");
    CHECK(m.ops[2].op == "RESHAPE");
    CHECK(m.ops[2].new_shape == std::vector<int64_t>{1, 27});
    CHECK(m.ops[3].op == "SOFTMAX");
    CHECK(m.ops[3].beta == 1.f);
    CHECK(m.ops[4].op == "CUSTOM:TFLite_Detection_PostProcess");
    CHECK(m.ops[5].op == "BUILTIN_150");
    CHECK(m.ops[5].opcode == 150);
    CHECK(m.input_quant().zero_point == std::vector<int64_t>{128});
}

TEST_CASE("read_tflite: lying indices, sizes and scales are refused", "[weights][tflite][hostile]") {
    json bad = load_json(ref_dir() + "/bad.json");
    REQUIRE(bad.size() == 4);
    for (auto& [file, why] : bad.items()) {
        INFO(file);
        CHECK_THROWS_WITH(read_tflite(ref_dir() + "/" + file), Catch::Contains(why.get<std::string>()));
    }
    auto full = slurp(ref_dir() + "/tiny.tflite");
    for (size_t cut = 0; cut < full.size(); ++cut) {  // every truncation of the tables
        std::vector<uint8_t> b(full.begin(), full.begin() + long(cut));
        INFO("cut at " << cut);
        CHECK_FALSE(tflite_survives(b));
    }
    std::mt19937 rng(7);
    int ok = 0, refused = 0;
    for (int k = 0; k < 20000; ++k) {
        auto b = full;
        for (int j = 0, n = 1 + int(rng() % 4); j < n; ++j) b[rng() % b.size()] = uint8_t(rng());
        (tflite_survives(b) ? ok : refused)++;
    }
    INFO(ok << " read, " << refused << " refused");
    CHECK(refused > 0);
}
