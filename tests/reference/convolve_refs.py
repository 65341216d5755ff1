#!/usr/bin/python3
"""References for the shared core's convolve() (catdog/convolve.h), from torch's conv2d.

Run by ctest as a fixture (Debian's /usr/bin/python3). Writes raw little-endian float32 files
and an index under --out; test_convolve (native, WASM under node, ASan) reads them. Skips the
work when --out already holds dumps made by this same script.

  inputs:  photo.f32    a real photo as the network sees it (torchvision Resize(256),
                        CenterCrop(224), ToTensor, Normalize with ImageNet's mean/std), 3x224x224
           odd.f32      random N(0,1) 3x37x29 (odd sizes: asymmetric TF 'SAME' padding)
  index.tsv, one case a line:
    name  input  C H W  kernel-file c kh kw  stride  pad(t,l,b,r)  bias  activation  out-file oh ow
  Kernels: random ones (strides 1, 2, 4; explicit, asymmetric and TF 'SAME' padding; bias;
  relu, relu6) and the classic presets, built here from their textbook 3x3 values.
  'SAME' padding is computed here from TensorFlow's documented rule and written as explicit
  pads, so the C++ same_pad() is checked too.
"""
import argparse
import hashlib
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
import torchvision
import torchvision.transforms as T
from PIL import Image

# The classic image kernels (setosa.io's "image kernels" explainer, plus Gaussian/Laplacian).
PRESETS = {
    "identity": ([[0, 0, 0], [0, 1, 0], [0, 0, 0]], 1.0),
    "box_blur": ([[1, 1, 1], [1, 1, 1], [1, 1, 1]], 1 / 9),
    "gaussian": ([[1, 2, 1], [2, 4, 2], [1, 2, 1]], 1 / 16),
    "sharpen": ([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], 1.0),
    "sobel_x": ([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], 1.0),
    "sobel_y": ([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], 1.0),
    "laplacian": ([[0, 1, 0], [1, -4, 1], [0, 1, 0]], 1.0),
    "emboss": ([[-2, -1, 0], [-1, 1, 1], [0, 1, 2]], 1.0),
    "outline": ([[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]], 1.0),
}


def preset(name, size, channels=3):
    """The documented rule: nearest-neighbour scale-up by cell centres, then the positive and
    negative weights rescaled to their 3x3 sums; one grey kernel / channels per channel."""
    w3, scale = PRESETS[name]
    g3 = np.array(w3, dtype=np.float32) * np.float32(scale)
    if size == 3:
        g = g3
    else:
        idx = np.minimum(((np.arange(size) + 0.5) * 3 / size).astype(int), 2)
        g = g3[np.ix_(idx, idx)].astype(np.float64)
        for sign in (1, -1):
            m = g * sign > 0
            if m.any():
                g[m] *= g3[g3 * sign > 0].astype(np.float64).sum() / g[m].sum()
        g = g.astype(np.float32)
    return np.repeat((g / np.float32(channels))[None], channels, axis=0)


def tf_same(in_size, k, s):
    # TensorFlow's SAME: out = ceil(in / s), total = max((out - 1) * s + k - in, 0), the
    # smaller half before.
    out = math.ceil(in_size / s)
    total = max((out - 1) * s + k - in_size, 0)
    return total // 2, total - total // 2


def conv(x, w, stride, pad, bias, act):
    t, l, b, r = pad
    xp = F.pad(torch.from_numpy(x)[None], (l, r, t, b))
    y = F.conv2d(xp, torch.from_numpy(w)[None], torch.tensor([bias], dtype=torch.float32), stride=stride)
    if act == "relu":
        y = F.relu(y)
    elif act == "relu6":
        y = F.relu6(y)
    return y[0, 0].numpy()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    photo_path = os.path.join(a.shared, "datasets", "holdout-dev", "cat.20180.jpg")
    if not os.path.isfile(photo_path):
        sys.exit("convolve_refs: %s is missing" % photo_path)
    stamp_path = os.path.join(a.out, "STAMP")
    stamp = hashlib.sha256(open(__file__, "rb").read()).hexdigest()
    stamp += " torch %s torchvision %s\n" % (torch.__version__, torchvision.__version__)
    if os.path.exists(stamp_path) and open(stamp_path).read() == stamp:
        print("references up to date in", a.out)
        return
    os.makedirs(a.out, exist_ok=True)
    if os.path.exists(stamp_path):
        os.remove(stamp_path)
    torch.set_num_threads(1)
    rng = np.random.default_rng(12)

    tf = T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(),
                    T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
    inputs = {
        "photo": tf(Image.open(photo_path).convert("RGB")).numpy().astype(np.float32),
        "odd": rng.standard_normal((3, 37, 29)).astype(np.float32),
    }
    for name, x in inputs.items():
        x.astype("<f4").tofile(os.path.join(a.out, name + ".f32"))

    cases = []  # (name, input, kernel, stride, pad, bias, act)

    def rnd(c, kh, kw):
        return (rng.standard_normal((c, kh, kw)) / math.sqrt(c * kh * kw)).astype(np.float32)

    def same(inp, k, s):
        _, h, w = inputs[inp].shape
        t, b = tf_same(h, k.shape[1], s)
        l, r = tf_same(w, k.shape[2], s)
        return (t, l, b, r)

    k = rnd(3, 3, 3)
    cases.append(("rand3_s1_p1", "photo", k, 1, (1, 1, 1, 1), 0.0, "none"))
    cases.append(("rand3_s1_p0_relu", "photo", rnd(3, 3, 3), 1, (0, 0, 0, 0), 0.1, "relu"))
    cases.append(("rand3_s2_same_relu6", "photo", k * 6, 2, same("photo", k, 2), 0.25, "relu6"))
    cases.append(("rand5_s1_p2_bias", "photo", rnd(3, 5, 5), 1, (2, 2, 2, 2), -0.3, "none"))
    cases.append(("rand11_s4_p2_relu", "photo", rnd(3, 11, 11), 4, (2, 2, 2, 2), 0.05, "relu"))
    cases.append(("rand11_s4_same", "photo", rnd(3, 11, 11), 4, same("photo", np.zeros((3, 11, 11)), 4), 0.0, "none"))
    cases.append(("rand3x5_s2_asym", "photo", rnd(3, 3, 5), 2, (1, 0, 2, 3), 0.5, "relu"))
    k7 = rnd(3, 7, 7)
    cases.append(("odd_rand7_s2_same", "odd", k7, 2, same("odd", k7, 2), 0.2, "relu6"))
    cases.append(("odd_rand3_s4_same", "odd", rnd(3, 3, 3), 4, same("odd", np.zeros((3, 3, 3)), 4), 0.0, "none"))
    cases.append(("odd_rand5_s1_same", "odd", rnd(3, 5, 5), 1, same("odd", np.zeros((3, 5, 5)), 1), -0.1, "relu"))
    for name in PRESETS:
        for size in (3, 5):
            cases.append(("preset_%s_%d" % (name, size), "photo", preset(name, size), 1, (size // 2,) * 4, 0.0, "none"))
    for name in ("gaussian", "sobel_x", "sharpen"):
        cases.append(("preset_%s_11" % name, "photo", preset(name, 11), 4, (2, 2, 2, 2), 0.0, "relu"))

    with open(os.path.join(a.out, "index.tsv"), "w") as idx:
        for name, inp, w, stride, pad, bias, act in cases:
            x = inputs[inp]
            y = conv(x, w, stride, pad, bias, act)
            w.astype("<f4").tofile(os.path.join(a.out, name + ".kernel.f32"))
            y.astype("<f4").tofile(os.path.join(a.out, name + ".out.f32"))
            idx.write("\t".join(str(v) for v in [
                name, inp + ".f32", *x.shape, name + ".kernel.f32", *w.shape, stride, *pad,
                repr(float(np.float32(bias))), act, name + ".out.f32", *y.shape]) + "\n")
    with open(stamp_path, "w") as f:
        f.write(stamp)
    print("%d convolution references written to %s" % (len(cases), a.out))


if __name__ == "__main__":
    main()
