// wasm/panel_featuremaps.cpp - every channel of one conv layer's output, as a colormapped grid.
//
// A layer picker over every exported conv layer (model.json's list, in network order); click
// a channel to enlarge it and lay it over the crop the network saw.
#include <algorithm>
#include <cmath>
#include "app_state.h"
#include "bridge.h"
#include "catdog/grid.h"
#include "panels.h"

namespace catdog::web {

namespace {
Texture g_grid, g_one;
int g_grid_req = -1, g_grid_layer = -1;
int g_one_req = -1, g_one_layer = -1, g_one_ch = -1;
int g_cols = 1;

void build_grid(const FeatureMap& m) {
    g_cols = std::max(1, int(std::ceil(std::sqrt(double(m.c)))));
    int rows = (m.c + g_cols - 1) / g_cols;
    Image img;
    img.w = g_cols * (m.w + 1) + 1;
    img.h = rows * (m.h + 1) + 1;
    img.rgb.assign(size_t(img.w) * img.h * 3, 24);
    for (int c = 0; c < m.c; ++c) {
        // Each channel on its own scale: the pattern matters here, not the size of the numbers.
        Image t = colorize(m.channel(c), m.w, m.h, Colormap::Viridis);
        int ox = 1 + (c % g_cols) * (m.w + 1), oy = 1 + (c / g_cols) * (m.h + 1);
        for (int y = 0; y < m.h; ++y)
            std::copy_n(&t.rgb[size_t(y) * m.w * 3], m.w * 3, &img.rgb[(size_t(oy + y) * img.w + ox) * 3]);
    }
    upload_rgb(g_grid, img, true);
}
}  // namespace

void draw_featuremaps_panel() {
    auto& a = app();
    teaching_note("Each conv layer gives many feature maps: one per kernel, bright where its pattern appears.",
                  "Deeper layers get coarser (pooling and strides) but respond to bigger, more meaningful parts.");
    if (a.maps.empty()) {
        ImGui::TextDisabled(a.has_photo ? "Waiting for the network..." : "Classify a photo to see its feature maps.");
        return;
    }
    const FeatureMap& m = a.maps[a.layer];
    ImGui::SetNextItemWidth(ImGui::CalcTextSize("features.10 (conv)    ").x + ImGui::GetFrameHeight());
    if (ImGui::BeginCombo("Layer", m.name.c_str())) {
        for (int i = 0; i < int(a.maps.size()); ++i) {
            char label[96];
            snprintf(label, sizeof label, "%s  %dx%dx%d", a.maps[i].name.c_str(), a.maps[i].c, a.maps[i].h, a.maps[i].w);
            if (ImGui::Selectable(label, i == a.layer)) {
                a.layer = i;
                a.channel = -1;
                js_layer_changed(a.maps[i].name, -1);
            }
        }
        ImGui::EndCombo();
    }
    char dims[48];
    snprintf(dims, sizeof dims, "%d x %d x %d", m.c, m.h, m.w);
    // Beside the picker when it fits (narrow panels and presenter text put it below).
    if (ImGui::GetContentRegionAvail().x - ImGui::GetItemRectSize().x - ImGui::CalcTextSize("Layer").x -
            3 * ImGui::GetStyle().ItemSpacing.x > ImGui::CalcTextSize(dims).x)
        ImGui::SameLine();
    ImGui::TextUnformatted(dims);
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("channels x height x width; the input is 3 x %d x %d", a.photo.crop.h, a.photo.crop.w);
    const FeatureMap& cur = a.maps[a.layer];
    if (g_grid_req != a.shown_request || g_grid_layer != a.layer) {
        build_grid(cur);
        g_grid_req = a.shown_request;
        g_grid_layer = a.layer;
    }

    ImVec2 avail = ImGui::GetContentRegionAvail();
    float detail = a.channel >= 0 ? std::min(avail.y * 0.42f, avail.x * 0.5f) : 0.f;
    ImVec2 sz = fit(float(g_grid.w), float(g_grid.h), ImVec2(avail.x, avail.y - detail - ImGui::GetTextLineHeightWithSpacing()));
    ImVec2 pos = ImGui::GetCursorScreenPos();
    ImGui::Image((ImTextureID)(intptr_t)g_grid.id, sz);
    float s = sz.x / float(g_grid.w);
    auto tile_at = [&](ImVec2 p) {
        int col = int((p.x - pos.x) / s - 1) / (cur.w + 1), row = int((p.y - pos.y) / s - 1) / (cur.h + 1);
        int c = row * g_cols + col;
        return (col >= 0 && col < g_cols && c >= 0 && c < cur.c) ? c : -1;
    };
    if (ImGui::IsItemHovered()) {
        int c = tile_at(ImGui::GetIO().MousePos);
        if (c >= 0) ImGui::SetTooltip("channel %d (click to enlarge)", c);
        if (c >= 0 && ImGui::IsItemClicked()) {
            a.channel = c;
            js_layer_changed(cur.name, c);
        }
    }
    if (a.channel < 0) {
        ImGui::TextDisabled("Click a channel to enlarge it over the photo.");
        return;
    }
    int c = a.channel;
    ImVec2 t0(pos.x + (1 + (c % g_cols) * (cur.w + 1)) * s, pos.y + (1 + (c / g_cols) * (cur.h + 1)) * s);
    ImGui::GetWindowDrawList()->AddRect(ImVec2(t0.x - 1, t0.y - 1), ImVec2(t0.x + cur.w * s + 1, t0.y + cur.h * s + 1),
                                        colors::accent, 0, 0, 2.f * a.ui_scale);
    if (g_one_req != a.shown_request || g_one_layer != a.layer || g_one_ch != c) {
        upload_rgb(g_one, colorize(cur.channel(c), cur.w, cur.h, Colormap::Viridis), false);
        g_one_req = a.shown_request;
        g_one_layer = a.layer;
        g_one_ch = c;
    }
    ImGui::Text("Channel %d of %s, over the crop:", c, cur.name.c_str());
    same_line_if_fits(ImGui::CalcTextSize("overlay 0.00").x * 1.5f);
    ImGui::SetNextItemWidth(ImGui::GetContentRegionAvail().x);
    ImGui::SliderFloat("##alpha", &a.overlay_alpha, 0.f, 1.f, "overlay %.2f");
    float side = std::max(16.f, std::min(detail - ImGui::GetFrameHeightWithSpacing(),
                                         (ImGui::GetContentRegionAvail().x - ImGui::GetStyle().ItemSpacing.x) / 2));
    ImVec2 p0 = ImGui::GetCursorScreenPos();
    if (a.photo.crop_tex.id) ImGui::Image((ImTextureID)(intptr_t)a.photo.crop_tex.id, ImVec2(side, side));
    ImGui::GetWindowDrawList()->AddImage((ImTextureID)(intptr_t)g_one.id, p0, ImVec2(p0.x + side, p0.y + side),
                                         ImVec2(0, 0), ImVec2(1, 1),
                                         IM_COL32(255, 255, 255, int(255 * a.overlay_alpha)));
    ImGui::SameLine();
    ImVec2 q0 = ImGui::GetCursorScreenPos();
    ImGui::Image((ImTextureID)(intptr_t)g_one.id, ImVec2(side, side));
    // conv1's own map: a click works that pixel out in the step-through.
    if (cur.name == a.info.conv1_view && !a.kernels.empty() && c < a.k_o) {
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("Click a pixel to see how it is computed (Step-through)");
        if (ImGui::IsItemClicked()) {
            ImVec2 m = ImGui::GetIO().MousePos;
            playground_use_conv1(c);
            playground_step(std::clamp(int((m.x - q0.x) / side * cur.w), 0, cur.w - 1),
                            std::clamp(int((m.y - q0.y) / side * cur.h), 0, cur.h - 1), true);
            a.panel = "Step-through";
        }
    }
}

}  // namespace catdog::web
