// wasm/panel_mistakes.cpp - the validation photos behind one confusion-matrix cell.
//
// The run's val_results.json (one row per validation photo: true label, prediction, the
// probabilities) arrives once; clicking a cell in the training panel lists that cell's photos
// worst first (the lowest probability for the true class), as thumbnails the browser decodes.
// Clicking a thumbnail loads the photo into every view, like a dropped file.
#include <emscripten.h>
#include <GLES3/gl3.h>
#include <algorithm>
#include <numeric>
#include <string>
#include <nlohmann/json.hpp>
#include "app_state.h"
#include "bridge.h"
#include "panels.h"

EM_JS(void, cdjs_mistake_thumb, (int i, const char* file), { Module.host.mistakeThumb(i, UTF8ToString(file)); });
EM_JS(void, cdjs_mistake_open, (int i, const char* file), { Module.host.mistakeOpen(i, UTF8ToString(file)); });

namespace catdog::web {
namespace {

struct ValPhoto {
    std::string file;
    int label = 0, pred = 0;
    std::vector<float> probs;
    Texture thumb;
    bool asked = false;
    std::string error;   // the thumbnail could not be fetched or decoded
};

struct Mistakes {
    bool loaded = false;
    std::string error;               // val_results.json unreadable
    int epoch = -1;
    std::vector<ValPhoto> photos;
    int truth = -1, pred = -1;       // the selected cell
    std::vector<int> cell;           // its photos, worst first
    int opened = -1;                 // the photo last loaded into the views
};

Mistakes& m() {
    static Mistakes s;
    return s;
}

float p_true(const ValPhoto& p) { return p.label < int(p.probs.size()) ? p.probs[size_t(p.label)] : 0.f; }

const char* name_of(int c) {
    auto& l = app().info.labels;
    return c >= 0 && c < int(l.size()) ? l[size_t(c)].c_str() : "?";
}

}  // namespace

void select_mistakes_cell(int truth, int pred) {
    auto& s = m();
    s.truth = truth;
    s.pred = pred;
    s.cell.clear();
    for (int i = 0; i < int(s.photos.size()); ++i)
        if (s.photos[size_t(i)].label == truth && s.photos[size_t(i)].pred == pred) s.cell.push_back(i);
    std::stable_sort(s.cell.begin(), s.cell.end(),
                     [&](int x, int y) { return p_true(s.photos[size_t(x)]) < p_true(s.photos[size_t(y)]); });
    wake();
}

void draw_mistakes() {
    auto& a = app();
    auto& s = m();
    teaching_note("Click a cell of the confusion matrix (Training) to see its validation photos, worst first.",
                  "Off the diagonal are the mistakes: what do the photos the network got wrong have in common?");
    if (!s.error.empty()) {
        ImGui::TextWrapped("%s", s.error.c_str());
        return;
    }
    if (!s.loaded) {
        ImGui::TextDisabled("This run has no val_results.json (per-photo validation results).");
        return;
    }
    if (s.truth < 0) {
        ImGui::TextDisabled("%d validation photos. Pick a cell in the training panel's confusion matrix.", int(s.photos.size()));
        return;
    }
    ImGui::Text("True %s, predicted %s: %d photo%s", name_of(s.truth), name_of(s.pred), int(s.cell.size()),
                s.cell.size() == 1 ? "" : "s");
    if (s.cell.empty()) return;
    const float ts = std::round(96.f * a.ui_scale);
    const float pad = ImGui::GetStyle().ItemSpacing.x;
    int cols = std::max(1, int((ImGui::GetContentRegionAvail().x + pad) / (ts + pad)));
    ImGui::BeginChild("mistake thumbs");
    for (int k = 0; k < int(s.cell.size()); ++k) {
        int i = s.cell[size_t(k)];
        ValPhoto& p = s.photos[size_t(i)];
        if (!p.asked) {
            p.asked = true;
            cdjs_mistake_thumb(i, p.file.c_str());
        }
        if (k % cols) ImGui::SameLine();
        ImGui::BeginGroup();
        ImGui::PushID(i);
        bool clicked = false;
        if (p.thumb.id) {
            ImVec2 sz = fit(float(p.thumb.w), float(p.thumb.h), ImVec2(ts, ts));
            ImVec2 c = ImGui::GetCursorScreenPos();
            clicked = ImGui::InvisibleButton("thumb", ImVec2(ts, ts));
            ImGui::GetWindowDrawList()->AddImage((ImTextureID)(intptr_t)p.thumb.id,
                                                 ImVec2(c.x + (ts - sz.x) / 2, c.y + (ts - sz.y) / 2),
                                                 ImVec2(c.x + (ts + sz.x) / 2, c.y + (ts + sz.y) / 2));
            if (i == s.opened || ImGui::IsItemHovered())
                ImGui::GetWindowDrawList()->AddRect(c, ImVec2(c.x + ts, c.y + ts), colors::accent, 0, 0, 2.f * a.ui_scale);
        } else {
            clicked = ImGui::Button(p.error.empty() ? "..." : "missing", ImVec2(ts, ts));
        }
        publish_item_rect(("mistake " + std::to_string(k)).c_str());
        if (ImGui::IsItemHovered())
            ImGui::SetTooltip("%s%s%s", p.file.c_str(), p.error.empty() ? "" : "\n", p.error.c_str());
        if (clicked && p.error.empty()) {
            s.opened = i;
            cdjs_mistake_open(i, p.file.c_str());
        }
        // The probability the network gave the true class, and the predicted one's.
        ImGui::PushStyleColor(ImGuiCol_PlotHistogram, colors::for_class(p.label));
        char buf[48];
        snprintf(buf, sizeof buf, "%s %.0f%%", name_of(p.label), 100.0 * p_true(p));
        ImGui::ProgressBar(p_true(p), ImVec2(ts, 0), buf);
        ImGui::PopStyleColor();
        ImGui::PopID();
        ImGui::EndGroup();
    }
    ImGui::EndChild();
}

}  // namespace catdog::web

using namespace catdog::web;

extern "C" {

// val_results.json's text ({"format": "catdog-val/1", "labels", "epoch", "photos": [...]}).
// Returns the number of photos, or -1 (and a message in the tab) when it is not readable.
EMSCRIPTEN_KEEPALIVE int cd_mistakes_set(const char* text) {
    auto& s = m();
    wake();
    for (auto& p : s.photos)
        if (p.thumb.id) glDeleteTextures(1, &p.thumb.id);
    s = Mistakes();
    auto j = nlohmann::json::parse(text, nullptr, false);
    try {
        if (j.is_discarded() || !j.is_object()) throw std::runtime_error("not JSON");
        if (j.value("format", "") != "catdog-val/1") throw std::runtime_error("format is not catdog-val/1");
        s.epoch = j.value("epoch", -1);
        for (auto& r : j.at("photos")) {
            ValPhoto p;
            p.file = r.at("file").get<std::string>();
            p.label = r.at("label").get<int>();
            p.pred = r.at("pred").get<int>();
            p.probs = r.at("probs").get<std::vector<float>>();
            s.photos.push_back(std::move(p));
        }
    } catch (const std::exception& e) {
        s = Mistakes();
        s.error = std::string("val_results.json: ") + e.what();
        return -1;
    }
    s.loaded = true;
    return int(s.photos.size());
}

// Selects a cell as a click does; returns its photos (worst first) as JSON [{index, file, label, pred, probs}].
EMSCRIPTEN_KEEPALIVE const char* cd_mistakes_cell(int truth, int pred) {
    show_mistakes(truth, pred);
    static std::string out;
    nlohmann::json j = nlohmann::json::array();
    for (int i : m().cell) {
        auto& p = m().photos[size_t(i)];
        j.push_back({{"index", i}, {"file", p.file}, {"label", p.label}, {"pred", p.pred}, {"probs", p.probs},
                     {"thumbnail", p.thumb.id != 0}});
    }
    out = j.dump();
    return out.c_str();
}

// A thumbnail the browser decoded (RGBA), or the reason it could not.
EMSCRIPTEN_KEEPALIVE void cd_mistakes_thumb(int i, const uint8_t* rgba, int w, int h) {
    auto& s = m();
    if (i < 0 || i >= int(s.photos.size())) return;
    upload_rgba(s.photos[size_t(i)].thumb, rgba, w, h, false);
    wake();
}
EMSCRIPTEN_KEEPALIVE void cd_mistakes_thumb_failed(int i, const char* why) {
    auto& s = m();
    if (i < 0 || i >= int(s.photos.size())) return;
    s.photos[size_t(i)].error = why;
    wake();
}

}  // extern "C"
