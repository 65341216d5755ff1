#!/usr/bin/python3
"""Tiny TFLite files for the reader tests and the fuzz seed corpus, built byte by byte.

usage: make_tflite.py OUTDIR

Debian has no TFLite/flatbuffers Python package, so this lays the flatbuffer out itself
(forward layout: root offset, then each table's vtable + fields, then its children), with
the field ids of TFLite's schema.fbs. It writes:
  tiny.tflite       CONV_2D (int8 weights, per-channel scales), DEPTHWISE_CONV_2D (uint8),
                    RESHAPE, SOFTMAX, a CUSTOM op and a builtin code > 127; float16 and
                    float32 constants
  tiny.ref.json     what a reader must report, dequantized by numpy
  bad_*.tflite      the same model with one lie each; bad.json maps file -> error substring
"""
import json
import os
import struct
import sys

import numpy as np


# --- a minimal forward flatbuffer writer ------------------------------------------------

class Table:
    def __init__(self, **fields):  # name=(id, kind, value)
        self.fields = sorted(fields.values(), key=lambda f: f[0])


SCALAR = {"u8": ("<B", 1), "i8": ("<b", 1), "i32": ("<i", 4), "u32": ("<I", 4), "f32": ("<f", 4),
          "u64": ("<Q", 8)}
VEC = {"vi32": ("<i", 4), "vf32": ("<f", 4), "vi64": ("<q", 8), "vu8": ("<B", 1)}


class Writer:
    def __init__(self):
        self.b = bytearray()

    def pad_to(self, align, extra=0):
        while (len(self.b) + extra) % align:
            self.b.append(0)

    def vector(self, kind, values):
        fmt, size = VEC[kind]
        self.pad_to(max(size, 4), 4)  # elements aligned after the 4-byte length
        pos = len(self.b)
        self.b += struct.pack("<I", len(values))
        for v in values:
            self.b += struct.pack(fmt, v)
        return pos

    def string(self, s):
        self.pad_to(4)
        pos = len(self.b)
        raw = s.encode()
        self.b += struct.pack("<I", len(raw)) + raw + b"\0"
        return pos

    def table(self, t):
        nfields = (t.fields[-1][0] + 1) if t.fields else 0
        # vtable: [vtable size, table size, slot per field]
        self.pad_to(8)
        vt_pos = len(self.b)
        vt_size = 4 + 2 * nfields
        self.b += bytes(vt_size)
        self.pad_to(8)
        t_pos = len(self.b)
        self.b += bytes(4)  # soffset to the vtable
        slots, pending = {}, []
        for fid, kind, value in t.fields:
            size = SCALAR[kind][1] if kind in SCALAR else 4
            self.pad_to(size)
            slots[fid] = len(self.b) - t_pos
            if kind in SCALAR:
                self.b += struct.pack(SCALAR[kind][0], value)
            else:
                pending.append((len(self.b), kind, value))
                self.b += bytes(4)
        t_size = len(self.b) - t_pos
        struct.pack_into("<HH", self.b, vt_pos, vt_size, t_size)
        for fid, off in slots.items():
            struct.pack_into("<H", self.b, vt_pos + 4 + 2 * fid, off)
        struct.pack_into("<i", self.b, t_pos, t_pos - vt_pos)
        for field_pos, kind, value in pending:  # children after the table: forward offsets
            if kind == "table":
                child = self.table(value)
            elif kind == "tables":
                child = self.tables(value)
            elif kind == "str":
                child = self.string(value)
            else:
                child = self.vector(kind, value)
            struct.pack_into("<I", self.b, field_pos, child - field_pos)
        return t_pos

    def tables(self, ts):
        self.pad_to(4)
        pos = len(self.b)
        self.b += struct.pack("<I", len(ts)) + bytes(4 * len(ts))
        for k, t in enumerate(ts):
            slot = pos + 4 + 4 * k
            child = self.table(t)
            struct.pack_into("<I", self.b, slot, child - slot)
        return pos

    def finish(self, root):
        self.b += bytes(8)  # root offset + file identifier
        self.b[4:8] = b"TFL3"
        struct.pack_into("<I", self.b, 0, self.table(root))
        return bytes(self.b)


# --- the model -------------------------------------------------------------------------

def tensor(name, shape, ttype, buffer, scale=None, zp=None, qdim=None):
    f = dict(shape=(0, "vi32", shape), type=(1, "i8", ttype), buffer=(2, "u32", buffer), name=(3, "str", name))
    if scale is not None:
        q = dict(scale=(2, "vf32", scale), zp=(3, "vi64", zp))
        if qdim is not None:
            q["qdim"] = (6, "i32", qdim)
        f["quant"] = (4, "table", Table(**q))
    return Table(**f)


def build(lie=None):
    rng = np.random.default_rng(5)
    conv_w = rng.integers(-128, 128, size=(3, 1, 1, 2), dtype=np.int8)       # [O,kh,kw,I], int8
    conv_scales = [0.5, 0.25, 0.125]
    conv_b = rng.integers(-1000, 1000, size=3, dtype=np.int32)
    dw_w = rng.integers(0, 256, size=(1, 3, 3, 3), dtype=np.uint8)          # [1,kh,kw,C], uint8
    half = np.array([1.5, -2.25, 65504, 2 ** -24], dtype=np.float16)
    flt = np.array([[0.1, -0.2], [3.0, 4.5]], dtype=np.float32)
    shape_const = np.array([1, 27], dtype=np.int32)

    buffers = [b"", conv_w.tobytes(), conv_b.astype("<i4").tobytes(), dw_w.tobytes(), half.astype("<f2").tobytes(),
               flt.astype("<f4").tobytes(), shape_const.astype("<i4").tobytes()]
    if lie == "buffer_size":
        buffers[1] = buffers[1][:-1]
    tensors = [
        tensor("input", [1, 5, 5, 2], 3, 0, [1 / 128], [128]),                       # 0
        tensor("conv/weights", [3, 1, 1, 2], 9, 1, conv_scales if lie != "scales" else conv_scales[:2],
               [0, 0, 0] if lie != "scales" else [0, 0], 0),                         # 1
        tensor("conv/bias", [3], 2, 2, [0.01], [0]),                                 # 2
        tensor("conv/out", [1, 5, 5, 3], 3, 0, [0.05], [0]),                         # 3
        tensor("dw/weights", [1, 3, 3, 3], 3, 3, [0.02], [100]),                     # 4
        tensor("dw/out", [1, 3, 3, 3], 3, 0, [0.05], [0]),                           # 5
        tensor("half", [4], 1, 4),                                                   # 6
        tensor("float", [2, 2], 0, 5),                                               # 7
        tensor("shape", [2], 2, 6),                                                  # 8
        tensor("flat", [1, 27], 3, 0, [0.05], [0]),                                  # 9
        tensor("probs", [1, 27], 3, 0, [1 / 256], [0]),                              # 10
    ]
    codes = [Table(dep=(0, "i8", 3)),                                    # CONV_2D
             Table(dep=(0, "i8", 4), version=(2, "i32", 2)),             # DEPTHWISE_CONV_2D
             Table(dep=(0, "i8", 22)),                                   # RESHAPE
             Table(dep=(0, "i8", 25)),                                   # SOFTMAX
             Table(dep=(0, "i8", 32), custom=(1, "str", "TFLite_Detection_PostProcess")),
             Table(dep=(0, "i8", 127), code=(3, "i32", 150))]            # a code > 127
    conv_in = [0, 1, 2] if lie != "tensor_index" else [0, 11, 2]
    ops = [
        Table(op=(0, "u32", 0), i=(1, "vi32", conv_in), o=(2, "vi32", [3]), ot=(3, "u8", 1),
              opt=(4, "table", Table(padding=(0, "i8", 1), sw=(1, "i32", 1), sh=(2, "i32", 1), act=(3, "i8", 3)))),
        Table(op=(0, "u32", 1), i=(1, "vi32", [3, 4, -1]), o=(2, "vi32", [5]), ot=(3, "u8", 2),
              opt=(4, "table", Table(padding=(0, "i8", 0), sw=(1, "i32", 2), sh=(2, "i32", 2), dm=(3, "i32", 1),
                                     act=(4, "i8", 1), dw=(5, "i32", 1), dh=(6, "i32", 1)))),
        Table(op=(0, "u32", 2), i=(1, "vi32", [5, 8]), o=(2, "vi32", [9]), ot=(3, "u8", 17),
              opt=(4, "table", Table(ns=(0, "vi32", [1, 27])))),
        Table(op=(0, "u32", 3 if lie != "opcode_index" else 9), i=(1, "vi32", [9]), o=(2, "vi32", [10]),
              ot=(3, "u8", 9), opt=(4, "table", Table(beta=(0, "f32", 1.0)))),
        Table(op=(0, "u32", 4), i=(1, "vi32", [10, 6, 7]), o=(2, "vi32", [10])),
        Table(op=(0, "u32", 5), i=(1, "vi32", [10]), o=(2, "vi32", [10])),
    ]
    sg = Table(t=(0, "tables", tensors), i=(1, "vi32", [0]), o=(2, "vi32", [10]), ops=(3, "tables", ops),
               name=(4, "str", "main"))
    model = Table(version=(0, "u32", 3), codes=(1, "tables", codes), sgs=(2, "tables", [sg]),
                  desc=(3, "str", "catdog test model"),
                  bufs=(4, "tables", [Table(**({"d": (0, "vu8", list(b))} if b else {})) for b in buffers]))
    data = Writer().finish(model)

    def deq(q, scale, zp, axis=None):
        q = q.astype(np.float64)
        if axis is None:
            return (np.float32(scale[0]).astype(np.float64) * (q - zp[0])).astype(np.float32)
        s = np.array(scale, dtype=np.float32).astype(np.float64).reshape([-1] + [1] * (q.ndim - 1))
        return (s * q).astype(np.float32)

    ref = {"constants": {
        "conv/weights": deq(conv_w, conv_scales, [0, 0, 0], axis=0).ravel().tolist(),
        "conv/bias": deq(conv_b, [0.01], [0]).ravel().tolist(),
        "dw/weights": deq(dw_w, [0.02], [100]).ravel().tolist(),
        "half": half.astype(np.float32).tolist(),
        "float": flt.ravel().tolist(),
        "shape": shape_const.astype(np.float32).tolist()}}
    return data, ref


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    data, ref = build()
    open(f"{out}/tiny.tflite", "wb").write(data)
    with open(f"{out}/tiny.ref.json", "w") as f:
        json.dump(ref, f)
    bad = {"buffer_size": "buffer holds", "scales": "per-channel scales", "tensor_index": "refers to tensor 11",
           "opcode_index": "opcode index 9 out of range"}
    for lie, why in bad.items():
        open(f"{out}/bad_{lie}.tflite", "wb").write(build(lie)[0])
    with open(f"{out}/bad.json", "w") as f:
        json.dump({f"bad_{k}.tflite": v for k, v in bad.items()}, f)


if __name__ == "__main__":
    main()
