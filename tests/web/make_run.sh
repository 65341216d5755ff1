#!/usr/bin/env bash
# tests/web/make_run.sh CATDOG SHARED OUT [BACKBONE [WEIGHTS [PHOTOS [EPOCHS]]]] - a small real run
# for the browser tests and bench/web: `catdog train` (which exports model.web.onnx + model.json)
# on PHOTOS (default 40) photos of dogs-vs-cats-3k, EPOCHS (default 2) epochs. MobileNet V2 uses
# ../shared's TFLite weights; AlexNet uses WEIGHTS (e.g. the nets fixture's random
# torchvision-layout alexnet_zip.pth) or random ones (torchvision's are not on this machine).
# Set CATDOG_WEB_RUN to use an existing run.
set -euo pipefail
CATDOG=$1 OUT=$3 BACKBONE=${4:-mobilenet_v2} WEIGHTS=${5:-} PHOTOS=${6:-40} EPOCHS=${7:-2}
SHARED=$(realpath "$2")  # the photo links below must not depend on where they sit
if [ -n "${CATDOG_WEB_RUN:-}" ]; then
  [ -f "$CATDOG_WEB_RUN/model.web.onnx" ] || { echo "CATDOG_WEB_RUN=$CATDOG_WEB_RUN: no model.web.onnx" >&2; exit 1; }
  rm -rf "$OUT"; mkdir -p "$(dirname "$OUT")"; ln -sfn "$(realpath "$CATDOG_WEB_RUN")" "$OUT"; exit 0
fi
if [ -f "$OUT/model.web.onnx" ] && [ -f "$OUT/.made-by-make_run" ] && [ "$OUT/.made-by-make_run" -nt "$CATDOG" ]; then
  echo "reusing $OUT"; exit 0
fi
DATA=$OUT.data
rm -rf "$OUT" "$DATA"; mkdir -p "$DATA"
SRC=$SHARED/datasets/dogs-vs-cats-3k
for n in $(seq 1 $((PHOTOS / 2))); do
  for c in cat dog; do
    f=$(ls "$SRC" | grep "^$c\." | sed -n "${n}p")
    ln -s "$SRC/$f" "$DATA/$f"
  done
done
case $BACKBONE in
  mobilenet_v2) W=$SHARED/weights/mobilenet_v2_1.0_224_quant/mobilenet_v2_1.0_224_quant.tflite ;;
  *) W=random ;;
esac
if [ -n "$WEIGHTS" ]; then W=$WEIGHTS; fi
"$CATDOG" train --backbone "$BACKBONE" --weights "$W" --data "$DATA" --epochs "$EPOCHS" --batch-size 16 \
  --seed 7 --workers 2 --out "$OUT"
[ -f "$OUT/model.web.onnx" ] || { echo "make_run: catdog train left no model.web.onnx in $OUT" >&2; exit 1; }
touch "$OUT/.made-by-make_run"
