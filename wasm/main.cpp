// wasm/main.cpp - the page's Dear ImGui app: window, frame loop, layout, HiDPI.
//
// [SECTION] State and shared helpers
// [SECTION] Scale (devicePixelRatio x zoom) and fonts
// [SECTION] Layout: wide (three columns) or narrow (tabs)
// [SECTION] Frame loop and main
//
// The canvas fills the page; its backing store is CSS size x devicePixelRatio, and ImGui works
// in device pixels with fonts and sizes scaled by the same factor, so text stays crisp.
#include <emscripten.h>
#include <emscripten/html5.h>
#define GLFW_INCLUDE_ES3
#include <GLFW/glfw3.h>
#include <GLES3/gl3.h>
#include <algorithm>
#include <cmath>
#include "app_state.h"
#include "bridge.h"
#include "imgui.h"
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
    app().ui_scale = float(dpr) * base * app().zoom;
}

//-----------------------------------------------------------------------------
// [SECTION] Layout: wide (three columns) or narrow (tabs)
//-----------------------------------------------------------------------------
const ImGuiWindowFlags kPanelFlags = ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize |
                                     ImGuiWindowFlags_NoCollapse | ImGuiWindowFlags_NoSavedSettings;

void panel(const char* title, ImVec2 pos, ImVec2 size, void (*draw)()) {
    ImGui::SetNextWindowPos(pos, ImGuiCond_Always);
    ImGui::SetNextWindowSize(size, ImGuiCond_Always);
    if (ImGui::Begin(title, nullptr, kPanelFlags)) draw();
    // The rectangle in CSS pixels, for window.catdog.panelRect() (tests, screenshots).
    ImVec2 p = ImGui::GetWindowPos(), s = ImGui::GetWindowSize();
    double css_w, css_h, dpr;
    js_canvas_size(&css_w, &css_h, &dpr);
    float k = 1.f / float(dpr);
    js_panel_rect(title, p.x * k, p.y * k, s.x * k, s.y * k);
    ImGui::End();
}

void layout() {
    ImVec2 d = ImGui::GetIO().DisplaySize;
    float g = std::round(6.f * app().ui_scale);  // gap
    float css_w = d.x / (app().ui_scale / app().zoom);
    if (css_w >= 900) {
        // Wide: [Input / Prediction] | [Feature maps] | [Kernels / Training]
        float c0 = std::floor(d.x * 0.31f), c2 = std::floor(d.x * 0.27f);
        float c1 = d.x - c0 - c2 - 4 * g;
        // The camera preview needs room; otherwise the prediction gets it.
        float input_h = std::floor(app().camera_on ? d.y * 0.55f : std::min(d.y * 0.34f, 330.f * app().ui_scale));
        float kern_h = std::floor(d.y * 0.45f);
        panel("Input", {g, g}, {c0, input_h}, draw_input_panel);
        panel("Prediction", {g, 2 * g + input_h}, {c0, d.y - input_h - 3 * g}, draw_prediction_panel);
        panel("Feature maps", {2 * g + c0, g}, {c1, d.y - 2 * g}, draw_featuremaps_panel);
        panel("Kernels", {3 * g + c0 + c1, g}, {c2, kern_h}, draw_kernels_panel);
        panel("Training", {3 * g + c0 + c1, 2 * g + kern_h}, {c2, d.y - kern_h - 3 * g}, draw_training_panel);
        return;
    }
    // Narrow (phones, portrait tablets): input on top, the rest as tabs.
    float input_h = std::floor(app().camera_on ? d.y * 0.5f : std::min(d.y * 0.30f, 300.f * app().ui_scale));
    panel("Input", {g, g}, {d.x - 2 * g, input_h}, draw_input_panel);
    ImGui::SetNextWindowPos({g, 2 * g + input_h}, ImGuiCond_Always);
    ImGui::SetNextWindowSize({d.x - 2 * g, d.y - input_h - 3 * g}, ImGuiCond_Always);
    if (ImGui::Begin("Views", nullptr, kPanelFlags | ImGuiWindowFlags_NoTitleBar)) {
        if (ImGui::BeginTabBar("views")) {
            struct Tab { const char* name; void (*draw)(); };
            for (Tab t : {Tab{"Prediction", draw_prediction_panel}, Tab{"Feature maps", draw_featuremaps_panel},
                          Tab{"Kernels", draw_kernels_panel}, Tab{"Training", draw_training_panel}})
                if (ImGui::BeginTabItem(t.name)) {
                    ImGui::BeginChild(t.name);
                    t.draw();
                    ImGui::EndChild();
                    ImGui::EndTabItem();
                }
            ImGui::EndTabBar();
        }
    }
    ImGui::End();
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

int main() {
    if (!glfwInit()) {
        emscripten_log(EM_LOG_ERROR, "glfwInit failed");
        return 1;
    }
    glfwWindowHint(GLFW_CLIENT_API, GLFW_OPENGL_ES_API);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 0);
    g_window = glfwCreateWindow(1280, 800, "catdog", nullptr, nullptr);
    if (!g_window) {
        emscripten_log(EM_LOG_ERROR, "glfwCreateWindow failed (no WebGL2?)");
        return 1;
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
