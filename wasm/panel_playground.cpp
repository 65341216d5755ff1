// wasm/panel_playground.cpp - the kernel playground and the step-through convolution.
//
// [SECTION] The kernel that runs: conv1's own, a preset, or an edit
// [SECTION] Running it: catdog::convolve on the network's input tensor
// [SECTION] Drawing kernels and patches as cells
// [SECTION] Playground panel
// [SECTION] Step-through panel
// [SECTION] JS entry points (window.catdog.convolve, playground, step)
//
// Both panels run the shared core's convolve / convolve_at (the same code as `catdog filter`)
// on the tensor the network got, with conv1's stride, padding, bias and activation, so an
// unedited conv1 kernel draws exactly the network's own first feature map for that channel.
//
// Index of this file:
// [SECTION] The kernel that runs: conv1's own, a preset, or an edit
// [SECTION] Running it: catdog::convolve on the network's input tensor
// [SECTION] Drawing kernels and patches as cells
// [SECTION] Playground panel
// [SECTION] Step-through panel
// [SECTION] JS entry points (window.catdog.convolve, playground, step)
#include <emscripten.h>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <nlohmann/json.hpp>
#include "app_state.h"
#include "bridge.h"
#include "catdog/grid.h"
#include "panels.h"

namespace catdog::web {

//-----------------------------------------------------------------------------
// [SECTION] The kernel that runs: conv1's own, a preset, or an edit
//-----------------------------------------------------------------------------
namespace {

bool has_conv1() {
    auto& a = app();
    return !a.kernels.empty() && a.k_o > 0;
}

Activation conv1_act() {
    try {
        return parse_activation(app().info.conv1_activation);
    } catch (const std::exception&) {
        return Activation::None;
    }
}

int input_size() { return app().photo.crop.w > 0 ? app().photo.crop.w : app().info.transform.crop; }

// The network's own conv1 output (model.json's conv1.view), or null before a photo ran.
const FeatureMap* network_map() {
    auto& a = app();
    for (auto& m : a.maps)
        if (m.name == a.info.conv1_view) return &m;
    return nullptr;
}

void changed() {
    ++app().play.version;
    wake();
}

}  // namespace

// conv1's kernel k with the layer's own stride, padding, bias and activation.
ConvSpec conv1_spec(int k) {
    auto& a = app();
    ConvSpec s;
    s.kernel.c = a.k_i;
    s.kernel.kh = a.k_h;
    s.kernel.kw = a.k_w;
    size_t n = size_t(a.k_i) * a.k_h * a.k_w;
    s.kernel.w.assign(a.kernels.begin() + k * n, a.kernels.begin() + (k + 1) * n);
    s.stride = a.info.conv1_stride;
    s.pad = a.info.conv1_pad;
    s.bias = k < int(a.conv1_bias.size()) ? a.conv1_bias[k] : 0.f;
    s.act = conv1_act();
    return s;
}

// The playground's spec: its kernel, stride, bias and activation; conv1's own padding when
// the kernel and stride are conv1's, else TensorFlow's SAME (output = ceil(input / stride)).
ConvSpec playground_spec() {
    auto& a = app();
    const Playground& p = a.play;
    ConvSpec s;
    s.kernel = p.kernel;
    s.stride = std::max(1, p.stride);
    s.bias = p.bias;
    s.act = p.act;
    int S = input_size();
    if (p.kernel.kh == a.k_h && p.kernel.kw == a.k_w && s.stride == a.info.conv1_stride && has_conv1())
        s.pad = a.info.conv1_pad;
    else
        s.pad = same_pad(S, S, p.kernel.kh, p.kernel.kw, s.stride);
    return s;
}

void playground_use_conv1(int k) {
    auto& a = app();
    if (!has_conv1()) return;
    k = std::clamp(k, 0, a.k_o - 1);
    ConvSpec s = conv1_spec(k);
    Playground& p = a.play;
    p.source = KernelSource::Conv1;
    p.conv1 = k;
    p.kernel = s.kernel;
    p.size = a.k_h;
    p.stride = s.stride;
    p.bias = s.bias;
    p.act = s.act;
    changed();
}

// A classic image kernel, at conv1's stride, without bias or activation (negative responses
// of edge detectors stay visible).
void playground_use_preset(const std::string& name, int size) {
    auto& a = app();
    Playground& p = a.play;
    Kernel k = preset_kernel(name, size, has_conv1() ? a.k_i : 3);  // throws on an unknown name
    p.source = KernelSource::Preset;
    p.preset = name;
    p.size = size;
    p.kernel = std::move(k);
    p.stride = has_conv1() ? a.info.conv1_stride : 1;
    p.bias = 0.f;
    p.act = Activation::None;
    changed();
}

void playground_set_kernel(const Kernel& k) {
    Playground& p = app().play;
    p.source = KernelSource::Edited;
    p.kernel = k;
    p.size = k.kh;
    changed();
}

void playground_step(int x, int y, bool on_network) {
    Playground& p = app().play;
    p.step_x = x;
    p.step_y = y;
    p.step_on_network = on_network;
    p.playing = false;
    wake();
}

//-----------------------------------------------------------------------------
// [SECTION] Running it: catdog::convolve on the network's input tensor
//-----------------------------------------------------------------------------
namespace {

struct Output {
    Plane plane;
    int version = -1, request = -1;
    double ms = 0;          // convolve alone
    double edit_ms = 0;     // convolve + colour + texture upload: what an edit costs
    std::string error;
    Texture tex;
    float lo = 0, hi = 0;
};
Output g_out;
Texture g_net_tex;
int g_net_for_req = -1, g_net_for_ch = -1;

void refresh_output() {
    auto& a = app();
    if (!a.has_photo || a.photo.tensor.empty()) return;
    if (g_out.version == a.play.version && g_out.request == a.shown_request) return;
    double t0 = emscripten_get_now();
    g_out.version = a.play.version;
    g_out.request = a.shown_request;
    g_out.error.clear();
    try {
        int S = input_size();
        g_out.plane = convolve(a.photo.tensor.data(), 3, S, S, playground_spec());
    } catch (const std::exception& e) {
        g_out.plane = Plane{};
        g_out.error = e.what();
        return;
    }
    double t1 = emscripten_get_now();
    const Plane& pl = g_out.plane;
    auto [lo, hi] = std::minmax_element(pl.data.begin(), pl.data.end());
    g_out.lo = *lo;
    g_out.hi = *hi;
    // RGBA: browsers' WebGL converts RGB uploads on a slow path (Firefox: ~10 ms for 224x224).
    Image rgb = colorize(pl.data.data(), pl.width, pl.height, Colormap::Viridis);
    static std::vector<uint8_t> rgba;
    rgba.resize(size_t(rgb.w) * rgb.h * 4);
    for (size_t i = 0, n = size_t(rgb.w) * rgb.h; i < n; ++i) {
        rgba[4 * i] = rgb.rgb[3 * i];
        rgba[4 * i + 1] = rgb.rgb[3 * i + 1];
        rgba[4 * i + 2] = rgb.rgb[3 * i + 2];
        rgba[4 * i + 3] = 255;
    }
    upload_rgba(g_out.tex, rgba.data(), rgb.w, rgb.h, true);
    g_out.ms = t1 - t0;
    g_out.edit_ms = emscripten_get_now() - t0;
}

// The network's own map for the playground's conv1 channel (null when the kernel is not conv1's).
const FeatureMap* refresh_network() {
    auto& a = app();
    const FeatureMap* m = network_map();
    if (!m || a.play.conv1 >= m->c) return nullptr;
    if (g_net_for_req != a.shown_request || g_net_for_ch != a.play.conv1) {
        upload_rgb(g_net_tex, colorize(m->channel(a.play.conv1), m->w, m->h, Colormap::Viridis), true);
        g_net_for_req = a.shown_request;
        g_net_for_ch = a.play.conv1;
    }
    return m;
}

// Largest |difference| between the playground's output and the network's channel.
double max_diff_to_network(const FeatureMap& m) {
    const Plane& pl = g_out.plane;
    if (pl.width != m.w || pl.height != m.h) return -1;
    const float* n = m.channel(app().play.conv1);
    double d = 0;
    for (size_t i = 0; i < pl.data.size(); ++i) d = std::max(d, double(std::fabs(pl.data[i] - n[i])));
    return d;
}

//-----------------------------------------------------------------------------
// [SECTION] Drawing kernels and patches as cells
//-----------------------------------------------------------------------------
// Diverging colours: negative blue, zero dark grey, positive orange (v in [-1, 1]).
ImU32 diverging(float v) {
    v = std::clamp(v, -1.f, 1.f);
    const float base[3] = {40, 42, 48};
    const float pos[3] = {255, 150, 60}, neg[3] = {70, 150, 255};
    const float* t = v >= 0 ? pos : neg;
    float k = std::fabs(v);
    return IM_COL32(int(base[0] + (t[0] - base[0]) * k), int(base[1] + (t[1] - base[1]) * k),
                    int(base[2] + (t[2] - base[2]) * k), 255);
}

// Formats v as precisely as fits in `width` pixels: "-0.243", "-0.24", "-0.2", then "-.2",
// and "-1.9" or "-0.96" as "-2" or "-1" (a blank cell would read as zero to a class). False if not even that fits.
bool fit_number(float v, float width, char* t, size_t n) {
    const float m = std::fabs(v);
    const char* fmts[] = {m >= 10 ? "%.0f" : m >= 1 ? "%.2f" : m >= 0.01f || m == 0 ? "%.3f" : "%.0e",
                          m >= 10 ? "%.0f" : m >= 1 ? "%.1f" : m >= 0.01f || m == 0 ? "%.2f" : "%.0e", "%.1f"};
    for (const char* f : fmts) {
        snprintf(t, n, f, v);
        if (m == 0) snprintf(t, n, "0");
        if (ImGui::CalcTextSize(t).x < width) return true;
    }
    // "-0.2" -> "-.2", "0.2" -> ".2"
    char* z = strstr(t, "0.");
    if (z && (z == t || (z == t + 1 && t[0] == '-'))) memmove(z, z + 1, strlen(z));
    if (ImGui::CalcTextSize(t).x < width) return true;
    if (m < 0.5f) return false;
    snprintf(t, n, "%.0f", v);  // "-1.9" -> "-2", "-0.96" -> "-1"
    return ImGui::CalcTextSize(t).x < width;
}

// Draws an h x w block of cells at the cursor; returns the hovered cell index or -1.
// `fill(i)` gives each cell's colour; numbers are printed when the cells are large enough.
template <class Fill>
int draw_cells(const char* id, const float* v, int h, int w, float cell, Fill fill, bool numbers,
               int highlight = -1) {
    ImVec2 p0 = ImGui::GetCursorScreenPos();
    ImGui::InvisibleButton(id, ImVec2(cell * w, cell * h));
    ImDrawList* dl = ImGui::GetWindowDrawList();
    int hovered = -1;
    ImVec2 m = ImGui::GetIO().MousePos;
    if (ImGui::IsItemHovered() || ImGui::IsItemActive()) {
        int cx = int((m.x - p0.x) / cell), cy = int((m.y - p0.y) / cell);
        if (cx >= 0 && cx < w && cy >= 0 && cy < h) hovered = cy * w + cx;
    }
    const float font = ImGui::GetFontSize();
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            int i = y * w + x;
            ImVec2 a(p0.x + x * cell, p0.y + y * cell), b(a.x + cell - 1, a.y + cell - 1);
            dl->AddRectFilled(a, b, fill(i));
            if (i == highlight || i == hovered) dl->AddRect(a, b, colors::accent, 0, 0, 2.f);
            if (numbers && font < cell - 2) {
                char t[16];
                if (fit_number(v[i], cell - 2, t, sizeof t)) {
                    ImVec2 ts = ImGui::CalcTextSize(t);
                    dl->AddText(ImVec2(a.x + (cell - ts.x) / 2, a.y + (cell - font) / 2), IM_COL32(255, 255, 255, 255), t);
                }
            }
        }
    return hovered;
}

float max_abs(const float* v, size_t n) {
    float m = 1e-12f;
    for (size_t i = 0; i < n; ++i) m = std::max(m, std::fabs(v[i]));
    return m;
}

const char* kChannelNames[] = {"R", "G", "B"};

float button_w(const char* label) { return ImGui::CalcTextSize(label, nullptr, true).x + 2 * ImGui::GetStyle().FramePadding.x; }
float radio_w(const char* label) { return ImGui::GetFrameHeight() + ImGui::GetStyle().ItemInnerSpacing.x + ImGui::CalcTextSize(label, nullptr, true).x; }

}  // namespace

//-----------------------------------------------------------------------------
// [SECTION] Playground panel
//-----------------------------------------------------------------------------
namespace {

int g_edit_channel = 0;   // 0..c-1; grey mode edits all at once
int g_sel = -1;           // selected cell (y * kw + x)
float g_drag_start_v = 0, g_drag_start_y = 0;

// The value shown for cell i: the channel's weight, or in grey mode the sum over channels
// (what a grey input sees).
float cell_value(const Kernel& k, int i, bool grey, int ch) {
    int n = k.kh * k.kw;
    if (!grey) return k.w[size_t(ch) * n + i];
    float s = 0;
    for (int c = 0; c < k.c; ++c) s += k.w[size_t(c) * n + i];
    return s;
}

void set_cell(Kernel& k, int i, bool grey, int ch, float v) {
    int n = k.kh * k.kw;
    if (!grey) {
        k.w[size_t(ch) * n + i] = v;
        return;
    }
    for (int c = 0; c < k.c; ++c) k.w[size_t(c) * n + i] = v / float(k.c);
}

void kernel_editor(float side) {
    auto& a = app();
    Playground& p = a.play;
    Kernel& k = p.kernel;
    const int n = k.kh * k.kw;
    std::vector<float> shown(n);
    for (int i = 0; i < n; ++i) shown[i] = cell_value(k, i, p.grey, g_edit_channel);
    float scale = max_abs(shown.data(), n);
    float cell = std::floor(std::max(ImGui::GetFontSize() * 1.6f, side / float(std::max(k.kh, k.kw))));
    int hov = draw_cells("##kernel", shown.data(), k.kh, k.kw, cell, [&](int i) { return diverging(shown[i] / scale); },
                         true, g_sel);
    publish_item_rect("kernel editor");
    // Click selects a cell; dragging up or down changes its weight (a full kernel's range per
    // ~6 cells of travel), like a knob.
    if (ImGui::IsItemActivated() && hov >= 0) {
        g_sel = hov;
        g_drag_start_v = shown[hov];
        g_drag_start_y = ImGui::GetIO().MousePos.y;
    }
    if (ImGui::IsItemActive() && g_sel >= 0) {
        float dy = g_drag_start_y - ImGui::GetIO().MousePos.y;
        if (std::fabs(dy) >= 1.f) {
            float v = g_drag_start_v + dy * std::max(scale, 0.1f) / (6.f * cell);
            if (v != cell_value(k, g_sel, p.grey, g_edit_channel)) {
                Kernel e = k;
                set_cell(e, g_sel, p.grey, g_edit_channel, v);
                playground_set_kernel(e);
            }
        }
    }
    if (hov >= 0 && !ImGui::IsItemActive())
        ImGui::SetTooltip("row %d, column %d: %.4f (click, then drag up/down)", hov / k.kw, hov % k.kw, shown[hov]);
}

// One flowing block of controls: the kernel (conv1's #k, a preset, a size), the channel the
// editor shows, and the convolution's stride, bias and activation.
void controls() {
    auto& a = app();
    Playground& p = a.play;
    const float fs = ImGui::GetFontSize();
    bool first = true;
    auto place = [&](float w) { if (!first) same_line_if_fits(w); first = false; };
    if (has_conv1()) {
        int k = p.conv1;
        const float w = fs * 6.5f + ImGui::CalcTextSize("conv1 kernel").x;
        place(w);
        ImGui::SetNextItemWidth(fs * 6.5f);
        if (ImGui::InputInt("conv1 kernel", &k)) playground_use_conv1(std::clamp(k, 0, a.k_o - 1));
        place(button_w("Reset"));
        if (ImGui::Button("Reset")) playground_use_conv1(p.conv1);
    }
    static std::vector<std::string> names = preset_names();
    place(fs * 7.5f);
    ImGui::SetNextItemWidth(fs * 7.5f);
    const char* cur = p.source == KernelSource::Preset ? p.preset.c_str() : "preset...";
    if (ImGui::BeginCombo("##preset", cur)) {
        for (auto& n : names)
            if (ImGui::Selectable(n.c_str(), p.source == KernelSource::Preset && n == p.preset))
                playground_use_preset(n, p.source == KernelSource::Conv1 ? 3 : p.size);
        ImGui::EndCombo();
    }
    // Sizes: 3x3, 5x5 and conv1's own (a third button only when it is neither).
    std::vector<int> sizes = {3, 5};
    if (has_conv1() && a.k_h != 3 && a.k_h != 5) sizes.push_back(a.k_h);
    for (int sz : sizes) {
        char label[24];
        snprintf(label, sizeof label, "%dx%d", sz, sz);
        place(button_w(label));
        bool on = p.kernel.kh == sz;
        if (on) ImGui::PushStyleColor(ImGuiCol_Button, ImGui::GetStyleColorVec4(ImGuiCol_ButtonActive));
        if (ImGui::Button(label) && !on) playground_use_preset(p.source == KernelSource::Preset ? p.preset : "gaussian", sz);
        if (on) ImGui::PopStyleColor();
    }
    // Which channel the editor shows, or one grey kernel for all three.
    for (int c = 0; c < std::min(p.kernel.c, 3); ++c) {
        place(radio_w(kChannelNames[c]));
        if (ImGui::RadioButton(kChannelNames[c], !p.grey && g_edit_channel == c)) { p.grey = false; g_edit_channel = c; changed(); }
    }
    place(radio_w("grey (all 3)"));
    if (ImGui::RadioButton("grey (all 3)", p.grey)) { p.grey = true; changed(); }
    int stride_opts[2] = {1, has_conv1() ? a.info.conv1_stride : 2};
    for (int i = 0; i < (stride_opts[0] == stride_opts[1] ? 1 : 2); ++i) {
        char l[24];
        snprintf(l, sizeof l, "stride %d", stride_opts[i]);
        place(radio_w(l));
        if (ImGui::RadioButton(l, p.stride == stride_opts[i])) { p.stride = stride_opts[i]; changed(); }
    }
    place(fs * 4.5f + ImGui::CalcTextSize("bias").x + ImGui::GetStyle().ItemInnerSpacing.x);
    ImGui::SetNextItemWidth(fs * 4.5f);
    if (ImGui::DragFloat("bias", &p.bias, 0.01f, -20.f, 20.f, "%.3f")) changed();
    const float act_w = ImGui::CalcTextSize("relu6").x + ImGui::GetFrameHeight() + 2 * ImGui::GetStyle().FramePadding.x;
    place(act_w);
    int act = int(p.act);
    ImGui::SetNextItemWidth(act_w);
    if (ImGui::Combo("##act", &act, "none\0relu\0relu6\0")) { p.act = Activation(act); changed(); }
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("the activation after the sum and the bias");
}

}  // namespace

void draw_playground_panel() {
    auto& a = app();
    Playground& p = a.play;
    teaching_note("A convolution slides a kernel over the photo: each output pixel is the sum of the kernel's "
                  "weights times the pixels under it, plus a bias, through the activation.",
                  "Pick one of conv1's kernels (click it in the Kernels panel), a preset, or drag a cell up or down to "
                  "change its weight. Click the output to step through one position.");
    if (p.kernel.w.empty()) {
        if (has_conv1()) playground_use_conv1(0);
        else playground_use_preset("sobel_x", 3);
    }
    controls();
    const char* src = p.source == KernelSource::Conv1 ? "conv1's own" : p.source == KernelSource::Preset ? p.preset.c_str() : "edited";
    ImGui::Separator();

    // Below: the editor on the left, the two maps on the right (side by side or stacked,
    // whichever draws them larger), all in the height that is left.
    ImVec2 avail = ImGui::GetContentRegionAvail();
    const float sp = ImGui::GetStyle().ItemSpacing.x, line = ImGui::GetTextLineHeightWithSpacing();
    float ed = std::floor(std::max(std::min(avail.x * 0.36f, avail.y - 3 * line), 4 * line));
    ImGui::BeginGroup();
    ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + ed);
    ImGui::TextWrapped("%s, %d x %d x %d%s", src, p.kernel.c, p.kernel.kh, p.kernel.kw,
                       p.grey ? ", grey" : (std::string(", ") + kChannelNames[std::min(g_edit_channel, 2)]).c_str());
    ImGui::PopTextWrapPos();
    kernel_editor(ed);
    if (g_sel >= 0 && g_sel < p.kernel.kh * p.kernel.kw) {
        float v = cell_value(p.kernel, g_sel, p.grey, g_edit_channel);
        ImGui::SetNextItemWidth(ed);
        if (ImGui::DragFloat("##w", &v, 0.01f, 0, 0, "weight %.4f")) {
            Kernel e = p.kernel;
            set_cell(e, g_sel, p.grey, g_edit_channel, v);
            playground_set_kernel(e);
        }
    }
    ImGui::EndGroup();
    ImGui::SameLine();
    ImGui::BeginGroup();
    refresh_output();
    float right = ImGui::GetContentRegionAvail().x;
    ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + right);
    if (!a.has_photo) {
        ImGui::TextWrapped("Open a photo to run the kernel on it.");
    } else if (!g_out.error.empty()) {
        ImGui::TextWrapped("%s", g_out.error.c_str());
    } else {
        const FeatureMap* net = p.source != KernelSource::Preset ? refresh_network() : nullptr;
        ImGui::TextWrapped("%d x %d, stride %d, %s: %.2f ms per edit", g_out.plane.width, g_out.plane.height, p.stride,
                           activation_name(p.act), g_out.edit_ms);
        float h = ImGui::GetContentRegionAvail().y - 2.2f * line;
        float img;
        bool side_by_side = true;
        if (net) {
            float beside = std::min((right - sp) / 2, h), stacked = std::min(right, (h - line) / 2);
            side_by_side = beside >= stacked;
            img = side_by_side ? beside : stacked;
        } else {
            img = std::min(right, h);
        }
        img = std::floor(std::max(img, 32.f));
        ImVec2 p0 = ImGui::GetCursorScreenPos();
        ImGui::Image((ImTextureID)(intptr_t)g_out.tex.id, ImVec2(img, img));
        publish_item_rect("playground output");
        bool clicked = ImGui::IsItemClicked();
        if (ImGui::IsItemHovered()) {
            ImVec2 m = ImGui::GetIO().MousePos;
            int x = int((m.x - p0.x) / img * g_out.plane.width), y = int((m.y - p0.y) / img * g_out.plane.height);
            x = std::clamp(x, 0, g_out.plane.width - 1);
            y = std::clamp(y, 0, g_out.plane.height - 1);
            ImGui::SetTooltip("(%d, %d) = %.4f: click to step through", x, y, g_out.plane.at(x, y));
            if (clicked) {
                playground_step(x, y, false);
                a.panel = "Step-through";
            }
        }
        if (p.step_x >= 0 && p.step_x < g_out.plane.width && p.step_y < g_out.plane.height) {
            float s = img / g_out.plane.width;
            ImVec2 c0(p0.x + p.step_x * s, p0.y + p.step_y * s);
            ImGui::GetWindowDrawList()->AddRect(c0, ImVec2(c0.x + std::max(s, 3.f), c0.y + std::max(s, 3.f)), colors::accent, 0, 0, 2.f);
        }
        if (net) {
            if (side_by_side) ImGui::SameLine();
            ImGui::Image((ImTextureID)(intptr_t)g_net_tex.id, ImVec2(img, img));
            double d = max_diff_to_network(*net);
            ImGui::TextWrapped("%s: this kernel; %s: the network's own %s, channel %d.", side_by_side ? "Left" : "Top",
                               side_by_side ? "right" : "bottom", net->name.c_str(), p.conv1);
            if (d >= 0) ImGui::TextWrapped("Largest difference: %.2g%s", d, d < 1e-4 ? " (the same numbers)" : "");
            else ImGui::TextWrapped("Sizes differ: %d x %d vs the network's %d x %d.", g_out.plane.width, g_out.plane.height, net->w, net->h);
        } else {
            ImGui::TextWrapped("Values %.3g (dark) to %.3g (bright).", g_out.lo, g_out.hi);
        }
    }
    ImGui::PopTextWrapPos();
    ImGui::EndGroup();
}

//-----------------------------------------------------------------------------
// [SECTION] Step-through panel
//-----------------------------------------------------------------------------
namespace {
double g_play_t = 0;

void advance(int dir) {
    Playground& p = app().play;
    const Plane& pl = g_out.plane;
    if (pl.empty()) return;
    int i = std::max(0, p.step_y) * pl.width + std::max(0, p.step_x) + dir;
    int n = pl.width * pl.height;
    i = ((i % n) + n) % n;
    p.step_x = i % pl.width;
    p.step_y = i / pl.width;
}
}  // namespace

// Everything behind the current step position (for the panel and window.catdog.step()).
ConvStep current_step() {
    auto& a = app();
    int S = input_size();
    return convolve_at(a.photo.tensor.data(), 3, S, S, playground_spec(), a.play.step_x, a.play.step_y);
}

void draw_stepthrough_panel() {
    auto& a = app();
    Playground& p = a.play;
    teaching_note("One output value, worked out: the input pixels under the kernel, times its weights, summed, "
                  "plus the bias, through the activation.",
                  "Click a pixel of the playground's output (or of conv1's feature map); Play moves the kernel along.");
    refresh_output();
    if (!a.has_photo || g_out.plane.empty()) {
        ImGui::TextWrapped("Open a photo first.");
        return;
    }
    if (p.step_x < 0 || p.step_y < 0) { p.step_x = g_out.plane.width / 2; p.step_y = g_out.plane.height / 2; }
    p.step_x = std::min(p.step_x, g_out.plane.width - 1);
    p.step_y = std::min(p.step_y, g_out.plane.height - 1);
    if (ImGui::Button("< Step")) { p.playing = false; advance(-1); }
    ImGui::SameLine();
    if (ImGui::Button(p.playing ? "Pause" : "Play")) { p.playing = !p.playing; g_play_t = emscripten_get_now(); }
    publish_item_rect("step play");
    ImGui::SameLine();
    if (ImGui::Button("Step >")) { p.playing = false; advance(1); }
    if (p.playing) {
        double now = emscripten_get_now();
        if (now - g_play_t > 150) { advance(1); g_play_t = now; }
        wake();
    }
    ConvStep st;
    try {
        st = current_step();
    } catch (const std::exception& e) {
        ImGui::TextWrapped("%s", e.what());
        return;
    }
    char where[64];
    snprintf(where, sizeof where, "output (%d, %d), input from (%d, %d)", st.ox, st.oy, st.ix, st.iy);
    same_line_if_fits(ImGui::CalcTextSize(where).x);
    ImGui::TextUnformatted(where);

    const Kernel& k = p.kernel;
    const int n = k.kh * k.kw;
    ImVec2 avail = ImGui::GetContentRegionAvail();
    const float line = ImGui::GetTextLineHeightWithSpacing(), sp = ImGui::GetStyle().ItemSpacing.x;
    // The crop with the kernel's footprint and the output with the position: beside the
    // numbers where that leaves cells big enough for them, else above them (side by side),
    // with the panel scrolling: tall panels and phones.
    const float ops_w = 4 * sp + ImGui::CalcTextSize(" x  = ").x;
    const float beside_small = std::floor(std::min(avail.x * 0.3f, (avail.y - 3.5f * line) / 2));
    const float beside_cell = std::floor(std::min((avail.x - beside_small - sp - ops_w) / (3.f * k.kw),
                                                  (avail.y - 3.5f * line) / (k.c * (k.kh + 0.8f))));
    const bool numbers_fit = beside_cell >= ImGui::GetFontSize() * 2.2f;
    const bool tall = avail.x < avail.y || !numbers_fit;
    float small = tall ? std::floor(std::min((avail.x - sp) / 2, avail.y * 0.3f)) : beside_small;
    ImGui::BeginGroup();
    int S = input_size();
    ImVec2 c0 = ImGui::GetCursorScreenPos();
    if (a.photo.crop_tex.id) ImGui::Image((ImTextureID)(intptr_t)a.photo.crop_tex.id, ImVec2(small, small));
    float s = small / S;
    ImGui::GetWindowDrawList()->AddRect(ImVec2(c0.x + st.ix * s, c0.y + st.iy * s),
                                        ImVec2(c0.x + (st.ix + k.kw) * s, c0.y + (st.iy + k.kh) * s), colors::accent, 0, 0, 2.f);
    if (tall) ImGui::SameLine();
    ImVec2 o0 = ImGui::GetCursorScreenPos();
    ImGui::Image((ImTextureID)(intptr_t)g_out.tex.id, ImVec2(small, small));
    publish_item_rect("step output");
    if (ImGui::IsItemClicked()) {
        ImVec2 m = ImGui::GetIO().MousePos;
        playground_step(std::clamp(int((m.x - o0.x) / small * g_out.plane.width), 0, g_out.plane.width - 1),
                        std::clamp(int((m.y - o0.y) / small * g_out.plane.height), 0, g_out.plane.height - 1), false);
    }
    float so = small / g_out.plane.width;
    ImGui::GetWindowDrawList()->AddRect(ImVec2(o0.x + st.ox * so, o0.y + st.oy * so),
                                        ImVec2(o0.x + (st.ox + 1) * so + 2, o0.y + (st.oy + 1) * so + 2), colors::accent, 0, 0, 2.f);
    ImGui::EndGroup();
    if (!tall) ImGui::SameLine();

    // Right: per channel, the patch (its real colours), x the weights, = the products.
    ImGui::BeginGroup();
    float right = ImGui::GetContentRegionAvail().x;
    // Above the images the rows scroll, so the width alone sets the cells.
    float cell = std::max(tall ? std::floor((right - ops_w) / (3.f * k.kw)) : beside_cell, 4.f);
    // Each cell prints its number when it fits (shortened to the digits that do); hover shows all.
    const bool numbers = true;
    float wmax = max_abs(k.w.data(), k.w.size()), pmax = max_abs(st.products.data(), st.products.size());
    int hovered_c = -1, hovered_i = -1;
    for (int c = 0; c < k.c; ++c) {
        const float* patch = st.patch.data() + size_t(c) * n;
        const float* w = k.w.data() + size_t(c) * n;
        const float* prod = st.products.data() + size_t(c) * n;
        ImGui::PushID(c);
        // The patch in the photo's own colours (black where it falls in the padding).
        int h = draw_cells("##patch", patch, k.kh, k.kw, cell, [&](int i) {
            int x = st.ix + i % k.kw, y = st.iy + i / k.kw;
            if (x < 0 || y < 0 || x >= a.photo.crop.w || y >= a.photo.crop.h) return IM_COL32(0, 0, 0, 255);
            const uint8_t* px = &a.photo.crop.rgb[(size_t(y) * a.photo.crop.w + x) * 3];
            int v = px[std::min(c, 2)];
            return c == 0 ? IM_COL32(v, 0, 0, 255) : c == 1 ? IM_COL32(0, v, 0, 255) : IM_COL32(0, 0, v, 255);
        }, numbers);
        if (h >= 0) { hovered_c = c; hovered_i = h; }
        ImGui::SameLine();
        ImGui::TextUnformatted("x");
        ImGui::SameLine();
        h = draw_cells("##w", w, k.kh, k.kw, cell, [&](int i) { return diverging(w[i] / wmax); }, numbers);
        if (h >= 0) { hovered_c = c; hovered_i = h; }
        ImGui::SameLine();
        ImGui::TextUnformatted("=");
        ImGui::SameLine();
        h = draw_cells("##p", prod, k.kh, k.kw, cell, [&](int i) { return diverging(prod[i] / pmax); }, numbers);
        if (h >= 0) { hovered_c = c; hovered_i = h; }
        ImGui::PopID();
    }
    if (hovered_c >= 0) {
        size_t i = size_t(hovered_c) * n + hovered_i;
        ImGui::SetTooltip("%s, row %d, column %d: input %.4f x weight %.4f = %.4f", kChannelNames[std::min(hovered_c, 2)],
                          hovered_i / k.kw, hovered_i % k.kw, st.patch[i], k.w[i], st.products[i]);
    }
    ImGui::EndGroup();

    // The formula, in words a class can follow.
    ImGui::PushStyleColor(ImGuiCol_Text, colors::accent);
    ImGui::TextWrapped("sum of %zu products = %.4f;  + bias %.4f = %.4f;  %s -> %.4f", st.products.size(), st.sum, st.bias,
                       st.pre, activation_name(p.act), st.value);
    ImGui::PopStyleColor();
    ImGui::TextWrapped("The value drawn at (%d, %d): %.4f", st.ox, st.oy, g_out.plane.at(st.ox, st.oy));
    const FeatureMap* net = network_map();
    if (net && p.source == KernelSource::Conv1 && p.conv1 < net->c && st.ox < net->w && st.oy < net->h)
        ImGui::TextWrapped("The network's own %s channel %d there: %.4f", net->name.c_str(), p.conv1,
                           net->channel(p.conv1)[size_t(st.oy) * net->w + st.ox]);
}

}  // namespace catdog::web

//-----------------------------------------------------------------------------
// [SECTION] JS entry points (window.catdog.convolve, playground, step)
//-----------------------------------------------------------------------------
using namespace catdog;
using namespace catdog::web;

namespace {
Plane g_api;
std::string g_api_error, g_api_json;

int run_api(const ConvSpec& spec) {
    auto& a = app();
    g_api_error.clear();
    try {
        if (!a.has_photo || a.photo.tensor.empty()) throw std::invalid_argument("no photo yet: classify one first");
        int S = input_size();
        g_api = convolve(a.photo.tensor.data(), 3, S, S, spec);
        return 1;
    } catch (const std::exception& e) {
        g_api = Plane{};
        g_api_error = e.what();
        return 0;
    }
}
}  // namespace

extern "C" {

// Convolves the current photo's input tensor. pad_top < 0: TensorFlow SAME for this kernel and
// stride. Returns 1 (result in cd_conv_*) or 0 (reason in cd_conv_error).
EMSCRIPTEN_KEEPALIVE int cd_convolve(const float* w, int c, int kh, int kw, int stride, int pt, int pl, int pb, int pr,
                                     float bias, const char* act) {
    ConvSpec s;
    s.kernel.c = c;
    s.kernel.kh = kh;
    s.kernel.kw = kw;
    s.kernel.w.assign(w, w + size_t(std::max(0, c)) * std::max(0, kh) * std::max(0, kw));
    s.stride = stride;
    s.bias = bias;
    try {
        s.act = parse_activation(act);
        int S = input_size();
        s.pad = pt < 0 ? same_pad(S, S, kh, kw, std::max(1, stride)) : std::array<int, 4>{pt, pl, pb, pr};
    } catch (const std::exception& e) {
        g_api_error = e.what();
        return 0;
    }
    return run_api(s);
}

// conv1's kernel k with the layer's own stride, padding, bias and activation.
EMSCRIPTEN_KEEPALIVE int cd_convolve_conv1(int k) {
    auto& a = app();
    if (!has_conv1()) { g_api_error = "this model has no conv1 weights"; return 0; }
    if (k < 0 || k >= a.k_o) { g_api_error = "conv1 has " + std::to_string(a.k_o) + " channels, not " + std::to_string(k); return 0; }
    return run_api(conv1_spec(k));
}

EMSCRIPTEN_KEEPALIVE int cd_conv_width() { return g_api.width; }
EMSCRIPTEN_KEEPALIVE int cd_conv_height() { return g_api.height; }
EMSCRIPTEN_KEEPALIVE const float* cd_conv_data() { return g_api.data.data(); }
EMSCRIPTEN_KEEPALIVE const char* cd_conv_error() { return g_api_error.c_str(); }

// conv1's bias, [O] (copied); none when the model's conv1 has no bias.
EMSCRIPTEN_KEEPALIVE void cd_set_conv1_bias(const float* b, int n) {
    app().conv1_bias.assign(b, b + std::max(0, n));
    if (app().play.source == KernelSource::Conv1 && !app().play.kernel.w.empty()) playground_use_conv1(app().play.conv1);
    wake();
}

// The playground's output as the panel draws it: spec and timing as JSON, the plane through cd_conv_*.
EMSCRIPTEN_KEEPALIVE const char* cd_playground_json() {
    auto& a = app();
    refresh_output();
    g_api = g_out.plane;
    ConvSpec s = playground_spec();
    nlohmann::json j = {{"source", a.play.source == KernelSource::Conv1 ? "conv1" : a.play.source == KernelSource::Preset ? "preset" : "edited"},
                        {"kernel", a.play.conv1}, {"preset", a.play.preset},
                        {"shape", {s.kernel.c, s.kernel.kh, s.kernel.kw}}, {"weights", s.kernel.w},
                        {"stride", s.stride}, {"pad", s.pad}, {"bias", s.bias}, {"activation", activation_name(s.act)},
                        {"ms", g_out.ms}, {"editMs", g_out.edit_ms}, {"error", g_out.error},
                        {"width", g_out.plane.width}, {"height", g_out.plane.height}};
    g_api_json = j.dump();
    return g_api_json.c_str();
}

// The step-through's numbers at its current position (null when there is no photo).
EMSCRIPTEN_KEEPALIVE const char* cd_step_json() {
    auto& a = app();
    refresh_output();
    if (!a.has_photo || g_out.plane.empty()) return "null";
    if (a.play.step_x < 0 || a.play.step_y < 0) { a.play.step_x = g_out.plane.width / 2; a.play.step_y = g_out.plane.height / 2; }
    try {
        ConvStep st = current_step();
        nlohmann::json j = {{"x", st.ox}, {"y", st.oy}, {"ix", st.ix}, {"iy", st.iy}, {"patch", st.patch},
                            {"weights", a.play.kernel.w}, {"products", st.products}, {"sum", st.sum}, {"bias", st.bias},
                            {"pre", st.pre}, {"value", st.value}, {"activation", activation_name(a.play.act)},
                            {"drawn", g_out.plane.at(st.ox, st.oy)}};
        const FeatureMap* net = network_map();
        if (net && a.play.source == KernelSource::Conv1 && a.play.conv1 < net->c && st.ox < net->w && st.oy < net->h)
            j["network"] = net->channel(a.play.conv1)[size_t(st.oy) * net->w + st.ox];
        g_api_json = j.dump();
    } catch (const std::exception& e) {
        g_api_json = nlohmann::json({{"error", e.what()}}).dump();
    }
    return g_api_json.c_str();
}

EMSCRIPTEN_KEEPALIVE void cd_step_to(int x, int y) { playground_step(x, y, false); }
EMSCRIPTEN_KEEPALIVE void cd_step_advance(int n) { advance(n); wake(); }

}  // extern "C"
