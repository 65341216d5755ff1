#!/usr/bin/python3
"""Reference .pth files for the weight-reader tests, made by torch.save itself.

usage: make_pth.py OUTDIR

Writes into OUTDIR:
  alexnet_zip.pth      torchvision AlexNet state_dict (torch.manual_seed(0) init), zip format
  alexnet_legacy.pth   the same, _use_new_zipfile_serialization=False (the seed's 4df8aa71 format)
  alexnet_p4.pth       the same, zip with pickle protocol 4 (FRAME, MEMOIZE, STACK_GLOBAL, ...)
  alexnet.ref.json     [{name, shape, offset}] into alexnet.ref.bin (float32 little-endian, numpy)
  mixed_zip.pth / mixed_legacy.pth + mixed.ref.{json,bin}: views with storage offsets and
                       strides (transposed, sliced, shared storage), float16/float64/bfloat16,
                       int64 (BatchNorm's num_batches_tracked), a 0-d and an empty tensor
  hostile/*.pth        crafted files that must be refused; hostile/expected.json maps each file
                       to a substring of the error message
"""
import collections
import io
import json
import os
import pickle
import struct
import sys
import zipfile

import numpy as np
import torch
import torchvision


def dump(sd, stem):
    entries, blobs, off = [], [], 0
    for name, t in sd.items():
        a = t.detach().to(torch.float32).contiguous().numpy().astype("<f4")
        entries.append({"name": name, "shape": list(a.shape), "offset": off})
        blobs.append(a.tobytes())
        off += a.size
    with open(stem + ".ref.json", "w") as f:
        json.dump(entries, f, indent=0)
    with open(stem + ".ref.bin", "wb") as f:
        for b in blobs:
            f.write(b)


# --- hostile files: pickles that look like torch.save's, with lying fields -------------------

class FakeStorage:
    def __init__(self, key, numel, stype=torch.FloatStorage):
        self.key, self.numel, self.stype = key, numel, stype


class FakeTensor:
    """Pickles exactly like a tensor in a state dict: _rebuild_tensor_v2(storage, ...)."""
    def __init__(self, storage, offset, size, stride):
        self.args = (storage, offset, tuple(size), tuple(stride), False, collections.OrderedDict())

    def __reduce__(self):
        return (torch._utils._rebuild_tensor_v2, self.args)


class FakePickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, FakeStorage):
            return ("storage", obj.stype, obj.key, "cpu", obj.numel)
        return None


def fake_pickle(obj):
    buf = io.BytesIO()
    FakePickler(buf, protocol=2).dump(obj)
    return buf.getvalue()


def fake_zip(path, data_pkl, storages):
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", data_pkl)
        for key, raw in storages.items():
            z.writestr("archive/data/" + key, raw)
        z.writestr("archive/version", "3\n")


def fake_legacy(path, data_pkl, storages, counts=None):
    with open(path, "wb") as f:
        for obj in (0x1950A86A20F9469CFC6C, 1001,
                    {"protocol_version": 1001, "little_endian": True,
                     "type_sizes": {"short": 2, "int": 4, "long": 4}}):
            pickle.dump(obj, f, protocol=2)
        f.write(data_pkl)
        pickle.dump(list(storages.keys()), f, protocol=2)
        for key, raw in storages.items():
            n = counts[key] if counts and key in counts else len(raw) // 4
            f.write(struct.pack("<q", n))
            f.write(raw)


def hostile(out):
    os.makedirs(out, exist_ok=True)
    expected = {}
    raw = np.arange(16, dtype="<f4").tobytes()  # a 16-element float storage

    def sd(**tensors):
        return fake_pickle(collections.OrderedDict(tensors))

    def both(stem, pkl, storages, why):
        fake_zip(f"{out}/{stem}_zip.pth", pkl, storages)
        fake_legacy(f"{out}/{stem}_legacy.pth", pkl, storages)
        expected[f"{stem}_zip.pth"] = why
        expected[f"{stem}_legacy.pth"] = why

    s = FakeStorage("0", 16)
    # a well-formed control: must read fine (checked by the test as well)
    both("ok", sd(w=FakeTensor(s, 2, [2, 3], [3, 1])), {"0": raw}, "")
    both("size_lies", sd(w=FakeTensor(s, 0, [1000, 1000], [1000, 1])), {"0": raw}, "past the end of its storage")
    both("huge_size", sd(w=FakeTensor(s, 0, [1 << 40, 1 << 40], [1, 1])), {"0": raw}, "exceeds what the file can hold")
    both("offset_lies", sd(w=FakeTensor(s, 1 << 40, [4], [1])), {"0": raw}, "past the end of its storage")
    both("stride_lies", sd(w=FakeTensor(s, 0, [4, 4], [1 << 50, 1])), {"0": raw}, "")
    both("negative", sd(w=FakeTensor(s, 0, [-4], [1])), {"0": raw}, "negative")
    both("rank_mismatch", sd(w=FakeTensor(s, 0, [4, 4], [1])), {"0": raw}, "ranks differ")
    both("missing_storage", sd(w=FakeTensor(FakeStorage("7", 16), 0, [4], [1])), {"0": raw}, "")
    # a pickle that calls something other than torch's rebuild functions
    evil = pickle.dumps(collections.OrderedDict(x=os.system), protocol=2)
    fake_zip(f"{out}/evil_global_zip.pth", evil, {})
    expected["evil_global_zip.pth"] = "unsupported pickle global"
    fake_zip(f"{out}/bad_opcode_zip.pth", b"\x80\x02\xff.", {})
    expected["bad_opcode_zip.pth"] = "unsupported pickle opcode 0xff"
    fake_zip(f"{out}/no_stop_zip.pth", b"\x80\x02}q\x00", {})
    expected["no_stop_zip.pth"] = "without STOP"
    fake_zip(f"{out}/underflow_zip.pth", b"\x80\x02s.", {})
    expected["underflow_zip.pth"] = "underflow"
    fake_zip(f"{out}/memo_zip.pth", b"\x80\x02h\x05.", {})
    expected["memo_zip.pth"] = "memo"
    fake_zip(f"{out}/long_string_zip.pth", b"\x80\x02X\xff\xff\xff\x7fabc", {})
    expected["long_string_zip.pth"] = "past the end"
    deep = b"\x80\x02" + b"(" * 200000 + b"t" * 200000 + b"."
    fake_zip(f"{out}/deep_zip.pth", deep, {})
    expected["deep_zip.pth"] = ""
    cyclic = b"\x80\x02]q\x00h\x00a."  # a list containing itself
    fake_zip(f"{out}/cyclic_zip.pth", cyclic, {})
    expected["cyclic_zip.pth"] = "not a state dict"
    fake_zip(f"{out}/no_pkl_zip.pth", b"", {})
    os.rename(f"{out}/no_pkl_zip.pth", f"{out}/no_pkl_zip.tmp")
    with zipfile.ZipFile(f"{out}/no_pkl_zip.pth", "w") as z:
        z.writestr("archive/version", "3\n")
    os.remove(f"{out}/no_pkl_zip.tmp")
    expected["no_pkl_zip.pth"] = "no data.pkl"
    # legacy: a storage whose element count runs past the end of the file
    fake_legacy(f"{out}/count_lies_legacy.pth", sd(w=FakeTensor(s, 0, [4], [1])), {"0": raw},
                counts={"0": 1 << 40})
    expected["count_lies_legacy.pth"] = "more than the rest of the file"
    # zip whose central directory declares a huge uncompressed entry (a bomb's header)
    ok = open(f"{out}/ok_zip.pth", "rb").read()
    data = bytearray(ok)
    pos = 0
    while True:  # every central directory record: uncompressed size at +24
        pos = data.find(b"PK\x01\x02", pos)
        if pos < 0:
            break
        name_len = struct.unpack_from("<H", data, pos + 28)[0]
        name = bytes(data[pos + 46:pos + 46 + name_len])
        if name.endswith(b"data/0"):
            struct.pack_into("<I", data, pos + 24, 0xFFFFFFF0)
        pos += 4
    open(f"{out}/huge_entry_zip.pth", "wb").write(bytes(data))
    expected["huge_entry_zip.pth"] = ""
    # not a .pth at all
    open(f"{out}/text.pth", "wb").write(b"hello, I am not a state dict\n")
    expected["text.pth"] = "not a torch .pth file"
    open(f"{out}/empty.pth", "wb").write(b"")
    expected["empty.pth"] = "empty file"
    with open(f"{out}/expected.json", "w") as f:
        json.dump(expected, f, indent=1)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    sd = torchvision.models.alexnet().state_dict()
    torch.save(sd, f"{out}/alexnet_zip.pth")
    torch.save(sd, f"{out}/alexnet_legacy.pth", _use_new_zipfile_serialization=False)
    torch.save(sd, f"{out}/alexnet_p4.pth", pickle_protocol=4)
    dump(sd, f"{out}/alexnet")

    g = torch.Generator().manual_seed(1)
    base = torch.randn(6, 5, generator=g)
    bn = torch.nn.BatchNorm2d(3).state_dict()
    mixed = collections.OrderedDict([
        ("transposed", base.t()),                       # strides (1, 5)
        ("sliced", base[2:5, 1:4]),                     # storage offset 11, strides (5, 1)
        ("base", base),                                 # shares the storage with the two above
        ("half", torch.randn(3, 4, generator=g).half()),
        ("double", torch.randn(2, 3, generator=g).double()),
        ("bfloat", torch.randn(5, generator=g).bfloat16()),
        ("bn.running_mean", bn["running_mean"] + 0.25),
        ("bn.num_batches_tracked", torch.tensor(7, dtype=torch.long)),
        ("scalar", torch.tensor(3.5)),
        ("empty", torch.zeros(0, 3)),
        ("expanded", torch.arange(4.0).reshape(4, 1).expand(4, 3)),  # stride 0
    ])
    torch.save(mixed, f"{out}/mixed_zip.pth")
    torch.save(mixed, f"{out}/mixed_legacy.pth", _use_new_zipfile_serialization=False)
    dump(mixed, f"{out}/mixed")

    hostile(f"{out}/hostile")


if __name__ == "__main__":
    main()
