// cli/plot.cpp - `catdog plot --run RUN`: train/val loss and val accuracy per epoch from
// metrics.csv, drawn natively (export/plot.h) - the seed's over/underfitting curves.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include "catdog/grid.h"
#include "cli/command.h"
#include "export/plot.h"

namespace catdog::cli {
namespace {

struct PlotArgs {
    std::string run, out;
};

// metrics.csv: a header row, then one row per epoch. Columns are found by name.
std::map<std::string, std::vector<double>> read_metrics(const std::string& path) {
    std::ifstream f(path);
    if (!f) throw Failure(path + ": cannot read (is this a run folder?)");
    std::string line;
    if (!std::getline(f, line)) throw Failure(path + ": empty file");
    std::vector<std::string> cols;
    {
        std::stringstream ss(line);
        std::string c;
        while (std::getline(ss, c, ',')) {
            while (!c.empty() && (c.back() == '\r' || c.back() == ' ')) c.pop_back();
            cols.push_back(c);
        }
    }
    std::map<std::string, std::vector<double>> m;
    int row = 1;
    while (std::getline(f, line)) {
        ++row;
        if (line.empty() || line == "\r") continue;
        std::stringstream ss(line);
        std::string v;
        for (size_t k = 0; k < cols.size(); ++k) {
            if (!std::getline(ss, v, ',')) v.clear();
            char* end = nullptr;
            double d = std::strtod(v.c_str(), &end);
            if (v.empty() || end == v.c_str()) d = NAN;  // "nan", blanks: a gap in the curve
            m[cols[k]].push_back(d);
        }
    }
    for (const char* need : {"epoch", "train_loss", "val_loss", "val_acc"})
        if (!m.count(need) && std::find(cols.begin(), cols.end(), need) == cols.end())
            throw Failure(path + ": no '" + need + "' column");
    if (m["epoch"].empty()) throw Failure(path + ": no epochs recorded yet");
    return m;
}

void run_plot(const PlotArgs& a) {
    const std::string out = a.out.empty() ? a.run + "/curves.png" : a.out;
    auto m = read_metrics(a.run + "/metrics.csv");
    // Accuracy in percent when stored as a fraction.
    std::vector<double> acc = m["val_acc"];
    bool fraction = true;
    for (double v : acc) fraction = fraction && (!std::isfinite(v) || v <= 1.0);
    if (fraction)
        for (double& v : acc) v *= 100.0;

    exporter::PlotPanel loss{"Loss", "epoch", "cross-entropy", {}, true};
    loss.series.push_back({"train", m["epoch"], m["train_loss"], exporter::kBlue});
    loss.series.push_back({"val", m["epoch"], m["val_loss"], exporter::kOrange});
    exporter::PlotPanel accp{"Validation accuracy", "epoch", "accuracy (%)", {}, true};
    accp.series.push_back({"val", m["epoch"], acc, exporter::kGreen});
    catdog::Image img = exporter::render_plot({loss, accp});
    catdog::write_png(out, img);
    std::printf("wrote %s: %zu epochs, %dx%d px\n", out.c_str(), m["epoch"].size(), img.w, img.h);
}

const RegisterCommand reg{{"plot", "Draw a run's loss and accuracy curves as a PNG", 80,
    [](CLI::App& app) {
        auto a = std::make_shared<PlotArgs>();
        app.add_option("--run", a->run, "Run folder (from catdog train)")->required();
        app.add_option("--out,-o", a->out, "Output PNG (default RUN/curves.png)");
        app.callback([a] { run_plot(*a); });
    }}};

}  // namespace
}  // namespace catdog::cli
