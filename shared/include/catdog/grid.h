// catdog/grid.h - the seed's pictures: torchvision's make_grid, colormaps, PNG bytes.
//
// The CLI's PNGs and the browser's textures come from the same functions, so they show the
// same bytes.
#pragma once
#include <cstdint>
#include <string>
#include <vector>
#include "catdog/image.h"

namespace catdog {

enum class GridNorm {
    None,      // values already in [0, 1]
    Global,    // make_grid(normalize=True): one min/max over all tiles
    PerTile,   // make_grid(normalize=True, scale_each=True): min/max per tile
};

// `tiles`: n tiles, each c x h x w float32 CHW (c = 1 or 3), contiguous.
// Like torchvision 0.14's make_grid: nrow tiles per row, `padding` px between and around,
// pad value `pad_value`; 1-channel tiles are replicated to RGB. Returns CHW float32 of
// 3 x H x W in [0, 1] (when normalised) plus its dims.
struct FloatGrid { int w = 0, h = 0; std::vector<float> chw; };
FloatGrid make_grid(const float* tiles, int n, int c, int h, int w, int nrow = 8, int padding = 2,
                    GridNorm norm = GridNorm::Global, float pad_value = 0.f);

// torchvision's save_image conversion: uint8(clamp(x * 255 + 0.5, 0, 255)).
Image grid_to_image(const FloatGrid& g);

// Nearest-neighbour upscale by an integer factor (makes 11x11 kernels visible).
Image upscale_nearest(const Image& img, int factor);

// One-channel map -> RGB through a perceptual colormap (viridis), min/max normalised.
enum class Colormap { Viridis, Gray };
Image colorize(const float* values, int w, int h, Colormap cmap = Colormap::Viridis);
// Same, with an explicit value range (so tiles of one layer share a scale).
Image colorize_range(const float* values, int w, int h, float lo, float hi,
                     Colormap cmap = Colormap::Viridis);

// PNG encoding (stb_image_write). Native and WASM alike; the CLI writes the bytes to disk.
std::vector<uint8_t> encode_png(const Image& img);
// Writes atomically (temp file + rename). Throws std::runtime_error naming the path.
void write_png(const std::string& path, const Image& img);

}  // namespace catdog
