// wasm/panel_input.cpp - where photos come from: file picker, drop, paste, camera, samples.
//
// Dropping and pasting are handled by the page (web/catdog.js) anywhere on it; this panel
// offers the buttons, the camera preview and the server's sample photos, and shows whether
// the model is ready.
#include <algorithm>
#include "app_state.h"
#include "bridge.h"
#include "panels.h"

namespace catdog::web {

static void draw_status() {
    auto& a = app();
    if (!a.model_ready) {
        ImGui::TextWrapped("%s", a.status.c_str());
        if (a.progress >= 0) ImGui::ProgressBar(a.progress, ImVec2(-1, 0));
        return;
    }
    ImGui::PushStyleColor(ImGuiCol_Text, a.isolated ? IM_COL32(140, 220, 140, 255) : IM_COL32(255, 200, 90, 255));
    if (a.isolated)
        ImGui::TextWrapped("Model ready: %s, %d threads.", a.info.backbone.c_str(), a.threads);
    else
        ImGui::TextWrapped("Model ready: %s, 1 thread (page not cross-origin isolated, so slower).",
                           a.info.backbone.c_str());
    ImGui::PopStyleColor();
}

static void draw_camera() {
    auto& a = app();
    if (!a.camera_tex.id) {
        const uint8_t black[4] = {0, 0, 0, 255};
        upload_rgba(a.camera_tex, black, 1, 1, false);
    }
    int w = 0, h = 0;
    if (js_camera_frame(a.camera_tex.id, &w, &h)) {
        a.camera_tex.w = w;
        a.camera_tex.h = h;
        ImVec2 avail = ImGui::GetContentRegionAvail();
        avail.y = std::max(avail.y - ImGui::GetFrameHeightWithSpacing(), 60.f);
        ImVec2 sz = fit(float(w), float(h), avail);
        // The front camera is shown mirrored, as people expect; the snapshot is not.
        ImVec2 uv0 = a.camera_front ? ImVec2(1, 0) : ImVec2(0, 0), uv1 = a.camera_front ? ImVec2(0, 1) : ImVec2(1, 1);
        ImGui::Image((ImTextureID)(intptr_t)a.camera_tex.id, sz, uv0, uv1);
    } else {
        ImGui::TextDisabled("Waiting for the camera...");
    }
}

void draw_input_panel() {
    auto& a = app();
    teaching_note("Give the network a photo: open, drop or paste one, use the camera, or pick a sample.",
                  "It sees only the centre square, shrunk to 224x224 pixels, as numbers per colour.");
    draw_status();
    ImGui::BeginDisabled(!a.model_ready);
    if (ImGui::Button("Open photo...")) js_open_picker();
    ImGui::SameLine();
    if (!a.camera_on) {
        if (ImGui::Button("Camera")) {
            a.camera_on = true;
            js_camera(true, a.camera_front);
        }
    } else {
        if (ImGui::Button("Snap")) js_camera_snap();
        ImGui::SameLine();
        if (ImGui::Button(a.camera_front ? "Use rear" : "Use front")) {
            a.camera_front = !a.camera_front;
            js_camera(true, a.camera_front);
        }
        ImGui::SameLine();
        if (ImGui::Button("Stop")) {
            a.camera_on = false;
            js_camera(false, a.camera_front);
        }
    }
    same_line_if_fits(ImGui::CalcTextSize("or drop / paste").x);
    ImGui::TextDisabled("or drop / paste");
    if (a.camera_on) {
        draw_camera();
    } else if (!a.samples.empty()) {
        ImGui::TextUnformatted("Samples:");
        for (size_t i = 0; i < a.samples.size(); ++i) {
            const std::string& s = a.samples[i];
            ImGui::PushID(int(i));
            float w = ImGui::CalcTextSize(s.c_str()).x + ImGui::GetStyle().FramePadding.x * 2;
            if (i > 0 && ImGui::GetItemRectMax().x + ImGui::GetStyle().ItemSpacing.x + w <
                             ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x)
                ImGui::SameLine();
            if (ImGui::Button(s.c_str())) js_load_sample(s);
            ImGui::PopID();
        }
    }
    ImGui::EndDisabled();
    // Zoom for projectors and small screens.
    ImGui::Spacing();
    ImGui::TextDisabled("Text size");
    ImGui::SameLine();
    if (ImGui::SmallButton("A-")) a.zoom = std::max(0.6f, a.zoom - 0.1f);
    ImGui::SameLine();
    if (ImGui::SmallButton("A+")) a.zoom = std::min(2.5f, a.zoom + 0.1f);
}

}  // namespace catdog::web
