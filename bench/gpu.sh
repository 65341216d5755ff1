#!/usr/bin/env bash
# bench/gpu.sh: one short script for a machine with an NVIDIA GPU and a pip PyTorch.
#
#   1. builds `catdog` against the LibTorch inside the installed PyTorch (2.x, CUDA);
#   2. uses DATA (a Kaggle-style folder carried with the tree, e.g. ../shared/datasets/dogs-vs-cats-3k)
#      or generates a synthetic one (random-noise JPEGs named cat.N.jpg / dog.N.jpg);
#   3. runs the seed's recipe in Python (bench/seed_train.py, on CUDA) and `catdog train --device cuda`,
#      and prints both img/s figures and the ratio (target >= 3x: the decode pipeline is where Python
#      loses on a GPU).
#
#   DATA=dir EPOCHS=2 bench/gpu.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-python3}
EPOCHS=${EPOCHS:-2}
BUILD=${BUILD:-build-gpu}
WORK=$(mktemp -d /tmp/catdog-gpu.XXXXXX)

$PY -c 'import torch; assert torch.cuda.is_available(), "no CUDA device visible to PyTorch"; print("torch", torch.__version__, torch.cuda.get_device_name(0))'
TORCH_PREFIX=$($PY -c 'import torch; print(torch.utils.cmake_prefix_path)')

# The GPU machine may lack the export/serve libraries: build the trainer-only configuration
# (native/CMakeLists.txt: no libonnx/protobuf, no cpp-httplib; libcurl/OpenSSL optional). It still
# needs the core's C libraries and the header-only ones; on Debian/Ubuntu:
need=(libjpeg.pc libwebp.pc libzip.pc)
for pc in "${need[@]}"; do
  pkg-config --exists "${pc%.pc}" 2>/dev/null || {
    echo "bench/gpu.sh: ${pc%.pc} is missing: apt-get install libjpeg-turbo8-dev|libjpeg62-turbo-dev libwebp-dev libzip-dev nlohmann-json3-dev libcli11-dev libstb-dev" >&2
    exit 2; }
done
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$TORCH_PREFIX" -DCATDOG_TRAINER_ONLY=ON
cmake --build "$BUILD" -j "$(nproc)" --target catdog_torch   # the full CLI; named `catdog` in a trainer-only build

if [ -z "${DATA:-}" ]; then
  DATA=$WORK/data
  $PY - "$DATA" <<'PY'
import os, sys, numpy as np
from PIL import Image
d = sys.argv[1]; os.makedirs(d)
rng = np.random.default_rng(0)
for cls in ("cat", "dog"):
    for i in range(1500):
        h, w = rng.integers(300, 500), rng.integers(300, 500)
        Image.fromarray(rng.integers(0, 255, (h, w, 3), dtype=np.uint8)).save(f"{d}/{cls}.{i}.jpg", quality=90)
PY
fi
$PY - "$WORK/alexnet.pth" <<'PY'
import sys, torch, torchvision
torch.manual_seed(0); torch.save(torchvision.models.alexnet().state_dict(), sys.argv[1])
PY

py=$($PY bench/seed_train.py --data "$DATA" --weights "$WORK/alexnet.pth" --epochs "$EPOCHS" --device cuda)
echo "seed code (Python, CUDA): $py"
"$BUILD/bin/catdog" train --data "$DATA" --backbone alexnet --weights "$WORK/alexnet.pth" --epochs "$EPOCHS" \
    --device cuda --out "$WORK/run" --no-export
# The frozen trunk in reduced precision (AMP-like: bf16 trunk, float32 head), when supported.
amp=""
if "$BUILD/bin/catdog" train --help 2>&1 | grep -q -- --precision; then
  "$BUILD/bin/catdog" train --data "$DATA" --backbone alexnet --weights "$WORK/alexnet.pth" --epochs "$EPOCHS" \
      --device cuda --precision bf16 --out "$WORK/run-bf16" --no-export && amp="$WORK/run-bf16/summary.json"
fi
$PY - "$py" "$WORK/run/summary.json" "$amp" <<'PY'
import json, sys
py = json.loads(sys.argv[1])["train_img_s"]; cd = json.load(open(sys.argv[2]))["train_img_s"]
print(f"GPU: seed code {py:.1f} img/s, catdog {cd:.1f} img/s, ratio {cd / py:.2f}x (target >= 3x)")
if sys.argv[3]:
    s = json.load(open(sys.argv[3]))
    print(f"GPU: catdog --precision bf16 {s['train_img_s']:.1f} img/s, ratio {s['train_img_s'] / py:.2f}x, val_acc {s['val_acc']}")
PY
rm -rf "$WORK"
