#!/usr/bin/python3
"""Parity fixtures for SqueezeNet 1.1, ResNet-18 and torchvision's MobileNet V2: torchvision 0.14
itself is the outside reference.

Writes into OUT_DIR (skipped when a STAMP of this script and the shared file is already there):
  squeezenet1_1_ref.pt   from ../shared's real ImageNet SqueezeNet 1.1 (the zip file):
                           input, logits, one tensor per view (each fire conv after its ReLU),
                           state_dict_keys (torchvision's order; every ref has it)
                           holdout_files, holdout_top1: torchvision's own preprocessing (PIL
                           Resize(256), CenterCrop(224), Normalize) and eval-mode top-1 class of
                           every holdout-dev photo
  resnet18.pth, resnet18_legacy.pth, resnet18_ref.pt
  mobilenet_v2_tv.pth, mobilenet_v2_tv_ref.pt
                         random-weight models (torch.manual_seed), BatchNorm statistics
                         calibrated on random images so activations stay O(1) through every
                         layer (a check at 1e-4 that could fail); the ref dicts hold input,
                         logits and every view
  resnet18_ref.pt also:  train.*: the model in eval mode but layer4.1's two BatchNorms in train
                         mode (`--unfreeze 2`): its logits on train.input, the updated running
                         statistics, and the gradient of sum(logits * train.seed) for those BNs

Usage: backbones_parity.py SHARED_DIR OUT_DIR
"""
import hashlib
import os
import sys

import torch
import torchvision
import torchvision.transforms as T
from PIL import Image, ImageOps


def taps_for(model, pairs):
    """pairs: (view name, module, which call) -> dict filled by forward hooks."""
    taps, calls = {}, {}
    for name, module, nth in pairs:
        def hook(mod, _inp, out, name=name, nth=nth):
            k = id(mod)
            calls[(k, name)] = calls.get((k, name), -1) + 1
            if calls[(k, name)] == nth:
                taps[name] = out.detach().clone().contiguous()
        module.register_forward_hook(hook)
    return taps, calls


def squeezenet_views(m):
    pairs = [("features.0", m.features[1], 0)]
    for n in (3, 4, 6, 7, 9, 10, 11, 12):
        f = m.features[n]
        pairs += [("features.%d.squeeze" % n, f.squeeze_activation, 0),
                  ("features.%d.expand1x1" % n, f.expand1x1_activation, 0),
                  ("features.%d.expand3x3" % n, f.expand3x3_activation, 0)]
    return pairs


def resnet_views(m):
    pairs = [("conv1", m.relu, 0)]
    for s in range(1, 5):
        for b, blk in enumerate(getattr(m, "layer%d" % s)):
            p = "layer%d.%d" % (s, b)
            pairs += [(p + ".conv1", blk.relu, 0), (p, blk, 0)]
    return pairs


def mobilenet_views(m):
    pairs = [("features.0.0", m.features[0][2], 0)]
    for n in range(1, 18):
        conv = m.features[n].conv
        for k in range(len(conv)):
            if isinstance(conv[k], torchvision.ops.Conv2dNormActivation):
                pairs.append(("features.%d.conv.%d.0" % (n, k), conv[k][2], 0))
    pairs.append(("features.18.0", m.features[18][2], 0))
    return pairs


def randomise(model, seed):
    """Kaiming-normal convs/linears, random BN affine; BN running statistics measured on random
    images (cumulative average), then perturbed: O(1) activations everywhere."""
    torch.manual_seed(seed)
    with torch.no_grad():
        for mod in model.modules():
            if isinstance(mod, (torch.nn.Conv2d, torch.nn.Linear)):
                torch.nn.init.kaiming_normal_(mod.weight, mode="fan_in", nonlinearity="relu")
                if mod.bias is not None:
                    mod.bias.normal_(0.0, 0.1)
            elif isinstance(mod, torch.nn.BatchNorm2d):
                mod.weight.uniform_(0.5, 1.5)
                mod.bias.normal_(0.0, 0.2)
                mod.reset_running_stats()
                mod.momentum = None
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(torch.randn(8, 3, 224, 224))
    with torch.no_grad():
        for mod in model.modules():
            if isinstance(mod, torch.nn.BatchNorm2d):
                mod.momentum = 0.1
                mod.running_mean.add_(torch.randn_like(mod.running_mean) * 0.05)
                mod.running_var.mul_(torch.empty_like(mod.running_var).uniform_(0.8, 1.25))
    model.eval()


def reference(model, views, x):
    taps, _ = taps_for(model, views)
    with torch.no_grad():
        logits = model(x)
    keys = [k for k in model.state_dict() if not k.endswith("num_batches_tracked")]
    ref = {"input": x.contiguous(), "logits": logits.contiguous(), "state_dict_keys": "\n".join(keys)}
    ref.update(taps)
    return ref


def load_rgb(path):
    with open(path, "rb") as f:
        return ImageOps.exif_transpose(Image.open(f)).convert("RGB")


def main():
    shared, out = sys.argv[1], sys.argv[2]
    sq_file = os.path.join(shared, "weights", "squeezenet1_1", "squeezenet1_1.pth")
    stamp = hashlib.sha256(open(__file__, "rb").read() + open(sq_file, "rb").read()).hexdigest()
    stamp += " torch %s torchvision %s\n" % (torch.__version__, torchvision.__version__)
    stamp_path = os.path.join(out, "STAMP")
    if os.path.exists(stamp_path) and open(stamp_path).read() == stamp:
        print("backbone fixtures up to date in", out)
        return
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(2)
    x = torch.randn(2, 3, 224, 224, generator=torch.Generator().manual_seed(2))

    # SqueezeNet 1.1, real weights.
    sq = torchvision.models.squeezenet1_1()
    sq.load_state_dict(torch.load(sq_file))
    sq.eval()
    ref = reference(sq, squeezenet_views(sq), x)
    hold = os.path.join(shared, "datasets", "holdout-dev")
    files = sorted(n for n in os.listdir(hold) if n.endswith(".jpg"))
    tf = T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(),
                    T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
    top1, top2gap = [], []
    with torch.no_grad():
        for i in range(0, len(files), 16):
            b = torch.stack([tf(load_rgb(os.path.join(hold, f))) for f in files[i:i + 16]])
            lg = sq(b)
            top1.append(lg.argmax(1))
            s = lg.sort(1, descending=True).values
            top2gap.append(s[:, 0] - s[:, 1])
    ref["holdout_top1"] = torch.cat(top1)
    ref["holdout_gap"] = torch.cat(top2gap)
    ref["holdout_files"] = "\n".join(files)
    torch.save(ref, os.path.join(out, "squeezenet1_1_ref.pt"))
    print("squeezenet1_1: max |logit| %.1f, %d holdout photos, smallest top-2 gap %.3f" %
          (ref["logits"].abs().max(), len(files), ref["holdout_gap"].min()))

    # ResNet-18, random weights; then layer4.1's BatchNorms in train mode.
    rn = torchvision.models.resnet18()
    randomise(rn, 1)
    ref = reference(rn, resnet_views(rn), x)
    torch.save(rn.state_dict(), os.path.join(out, "resnet18.pth"))
    torch.save(rn.state_dict(), os.path.join(out, "resnet18_legacy.pth"), _use_new_zipfile_serialization=False)
    xt = torch.randn(4, 3, 224, 224, generator=torch.Generator().manual_seed(3))
    seed = torch.randn(4, 1000, generator=torch.Generator().manual_seed(4))
    bns = [rn.layer4[1].bn1, rn.layer4[1].bn2]
    for bn in bns:
        bn.train()
    logits = rn(xt)
    (logits * seed).sum().backward()
    ref["train.input"] = xt
    ref["train.seed"] = seed
    ref["train.logits"] = logits.detach().contiguous()
    for name, bn in (("layer4.1.bn1", bns[0]), ("layer4.1.bn2", bns[1])):
        ref["train.%s.running_mean" % name] = bn.running_mean.clone()
        ref["train.%s.running_var" % name] = bn.running_var.clone()
        ref["train.%s.weight.grad" % name] = bn.weight.grad.clone()
        ref["train.%s.bias.grad" % name] = bn.bias.grad.clone()
    torch.save(ref, os.path.join(out, "resnet18_ref.pt"))
    print("resnet18: logits std %.3f, max %.3f" % (ref["logits"].std(), ref["logits"].abs().max()))

    # torchvision's MobileNet V2, random weights.
    mn = torchvision.models.mobilenet_v2()
    randomise(mn, 5)
    ref = reference(mn, mobilenet_views(mn), x)
    torch.save(mn.state_dict(), os.path.join(out, "mobilenet_v2_tv.pth"))
    torch.save(ref, os.path.join(out, "mobilenet_v2_tv_ref.pt"))
    print("mobilenet_v2: logits std %.3f, max %.3f, %d views" %
          (ref["logits"].std(), ref["logits"].abs().max(), len(ref) - 3))
    with open(stamp_path, "w") as f:
        f.write(stamp)


if __name__ == "__main__":
    main()
