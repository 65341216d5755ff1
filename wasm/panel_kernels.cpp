// wasm/panel_kernels.cpp - conv1's kernels as a grid; hover enlarges one and its RGB channels.
//
// The grid comes from the core's make_grid (the same as `catdog kernels` and torchvision's
// make_grid(normalize=True)); the toggle switches global vs per-kernel min/max.
#include <algorithm>
#include <cmath>
#include "app_state.h"
#include "bridge.h"
#include "catdog/grid.h"
#include "panels.h"

namespace catdog::web {

namespace {
constexpr int kPad = 1;
Texture g_grid;
Texture g_big, g_chan[3];
int g_built_for = -1;  // (per_tile ? 1 : 0), -1 = not built
int g_big_for = -1;    // kernel index shown enlarged

int nrow_for(int n) { return n <= 16 ? 4 : n <= 64 ? 8 : 16; }

void build_grid() {
    auto& a = app();
    FloatGrid g = make_grid(a.kernels.data(), a.k_o, a.k_i, a.k_h, a.k_w, nrow_for(a.k_o), kPad,
                            a.kernels_per_tile ? GridNorm::PerTile : GridNorm::Global, 0.f);
    upload_rgb(g_grid, grid_to_image(g), true);
    g_built_for = a.kernels_per_tile ? 1 : 0;
    g_big_for = -1;
}

// One kernel, normalised on its own, plus each input channel as gray (shown tinted R, G, B).
void build_big(int k) {
    auto& a = app();
    size_t n = size_t(a.k_i) * a.k_h * a.k_w;
    const float* w = a.kernels.data() + k * n;
    FloatGrid one = make_grid(w, 1, a.k_i, a.k_h, a.k_w, 1, 0, GridNorm::PerTile);
    upload_rgb(g_big, grid_to_image(one), true);
    // A shared range across the channels, so their relative strength stays visible.
    auto [lo, hi] = std::minmax_element(w, w + n);
    for (int c = 0; c < std::min(a.k_i, 3); ++c)
        upload_rgb(g_chan[c], colorize_range(w + c * a.k_h * a.k_w, a.k_w, a.k_h, *lo, *hi, Colormap::Gray), true);
    g_big_for = k;
}
}  // namespace

void draw_kernels_panel() {
    auto& a = app();
    teaching_note("A kernel is a small stencil of weights slid over the photo; each of conv1's looks for one "
                  "edge, colour or texture.",
                  "Learned from ImageNet, not designed by hand. Hover a kernel to enlarge it; click it to try it in the "
                  "Playground.");
    if (a.kernels.empty()) {
        ImGui::TextDisabled(a.model_ready ? "This model has no conv1 weights to show." : "Waiting for the model...");
        return;
    }
    bool per = a.kernels_per_tile;
    if (ImGui::Checkbox("Normalise each kernel on its own", &per)) a.kernels_per_tile = per;
    ImGui::TextDisabled("conv1: %d kernels of %d x %d x %d", a.k_o, a.k_i, a.k_h, a.k_w);
    if (g_built_for != (a.kernels_per_tile ? 1 : 0)) build_grid();

    // The grid, and beside it (or below it, for a wide grid) the hovered kernel and its R, G, B.
    ImVec2 avail = ImGui::GetContentRegionAvail();
    const float line = ImGui::GetTextLineHeightWithSpacing(), sp = ImGui::GetStyle().ItemSpacing.x;
    const bool below = g_grid.w > 1.3f * g_grid.h || avail.x < avail.y;   // wide grids and tall panels
    ImVec2 sz = fit(float(g_grid.w), float(g_grid.h), below ? ImVec2(avail.x, (avail.y - line) * 0.68f)
                                                            : ImVec2(avail.x * 0.62f, avail.y));
    ImVec2 pos = ImGui::GetCursorScreenPos();
    ImGui::Image((ImTextureID)(intptr_t)g_grid.id, sz);
    publish_item_rect("kernel grid");

    // Which kernel is under the pointer (or the last one hovered).
    static int shown = 0;
    int nrow = nrow_for(a.k_o);
    float s = sz.x / float(g_grid.w);
    if (ImGui::IsItemHovered()) {
        ImVec2 m = ImGui::GetIO().MousePos;
        int col = int((m.x - pos.x) / s - kPad) / (a.k_w + kPad);
        int row = int((m.y - pos.y) / s - kPad) / (a.k_h + kPad);
        int k = row * nrow + col;
        if (col >= 0 && col < nrow && k >= 0 && k < a.k_o) shown = k;
        // A click takes the kernel to the playground, to run and edit it on the photo.
        if (ImGui::IsItemClicked() && col >= 0 && col < nrow && k >= 0 && k < a.k_o) {
            playground_use_conv1(k);
            a.panel = "Playground";
        }
    }
    if (shown >= a.k_o) shown = 0;
    int col = shown % nrow, row = shown / nrow;
    ImVec2 t0(pos.x + (kPad + col * (a.k_w + kPad)) * s, pos.y + (kPad + row * (a.k_h + kPad)) * s);
    ImGui::GetWindowDrawList()->AddRect(ImVec2(t0.x - 1, t0.y - 1), ImVec2(t0.x + a.k_w * s + 1, t0.y + a.k_h * s + 1),
                                        colors::accent, 0, 0, 2.f * a.ui_scale);
    {   // One tile's size on screen, for the projector test (>= 24 CSS px).
        double cw, ch, dpr;
        js_canvas_size(&cw, &ch, &dpr);
        float k = 1.f / float(dpr);
        js_panel_rect("kernel tile", t0.x * k, t0.y * k, a.k_w * s * k, a.k_h * s * k);
    }
    if (g_big_for != shown) build_big(shown);

    const ImVec4 tint[3] = {ImVec4(1, 0.3f, 0.3f, 1), ImVec4(0.3f, 1, 0.3f, 1), ImVec4(0.4f, 0.5f, 1, 1)};
    const int nc = std::min(a.k_i, 3);
    if (below) {
        // One row: the kernel, then its channels, all the same size.
        float cell = std::max(8.f, std::min((avail.x - 3 * sp) / 4.f,
                                            avail.y - sz.y - line - 2 * ImGui::GetStyle().ItemSpacing.y));
        ImGui::Text("Kernel %d and its R, G, B weights", shown);
        ImGui::Image((ImTextureID)(intptr_t)g_big.id, ImVec2(cell, cell));
        for (int c = 0; c < nc; ++c) {
            ImGui::SameLine();
            ImGui::Image((ImTextureID)(intptr_t)g_chan[c].id, ImVec2(cell, cell), ImVec2(0, 0), ImVec2(1, 1), tint[c]);
        }
        return;
    }
    ImGui::SameLine();
    ImGui::BeginGroup();
    float right = ImGui::GetContentRegionAvail().x;
    ImGui::Text("Kernel %d", shown);
    float cell = std::max(6.f, (right - 2 * sp) / 3.f);
    float big = std::max(8.f, std::min(right, sz.y - 2 * line - cell - 2 * ImGui::GetStyle().ItemSpacing.y));
    cell = std::min(cell, big);
    ImGui::Image((ImTextureID)(intptr_t)g_big.id, ImVec2(big, big));
    for (int c = 0; c < nc; ++c) {
        if (c) ImGui::SameLine();
        ImGui::Image((ImTextureID)(intptr_t)g_chan[c].id, ImVec2(cell, cell), ImVec2(0, 0), ImVec2(1, 1), tint[c]);
    }
    ImGui::TextDisabled("R, G, B weights");
    ImGui::EndGroup();
}

}  // namespace catdog::web
