// wasm/pipeline.h - a photo -> what the panels show and the tensor the network gets.
//
// The same core functions as the native CLI (decode_image, val_crop, to_tensor_normalize),
// so the tensor is byte-identical to native for the same file.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include "app_state.h"

namespace catdog::web {

// Files whose header declares more pixels than this are refused by the core here and decoded
// by the browser instead (web/catdog.js shrinks them), so the page never freezes.
constexpr uint64_t kCorePixelLimit = 8'000'000;

// Decodes `data` with the core. Throws catdog::DecodeError (one line naming the file).
void load_photo_bytes(Photo& p, const uint8_t* data, size_t size, const std::string& name,
                      const TransformSpec& spec, Timing& t);
// RGBA from the browser's decoder or the camera; alpha is composited over white like the core.
void load_photo_rgba(Photo& p, const uint8_t* rgba, int w, int h, const std::string& name,
                     const TransformSpec& spec, Timing& t);
// Frees the photo's GL textures.
void release_photo(Photo& p);

}  // namespace catdog::web
