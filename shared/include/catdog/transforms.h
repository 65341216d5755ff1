// catdog/transforms.h - torchvision's train/val transforms as plain functions.
//
//   val:   Resize(resize) -> CenterCrop(crop) -> ToTensor -> Normalize(mean, std)
//   train: Resize(resize) -> RandomCrop(crop) -> RandomHorizontalFlip(0.5) -> ToTensor -> Normalize
//
// One TransformSpec describes a backbone's preprocessing. It is stored in model.json so the
// trainer, the CLI and the page cannot disagree.
#pragma once
#include <array>
#include <cstdint>
#include "catdog/image.h"
#include "catdog/resize.h"

namespace catdog {

struct TransformSpec {
    int resize = 256;                                   // shorter side after Resize
    int crop = 224;                                     // square crop fed to the network
    std::array<float, 3> mean{0.485f, 0.456f, 0.406f};  // ImageNet (torchvision) defaults
    std::array<float, 3> std{0.229f, 0.224f, 0.225f};
};

// A crop window in the resized image's coordinates.
struct CropBox { int x = 0, y = 0, w = 0, h = 0; };

// torchvision's CenterCrop offsets: top = int(round((h - ch) / 2.0)) with Python's
// round-half-to-even; likewise left.
CropBox center_crop_box(int w, int h, int crop_w, int crop_h);

// Portable seeded RNG (PCG32). std:: distributions differ between libstdc++ and libc++
// (emscripten), so bounded draws are done here to get the same crops natively and in WASM.
class Rng {
public:
    explicit Rng(uint64_t seed, uint64_t stream = 0);
    uint32_t next_u32();
    uint32_t uniform(uint32_t n);  // unbiased, in [0, n); n > 0
    double uniform01();            // [0, 1)
private:
    uint64_t state_, inc_;
};

// RandomCrop(crop) offsets like torchvision's get_params: x in [0, w - cw], y in [0, h - ch].
CropBox random_crop_box(int w, int h, int crop_w, int crop_h, Rng& rng);
// RandomHorizontalFlip(p): true with probability p.
bool random_flip(Rng& rng, double p = 0.5);

// The uint8 crop (flipped if asked) that the network sees, before ToTensor. This is what
// parity tests compare against torchvision pixel by pixel.
Image val_crop(const Image& img, const TransformSpec& spec);
Image train_crop(const Image& img, const TransformSpec& spec, Rng& rng);

// How a float image is laid out: planar (torch's default, NCHW) or interleaved (channels_last,
// NHWC: what oneDNN convolutions read on a CPU, so no conversion copy is needed).
enum class Layout { CHW, HWC };

// ToTensor + Normalize: HWC uint8 -> float32 in `out` (3 * h * w floats), computed as
// torchvision does in float32: (v / 255 - mean) / std. Same values in either layout.
void to_tensor_normalize(const Image& crop, const TransformSpec& spec, float* out, Layout layout = Layout::CHW);

// Convenience: val transform of an image straight to 3*crop*crop floats.
void val_tensor(const Image& img, const TransformSpec& spec, float* out, Layout layout = Layout::CHW);

}  // namespace catdog
