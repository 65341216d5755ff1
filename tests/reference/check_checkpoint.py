#!/usr/bin/python3
"""A catdog checkpoint (nets::Model::save) read by plain torch.load and loaded strictly into
torchvision's AlexNet(num_classes=2); its logits must equal the ones catdog computed.

Usage: check_checkpoint.py CKPT IO.pt     (both written by test_nets "[.ckpt-write]")
"""
import sys

import torch
import torchvision


def main():
    ckpt, io_path = sys.argv[1:3]
    state = torch.load(ckpt, map_location="cpu")
    assert isinstance(state, dict), "%s: expected a dict, got %s" % (ckpt, type(state))
    model = torchvision.models.alexnet(weights=None, num_classes=2)
    model.load_state_dict(state, strict=True)
    model.eval()
    io = torch.load(io_path)
    with torch.no_grad():
        logits = model(io["input"])
    diff = (logits - io["logits"]).abs().max().item()
    print("catdog checkpoint in torchvision: %d tensors, max |logit diff| %.3g" % (len(state), diff))
    if diff > 1e-4:
        raise SystemExit("logits differ by %g" % diff)


if __name__ == "__main__":
    main()
