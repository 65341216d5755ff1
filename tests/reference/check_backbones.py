#!/usr/bin/python3
"""`catdog backbones --json` against torchvision 0.14: every backbone's parameter count (torch's
parameters(), not BatchNorm's running statistics) and multiply-accumulates at 224 (every
Conv2d/Linear, counted by forward hooks on torchvision's own model), feature size, input
normalisation (torchvision's weights' transforms), head name, and the manifest fields (top-1,
weight file, licence). Google's TFLite MobileNet V2 is torchvision's mobilenet_v2 with 1001
classes, BatchNorm folded into conv biases.

Usage: check_backbones.py CATDOG_EXE
"""
import json
import subprocess
import sys

import torch
import torchvision
from torchvision import models

TORCHVISION = {  # backbone -> (constructor, weights enum for the published meta)
    "alexnet": (lambda: models.alexnet(), models.AlexNet_Weights.IMAGENET1K_V1),
    "resnet18": (lambda: models.resnet18(), models.ResNet18_Weights.IMAGENET1K_V1),
    "squeezenet1_1": (lambda: models.squeezenet1_1(), models.SqueezeNet1_1_Weights.IMAGENET1K_V1),
    "mobilenet_v2_torchvision": (lambda: models.mobilenet_v2(), models.MobileNet_V2_Weights.IMAGENET1K_V1),
    "mobilenet_v2": (lambda: models.mobilenet_v2(num_classes=1001), None),
}


def macs_of(model):
    total = [0]

    def hook(mod, inp, out):
        if isinstance(mod, torch.nn.Conv2d):
            total[0] += out.numel() * (mod.in_channels // mod.groups) * mod.kernel_size[0] * mod.kernel_size[1]
        elif isinstance(mod, torch.nn.Linear):
            total[0] += mod.in_features * mod.out_features
    for m in model.modules():
        m.register_forward_hook(hook)
    with torch.no_grad():
        model.eval()(torch.zeros(1, 3, 224, 224))
    return total[0]


def main():
    out = subprocess.run([sys.argv[1], "backbones", "--json"], check=True, capture_output=True, text=True).stdout
    got = {b["name"]: b for b in json.loads(out)}
    table = subprocess.run([sys.argv[1], "backbones"], check=True, capture_output=True, text=True).stdout
    print(table)
    bad = []

    def expect(name, what, have, want):
        ok = have == want if not isinstance(want, float) else abs(have - want) < 1e-6
        print("%-25s %-10s catdog %-40s torchvision %s%s" % (name, what, have, want, "" if ok else "   <-- MISMATCH"))
        if not ok:
            bad.append((name, what))

    if set(got) != set(TORCHVISION):
        sys.exit("backbones listed: %s, expected %s" % (sorted(got), sorted(TORCHVISION)))
    for name, (make, weights) in TORCHVISION.items():
        b = got[name]
        model = make()
        if name == "mobilenet_v2":  # no BatchNorm; every conv has a bias
            params = sum(m.weight.numel() + m.out_channels for m in model.modules() if isinstance(m, torch.nn.Conv2d))
            params += sum(p.numel() for p in model.classifier.parameters())
        else:
            params = sum(p.numel() for p in model.parameters())
        expect(name, "params", b["parameters"], params)
        expect(name, "MACs", b["macs"], macs_of(model))
        if weights is not None:
            meta = weights.meta
            expect(name, "params", b["parameters"], meta["num_params"])
            expect(name, "top1", b["top1"], float(meta["_metrics"]["ImageNet-1K"]["acc@1"]))
            t = weights.transforms()
            expect(name, "mean", [round(x, 6) for x in b["input"]["mean"]], [round(x, 6) for x in t.mean])
            expect(name, "std", [round(x, 6) for x in b["input"]["std"]], [round(x, 6) for x in t.std])
            expect(name, "resize", b["input"]["resize"], t.resize_size[0])
            expect(name, "crop", b["input"]["crop"], t.crop_size[0])
            expect(name, "file", b["weights"]["file"], weights.url.rsplit("/", 1)[1])
            expect(name, "url", b["weights"]["url"], weights.url)
            # torch.hub's check_hash: the file name's hash is a prefix of the file's sha256.
            prefix = torch.hub.HASH_REGEX.search(b["weights"]["file"]).group(1)
            expect(name, "sha256", b["weights"]["sha256"].startswith(prefix) and len(prefix) >= 8, True)
            expect(name, "license", b["license"].startswith("BSD-3-Clause"), True)
        else:
            expect(name, "mean", b["input"]["mean"], [0.5, 0.5, 0.5])
            expect(name, "top1", b["top1"], 70.8)
        feat = {"alexnet": 4096, "resnet18": 512, "squeezenet1_1": 512 * 13 * 13,
                "mobilenet_v2_torchvision": 1280, "mobilenet_v2": 1280}[name]
        expect(name, "features", b["features"]["dim"], feat)
    if bad:
        sys.exit("catdog backbones differs from torchvision: %s" % bad)
    print("catdog backbones: all %d backbones agree with torchvision" % len(got))


if __name__ == "__main__":
    main()
