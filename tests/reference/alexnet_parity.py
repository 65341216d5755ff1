#!/usr/bin/python3
"""AlexNet parity fixture: torchvision's own AlexNet is the outside reference.

Writes into OUT_DIR:
  alexnet_zip.pth      state_dict, torch.save's zip format (like alexnet-owt-7be5be79.pth)
  alexnet_legacy.pth   the same, _use_new_zipfile_serialization=False (like alexnet-owt-4df8aa71.pth)
  alexnet_ref.pt       a plain dict (zip format, readable by torch::pickle_load):
                         input   [2,3,224,224] fixed input tensor
                         logits  torchvision's eval-mode logits
                         features.0 ... features.10  each conv's activation after its ReLU
                         init.*  a default-initialised alexnet() after torch.manual_seed(0)
                                 (first and last tensors drawn: checks the init order and law)

The weights are re-drawn (Kaiming normal, fan_in, ReLU gain) so activations stay O(1) through
all eight layers: with torch's default init the logits are ~1e-3 and a 1e-4 check could not fail.

Usage: alexnet_parity.py OUT_DIR
"""
import os
import sys

import torch
import torchvision


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)

    torch.manual_seed(0)
    init = torchvision.models.alexnet(weights=None).state_dict()
    ref = {"init." + k: init[k].clone() for k in
           ("features.0.weight", "features.0.bias", "classifier.6.weight", "classifier.6.bias")}

    torch.manual_seed(1)
    model = torchvision.models.alexnet(weights=None)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith(".weight"):
                torch.nn.init.kaiming_normal_(p, mode="fan_in", nonlinearity="relu")
            else:
                p.normal_(0.0, 0.1)
    model.eval()

    x = torch.randn(2, 3, 224, 224, generator=torch.Generator().manual_seed(2))
    taps = {}

    def hook(name):
        def f(_module, _inp, output):
            taps[name] = output.detach().clone()
        return f

    # The ReLU after each conv (features.1, 4, 7, 9, 11), named after its conv.
    for relu, conv in ((1, 0), (4, 3), (7, 6), (9, 8), (11, 10)):
        model.features[relu].register_forward_hook(hook("features.%d" % conv))
    with torch.no_grad():
        logits = model(x)

    ref["input"] = x.contiguous()
    ref["logits"] = logits.contiguous()
    ref.update({k: v.contiguous() for k, v in taps.items()})
    state = model.state_dict()
    torch.save(state, os.path.join(out, "alexnet_zip.pth"))
    torch.save(state, os.path.join(out, "alexnet_legacy.pth"), _use_new_zipfile_serialization=False)
    torch.save(ref, os.path.join(out, "alexnet_ref.pt"))
    print("alexnet fixture: logits std %.3f, max |logit| %.3f -> %s" %
          (logits.std().item(), logits.abs().max().item(), out))


if __name__ == "__main__":
    main()
