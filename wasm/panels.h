// wasm/panels.h - the five panels, one file each, and what they share.
#pragma once
#include "imgui.h"

namespace catdog::web {

void draw_input_panel();        // panel_input.cpp
void draw_prediction_panel();   // panel_prediction.cpp
void draw_kernels_panel();      // panel_kernels.cpp
void draw_featuremaps_panel();  // panel_featuremaps.cpp
void draw_training_panel();     // panel_training.cpp

// The two-line teaching note each panel starts with.
void teaching_note(const char* line1, const char* line2);
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
