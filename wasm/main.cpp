// wasm/main.cpp - the page's Dear ImGui app: window, frame loop, layout, HiDPI.
//
// [SECTION] State and shared helpers
// [SECTION] Scale (devicePixelRatio x zoom) and fonts
// [SECTION] Layout: wide (a column and the teaching views as tabs), narrow (tabs), presenter
// [SECTION] Layout report: what a panel's content needs vs what it can show
// [SECTION] Frame loop and main
//
// The canvas fills the page; its backing store is CSS size x devicePixelRatio, and ImGui works
// in device pixels with fonts and sizes scaled by the same factor, so text stays crisp.
//
// Index of this file:
// [SECTION] State and shared helpers
// [SECTION] Scale (devicePixelRatio x zoom) and fonts
// [SECTION] Layout: wide (a column and the teaching views as tabs), narrow (tabs), presenter
// [SECTION] Layout report: what a panel's content needs vs what it can show
// [SECTION] Frame loop and main
#include <emscripten.h>
#include <emscripten/html5.h>
#define GLFW_INCLUDE_ES3
#include <GLFW/glfw3.h>
#include <GLES3/gl3.h>
#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstring>
#include <string>
#include <nlohmann/json.hpp>
#include "app_state.h"
#include "bridge.h"
#include "imgui.h"
#include "imgui_internal.h"   // the layout report reads window extents and draw lists
#include "imgui_impl_glfw.h"
#include "imgui_impl_opengl3.h"
#include "panels.h"

//-----------------------------------------------------------------------------
// [SECTION] State and shared helpers
//-----------------------------------------------------------------------------
namespace catdog::web {

AppState& app() {
    static AppState s;
    return s;
}

static int g_frames_left = 4;
void wake() { g_frames_left = 4; }  // ImGui settles hover and layout in 2-3 frames

void teaching_note(const char* line1, const char* line2) {
    ImGui::PushStyleColor(ImGuiCol_Text, IM_COL32(170, 200, 230, 255));
    ImGui::TextWrapped("%s", line1);
    ImGui::TextWrapped("%s", line2);
    ImGui::PopStyleColor();
    ImGui::Separator();
}

void text_disabled_wrapped(const char* fmt, ...) {
    ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
    va_list args;
    va_start(args, fmt);
    ImGui::TextWrappedV(fmt, args);
    va_end(args);
    ImGui::PopStyleColor();
}

void same_line_if_fits(float w) {
    float right = ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x;
    if (ImGui::GetItemRectMax().x + ImGui::GetStyle().ItemSpacing.x + w <= right) ImGui::SameLine();
}

ImVec2 fit(float w, float h, ImVec2 avail) {
    if (w <= 0 || h <= 0 || avail.x <= 0 || avail.y <= 0) return ImVec2(0, 0);
    float s = std::min(avail.x / w, avail.y / h);
    return ImVec2(std::floor(w * s), std::floor(h * s));
}

ImU32 colors::for_class(int i) {
    static const ImU32 extra[] = {IM_COL32(120, 210, 120, 255), IM_COL32(200, 120, 220, 255),
                                  IM_COL32(230, 90, 110, 255)};
    if (i == 0) return cat;
    if (i == 1) return dog;
    return extra[(i - 2) % 3];
}

}  // namespace catdog::web

using namespace catdog::web;

namespace {

GLFWwindow* g_window = nullptr;

//-----------------------------------------------------------------------------
// [SECTION] Scale (devicePixelRatio x zoom) and fonts
//-----------------------------------------------------------------------------
float g_font_scale = 0.f;
float g_css_w = 0;   // the canvas's CSS width (the layout decision)
constexpr float kPresenterText = 1.6f;   // presenter mode's text and widgets, x normal

void apply_scale(float scale) {
    if (std::fabs(scale - g_font_scale) < 0.01f) return;
    g_font_scale = scale;
    ImGuiIO& io = ImGui::GetIO();
    io.Fonts->Clear();
    ImFontConfig cfg;
    // ImGui's built-in font (no remote fonts); rasterised at the real pixel size so it stays sharp.
    cfg.SizePixels = std::round(15.f * scale);
    cfg.OversampleH = cfg.OversampleV = 1;
    cfg.PixelSnapH = true;
    io.Fonts->AddFontDefault(&cfg);
    ImGui_ImplOpenGL3_DestroyFontsTexture();
    ImGui_ImplOpenGL3_CreateFontsTexture();

    ImGuiStyle& style = ImGui::GetStyle();
    style = ImGuiStyle();
    ImGui::StyleColorsDark(&style);
    style.WindowRounding = 6.f;
    style.FrameRounding = 4.f;
    style.GrabRounding = 4.f;
    style.WindowPadding = ImVec2(10, 10);
    style.FramePadding = ImVec2(8, 6);    // finger-sized buttons
    style.ItemSpacing = ImVec2(8, 7);
    style.ScrollbarSize = 16.f;
    style.AntiAliasedLinesUseTex = false;   // textured quads from the font atlas are glyphs only (layout report)
    style.Colors[ImGuiCol_WindowBg] = ImVec4(0.09f, 0.10f, 0.12f, 1.f);
    style.Colors[ImGuiCol_TitleBg] = style.Colors[ImGuiCol_TitleBgActive] = ImVec4(0.16f, 0.22f, 0.32f, 1.f);
    style.ScaleAllSizes(scale);
}

// Resizes the canvas's backing store to CSS size x devicePixelRatio when either changed.
void sync_canvas_size() {
    double css_w = 0, css_h = 0, dpr = 1;
    js_canvas_size(&css_w, &css_h, &dpr);
    int w = std::max(1, int(std::lround(css_w * dpr)));
    int h = std::max(1, int(std::lround(css_h * dpr)));
    int cur_w = 0, cur_h = 0;
    glfwGetWindowSize(g_window, &cur_w, &cur_h);
    if (w != cur_w || h != cur_h) js_set_canvas_size(w, h);
    // Small screens get a slightly smaller base size; projectors (wide) a larger one.
    float base = css_w < 700 ? 0.95f : css_w > 1700 ? 1.25f : 1.f;
    g_css_w = float(css_w);
    app().ui_scale = float(dpr) * base * app().zoom * (app().presenter ? kPresenterText : 1.f);
}

//-----------------------------------------------------------------------------
// [SECTION] Layout: wide (a column and the teaching views as tabs), narrow (tabs), presenter
//-----------------------------------------------------------------------------
const ImGuiWindowFlags kPanelFlags = ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize |
                                     ImGuiWindowFlags_NoCollapse | ImGuiWindowFlags_NoSavedSettings;

// Every panel, in tab order. Column panels stand beside the tabs on wide screens; on narrow
// ones only Input stays on top and everything else becomes a tab.
enum class Place { Column, Tab };
struct PanelDef { const char* name; void (*draw)(); Place place; };
const PanelDef kPanels[] = {
    {"Input", draw_input_panel, Place::Column},
    {"Prediction", draw_prediction_panel, Place::Column},
    {"Feature maps", draw_featuremaps_panel, Place::Tab},
    {"Kernels", draw_kernels_panel, Place::Tab},
    {"Playground", draw_playground_panel, Place::Tab},
    {"Step-through", draw_stepthrough_panel, Place::Tab},
    {"Training", draw_training_panel, Place::Tab},
    {"Explain", draw_explain_panel, Place::Tab},
};

std::string g_tab_shown;                 // the tab ImGui showed last frame

// The rectangle in CSS pixels, for window.catdog.panelRect() (tests, screenshots).
void publish_rect(const char* name) {
    ImVec2 p = ImGui::GetWindowPos(), s = ImGui::GetWindowSize();
    double css_w, css_h, dpr;
    js_canvas_size(&css_w, &css_h, &dpr);
    float k = 1.f / float(dpr);
    js_panel_rect(name, p.x * k, p.y * k, s.x * k, s.y * k);
}

}  // namespace

// Publishes the last item's rectangle (CSS px) under `name`, for window.catdog.panelRect (tests click it).
void catdog::web::publish_item_rect(const char* name) {
    double css_w, css_h, dpr;
    js_canvas_size(&css_w, &css_h, &dpr);
    float k = 1.f / float(dpr);
    ImVec2 p = ImGui::GetItemRectMin(), q = ImGui::GetItemRectMax();
    js_panel_rect(name, p.x * k, p.y * k, (q.x - p.x) * k, (q.y - p.y) * k);
}

namespace {

void panel(const char* title, ImVec2 pos, ImVec2 size, void (*draw)()) {
    ImGui::SetNextWindowPos(pos, ImGuiCond_Always);
    ImGui::SetNextWindowSize(size, ImGuiCond_Always);
    if (ImGui::Begin(title, nullptr, kPanelFlags)) draw();
    publish_rect(title);
    ImGui::End();
}

bool is_tab(const std::string& name, bool narrow) {
    for (const PanelDef& p : kPanels)
        if (name == p.name) return narrow ? std::string(p.name) != "Input" : p.place == Place::Tab;
    return false;
}

// Presenter mode's way back, right-aligned on the current line.
void back_button() {
    const char* label = "Back (Esc)";
    float w = ImGui::CalcTextSize(label).x + 2 * ImGui::GetStyle().FramePadding.x;
    ImGui::SameLine(std::max(ImGui::GetCursorPosX(), ImGui::GetWindowContentRegionMax().x - w));
    if (ImGui::Button(label)) app().presenter = false;
    publish_item_rect("present");
}

// The tabbed views in one window; the tab a.panel names is brought to the front.
void tabs(const char* host, ImVec2 pos, ImVec2 size, bool narrow) {
    auto& a = app();
    ImGui::SetNextWindowPos(pos, ImGuiCond_Always);
    ImGui::SetNextWindowSize(size, ImGuiCond_Always);
    if (ImGui::Begin(host, nullptr, kPanelFlags | ImGuiWindowFlags_NoTitleBar | ImGuiWindowFlags_NoScrollbar)) {
        std::string shown;
        if (ImGui::BeginTabBar("views", ImGuiTabBarFlags_FittingPolicyScroll)) {
            for (const PanelDef& p : kPanels) {
                if (!is_tab(p.name, narrow)) continue;
                ImGuiTabItemFlags f = (a.panel == p.name && g_tab_shown != p.name) ? ImGuiTabItemFlags_SetSelected : 0;
                if (ImGui::BeginTabItem(p.name, nullptr, f)) {
                    shown = p.name;
                    ImGui::BeginChild(p.name);
                    p.draw();
                    publish_rect(p.name);
                    ImGui::EndChild();
                    ImGui::EndTabItem();
                }
            }
            // Presenter mode: this tab alone, full-screen, larger text.
            if (ImGui::TabItemButton("Present", ImGuiTabItemFlags_Trailing)) a.presenter = true;
            publish_item_rect("present");
            if (ImGui::IsItemHovered()) ImGui::SetTooltip("Show this panel alone, full-screen, with larger text (Esc: back)");
            ImGui::EndTabBar();
        }
        // A tab the user clicked becomes the panel (presenter mode shows it, links keep it).
        if (shown != g_tab_shown) {
            if (g_tab_shown == a.panel || !is_tab(a.panel, narrow)) a.panel = shown;
            g_tab_shown = shown;
        }
    }
    ImGui::End();
}

void presenter_layout() {
    auto& a = app();
    ImVec2 d = ImGui::GetIO().DisplaySize;
    const PanelDef* def = &kPanels[3];
    for (const PanelDef& p : kPanels)
        if (a.panel == p.name) def = &p;
    ImGui::SetNextWindowPos({0, 0}, ImGuiCond_Always);
    ImGui::SetNextWindowSize(d, ImGuiCond_Always);
    if (ImGui::Begin("Presenter", nullptr, kPanelFlags | ImGuiWindowFlags_NoTitleBar)) {
        ImGui::PushStyleColor(ImGuiCol_Text, colors::accent);
        ImGui::TextUnformatted(def->name);
        ImGui::PopStyleColor();
        back_button();
        ImGui::Separator();
        ImGui::BeginChild(def->name);
        def->draw();
        publish_rect(def->name);
        ImGui::EndChild();
    }
    ImGui::End();
    if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Escape))) a.presenter = false;
}

void layout() {
    auto& a = app();
    if (a.presenter) {
        presenter_layout();
        return;
    }
    ImVec2 d = ImGui::GetIO().DisplaySize;
    float g = std::round(6.f * a.ui_scale);  // gap
    if (g_css_w >= 900) {
        // Wide: [Input / Prediction] | [Feature maps, Kernels, Playground, ... as tabs]: each
        // teaching view gets most of the screen (a projector's 1024x768 included).
        float c0 = std::floor(std::max(d.x * 0.3f, std::min(d.x * 0.4f, 330.f * a.ui_scale)));
        float c1 = d.x - c0 - 3 * g;
        float input_h = std::floor(a.camera_on ? d.y * 0.55f : d.y * 0.42f);
        panel("Input", {g, g}, {c0, input_h}, draw_input_panel);
        panel("Prediction", {g, 2 * g + input_h}, {c0, d.y - input_h - 3 * g}, draw_prediction_panel);
        tabs("Views", {2 * g + c0, g}, {c1, d.y - 2 * g}, false);
    } else {
        // Narrow (phones, portrait tablets): input on top, the rest as tabs.
        float input_h = std::floor(a.camera_on ? d.y * 0.5f : std::min(d.y * 0.30f, 300.f * a.ui_scale));
        panel("Input", {g, g}, {d.x - 2 * g, input_h}, draw_input_panel);
        tabs("Views", {g, 2 * g + input_h}, {d.x - 2 * g, d.y - input_h - 3 * g}, true);
    }
}

//-----------------------------------------------------------------------------
// [SECTION] Layout report: what a panel's content needs vs what it can show
//-----------------------------------------------------------------------------
// For each panel (and each tab's child window): content width vs visible width, whether a
// vertical scroll bar shows the rest, and text glyphs cut by the panel's right edge (found in
// the frame's draw lists: a glyph is a textured quad straddling its clip rectangle).
std::string layout_report() {
    ImGuiContext& g = *ImGui::GetCurrentContext();
    const ImVec2 white = g.IO.Fonts->TexUvWhitePixel;
    const ImTextureID font = g.IO.Fonts->TexID;
    double css_w, css_h, dpr;
    js_canvas_size(&css_w, &css_h, &dpr);
    const float k = 1.f / float(dpr);
    auto known = [](const char* name) {
        for (const PanelDef& p : kPanels)
            if (std::strcmp(name, p.name) == 0) return p.name;
        return (const char*)nullptr;
    };
    nlohmann::json out = nlohmann::json::array();
    for (ImGuiWindow* w : g.Windows) {
        if (!w->WasActive || w->Hidden) continue;
        // Panel windows by their title, tab children by the name BeginChild gave them ("Views/Kernels_...").
        const char* name = known(w->Name);
        if (!name && (w->Flags & ImGuiWindowFlags_ChildWindow)) {
            const char* slash = std::strrchr(w->Name, '/');
            std::string last = slash ? std::string(slash + 1) : std::string();
            last = last.substr(0, last.rfind('_'));
            name = known(last.c_str());
        }
        if (!name) continue;
        float content_right = w->DC.CursorMaxPos.x, visible_right = w->InnerClipRect.Max.x;
        float content_bottom = w->DC.CursorMaxPos.y, visible_bottom = w->InnerClipRect.Max.y;
        int glyphs = 0;
        std::vector<float> ys;
        const ImDrawList* dl = w->DrawList;
        for (const ImDrawCmd& cmd : dl->CmdBuffer) {
            if (cmd.UserCallback || cmd.TextureId != font) continue;
            for (unsigned e = 0; e < cmd.ElemCount; ++e) {
                const ImDrawVert& v = dl->VtxBuffer[cmd.VtxOffset + dl->IdxBuffer[cmd.IdxOffset + e]];
                if (v.uv.x == white.x && v.uv.y == white.y) continue;
                if (v.pos.x > cmd.ClipRect.z + 1.f && v.pos.y < cmd.ClipRect.w && v.pos.y > cmd.ClipRect.y) {
                    ++glyphs;
                    float y = std::round(v.pos.y * k);
                    if (std::find(ys.begin(), ys.end(), y) == ys.end() && ys.size() < 20) ys.push_back(y);
                }
            }
        }
        out.push_back({{"panel", name}, {"window", w->Name},
                       {"contentWidth", (content_right - w->InnerClipRect.Min.x) * k},
                       {"visibleWidth", (visible_right - w->InnerClipRect.Min.x) * k},
                       {"contentHeight", (content_bottom - w->InnerClipRect.Min.y + w->Scroll.y) * k},
                       {"visibleHeight", (visible_bottom - w->InnerClipRect.Min.y) * k},
                       {"scrollbarY", w->ScrollbarY}, {"scrollbarX", w->ScrollbarX},
                       {"overflowX", std::max(0.f, content_right - visible_right) * k},
                       {"clippedGlyphs", glyphs / 4}, {"clippedAt", ys}, {"fontSize", ImGui::GetFontSize() * k}});
    }
    return out.dump();
}

//-----------------------------------------------------------------------------
// [SECTION] Frame loop and main
//-----------------------------------------------------------------------------
void frame() {
    int w0, h0;
    glfwGetWindowSize(g_window, &w0, &h0);
    float scale0 = app().ui_scale;
    sync_canvas_size();
    int w1, h1;
    glfwGetWindowSize(g_window, &w1, &h1);
    if (w0 != w1 || h0 != h1 || scale0 != app().ui_scale) wake();
    if (g_frames_left <= 0 && !app().camera_on) return;  // nothing changed: keep the last frame
    --g_frames_left;
    apply_scale(app().ui_scale);
    glfwPollEvents();
    ImGui_ImplOpenGL3_NewFrame();
    ImGui_ImplGlfw_NewFrame();
    ImGui::NewFrame();
    layout();
    ImGui::Render();
    int fb_w, fb_h;
    glfwGetFramebufferSize(g_window, &fb_w, &fb_h);
    glViewport(0, 0, fb_w, fb_h);
    glClearColor(0.05f, 0.06f, 0.07f, 1.f);
    glClear(GL_COLOR_BUFFER_BIT);
    ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
}

}  // namespace

// The layout report as JSON (window.catdog.layoutReport()): one entry per visible panel.
extern "C" EMSCRIPTEN_KEEPALIVE const char* cd_layout_json() {
    static std::string s;
    s = layout_report();
    return s.c_str();
}

// Without WebGL2 there is no ImGui window, but the runtime stays up (main returns 0, and
// EXIT_RUNTIME is off): the core's classify entry points (bridge.cpp) still work, and the
// page's plain HTML fallback (web/fallback.js) uses them.
EM_JS(void, cdjs_no_webgl, (const char* why), {
    if (Module.host && Module.host.noWebGL) Module.host.noWebGL(UTF8ToString(why));
});

int main() {
    if (!glfwInit()) {
        emscripten_log(EM_LOG_ERROR, "glfwInit failed");
        cdjs_no_webgl("the window system did not start (glfwInit failed)");
        return 0;
    }
    glfwWindowHint(GLFW_CLIENT_API, GLFW_OPENGL_ES_API);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 0);
    g_window = glfwCreateWindow(1280, 800, "catdog", nullptr, nullptr);
    if (!g_window) {
        emscripten_log(EM_LOG_WARN, "glfwCreateWindow failed: no WebGL2; the page shows its HTML fallback");
        cdjs_no_webgl("it is turned off, or not supported by this browser or its graphics driver");
        return 0;
    }
    glfwMakeContextCurrent(g_window);
    IMGUI_CHECKVERSION();
    ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr;
    io.ConfigFlags |= ImGuiConfigFlags_NavEnableKeyboard;
    ImGui_ImplGlfw_InitForOpenGL(g_window, true);
    ImGui_ImplOpenGL3_Init("#version 300 es");
    emscripten_set_main_loop(frame, 0, false);
    return 0;
}
