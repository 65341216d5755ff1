#!/usr/bin/python3
"""`catdog preprocess` against torchvision 0.14 + PIL 9.4 (Debian's /usr/bin/python3).

Runs `catdog preprocess --npy OUT --backbone B` on the long-tail decode variants (written by the
decode_reference fixture) and a few files of datasets/odd, and compares every .npy with
torchvision's val transform of what PIL decodes (Image.open on a stream, exif_transpose, alpha
over white, convert('RGB')): Resize(256), CenterCrop(224), ToTensor, Normalize with the
backbone's mean/std. Photos PIL refuses must be refused too, one line each, naming the file.
Prints, per backbone, files compared and the largest difference in uint8 levels (|d| * std * 255).
Exit status 1 when a tensor is off by more than 2 levels, or the shapes, the refusals or the
exit code disagree.
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
from PIL import Image
from torchvision import transforms

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from decode_reference import pil_rgb  # noqa: E402  (the decoding semantics catdog promises)

BACKBONES = {  # what the pretrained weights expect (torchvision's ImageNet / TFLite's [-1, 1])
    "alexnet": ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
    "mobilenet_v2": ((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)),
}
ODD = ["cat.exif_orientation6.jpg", "cat.rgba_alpha.png", "cat.palette.gif", "cat.bmp", "cat.webp",
       "cat.rgb16.png", "bad.truncated.png"]


def reference(path, mean, std):
    try:
        a, _, _ = pil_rgb(path)
    except Exception as e:  # PIL refuses it
        return None, f"{type(e).__name__}: {e}"
    t = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(),
                            transforms.Normalize(mean, std)])
    return t(Image.fromarray(a)).numpy(), None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--catdog", required=True)
    ap.add_argument("--variants", required=True, help="the variants folder the decode_reference fixture wrote")
    ap.add_argument("--shared", required=True)
    args = ap.parse_args()
    files = [os.path.join(args.variants, n) for n in sorted(os.listdir(args.variants))]
    files += [os.path.join(args.shared, "datasets", "odd", n) for n in ODD]
    bad = 0
    for backbone, (mean, std) in BACKBONES.items():
        with tempfile.TemporaryDirectory() as out:
            run = subprocess.run([args.catdog, "preprocess", *files, "--npy", out, "--backbone", backbone],
                                 capture_output=True, text=True)
            errors = run.stderr.splitlines()
            compared, refused, worst = 0, 0, 0.0
            for f in files:
                name = os.path.basename(f)
                ref, why = reference(f, mean, std)
                npy = os.path.join(out, name + ".npy")
                if ref is None:
                    said = [l for l in errors if name in l]
                    if os.path.exists(npy) or len(said) != 1:
                        print(f"FAIL {name}: PIL refuses it ({why}) but catdog wrote it or did not say so once")
                        bad += 1
                    refused += 1
                    continue
                if not os.path.exists(npy):
                    print(f"FAIL {name}: no {npy}; stderr: {run.stderr.strip()}")
                    bad += 1
                    continue
                got = np.load(npy)
                if got.shape != ref.shape or got.dtype != np.float32:
                    print(f"FAIL {name}: {got.shape} {got.dtype}, expected {ref.shape} float32")
                    bad += 1
                    continue
                levels = float(np.max(np.abs(got - ref) * np.asarray(std, dtype=np.float32)[:, None, None]) * 255)
                worst = max(worst, levels)
                compared += 1
                if levels > 2:
                    print(f"FAIL {name}: {levels:.3f} uint8 levels from torchvision")
                    bad += 1
            if (refused > 0) != (run.returncode != 0):
                print(f"FAIL exit code {run.returncode} with {refused} refused photos")
                bad += 1
            print(f"preprocess_parity {backbone}: {compared} tensors vs torchvision+PIL, max |diff| {worst:.6f} "
                  f"uint8 levels; {refused} refused as PIL refuses them")
    # Two photos that would share an output file are refused before anything is written.
    with tempfile.TemporaryDirectory() as out, tempfile.TemporaryDirectory() as other:
        twin = os.path.join(other, os.path.basename(files[0]))
        with open(files[0], "rb") as src, open(twin, "wb") as dst:
            dst.write(src.read())
        run = subprocess.run([args.catdog, "preprocess", files[0], twin, "--npy", out], capture_output=True, text=True)
        if run.returncode == 0 or os.listdir(out) or len(run.stderr.strip().splitlines()) != 1:
            print(f"FAIL same-name photos: exit {run.returncode}, wrote {os.listdir(out)}, stderr {run.stderr!r}")
            bad += 1
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
