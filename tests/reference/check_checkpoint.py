#!/usr/bin/python3
"""A catdog checkpoint (nets::Model::save) read by plain torch.load and loaded strictly into
torchvision's AlexNet(num_classes=2); its logits must equal the ones catdog computed. Python's
zipfile also checks what catdog's loader relies on to use the tensors in place (weights::map_pth):
every tensor record is stored uncompressed and starts at a 64-byte aligned file offset.

Usage: check_checkpoint.py CKPT IO.pt     (both written by test_nets "[.ckpt-write]")
"""
import struct
import sys
import zipfile

import torch
import torchvision


def check_records(ckpt):
    with open(ckpt, "rb") as f, zipfile.ZipFile(f) as z:
        records = [i for i in z.infolist() if "/data/" in i.filename]
        for i in records:
            f.seek(i.header_offset)
            local = f.read(30)
            name_len, extra_len = struct.unpack("<HH", local[26:30])
            start = i.header_offset + 30 + name_len + extra_len
            if i.compress_type != zipfile.ZIP_STORED or start % 64:
                raise SystemExit("%s: record %s is %s at offset %d (not stored, 64-byte aligned)"
                                 % (ckpt, i.filename, "stored" if i.compress_type == 0 else "compressed", start))
    if not records:
        raise SystemExit("%s: no tensor records" % ckpt)
    print("catdog checkpoint: %d tensor records, all stored at 64-byte aligned offsets" % len(records))


def main():
    ckpt, io_path = sys.argv[1:3]
    check_records(ckpt)
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
