// wasm/panel_training.cpp - the run's loss/accuracy curves (metrics.csv) and confusion matrix.
#include <algorithm>
#include <cmath>
#include "app_state.h"
#include "panels.h"

namespace catdog::web {

namespace {

struct Series { const char* name; ImU32 color; std::vector<double> y; };

// A small line chart with axes, ticks at each epoch and a legend.
void chart(const char* title, const std::vector<double>& x, const std::vector<Series>& series, float height,
           bool percent) {
    auto& a = app();
    ImGui::TextUnformatted(title);
    // Legend on the title's line, so it never hides the curves.
    for (auto& s : series) {
        same_line_if_fits(ImGui::CalcTextSize(s.name).x);
        ImGui::PushStyleColor(ImGuiCol_Text, s.color);
        ImGui::TextUnformatted(s.name);
        ImGui::PopStyleColor();
    }
    ImVec2 p = ImGui::GetCursorScreenPos();
    float w = ImGui::GetContentRegionAvail().x;
    ImGui::Dummy(ImVec2(w, height));
    ImDrawList* dl = ImGui::GetWindowDrawList();
    double lo = 1e30, hi = -1e30;
    for (auto& s : series)
        for (double v : s.y) lo = std::min(lo, v), hi = std::max(hi, v);
    if (lo > hi) return;
    if (percent) hi = std::min(1.0, hi + 0.02), lo = std::max(0.0, lo - 0.02);
    else lo = std::min(lo, 0.0);
    if (hi - lo < 1e-9) hi = lo + 1;
    float lm = ImGui::CalcTextSize("0.000").x + 6 * a.ui_scale, bm = ImGui::GetTextLineHeight() + 4 * a.ui_scale;
    ImVec2 o(p.x + lm, p.y + height - bm), e(p.x + w - 4 * a.ui_scale, p.y + 4 * a.ui_scale);
    ImU32 axis = IM_COL32(150, 150, 160, 255), grid = IM_COL32(60, 62, 70, 255);
    // As many value ticks as fit without overlapping (1..4 intervals).
    int ticks = std::max(1, std::min(4, int((o.y - e.y) / (ImGui::GetTextLineHeight() * 1.6f))));
    for (int i = 0; i <= ticks; ++i) {
        double v = lo + (hi - lo) * i / ticks;
        float y = o.y + (e.y - o.y) * i / ticks;
        dl->AddLine(ImVec2(o.x, y), ImVec2(e.x, y), grid);
        char buf[16];
        snprintf(buf, sizeof buf, percent ? "%.0f%%" : "%.3f", percent ? v * 100 : v);
        dl->AddText(ImVec2(p.x, y - ImGui::GetTextLineHeight() / 2), axis, buf);
    }
    dl->AddLine(o, ImVec2(o.x, e.y), axis);
    dl->AddLine(o, ImVec2(e.x, o.y), axis);
    double x0 = x.front(), x1 = std::max(x.back(), x0 + 1);
    auto X = [&](double v) { return o.x + float((v - x0) / (x1 - x0)) * (e.x - o.x); };
    auto Y = [&](double v) { return o.y + float((v - lo) / (hi - lo)) * (e.y - o.y); };
    for (double v : x) {
        char buf[16];
        snprintf(buf, sizeof buf, "%g", v);
        dl->AddText(ImVec2(X(v) - ImGui::CalcTextSize(buf).x / 2, o.y + 2 * a.ui_scale), axis, buf);
    }
    for (auto& s : series) {
        std::vector<ImVec2> pts;
        for (size_t i = 0; i < s.y.size() && i < x.size(); ++i) pts.push_back(ImVec2(X(x[i]), Y(s.y[i])));
        if (pts.size() > 1) dl->AddPolyline(pts.data(), int(pts.size()), s.color, 0, 2.5f * a.ui_scale);
        for (auto& q : pts) dl->AddCircleFilled(q, 3.5f * a.ui_scale, s.color);
    }
}

void confusion_matrix() {
    auto& a = app();
    size_t n = a.confusion.size();
    if (n == 0) return;
    ImGui::TextUnformatted("Confusion matrix (validation)");
    if (a.val_acc >= 0) {
        char acc[32];
        snprintf(acc, sizeof acc, "accuracy %.1f %%", a.val_acc * 100);
        same_line_if_fits(ImGui::CalcTextSize(acc).x);
        ImGui::TextDisabled("%s", acc);
    }
    double mx = 1;
    for (auto& r : a.confusion)
        for (double v : r) mx = std::max(mx, v);
    if (ImGui::BeginTable("confusion", int(n) + 1, ImGuiTableFlags_Borders | ImGuiTableFlags_SizingStretchSame)) {
        ImGui::TableNextRow();
        ImGui::TableNextColumn();
        ImGui::TextDisabled("true\\pred.");
        for (size_t j = 0; j < n; ++j) {
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(j < a.info.labels.size() ? a.info.labels[j].c_str() : "?");
        }
        for (size_t i = 0; i < n; ++i) {
            ImGui::TableNextRow();
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(i < a.info.labels.size() ? a.info.labels[i].c_str() : "?");
            for (size_t j = 0; j < n; ++j) {
                ImGui::TableNextColumn();
                double v = j < a.confusion[i].size() ? a.confusion[i][j] : 0;
                float t = float(v / mx);
                ImU32 bg = i == j ? IM_COL32(40, int(60 + 120 * t), 70, 255) : IM_COL32(int(60 + 150 * t), 40, 45, 255);
                ImGui::TableSetBgColor(ImGuiTableBgTarget_CellBg, bg);
                // A click lists the cell's validation photos (panel_mistakes.cpp).
                char cell[48];
                snprintf(cell, sizeof cell, "%.0f##cell%zu_%zu", v, i, j);
                if (ImGui::Selectable(cell)) show_mistakes(int(i), int(j));
                if (ImGui::IsItemHovered()) ImGui::SetTooltip("Show these photos");
                snprintf(cell, sizeof cell, "confusion %zu,%zu", i, j);
                publish_item_rect(cell);
            }
        }
        ImGui::EndTable();
    }
}

}  // namespace

void draw_training_panel() {
    auto& a = app();
    teaching_note("Underfitting: both losses stay high. Overfitting: training loss keeps falling while "
                  "validation loss rises.",
                  "Only the new last layer was trained here; the ImageNet kernels stayed frozen.");
    if (a.metrics.empty()) {
        ImGui::TextDisabled("No metrics.csv for this model.");
    } else {
        std::vector<double> x;
        Series tl{"train loss", IM_COL32(94, 160, 255, 255), {}}, vl{"val loss", IM_COL32(255, 140, 82, 255), {}},
            va{"val accuracy", IM_COL32(120, 210, 120, 255), {}};
        for (auto& r : a.metrics) {
            x.push_back(r.epoch);
            tl.y.push_back(r.train_loss);
            vl.y.push_back(r.val_loss);
            va.y.push_back(r.val_acc);
        }
        // What is left after the confusion matrix (measured on the previous frame), split 60/40.
        static float matrix_h = 0;
        float h = ImGui::GetContentRegionAvail().y - matrix_h - 2 * ImGui::GetTextLineHeightWithSpacing() -
                  3 * ImGui::GetStyle().ItemSpacing.y;
        h = std::max(h, 120.f * a.ui_scale);
        chart("Loss per epoch", x, {tl, vl}, h * 0.6f, false);
        chart("Validation accuracy", x, {va}, h * 0.4f, true);
        float y0 = ImGui::GetCursorPosY();
        confusion_matrix();
        matrix_h = ImGui::GetCursorPosY() - y0;
        return;
    }
    confusion_matrix();
}

}  // namespace catdog::web
