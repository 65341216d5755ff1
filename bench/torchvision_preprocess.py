#!/usr/bin/python3
"""torchvision 0.14's val pipeline on one thread, for bench/preprocess: PIL open + convert,
Resize(256), CenterCrop(224), ToTensor, Normalize. Prints "torchvision <images/s> <images>
<cpu seconds> <wall seconds>", timed with this process's CPU time like bench_preprocess."""
import sys
import time

import torch
import torchvision.transforms as T
from PIL import Image

torch.set_num_threads(1)
files = [l.strip() for l in open(sys.argv[1]) if l.strip()]
tf = T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(),
                T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])


def load(path):  # torchvision.datasets.folder.pil_loader
    with open(path, "rb") as f:
        return Image.open(f).convert("RGB")


for p in files[:50]:  # warm-up, like the native side
    tf(load(p))
checksum = 0.0
t0, w0 = time.process_time(), time.perf_counter()
for p in files:
    checksum += float(tf(load(p))[1, 112, 112])
secs, wsecs = time.process_time() - t0, time.perf_counter() - w0
print("torchvision %.1f %d %.3f %.3f" % (len(files) / secs, len(files), secs, wsecs))
