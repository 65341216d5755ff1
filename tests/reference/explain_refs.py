#!/usr/bin/python3
"""Reference maps for the shared core's explain.cpp (tests/core/test_explain.cpp), from torch.

Run by ctest as a fixture with Debian's /usr/bin/python3. Writes raw little-endian float32
files under --out; the Catch2 test (native, WASM under node, ASan) reads inputs and expected
outputs from them.

  cam_*.f32        activations [C,H,W], head row [C], bias [1]; the map (einsum) and the
                   logit as the network computes it (adaptive_avg_pool2d -> linear)
  gradcam_*.f32    activations and d(score)/dA by torch autograd of a small head
                   (ReLU -> sum of weighted positions); the Grad-CAM map, ReLU'd and signed
  up_<h>x<w>_<H>x<W>_{in,out}.f32  F.interpolate(mode='bilinear', align_corners=False)
  occ_*.f32        an input [3,S,S], the occluded input for a few indices, the map
"""
import argparse
import os

import numpy as np
import torch
import torch.nn.functional as F


def save(out, name, a):
    np.ascontiguousarray(a, dtype="<f4").tofile(os.path.join(out, name + ".f32"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    out = ap.parse_args().out
    os.makedirs(out, exist_ok=True)
    g = torch.Generator().manual_seed(13)

    # CAM: the last conv's maps (non-negative, as after ReLU6) and one head row.
    C, H, W = 64, 7, 7
    A = torch.rand(C, H, W, generator=g, dtype=torch.float64).float() * 6
    w = torch.randn(C, generator=g).float() * 0.1
    b = torch.randn(1, generator=g).float()
    logit = F.linear(F.adaptive_avg_pool2d(A[None], 1).flatten(1), w[None], b)[0, 0]
    cam = torch.einsum("k,khw->hw", w.double(), A.double())
    for n, a in [("cam_acts", A), ("cam_w", w), ("cam_b", b), ("cam_map", cam), ("cam_logit", logit.reshape(1))]:
        save(out, n, a.numpy())

    # Grad-CAM: gradients by autograd of score = sum(V * relu(A - 1)), a head with a mask.
    C, H, W = 32, 6, 5
    A = (torch.randn(C, H, W, generator=g) + 1).requires_grad_()
    V = torch.randn(C, H, W, generator=g)
    (V * torch.relu(A - 1)).sum().backward()
    grads = A.grad.detach()
    alpha = grads.double().mean(dim=(1, 2))
    signed = torch.einsum("k,khw->hw", alpha, A.detach().double())
    for n, a in [("gradcam_acts", A.detach()), ("gradcam_grads", grads), ("gradcam_signed", signed),
                 ("gradcam_map", torch.relu(signed))]:
        save(out, n, a.numpy())

    # Bilinear upsampling, as torch draws a map over the photo.
    for (h, w_), (oh, ow) in [((7, 7), (224, 224)), ((13, 13), (224, 224)), ((5, 3), (17, 11)), ((6, 6), (4, 9))]:
        x = torch.randn(1, 1, h, w_, generator=g)
        y = F.interpolate(x, size=(oh, ow), mode="bilinear", align_corners=False)
        save(out, f"up_{h}x{w_}_{oh}x{ow}_in", x.numpy())
        save(out, f"up_{h}x{w_}_{oh}x{ow}_out", y.numpy())

    # Occlusion: S 40, patch 12, stride 7 -> (40-12)//7+1 = 5 positions per side.
    S, P, St = 40, 12, 7
    x = torch.randn(3, S, S, generator=g).numpy()
    fill = np.array([0.1, -0.2, 0.3], dtype=np.float32)
    save(out, "occ_input", x)
    save(out, "occ_fill", fill)
    n = (S - P) // St + 1
    for index in (0, 7, n * n - 1):
        r, c = divmod(index, n)
        y = x.copy()
        y[:, r * St:r * St + P, c * St:c * St + P] = fill[:, None, None]
        save(out, f"occ_{index}", y)
    scores = torch.randn(n * n, generator=g).numpy()
    save(out, "occ_scores", scores)
    save(out, "occ_map", (np.float32(2.5) - scores).reshape(n, n))
    print("explain refs in", out)


if __name__ == "__main__":
    main()
