// export/plot.h - a small line-chart rasteriser for the training curves (`catdog plot`).
//
// Panels side by side, each with axes, "nice" ticks, light grid lines, a title, axis labels,
// lines with point markers and a legend. Text is stb_easy_font (libstb-dev) drawn as filled
// quads at an integer scale. No Python plotting stack, no fonts on disk.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>
#include "catdog/image.h"

namespace catdog::exporter {

using Rgb = std::array<uint8_t, 3>;

// matplotlib's default cycle, so the curves look familiar.
constexpr Rgb kBlue{31, 119, 180}, kOrange{255, 127, 14}, kGreen{44, 160, 44};

struct PlotSeries {
    std::string label;
    std::vector<double> x, y;   // non-finite y values are gaps
    Rgb color = kBlue;
};

struct PlotPanel {
    std::string title, xlabel, ylabel;
    std::vector<PlotSeries> series;
    bool integer_x = true;      // x ticks on whole numbers only (epochs)
};

struct PlotLayout {
    int panel_w = 480, panel_h = 400;
    int left = 70, right = 20, top = 40, bottom = 56;   // margins around each plot area
    int text_scale = 2;
};

struct PlotRect { int x0 = 0, y0 = 0, x1 = 0, y1 = 0; };  // inclusive pixel bounds

// The plot area (inside the axes) of panel `k`; the axes lines are drawn on its border.
PlotRect plot_area(const PlotLayout& layout, int k);

// White background, black axes. Throws std::invalid_argument if there is nothing to draw.
catdog::Image render_plot(const std::vector<PlotPanel>& panels, const PlotLayout& layout = {});

// A text label on an existing image: stb_easy_font glyphs at `scale` on a filled box with a
// 3-pixel margin, top-left corner at (x, y), clipped to the image (the grid's tile captions).
void draw_label(catdog::Image& img, int x, int y, const std::string& text, Rgb fg, Rgb bg,
                int scale = 2);

// "Nice" tick values covering [lo, hi] (steps of 1, 2 or 5 x 10^k), about `target` of them.
std::vector<double> nice_ticks(double lo, double hi, int target = 5, bool integer = false);

}  // namespace catdog::exporter
