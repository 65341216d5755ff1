// wasm/panel_prediction.cpp - the photo, the exact crop the network sees, top-k bars, times.
#include <algorithm>
#include <numeric>
#include "app_state.h"
#include "panels.h"

namespace catdog::web {

void draw_prediction_panel() {
    auto& a = app();
    teaching_note("The network turns the crop into one score per class; softmax makes them probabilities.",
                  "The yellow square is all it sees: what lies outside the crop cannot change the answer.");
    if (!a.last_error.empty()) {
        ImGui::PushStyleColor(ImGuiCol_Text, IM_COL32(255, 110, 110, 255));
        ImGui::TextWrapped("Could not use that file: %s", a.last_error.c_str());
        ImGui::PopStyleColor();
    }
    if (!a.has_photo) {
        ImGui::TextDisabled("No photo yet.");
        return;
    }
    Photo& p = a.photo;
    if (!p.display_tex.id) upload_rgb(p.display_tex, p.display, false);
    if (!p.crop_tex.id) upload_rgb(p.crop_tex, p.crop, true);

    // --- the probabilities first: they are the answer
    if (a.pending_request) {
        ImGui::TextDisabled("Classifying...");
    } else if (!a.probs.empty()) {
        std::vector<int> order(a.probs.size());
        std::iota(order.begin(), order.end(), 0);
        std::sort(order.begin(), order.end(), [&](int x, int y) { return a.probs[x] > a.probs[y]; });
        int k = std::min<int>(5, int(order.size()));
        float label_w = 0;
        for (int i = 0; i < k; ++i) {
            int c = order[i];
            const char* name = c < int(a.info.labels.size()) ? a.info.labels[c].c_str() : "?";
            label_w = std::max(label_w, ImGui::CalcTextSize(name).x);
        }
        for (int i = 0; i < k; ++i) {
            int c = order[i];
            const char* name = c < int(a.info.labels.size()) ? a.info.labels[c].c_str() : "?";
            ImGui::TextUnformatted(name);
            ImGui::SameLine(label_w + ImGui::GetStyle().ItemSpacing.x * 3);
            char buf[32];
            snprintf(buf, sizeof buf, "%.1f %%", 100.0 * a.probs[c]);
            ImGui::PushStyleColor(ImGuiCol_PlotHistogram, colors::for_class(c));
            ImGui::ProgressBar(a.probs[c], ImVec2(-1, 0), buf);
            ImGui::PopStyleColor();
        }
    }
    text_disabled_wrapped("%s  %dx%d%s", p.name.c_str(), p.src_w, p.src_h,
                          p.browser_decoded ? "  (decoded by the browser)" : "");
    text_disabled_wrapped("decode %.0f ms | preprocess %.0f ms | inference %.0f ms", a.ms.decode, a.ms.preprocess,
                          a.ms.inference);

    // --- the photo with the crop box, and the crop at its real size (or scaled to fit)
    ImVec2 avail = ImGui::GetContentRegionAvail();
    bool side = avail.x > avail.y * 1.2f;
    ImVec2 each = side ? ImVec2((avail.x - ImGui::GetStyle().ItemSpacing.x) / 2, avail.y - ImGui::GetTextLineHeightWithSpacing())
                       : ImVec2(avail.x, (avail.y - 2 * ImGui::GetTextLineHeightWithSpacing()) / 2);
    ImGui::BeginGroup();
    ImGui::TextUnformatted("Photo");
    ImVec2 sz = fit(float(p.display.w), float(p.display.h), each);
    ImVec2 pos = ImGui::GetCursorScreenPos();
    ImGui::Image((ImTextureID)(intptr_t)p.display_tex.id, sz);
    float s = sz.x / float(p.src_w);
    ImGui::GetWindowDrawList()->AddRect(
        ImVec2(pos.x + p.crop_in_src.x * s, pos.y + p.crop_in_src.y * s),
        ImVec2(pos.x + (p.crop_in_src.x + p.crop_in_src.w) * s, pos.y + (p.crop_in_src.y + p.crop_in_src.h) * s),
        colors::accent, 0, 0, 2.f * a.ui_scale);
    ImGui::EndGroup();
    if (side) ImGui::SameLine();
    ImGui::BeginGroup();
    // The longest label that fits beside the photo (narrow columns at projector sizes).
    char label[48];
    snprintf(label, sizeof label, "Network input %dx%d", p.crop.w, p.crop.h);
    if (ImGui::CalcTextSize(label).x > ImGui::GetContentRegionAvail().x) snprintf(label, sizeof label, "Network input");
    if (ImGui::CalcTextSize(label).x > ImGui::GetContentRegionAvail().x) snprintf(label, sizeof label, "Input");
    ImGui::TextUnformatted(label);
    ImVec2 csz = fit(float(p.crop.w), float(p.crop.h), each);
    ImGui::Image((ImTextureID)(intptr_t)p.crop_tex.id, csz);
    ImGui::EndGroup();
}

}  // namespace catdog::web
