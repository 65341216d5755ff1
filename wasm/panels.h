// wasm/panels.h - the panels, one file each, and what they share.
#pragma once
#include <vector>
#include <string>
#include "catdog/convolve.h"
#include "imgui.h"

namespace catdog::web {

void draw_input_panel();        // panel_input.cpp
void draw_prediction_panel();   // panel_prediction.cpp
void draw_kernels_panel();      // panel_kernels.cpp
void draw_featuremaps_panel();  // panel_featuremaps.cpp
void draw_training_panel();     // panel_training.cpp
void draw_playground_panel();   // panel_playground.cpp: the kernel playground
void draw_stepthrough_panel();  // panel_playground.cpp: one convolution step, worked out

// The playground's kernel (panel_playground.cpp), for the kernels and feature-map panels and
// lesson links. Each switches the playground to that kernel with its spec.
void playground_use_conv1(int k);                               // conv1's own, stride/pad/bias/act
void playground_use_preset(const std::string& name, int size);  // throws on an unknown name
void playground_set_kernel(const Kernel& k);                    // an edited kernel
void playground_step(int x, int y, bool on_network);            // step-through position
void draw_explain_panel();       // panel_explain.cpp: where it looks, ImageNet before/after, mistakes

// Explanations and mistakes (panel_explain.cpp, panel_mistakes.cpp), called from other panels.
struct FeatureMap;
void show_mistakes(int truth, int pred);          // a confusion-matrix cell was clicked
void select_mistakes_cell(int truth, int pred);
void draw_mistakes();
void explain_take_outputs(int req, const std::vector<FeatureMap>& outputs);  // logits, ImageNet logits
// Publishes the last item's rectangle (CSS px) as window.catdog.panelRect(name): tests click it.
void publish_item_rect(const char* name);  // main.cpp

// The two-line teaching note each panel starts with.
void teaching_note(const char* line1, const char* line2);
// Disabled-coloured text that wraps at the panel's edge (never clipped on a projector).
void text_disabled_wrapped(const char* fmt, ...) IM_FMTARGS(1);
// SameLine() when an item about `w` wide still fits on the current line: rows that wrap.
void same_line_if_fits(float w);
// The largest size of aspect w:h that fits in `avail`.
ImVec2 fit(float w, float h, ImVec2 avail);
// Colours used across panels.
namespace colors {
constexpr ImU32 accent = IM_COL32(255, 196, 61, 255);   // crop box, selection
constexpr ImU32 cat = IM_COL32(94, 160, 255, 255);
constexpr ImU32 dog = IM_COL32(255, 140, 82, 255);
ImU32 for_class(int i);
}  // namespace colors

}  // namespace catdog::web
