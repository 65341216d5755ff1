// export/plot.cpp - see plot.h.
//
// Index of this file:
// [SECTION] Canvas: pixels, rectangles, thick lines, stb_easy_font text
// [SECTION] Ticks: nice tick values and their labels
// [SECTION] Panels: axes, grid, series, legend
#include "export/plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>
#include <stb/stb_easy_font.h>

namespace catdog::exporter {

//-----------------------------------------------------------------------------
// [SECTION] Canvas: pixels, rectangles, thick lines, stb_easy_font text
//-----------------------------------------------------------------------------
namespace {

constexpr Rgb kBlack{0, 0, 0}, kWhite{255, 255, 255}, kGridGray{224, 224, 224},
    kTextGray{60, 60, 60};

struct Canvas {
    catdog::Image img;
    PlotRect clip{0, 0, -1, -1};

    Canvas() = default;
    Canvas(int w, int h) {
        img.w = w;
        img.h = h;
        img.rgb.assign(size_t(w) * h * 3, 255);
        clip = {0, 0, w - 1, h - 1};
    }
    void px(int x, int y, Rgb c) {
        if (x < clip.x0 || x > clip.x1 || y < clip.y0 || y > clip.y1) return;
        uint8_t* p = &img.rgb[(size_t(y) * img.w + x) * 3];
        p[0] = c[0], p[1] = c[1], p[2] = c[2];
    }
    void rect(int x0, int y0, int x1, int y1, Rgb c) {  // inclusive
        for (int y = y0; y <= y1; ++y)
            for (int x = x0; x <= x1; ++x) px(x, y, c);
    }
    // A line `thick` pixels wide: a square brush stamped every half pixel along it.
    void line(double x0, double y0, double x1, double y1, Rgb c, int thick = 2) {
        const double len = std::hypot(x1 - x0, y1 - y0);
        const int steps = std::max(1, int(std::ceil(len * 2)));
        const int r0 = -(thick - 1) / 2, r1 = thick / 2;
        for (int s = 0; s <= steps; ++s) {
            const double t = double(s) / steps;
            const int x = int(std::lround(x0 + (x1 - x0) * t));
            const int y = int(std::lround(y0 + (y1 - y0) * t));
            rect(x + r0, y + r0, x + r1, y + r1, c);
        }
    }
    static int text_width(const std::string& s, int scale) {
        return stb_easy_font_width(const_cast<char*>(s.c_str())) * scale;
    }
    static int text_height(int scale) { return 7 * scale; }  // cap height of stb_easy_font
    // stb_easy_font's quads for `s` at the origin, one scale-1 box (x0, y0, x1, y1) each:
    // it emits axis-aligned quads of 4 vertices (16 bytes each).
    template <class Box>
    static void text_quads(const std::string& s, Box box) {
        static thread_local std::vector<char> buf(64 * 1024);
        const int quads = stb_easy_font_print(0, 0, const_cast<char*>(s.c_str()), nullptr,
                                              buf.data(), int(buf.size()));
        for (int q = 0; q < quads; ++q) {
            const float* v0 = reinterpret_cast<const float*>(&buf[size_t(q) * 64]);
            const float* v2 = reinterpret_cast<const float*>(&buf[size_t(q) * 64 + 32]);
            box(int(v0[0]), int(v0[1]), int(v2[0]), int(v2[1]));
        }
    }
    // Top-left anchored text.
    void text(int x, int y, const std::string& s, Rgb c, int scale) {
        text_quads(s, [&](int qx0, int qy0, int qx1, int qy1) {
            rect(x + qx0 * scale, y + qy0 * scale, x + qx1 * scale - 1, y + qy1 * scale - 1, c);
        });
    }
    // Text rotated 90 degrees counter-clockwise (for the y label), drawn bottom-up from (x, y):
    // (u, v) -> (x + v, y - u).
    void text_vertical(int x, int y, const std::string& s, Rgb c, int scale) {
        text_quads(s, [&](int qx0, int qy0, int qx1, int qy1) {
            rect(x + qy0 * scale, y - qx1 * scale + 1, x + qy1 * scale - 1, y - qx0 * scale, c);
        });
    }
};

}  // namespace

//-----------------------------------------------------------------------------
// [SECTION] Ticks: nice tick values and their labels
//-----------------------------------------------------------------------------
std::vector<double> nice_ticks(double lo, double hi, int target, bool integer) {
    if (!(hi > lo)) return {lo};
    const double raw = (hi - lo) / std::max(1, target);
    const double mag = std::pow(10.0, std::floor(std::log10(raw)));
    double step = mag;
    for (double m : {1.0, 2.0, 5.0, 10.0})
        if (m * mag >= raw) { step = m * mag; break; }
    if (integer) step = std::max(1.0, std::round(step));
    std::vector<double> t;
    for (double v = std::ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step)
        t.push_back(std::fabs(v) < step * 1e-9 ? 0.0 : v);
    return t;
}

namespace {

std::string tick_label(double v, double step) {
    int decimals = step >= 1 ? 0 : int(std::ceil(-std::log10(step) - 1e-9));
    char b[32];
    std::snprintf(b, sizeof b, "%.*f", std::min(decimals, 6), v);
    return b;
}

//-----------------------------------------------------------------------------
// [SECTION] Panels: axes, grid, series, legend
//-----------------------------------------------------------------------------
struct Range { double lo = 0, hi = 1; };

Range pad_range(double lo, double hi, bool integer) {
    if (!(lo <= hi)) return {0, 1};
    if (integer) {
        // Whole epochs, with half an epoch of air on each side.
        return {lo - 0.5, hi + 0.5};
    }
    if (hi - lo < 1e-12) {
        const double d = std::max(std::fabs(lo) * 0.1, 0.05);
        return {lo - d, hi + d};
    }
    const double m = (hi - lo) * 0.08;
    return {lo - m, hi + m};
}

void draw_panel(Canvas& cv, const PlotPanel& p, const PlotRect& a, const PlotLayout& L) {
    const int s = L.text_scale;
    double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
    for (const auto& ser : p.series)
        for (size_t i = 0; i < ser.x.size() && i < ser.y.size(); ++i) {
            if (!std::isfinite(ser.x[i]) || !std::isfinite(ser.y[i])) continue;
            xlo = std::min(xlo, ser.x[i]), xhi = std::max(xhi, ser.x[i]);
            ylo = std::min(ylo, ser.y[i]), yhi = std::max(yhi, ser.y[i]);
        }
    const Range xr = pad_range(xlo, xhi, p.integer_x), yr = pad_range(ylo, yhi, false);
    auto X = [&](double x) { return a.x0 + (x - xr.lo) / (xr.hi - xr.lo) * (a.x1 - a.x0); };
    auto Y = [&](double y) { return a.y1 - (y - yr.lo) / (yr.hi - yr.lo) * (a.y1 - a.y0); };

    // Grid lines and tick labels.
    const auto xt = nice_ticks(xr.lo, xr.hi, 6, p.integer_x);
    const auto yt = nice_ticks(yr.lo, yr.hi, 5, false);
    const double xstep = xt.size() > 1 ? xt[1] - xt[0] : 1, ystep = yt.size() > 1 ? yt[1] - yt[0] : 1;
    for (double v : xt) {
        if (v < xr.lo || v > xr.hi) continue;
        const int x = int(std::lround(X(v)));
        cv.rect(x, a.y0 + 1, x, a.y1 - 1, kGridGray);
        cv.rect(x, a.y1 + 1, x, a.y1 + 5, kBlack);
        const std::string t = tick_label(v, xstep);
        cv.text(x - Canvas::text_width(t, s) / 2, a.y1 + 9, t, kTextGray, s);
    }
    for (double v : yt) {
        if (v < yr.lo || v > yr.hi) continue;
        const int y = int(std::lround(Y(v)));
        cv.rect(a.x0 + 1, y, a.x1 - 1, y, kGridGray);
        cv.rect(a.x0 - 5, y, a.x0 - 1, y, kBlack);
        const std::string t = tick_label(v, ystep);
        cv.text(a.x0 - 8 - Canvas::text_width(t, s), y - Canvas::text_height(s) / 2, t, kTextGray, s);
    }
    // Axes: the plot area's border.
    cv.rect(a.x0, a.y0, a.x1, a.y0, kBlack);
    cv.rect(a.x0, a.y1, a.x1, a.y1, kBlack);
    cv.rect(a.x0, a.y0, a.x0, a.y1, kBlack);
    cv.rect(a.x1, a.y0, a.x1, a.y1, kBlack);

    // Title, axis labels.
    cv.text((a.x0 + a.x1) / 2 - Canvas::text_width(p.title, s) / 2, a.y0 - 12 - Canvas::text_height(s),
            p.title, kBlack, s);
    cv.text((a.x0 + a.x1) / 2 - Canvas::text_width(p.xlabel, s) / 2, a.y1 + 16 + Canvas::text_height(s),
            p.xlabel, kBlack, s);
    cv.text_vertical(a.x0 - L.left + 4, (a.y0 + a.y1) / 2 + Canvas::text_width(p.ylabel, s) / 2,
                     p.ylabel, kBlack, s);

    // Series: lines between consecutive finite points, a square marker on each point.
    const PlotRect saved = cv.clip;
    cv.clip = {a.x0 + 1, a.y0 + 1, a.x1 - 1, a.y1 - 1};
    for (const auto& ser : p.series) {
        bool have_prev = false;
        double px = 0, py = 0;
        for (size_t i = 0; i < ser.x.size() && i < ser.y.size(); ++i) {
            if (!std::isfinite(ser.x[i]) || !std::isfinite(ser.y[i])) { have_prev = false; continue; }
            const double x = X(ser.x[i]), y = Y(ser.y[i]);
            if (have_prev) cv.line(px, py, x, y, ser.color, 2);
            const int cx = int(std::lround(x)), cy = int(std::lround(y));
            cv.rect(cx - 3, cy - 3, cx + 3, cy + 3, ser.color);
            px = x, py = y, have_prev = true;
        }
    }
    cv.clip = saved;

    // Legend, top right inside the plot area: a colour swatch and the label per series.
    int lw = 0;
    for (const auto& ser : p.series) lw = std::max(lw, Canvas::text_width(ser.label, s));
    const int row = Canvas::text_height(s) + 8;
    const int bw = lw + 44, bh = int(p.series.size()) * row + 8;
    const int bx = a.x1 - 10 - bw, by = a.y0 + 10;
    cv.rect(bx, by, bx + bw, by + bh, kWhite);
    cv.rect(bx, by, bx + bw, by, kGridGray), cv.rect(bx, by + bh, bx + bw, by + bh, kGridGray);
    cv.rect(bx, by, bx, by + bh, kGridGray), cv.rect(bx + bw, by, bx + bw, by + bh, kGridGray);
    for (size_t k = 0; k < p.series.size(); ++k) {
        const int y = by + 6 + int(k) * row;
        cv.rect(bx + 8, y + Canvas::text_height(s) / 2 - 1, bx + 30, y + Canvas::text_height(s) / 2 + 1,
                p.series[k].color);
        cv.text(bx + 36, y, p.series[k].label, kBlack, s);
    }
}

}  // namespace

void draw_label(catdog::Image& img, int x, int y, const std::string& text, Rgb fg, Rgb bg,
                int scale) {
    Canvas cv;
    cv.img = std::move(img);
    cv.clip = {0, 0, cv.img.w - 1, cv.img.h - 1};
    const int m = 3;
    cv.rect(x, y, x + Canvas::text_width(text, scale) + 2 * m - 1,
            y + Canvas::text_height(scale) + 2 * m - 1, bg);
    cv.text(x + m, y + m, text, fg, scale);
    img = std::move(cv.img);
}

PlotRect plot_area(const PlotLayout& L, int k) {
    const int ox = k * L.panel_w;
    return {ox + L.left, L.top, ox + L.panel_w - L.right - 1, L.panel_h - L.bottom - 1};
}

catdog::Image render_plot(const std::vector<PlotPanel>& panels, const PlotLayout& L) {
    if (panels.empty()) throw std::invalid_argument("plot: no panels");
    if (L.panel_w < L.left + L.right + 40 || L.panel_h < L.top + L.bottom + 40)
        throw std::invalid_argument("plot: panels too small for their margins");
    Canvas cv(L.panel_w * int(panels.size()), L.panel_h);
    for (size_t k = 0; k < panels.size(); ++k) draw_panel(cv, panels[k], plot_area(L, int(k)), L);
    return std::move(cv.img);
}

}  // namespace catdog::exporter
