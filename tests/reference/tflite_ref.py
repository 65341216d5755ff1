#!/usr/bin/python3
"""An independent reading of a TFLite file, for checking native/weights/tflite_reader.

usage: tflite_ref.py MODEL.tflite OUT.json

Debian ships no TFLite or flatbuffers Python package, so this walks the flatbuffer with
struct + numpy from the format's rules (root uoffset, vtables, vectors) and TFLite's
schema.fbs field ids. It writes, for subgraph 0: the tensors (name, shape, type,
quantization, and for constant tensors the dequantized values' count, sum, abs-sum, min,
max and first 8 values, computed in float64 by numpy), the operators (builtin code, inputs,
outputs, a few options) and the graph inputs/outputs.
"""
import json
import struct
import sys

import numpy as np

TYPES = {0: ("FLOAT32", "<f4"), 1: ("FLOAT16", "<f2"), 2: ("INT32", "<i4"), 3: ("UINT8", "u1"),
         4: ("INT64", "<i8"), 7: ("INT16", "<i2"), 9: ("INT8", "i1"), 10: ("FLOAT64", "<f8")}


class Buf:
    def __init__(self, data):
        self.d = data

    def u32(self, p): return struct.unpack_from("<I", self.d, p)[0]
    def i32(self, p): return struct.unpack_from("<i", self.d, p)[0]

    def table(self, p):
        """(table position, {field id: absolute position of the field})."""
        vt = p - self.i32(p)
        vsize = struct.unpack_from("<H", self.d, vt)[0]
        fields = {}
        for k in range((vsize - 4) // 2):
            off = struct.unpack_from("<H", self.d, vt + 4 + 2 * k)[0]
            if off:
                fields[k] = p + off
        return fields

    def deref(self, p): return p + self.u32(p)

    def scalar(self, f, i, fmt, default):
        return struct.unpack_from(fmt, self.d, f[i])[0] if i in f else default

    def vector(self, f, i):
        """(element start, length) of a vector field, or (None, 0)."""
        if i not in f:
            return None, 0
        v = self.deref(f[i])
        return v + 4, self.u32(v)

    def tables(self, f, i):
        start, n = self.vector(f, i)
        return [self.table(self.deref(start + 4 * k)) for k in range(n)]

    def ints(self, f, i, fmt="<i4", size=4):
        start, n = self.vector(f, i)
        return [] if start is None else np.frombuffer(self.d, fmt, n, start).tolist()

    def string(self, f, i):
        start, n = self.vector(f, i)
        return "" if start is None else self.d[start:start + n].decode()


def main():
    data = open(sys.argv[1], "rb").read()
    assert data[4:8] == b"TFL3"
    b = Buf(data)
    model = b.table(b.u32(0))
    # Model: version 0, operator_codes 1, subgraphs 2, description 3, buffers 4
    codes = []
    for oc in b.tables(model, 1):  # OperatorCode: deprecated_builtin_code 0 (byte), builtin_code 3 (int)
        codes.append(max(b.scalar(oc, 0, "<b", 0), b.scalar(oc, 3, "<i", 0)))
    buffers = []
    for bf in b.tables(model, 4):  # Buffer: data 0
        start, n = b.vector(bf, 0)
        buffers.append(data[start:start + n] if start is not None else b"")
    sg = b.tables(model, 2)[0]  # SubGraph: tensors 0, inputs 1, outputs 2, operators 3
    tensors = []
    for t in b.tables(sg, 0):  # Tensor: shape 0, type 1, buffer 2, name 3, quantization 4
        ty = b.scalar(t, 1, "<b", 0)
        e = {"name": b.string(t, 3), "shape": b.ints(t, 0), "type": TYPES[ty][0]}
        scale, zp = [], []
        if 4 in t:
            q = b.table(b.deref(t[4]))  # QuantizationParameters: scale 2, zero_point 3
            scale = b.ints(q, 2, "<f4")
            zp = b.ints(q, 3, "<i8")
        e["scale"], e["zero_point"] = scale, zp
        raw = buffers[b.scalar(t, 2, "<I", 0)]
        if raw:
            q = np.frombuffer(raw, TYPES[ty][1]).astype(np.float64)
            if scale and ty not in (0, 1, 10):
                assert len(scale) == 1, "per-channel not expected in this file"
                v = np.float32(scale[0]).astype(np.float64) * (q - (zp[0] if zp else 0))
            else:
                v = q
            v32 = v.astype(np.float32).astype(np.float64)  # the reader stores float32
            e["const"] = {"n": int(v.size), "sum": float(v32.sum()), "abs_sum": float(np.abs(v32).sum()),
                          "min": float(v32.min()), "max": float(v32.max()), "first": v32[:8].tolist()}
        tensors.append(e)
    ops = []
    for o in b.tables(sg, 3):  # Operator: opcode_index 0, inputs 1, outputs 2, options type 3, options 4
        e = {"opcode": codes[b.scalar(o, 0, "<I", 0)], "inputs": b.ints(o, 1), "outputs": b.ints(o, 2)}
        if 4 in o and e["opcode"] in (3, 4):  # Conv2DOptions / DepthwiseConv2DOptions
            opt = b.table(b.deref(o[4]))
            e["padding"] = b.scalar(opt, 0, "<b", 0)
            e["stride_w"] = b.scalar(opt, 1, "<i", 0)
            e["stride_h"] = b.scalar(opt, 2, "<i", 0)
            e["activation"] = b.scalar(opt, 3 if e["opcode"] == 3 else 4, "<b", 0)
            if e["opcode"] == 4:
                e["depth_multiplier"] = b.scalar(opt, 3, "<i", 0)
        ops.append(e)
    out = {"version": b.scalar(model, 0, "<I", 0), "tensors": tensors, "ops": ops,
           "inputs": b.ints(sg, 1), "outputs": b.ints(sg, 2)}
    with open(sys.argv[2], "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
