#!/usr/bin/python3
"""Reference dumps for the shared core's parity tests, from torchvision 0.14 + PIL 9.4.

Run by ctest as a fixture (Debian's /usr/bin/python3; torch is a test dependency only).
Writes raw little-endian files plus tab-separated indexes under --out; the Catch2 tests
(native and WASM under node) read them. Skips the work when --out already holds dumps made
by this same script.

  val/index.tsv     name, folder, source w, h, crop file, [tensor file]: Resize(256) ->
                    CenterCrop(224) as uint8 HWC, and for some images the full val tensor
  val/norm_*.f32    ToTensor+Normalize of a 256x1 image holding every value 0..255
  resize/index.tsv  synthetic images (pattern() below, mirrored in C++) resized by PIL
  rng.txt           PCG32 + Lemire draws, reimplemented here independently
  grid/index.tsv    make_grid(normalize=...) of random weights, float grid + save_image bytes
"""
import argparse
import hashlib
import os
import sys

import numpy as np
import torch
import torchvision
import torchvision.transforms as T
from PIL import Image, ImageOps

MASK = (1 << 64) - 1


def load_rgb(path):
    # torchvision's pil_loader, plus EXIF orientation (the product applies it too).
    with open(path, "rb") as f:
        img = Image.open(f)
        img = ImageOps.exif_transpose(img)
        return img.convert("RGB")


def dump_val(shared, out):
    os.makedirs(os.path.join(out, "val"), exist_ok=True)
    spec = T.Compose([T.Resize(256), T.CenterCrop(224)])
    norm = T.Compose([T.ToTensor(), T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
    files = []
    hold = os.path.join(shared, "datasets", "holdout-dev")
    files += [("holdout-dev", n) for n in sorted(os.listdir(hold)) if n.endswith(".jpg")]
    dvc = os.path.join(shared, "datasets", "dogs-vs-cats-3k")
    names = sorted(n for n in os.listdir(dvc) if n.endswith(".jpg"))
    files += [("dogs-vs-cats-3k", n) for n in names[::50]]  # 60 photos, cats and dogs
    with open(os.path.join(out, "val", "index.tsv"), "w") as idx:
        for i, (folder, name) in enumerate(files):
            img = load_rgb(os.path.join(shared, "datasets", folder, name))
            crop = spec(img)
            stem = "%s__%s" % (folder, name)
            np.asarray(crop, dtype=np.uint8).tofile(os.path.join(out, "val", stem + ".u8"))
            tensor_file = ""
            if i % 16 == 0:  # a few full float tensors, straight from torchvision
                tensor_file = stem + ".f32"
                norm(crop).numpy().astype("<f4").tofile(os.path.join(out, "val", tensor_file))
            idx.write("%s\t%s\t%d\t%d\t%s\t%s\n" % (name, folder, img.width, img.height,
                                                    stem + ".u8", tensor_file))
    # Every uint8 value through ToTensor+Normalize, for two backbones' mean/std.
    ramp = Image.fromarray(np.repeat(np.arange(256, dtype=np.uint8)[None, :, None], 3, axis=2))
    for tag, mean, std in (("imagenet", [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
                           ("half", [0.5, 0.5, 0.5], [0.5, 0.5, 0.5])):
        t = T.Normalize(mean, std)(T.ToTensor()(ramp))
        t.numpy().astype("<f4").tofile(os.path.join(out, "val", "norm_%s.f32" % tag))


def pattern(w, h):
    """Deterministic test image (mirrored in tests/core/test_resize.cpp): 8x8 checker of hash
    noise and a wrapping gradient, so both smooth areas and hard edges are exercised."""
    x = np.arange(w, dtype=np.uint64)[None, :, None]
    y = np.arange(h, dtype=np.uint64)[:, None, None]
    c = np.arange(3, dtype=np.uint64)[None, None, :]
    m32 = np.uint64(0xFFFFFFFF)
    v = (x * np.uint64(2654435761) + y * np.uint64(2246822519) + c * np.uint64(3266489917)) & m32
    v ^= v >> np.uint64(15)
    v = (v * np.uint64(668265263)) & m32
    v ^= v >> np.uint64(13)
    noise = v & np.uint64(255)
    grad = (x * np.uint64(3) + y * np.uint64(5) + c * np.uint64(85)) & np.uint64(255)
    checker = (((x >> np.uint64(3)) + (y >> np.uint64(3))) & np.uint64(1)).astype(bool)
    return np.where(checker, noise, grad).astype(np.uint8)


RESIZE_CASES = [  # (w, h, out_w, out_h); out 0 = torchvision's Resize(256)
    (1, 1, 0, 0), (8, 5, 0, 0), (40, 300, 0, 0), (6000, 4000, 0, 0), (333, 251, 0, 0),
    (501, 375, 0, 0), (257, 1023, 0, 0), (99, 77, 0, 0), (255, 256, 0, 0), (3, 20, 0, 0),
    (640, 480, 224, 224), (7, 3, 3, 7), (300, 200, 300, 100), (300, 200, 150, 200),
    (10, 10, 10, 10), (17, 9, 1, 1), (1, 1, 5, 3), (1001, 3, 13, 7),
]

VALCROP_CASES = [  # (w, h, resize, crop)
    (500, 375, 256, 224), (375, 500, 256, 224), (343, 600, 256, 224), (50, 70, 100, 224),
    (300, 120, 100, 120), (9, 4, 5, 8), (1, 1, 3, 6), (1023, 33, 256, 224),
]


def dump_resize(out):
    d = os.path.join(out, "resize")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "index.tsv"), "w") as idx:
        for i, (w, h, ow, oh) in enumerate(RESIZE_CASES):
            img = Image.fromarray(pattern(w, h))
            if ow == 0:
                res = T.Resize(256)(img)
                mode = "resize256"
            else:
                res = img.resize((ow, oh), Image.BILINEAR)
                mode = "explicit"
            f = "case%02d_%dx%d_%dx%d.u8" % (i, w, h, res.width, res.height)
            np.asarray(res, dtype=np.uint8).tofile(os.path.join(d, f))
            idx.write("%d\t%d\t%d\t%d\t%s\t%s\n" % (w, h, res.width, res.height, mode, f))
    # Resize(r) -> CenterCrop(c), including crops larger than the image (zero padding)
    with open(os.path.join(d, "valcrop.tsv"), "w") as idx:
        for i, (w, h, r, c) in enumerate(VALCROP_CASES):
            res = T.Compose([T.Resize(r), T.CenterCrop(c)])(Image.fromarray(pattern(w, h)))
            f = "valcrop%02d_%dx%d_r%d_c%d.u8" % (i, w, h, r, c)
            np.asarray(res, dtype=np.uint8).tofile(os.path.join(d, f))
            idx.write("%d\t%d\t%d\t%d\t%s\n" % (w, h, r, c, f))


class Pcg32:
    """O'Neill's pcg32 (XSH RR) with pcg32_srandom_r seeding, written from the paper."""

    def __init__(self, seed, stream=0):
        self.state = 0
        self.inc = ((stream << 1) | 1) & MASK
        self.next_u32()
        self.state = (self.state + seed) & MASK
        self.next_u32()

    def next_u32(self):
        old = self.state
        self.state = (old * 6364136223846793005 + self.inc) & MASK
        xorshifted = (((old >> 18) ^ old) >> 27) & 0xFFFFFFFF
        rot = old >> 59
        return ((xorshifted >> rot) | (xorshifted << ((-rot) & 31))) & 0xFFFFFFFF

    def uniform(self, n):  # Lemire's nearly divisionless unbiased bounded draw
        m = self.next_u32() * n
        low = m & 0xFFFFFFFF
        if low < n:
            threshold = ((1 << 32) - n) % n
            while low < threshold:
                m = self.next_u32() * n
                low = m & 0xFFFFFFFF
        return m >> 32


def dump_rng(out):
    with open(os.path.join(out, "rng.txt"), "w") as f:
        for seed, stream in ((0, 0), (42, 0), (42, 7), ((1 << 63) + 5, 54)):
            r = Pcg32(seed, stream)
            f.write("u32 %d %d %s\n" % (seed, stream, " ".join(str(r.next_u32()) for _ in range(64))))
            for n in (1, 2, 3, 33, 1000, (1 << 31) + 1, 0xFFFFFFFF):
                r = Pcg32(seed, stream)
                f.write("uniform %d %d %d %s\n" % (seed, stream, n,
                                                   " ".join(str(r.uniform(n)) for _ in range(64))))
            # train crops: RandomCrop(224) top then left, then the flip (u32 / 2^32 < 0.5)
            r = Pcg32(seed, stream)
            boxes = []
            for _ in range(32):
                y = r.uniform(256 - 224 + 1)
                x = r.uniform(341 - 224 + 1)
                flip = 1 if r.next_u32() / 4294967296.0 < 0.5 else 0
                boxes.append("%d,%d,%d" % (x, y, flip))
            f.write("crops %d %d %s\n" % (seed, stream, " ".join(boxes)))


def dump_grid(out):
    d = os.path.join(out, "grid")
    os.makedirs(d, exist_ok=True)
    g = torch.Generator().manual_seed(1234)
    inputs = {
        "w64": torch.randn(64, 3, 11, 11, generator=g) * 0.1,
        "w32": torch.randn(32, 3, 3, 3, generator=g) * 0.5 + 0.2,
        "maps": torch.rand(10, 1, 5, 7, generator=g) * 3 - 1,
        "one": torch.randn(1, 3, 4, 5, generator=g),
    }
    for k, v in inputs.items():
        v.numpy().astype("<f4").tofile(os.path.join(d, k + ".f32"))
    cases = [  # name, input, nrow, padding, norm, pad_value
        ("w64_global", "w64", 8, 2, "global", 0.0),
        ("w64_each", "w64", 8, 2, "each", 0.0),
        ("w32_global", "w32", 8, 2, "global", 0.0),
        ("w32_each", "w32", 8, 2, "each", 0.0),
        ("maps_none", "maps", 4, 1, "none", 0.25),
        ("maps_global", "maps", 3, 2, "global", 1.0),
        ("one_global", "one", 8, 2, "global", 0.0),
    ]
    with open(os.path.join(d, "index.tsv"), "w") as idx:
        for name, inp, nrow, pad, norm, pv in cases:
            t = inputs[inp]
            grid = torchvision.utils.make_grid(t, nrow=nrow, padding=pad, normalize=norm != "none",
                                               scale_each=norm == "each", pad_value=pv)
            grid.numpy().astype("<f4").tofile(os.path.join(d, name + ".grid.f32"))
            # torchvision.utils.save_image's conversion, before PIL writes the PNG
            u8 = grid.mul(255).add_(0.5).clamp_(0, 255).permute(1, 2, 0).to("cpu", torch.uint8)
            u8.numpy().tofile(os.path.join(d, name + ".u8"))
            n, c, h, w = t.shape
            idx.write("%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%r\t%d\t%d\n" % (
                name, inp, n, c, h, w, nrow, pad, norm, pv, grid.shape[1], grid.shape[2]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    if not os.path.isdir(os.path.join(a.shared, "datasets")):
        sys.exit("torchvision_refs: no datasets under %s" % a.shared)
    stamp_path = os.path.join(a.out, "STAMP")
    stamp = hashlib.sha256(open(__file__, "rb").read()).hexdigest()
    stamp += " torch %s torchvision %s PIL %s\n" % (torch.__version__, torchvision.__version__,
                                                    Image.__version__)
    if os.path.exists(stamp_path) and open(stamp_path).read() == stamp:
        print("references up to date in", a.out)
        return
    os.makedirs(a.out, exist_ok=True)
    if os.path.exists(stamp_path):
        os.remove(stamp_path)
    torch.set_num_threads(1)
    dump_rng(a.out)
    dump_grid(a.out)
    dump_resize(a.out)
    dump_val(a.shared, a.out)
    with open(stamp_path, "w") as f:
        f.write(stamp)
    print("references written to", a.out)


if __name__ == "__main__":
    main()
