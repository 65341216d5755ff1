#!/usr/bin/python3
"""torch's conv2d for `catdog filter`'s tests: presets and edited kernels on one input tensor.

  filter_ref.py --input X.f32 --size S --cases CASES.json --out DIR

X.f32 is a 3 x S x S float32 tensor (the photo as the network sees it). CASES.json is a list of
{"name", "preset", "size"} (the textbook kernel, stride 1, TF 'SAME' padding; built by
convolve_refs.py's own preset()) or {"name", "shape", "weights", "stride", "pad": [t, l, b, r],
"bias", "activation"}. Writes DIR/<name>.f32 (the output plane, float32) for each.
"""
import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from convolve_refs import conv, preset, tf_same  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--input", required=True)
    ap.add_argument("--size", type=int, required=True)
    ap.add_argument("--cases", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    x = np.fromfile(a.input, dtype="<f4").reshape(3, a.size, a.size)
    os.makedirs(a.out, exist_ok=True)
    for c in json.load(open(a.cases)):
        if "preset" in c:
            w = preset(c["preset"], c["size"])
            t, b = tf_same(a.size, c["size"], 1)
            y = conv(x, w, 1, (t, t, b, b), 0.0, "none")
        else:
            w = np.array(c["weights"], dtype=np.float32).reshape(c["shape"])
            y = conv(x, w, c["stride"], tuple(c["pad"]), float(np.float32(c["bias"])), c["activation"])
        y.astype("<f4").tofile(os.path.join(a.out, c["name"] + ".f32"))
    print("filter references written to", a.out)


if __name__ == "__main__":
    main()
