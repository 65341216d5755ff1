#!/usr/bin/python3
"""Kernel-grid reference: torchvision 0.14's make_grid + save_image's uint8 conversion.

  make_grid_ref.py WEIGHTS.f32 O,I,KH,KW NROW SCALE_EACH UPSCALE OUT_PREFIX

WEIGHTS.f32 is raw little-endian float32 [O, I, KH, KW] (conv1's weight, written by the C++
test from the model it checks). Writes OUT_PREFIX.u8 (HWC uint8 of
make_grid(w, nrow=NROW, padding=2, normalize=True, scale_each=SCALE_EACH) converted exactly
as torchvision.utils.save_image does), OUT_PREFIX.up.u8 (the same grid upscaled by UPSCALE
with torch.nn.functional.interpolate(mode="nearest")) and OUT_PREFIX.txt ("H W").
"""
import sys

import numpy as np
import torch
import torch.nn.functional as F
import torchvision


def main():
    path, dims, nrow, scale_each, up, out = sys.argv[1:7]
    shape = [int(d) for d in dims.split(",")]
    w = torch.from_numpy(np.fromfile(path, dtype="<f4").reshape(shape))
    grid = torchvision.utils.make_grid(w, nrow=int(nrow), padding=2, normalize=True,
                                       scale_each=scale_each == "1")
    # save_image: grid.mul(255).add_(0.5).clamp_(0, 255).permute(1, 2, 0).to("cpu", torch.uint8)
    u8 = grid.mul(255).add_(0.5).clamp_(0, 255).permute(1, 2, 0).to("cpu", torch.uint8)
    u8.numpy().tofile(out + ".u8")
    big = F.interpolate(u8.permute(2, 0, 1)[None].float(), scale_factor=int(up), mode="nearest")
    big[0].permute(1, 2, 0).to(torch.uint8).numpy().tofile(out + ".up.u8")
    with open(out + ".txt", "w") as f:
        f.write("%d %d\n" % (u8.shape[0], u8.shape[1]))


if __name__ == "__main__":
    main()
