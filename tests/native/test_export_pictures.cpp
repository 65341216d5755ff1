// The seed's pictures: kernel grids, feature maps, sample grids and training curves.
//
// References: torchvision 0.14's make_grid/save_image (tests/reference/make_grid_ref.py) for
// the kernel grid, byte for byte; onnxruntime (the exported model.onnx) for the feature-map
// values; decoded val crops for the sample grid; structure (size, axes, series colours) for
// the curves. The CLI commands run as a user runs them (build/bin/catdog).
//
// Index of this file:
// [SECTION] Kernels
// [SECTION] Feature maps
// [SECTION] Sample grid
// [SECTION] Curves
#include "test_export_util.h"  // first: torch before Catch (see there)
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>
#include "catdog/grid.h"
#include "catdog/views.h"
#include "export/export_model.h"
#include "nets/model_io.h"
#include "export/plot.h"
#include "nets/pretrained.h"
#include "train/config.h"
#include "weights/pth_reader.h"

using namespace catdog;
using namespace export_test;

namespace {

// The LibTorch forward's activation [C, H, W] of view `layer` for one photo (the reference
// side of the featuremaps checks; catdog itself runs infer/).
torch::Tensor view_activation(nets::Model& model, const catdog::Image& photo,
                              const catdog::TransformSpec& transform, const std::string& layer) {
    const nets::NetSpec& spec = model.spec();
    bool known = false;
    for (int i : spec.view_layers()) known = known || spec.layers[size_t(i)].view == layer;
    if (!known)
        throw std::invalid_argument("unknown layer '" + layer + "' for " + spec.backbone +
                                    "; valid layers: " + spec.view_names());
    const int S = transform.crop;
    torch::Tensor x = torch::empty({1, 3, S, S}, torch::kFloat32);
    catdog::val_tensor(photo, transform, x.data_ptr<float>());
    torch::NoGradGuard no_grad;
    nets::Taps taps;
    model.forward(x.to(model.device()), /*train=*/false, &taps);
    for (auto& [name, t] : taps)
        if (name == layer) return t[0].to(torch::kCPU, torch::kFloat32).contiguous();
    throw std::logic_error("view_activation: the forward pass did not tap " + layer);
}

// conv1's weight [O, I, kh, kw] on the CPU, contiguous float32.
torch::Tensor conv1_weight(const nets::Model& model) {
    const auto& p = model.params();
    auto it = p.find(model.spec().conv1 + ".weight");
    if (it == p.end()) throw std::runtime_error("the model has no " + model.spec().conv1 + ".weight");
    return it->second.detach().to(torch::kCPU, torch::kFloat32).contiguous();
}


std::string catdog_bin() {
    const std::string b = CATDOG_EXE;
    if (!fs::exists(b)) FAIL(b << " is missing: build the catdog target first");
    return b;
}

// Runs the CLI; returns its exit code, with stdout+stderr in `out`.
int run_cli(const std::string& args, std::string& out) {
    const std::string log = catdog_test::binary_dir() + "/export_test/cli.log";
    const std::string cmd = catdog_bin() + " " + args + " > '" + log + "' 2>&1";
    const int rc = std::system(cmd.c_str());
    std::ifstream f(log);
    std::stringstream ss;
    ss << f.rdbuf();
    out = ss.str();
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : 255;
}

// torchvision's make_grid(normalize=True) of `w` as HWC uint8, and its nearest upscale.
struct GridRef { int h = 0, w = 0; std::vector<uint8_t> rgb, up; };
GridRef torchvision_grid(const std::string& dir, const torch::Tensor& w, int nrow, bool scale_each, int up) {
    write_f32(dir + "/w.f32", w);
    std::string dims;
    for (auto d : w.sizes()) dims += (dims.empty() ? "" : ",") + std::to_string(d);
    const std::string py = "/usr/bin/python3 " + catdog_test::source_dir() + "/tests/reference/make_grid_ref.py '" +
                           dir + "/w.f32' " + dims + " " + std::to_string(nrow) + " " + (scale_each ? "1" : "0") +
                           " " + std::to_string(up) + " '" + dir + "/ref'";
    INFO(py);
    REQUIRE(std::system(py.c_str()) == 0);
    GridRef r;
    std::ifstream(dir + "/ref.txt") >> r.h >> r.w;
    auto slurp = [](const std::string& p) {
        std::ifstream f(p, std::ios::binary);
        return std::vector<uint8_t>((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    };
    r.rgb = slurp(dir + "/ref.u8");
    r.up = slurp(dir + "/ref.up.u8");
    REQUIRE(r.rgb.size() == size_t(r.h) * r.w * 3);
    REQUIRE(r.up.size() == r.rgb.size() * up * up);
    return r;
}

size_t count_diff(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
    REQUIRE(a.size() == b.size());
    size_t n = 0;
    for (size_t i = 0; i < a.size(); ++i) n += a[i] != b[i];
    return n;
}

std::string tflite_path() {
    return catdog_test::shared_dir() + "/weights/mobilenet_v2_1.0_224_quant/mobilenet_v2_1.0_224_quant.tflite";
}

// A run folder with Google's MobileNet V2 backbone and a fresh 2-class head.
std::string mobilenet_run(const std::string& name) {
    const std::string dir = work_dir(name);
    torch::manual_seed(0);
    nets::Model m(nets::make_spec("mobilenet_v2", 2));
    nets::load_weights(m, nets::load_pretrained("mobilenet_v2", tflite_path()), false);
    train::TrainConfig cfg;
    cfg.backbone = "mobilenet_v2";
    cfg.labels = {"cat", "dog"};
    cfg.transform = m.spec().transform;
    std::ofstream(dir + "/config.json") << train::to_json(cfg).dump(1);
    nets::save_model(m, dir + "/model.ckpt");
    return dir;
}

const uint8_t* px(const Image& img, int x, int y) { return &img.rgb[(size_t(y) * img.w + x) * 3]; }

}  // namespace

//-----------------------------------------------------------------------------
// [SECTION] Kernels
//-----------------------------------------------------------------------------
TEST_CASE("kernel grid is torchvision's make_grid(normalize=True) byte for byte", "[export][pictures]") {
    const std::string dir = work_dir("kernels_lib");
    const char* fixtures = std::getenv("CATDOG_NETS_FIXTURES");
    if (!fixtures || !*fixtures) FAIL("CATDOG_NETS_FIXTURES is not set: run through ctest");

    struct Case { std::string what; torch::Tensor w; };
    std::vector<Case> cases;
    {
        weights::WeightMap a = weights::read_pth(std::string(fixtures) + "/alexnet_zip.pth");
        const auto& t = a.at("features.0.weight");
        cases.push_back({"alexnet features.0 (64x3x11x11)",
                         torch::from_blob(const_cast<float*>(t.data.data()), t.shape, torch::kFloat32).clone()});
        weights::WeightMap mb = nets::load_pretrained("mobilenet_v2", tflite_path());
        const auto& u = mb.at("features.0.0.weight");
        cases.push_back({"mobilenet_v2 features.0.0 (32x3x3x3)",
                         torch::from_blob(const_cast<float*>(u.data.data()), u.shape, torch::kFloat32).clone()});
    }
    for (auto& c : cases)
        for (bool per_kernel : {false, true}) {
            INFO(c.what << (per_kernel ? ", scale_each=True" : ", normalize=True"));
            const auto s = c.w.sizes();
            GridRef ref = torchvision_grid(dir, c.w, 8, per_kernel, 4);
            Image g = kernel_grid(c.w.data_ptr<float>(), int(s[0]), int(s[1]), int(s[2]), int(s[3]), 8, per_kernel, 1);
            REQUIRE(g.h == ref.h);
            REQUIRE(g.w == ref.w);
            CHECK(count_diff(g.rgb, ref.rgb) == 0);
            Image up = kernel_grid(c.w.data_ptr<float>(), int(s[0]), int(s[1]), int(s[2]), int(s[3]), 8, per_kernel, 4);
            CHECK(count_diff(up.rgb, ref.up) == 0);
        }
}

TEST_CASE("catdog kernels: the run's conv1 as torchvision draws it", "[export][pictures][cli]") {
    const std::string run = mobilenet_run("kernels_cli");
    nets::Model m(nets::make_spec("mobilenet_v2", 2));
    nets::load_model(m, run + "/model.ckpt");
    GridRef ref = torchvision_grid(run, conv1_weight(m), 8, false, 8);
    std::string out;
    REQUIRE(run_cli("kernels --model '" + run + "' --scale 1 --out '" + run + "/k1.png'", out) == 0);
    Image k1 = load_image(run + "/k1.png");
    REQUIRE((k1.h == ref.h && k1.w == ref.w));
    CHECK(count_diff(k1.rgb, ref.rgb) == 0);
    REQUIRE(run_cli("kernels --model '" + run + "' --out '" + run + "/k8.png'", out) == 0);  // default --scale 8
    Image k8 = load_image(run + "/k8.png");
    CHECK(k8.w == ref.w * 8);
    CHECK(count_diff(k8.rgb, ref.up) == 0);
    // Not a run folder: one line naming it.
    CHECK(run_cli("kernels --model '" + run + "/nope'", out) != 0);
    CHECK(out.find("nope") != std::string::npos);
    CHECK(std::count(out.begin(), out.end(), '\n') == 1);
}

//-----------------------------------------------------------------------------
// [SECTION] Feature maps
//-----------------------------------------------------------------------------
TEST_CASE("catdog featuremaps: values are the model's activations; bad input is one line", "[export][pictures][cli]") {
    const std::string run = mobilenet_run("featuremaps_cli");
    const std::string photo = catdog_test::dataset("holdout-dev") + "/cat.20240.jpg";
    nets::Model m(nets::make_spec("mobilenet_v2", 2));
    nets::load_model(m, run + "/model.ckpt");

    // The activation drawn == onnxruntime's output of the exported model, for two layers.
    exporter::ExportOptions opt;
    opt.write_web = false;
    opt.write_explain = false;
    exporter::export_model(m, {"cat", "dog"}, run, opt);
    torch::Tensor x = photo_batch({photo}, m.spec().transform);
    write_f32(run + "/input.bin", x);
    OrtResult ort = run_ort(run + "/model.onnx", {run + "/input.bin"}, run + "/ort", "node",
                            "features.0.0,features.9.conv.1.0");
    for (const std::string layer : {"features.0.0", "features.9.conv.1.0"}) {
        INFO(layer);
        torch::Tensor a = view_activation(m, load_image(photo), m.spec().transform, layer);
        CHECK(max_abs_diff(a, ort.out.at(layer)[0]) <= 1e-4);
        std::string out;
        REQUIRE(run_cli("featuremaps --model '" + run + "' --image '" + photo + "' --layer " + layer +
                        " --out '" + run + "/f.png'", out) == 0);
        Image png = load_image(run + "/f.png");
        const auto s = a.sizes();
        Image want = featuremap_grid(a.data_ptr<float>(), int(s[0]), int(s[1]), int(s[2]), 0,
                                     featuremap_auto_scale(int(s[1])));
        REQUIRE((png.w == want.w && png.h == want.h));
        CHECK(count_diff(png.rgb, want.rgb) == 0);
        // One scale for the whole layer: the layer's minimum is viridis' first colour and its
        // maximum the last, each somewhere in the picture.
        bool lo = false, hi = false;
        for (size_t i = 0; i < png.rgb.size(); i += 3) {
            lo = lo || (png.rgb[i] == 68 && png.rgb[i + 1] == 1 && png.rgb[i + 2] == 84);
            hi = hi || (png.rgb[i] == 253 && png.rgb[i + 1] == 231 && png.rgb[i + 2] == 36);
        }
        CHECK(lo);
        CHECK(hi);
    }
    std::string out;
    CHECK(run_cli("featuremaps --model '" + run + "' --image '" + photo + "' --layer features.99", out) != 0);
    CHECK(out.find("features.99") != std::string::npos);
    CHECK(out.find("features.0.0, features.1.conv.0.0") != std::string::npos);  // the valid names
    CHECK(std::count(out.begin(), out.end(), '\n') == 1);
    const std::string bad = catdog_test::dataset("odd");
    for (auto& e : fs::directory_iterator(bad)) {
        const std::string name = e.path().filename().string();
        if (name.find("truncated") == std::string::npos && name.find("empty") == std::string::npos) continue;
        INFO(name);
        CHECK(run_cli("featuremaps --model '" + run + "' --image '" + e.path().string() + "' --layer features.0.0 --out '" +
                      run + "/bad.png'", out) != 0);
        CHECK(out.find(name) != std::string::npos);
        CHECK(std::count(out.begin(), out.end(), '\n') == 1);
    }
}

//-----------------------------------------------------------------------------
// [SECTION] Sample grid
//-----------------------------------------------------------------------------
TEST_CASE("catdog grid: tiles are val crops of photos from the folder, captioned", "[export][pictures][cli]") {
    const std::string dir = work_dir("grid_cli");
    const std::string data = catdog_test::dataset("holdout-dev");
    std::string out;
    REQUIRE(run_cli("grid --data '" + data + "' -n 6 --nrow 3 --seed 7 --out '" + dir + "/g.png'", out) == 0);
    Image g = load_image(dir + "/g.png");
    CHECK(g.w == 3 * 226 + 2);
    CHECK(g.h == 2 * 226 + 2);
    // Every tile, below its caption, is exactly the val crop of some photo in the folder.
    std::vector<Image> crops;
    for (auto& p : jpegs(data)) crops.push_back(val_crop(load_image(p), TransformSpec{}));
    for (int k = 0; k < 6; ++k) {
        const int ox = (k % 3) * 226 + 2, oy = (k / 3) * 226 + 2;
        bool match = false;
        for (auto& c : crops) {
            bool same = true;
            for (int y = 40; y < 224 && same; ++y)
                same = std::equal(px(g, ox, oy + y), px(g, ox, oy + y) + 224 * 3, px(c, 0, y));
            match = match || same;
        }
        INFO("tile " << k);
        CHECK(match);
        // The caption box: black with white text in the tile's top-left corner.
        int white = 0;
        for (int y = oy + 4; y < oy + 24; ++y)
            for (int x = ox + 4; x < ox + 50; ++x) white += px(g, x, y)[0] == 255 && px(g, x, y)[1] == 255;
        CHECK(white > 20);
    }
    // Another seed draws other photos; --augmented draws train crops of the same size.
    REQUIRE(run_cli("grid --data '" + data + "' -n 6 --nrow 3 --seed 8 --out '" + dir + "/g8.png'", out) == 0);
    CHECK(count_diff(load_image(dir + "/g8.png").rgb, g.rgb) > 0);
    REQUIRE(run_cli("grid --data '" + data + "' -n 6 --nrow 3 --seed 7 --augmented --out '" + dir + "/ga.png'", out) == 0);
    Image ga = load_image(dir + "/ga.png");
    CHECK((ga.w == g.w && ga.h == g.h));
    CHECK(count_diff(ga.rgb, g.rgb) > 0);
    CHECK(run_cli("grid --data '" + dir + "/missing' -n 4", out) != 0);
    CHECK(out.find("missing") != std::string::npos);
}

//-----------------------------------------------------------------------------
// [SECTION] Curves
//-----------------------------------------------------------------------------
TEST_CASE("plot: axes, ticks and every series drawn in its colour", "[export][pictures]") {
    exporter::PlotPanel loss{"Loss", "epoch", "cross-entropy", {}, true};
    loss.series.push_back({"train", {1, 2, 3, 4}, {0.9, 0.5, 0.3, 0.2}, exporter::kBlue});
    loss.series.push_back({"val", {1, 2, 3, 4}, {0.8, 0.6, 0.55, 0.6}, exporter::kOrange});
    exporter::PlotPanel acc{"Validation accuracy", "epoch", "accuracy (%)", {}, true};
    acc.series.push_back({"val", {1, 2, 3, 4}, {80, 88, 90, 89}, exporter::kGreen});
    exporter::PlotLayout L;
    Image img = exporter::render_plot({loss, acc}, L);
    CHECK(img.w == 2 * L.panel_w);
    CHECK(img.h == L.panel_h);
    for (int k = 0; k < 2; ++k) {
        INFO("panel " << k);
        const exporter::PlotRect a = exporter::plot_area(L, k);
        // The four axis lines are solid black.
        int black = 0;
        for (int x = a.x0; x <= a.x1; ++x) black += px(img, x, a.y0)[0] == 0 && px(img, x, a.y1)[0] == 0;
        for (int y = a.y0; y <= a.y1; ++y) black += px(img, a.x0, y)[0] == 0 && px(img, a.x1, y)[0] == 0;
        CHECK(black == (a.x1 - a.x0 + 1) + (a.y1 - a.y0 + 1));
        // Tick marks below the x axis and dark tick labels left of the y axis.
        int ticks = 0, labels = 0;
        for (int x = a.x0; x <= a.x1; ++x) ticks += px(img, x, a.y1 + 3)[0] == 0;
        for (int y = a.y0; y <= a.y1; ++y)
            for (int x = a.x0 - 60; x < a.x0 - 8; ++x) labels += px(img, x, y)[0] < 128;
        CHECK(ticks >= 3);
        CHECK(labels > 50);
        // Each series' colour, inside the plot area, in quantity (lines + markers).
        const auto& series = k == 0 ? loss.series : acc.series;
        for (auto& s : series) {
            int n = 0;
            for (int y = a.y0 + 1; y < a.y1; ++y)
                for (int x = a.x0 + 1; x < a.x1; ++x)
                    n += std::equal(s.color.begin(), s.color.end(), px(img, x, y));
            INFO(s.label);
            CHECK(n > 300);
        }
    }
    CHECK_THROWS(exporter::render_plot({}));
    // Ticks: 1-2-5 steps that cover the range.
    auto t = exporter::nice_ticks(0.13, 0.92, 5);
    CHECK(t.front() >= 0.13);
    CHECK(t.back() <= 0.92);
    CHECK(t.size() >= 3);
    CHECK((exporter::nice_ticks(0.5, 4.5, 6, true) == std::vector<double>{1, 2, 3, 4}));
}

TEST_CASE("catdog plot: curves from a run's metrics.csv", "[export][pictures][cli]") {
    const std::string dir = work_dir("plot_cli");
    std::ofstream(dir + "/metrics.csv") << "epoch,train_loss,val_loss,val_acc,lr,img_s\n"
                                           "1,0.31,0.12,0.962,0.001,95.1\n"
                                           "2,0.11,0.09,0.978,0.0005,97.3\n"
                                           "3,0.08,0.10,0.975,0.00025,96.8\n";
    std::string out;
    REQUIRE(run_cli("plot --run '" + dir + "'", out) == 0);
    Image img = load_image(dir + "/curves.png");
    exporter::PlotLayout L;
    CHECK(img.w == 2 * L.panel_w);
    int green = 0, blue = 0, orange = 0;
    for (size_t i = 0; i < img.rgb.size(); i += 3) {
        blue += std::equal(exporter::kBlue.begin(), exporter::kBlue.end(), &img.rgb[i]);
        orange += std::equal(exporter::kOrange.begin(), exporter::kOrange.end(), &img.rgb[i]);
        green += std::equal(exporter::kGreen.begin(), exporter::kGreen.end(), &img.rgb[i]);
    }
    CHECK(blue > 300);
    CHECK(orange > 300);
    CHECK(green > 300);
    // A folder without metrics: one line.
    CHECK(run_cli("plot --run '" + dir + "/none'", out) != 0);
    CHECK(out.find("metrics.csv") != std::string::npos);
    CHECK(std::count(out.begin(), out.end(), '\n') == 1);
}
