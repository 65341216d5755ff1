#!/usr/bin/python3
"""MobileNet V2 TFLite import fixture: an independent float reference in NumPy.

Independent of catdog's C++ on every step that matters:
  - parses the .tflite flatbuffer itself (a minimal reader of the few schema fields used,
    field ids from TFLite's schema.fbs), and dequantizes: w = scale * (q - zero_point),
    int32 bias b = scale * q;
  - runs the graph operator by operator in float32 NHWC: CONV_2D, DEPTHWISE_CONV_2D with TF
    'SAME'/'VALID' padding computed from the op's own options, fused ReLU6, ADD,
    AVERAGE_POOL_2D, RESHAPE, SOFTMAX;
  - preprocesses with PIL + torchvision: Resize(256) -> CenterCrop(224) -> ToTensor ->
    Normalize(0.5, 0.5).

Writes OUT (a plain dict saved by torch.save in zip format, readable by torch::pickle_load):
  input   [N,3,224,224] the preprocessed photos (what catdog's model gets too)
  logits  [N,1001]      the reference's logits (input of the graph's SOFTMAX)
  files   list of file names, sorted
and prints the top-5 ImageNet labels for each of the first photos named on the command line.

Usage: mobilenet_reference.py MODEL.tflite LABELS.txt IMAGE_DIR OUT.pt [--limit N]
"""
import os
import struct
import sys

import numpy as np
import torch
from PIL import Image
from torchvision import transforms


# ---------------------------------------------------------------------------------------
# A minimal flatbuffer table reader
# ---------------------------------------------------------------------------------------
class Table:
    def __init__(self, buf, pos):
        self.buf, self.pos = buf, pos
        vt = pos - struct.unpack_from("<i", buf, pos)[0]
        self.vt_size = struct.unpack_from("<H", buf, vt)[0]
        self.vt = vt

    def _off(self, field):
        o = 4 + 2 * field
        if o >= self.vt_size:
            return 0
        return struct.unpack_from("<H", self.buf, self.vt + o)[0]

    def scalar(self, field, fmt, default=0):
        o = self._off(field)
        return struct.unpack_from("<" + fmt, self.buf, self.pos + o)[0] if o else default

    def _indirect(self, field):
        o = self._off(field)
        if not o:
            return None
        p = self.pos + o
        return p + struct.unpack_from("<I", self.buf, p)[0]

    def table(self, field):
        p = self._indirect(field)
        return Table(self.buf, p) if p is not None else None

    def vector(self, field, fmt):
        p = self._indirect(field)
        if p is None:
            return []
        n = struct.unpack_from("<I", self.buf, p)[0]
        return list(struct.unpack_from("<%d%s" % (n, fmt), self.buf, p + 4))

    def bytes(self, field):
        p = self._indirect(field)
        if p is None:
            return b""
        n = struct.unpack_from("<I", self.buf, p)[0]
        return self.buf[p + 4:p + 4 + n]

    def string(self, field):
        return self.bytes(field).decode("utf-8")

    def tables(self, field):
        p = self._indirect(field)
        if p is None:
            return []
        n = struct.unpack_from("<I", self.buf, p)[0]
        out = []
        for i in range(n):
            q = p + 4 + 4 * i
            out.append(Table(self.buf, q + struct.unpack_from("<I", self.buf, q)[0]))
        return out


BUILTIN = {0: "ADD", 1: "AVERAGE_POOL_2D", 3: "CONV_2D", 4: "DEPTHWISE_CONV_2D", 6: "DEQUANTIZE",
           22: "RESHAPE", 25: "SOFTMAX", 114: "QUANTIZE"}
ACT = {0: "NONE", 1: "RELU", 3: "RELU6"}
NP_TYPE = {0: np.float32, 2: np.int32, 3: np.uint8, 9: np.int8}


def load_tflite(path):
    buf = open(path, "rb").read()
    assert buf[4:8] == b"TFL3", "%s: not a TFLite file" % path
    model = Table(buf, struct.unpack_from("<I", buf, 0)[0])
    codes = []
    for oc in model.tables(1):
        code = max(oc.scalar(0, "b"), oc.scalar(3, "i"))  # deprecated_builtin_code, builtin_code
        codes.append(BUILTIN.get(code, "BUILTIN_%d" % code))
    buffers = [b.bytes(0) for b in model.tables(4)]
    sg = model.tables(2)[0]
    tensors = []
    for t in sg.tables(0):
        shape = t.vector(0, "i")
        ttype = t.scalar(1, "b")
        data = buffers[t.scalar(2, "I")]
        q = t.table(4)
        scale = q.vector(2, "f") if q else []
        zp = q.vector(3, "q") if q else []
        value = None
        if data:
            raw = np.frombuffer(data, dtype=NP_TYPE[ttype]).reshape(shape)
            if ttype == 0:
                value = raw.astype(np.float32)
            elif not scale:  # e.g. RESHAPE's int32 shape operand
                value = raw.copy()
            elif ttype == 2:  # int32 bias: scale * q
                value = (raw.astype(np.float64) * scale[0]).astype(np.float32)
            else:
                assert len(scale) == 1, "per-channel quantization not expected here"
                value = ((raw.astype(np.float64) - zp[0]) * scale[0]).astype(np.float32)
        tensors.append({"name": t.string(3), "shape": shape, "value": value})
    ops = []
    for o in sg.tables(3):
        name = codes[o.scalar(0, "I")]
        opt = o.table(4)
        op = {"op": name, "inputs": o.vector(1, "i"), "outputs": o.vector(2, "i")}
        if name == "CONV_2D":
            op.update(padding=opt.scalar(0, "b"), stride=(opt.scalar(2, "i"), opt.scalar(1, "i")),
                      act=ACT[opt.scalar(3, "b")])
        elif name == "DEPTHWISE_CONV_2D":
            op.update(padding=opt.scalar(0, "b"), stride=(opt.scalar(2, "i"), opt.scalar(1, "i")),
                      mult=opt.scalar(3, "i"), act=ACT[opt.scalar(4, "b")])
        elif name == "AVERAGE_POOL_2D":
            op.update(padding=opt.scalar(0, "b"), stride=(opt.scalar(2, "i"), opt.scalar(1, "i")),
                      filter=(opt.scalar(4, "i"), opt.scalar(3, "i")), act=ACT[opt.scalar(5, "b")])
        elif name == "ADD":
            op.update(act=ACT[opt.scalar(0, "b")] if opt else "NONE")
        ops.append(op)
    return tensors, ops, sg.vector(1, "i"), sg.vector(2, "i")


# ---------------------------------------------------------------------------------------
# Float forward in NHWC
# ---------------------------------------------------------------------------------------
def pad_same(x, kh, kw, sh, sw):
    """TF 'SAME': out = ceil(in / stride); the odd pixel of padding goes bottom/right."""
    _, h, w, _ = x.shape
    ph = max((-(-h // sh) - 1) * sh + kh - h, 0)
    pw = max((-(-w // sw) - 1) * sw + kw - w, 0)
    return np.pad(x, ((0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)))


def activate(x, act):
    if act == "RELU6":
        return np.clip(x, 0.0, 6.0)
    if act == "RELU":
        return np.maximum(x, 0.0)
    assert act == "NONE", act
    return x


def conv2d(x, w, b, stride, padding, act):  # w: [O,kh,kw,I]
    o, kh, kw, i = w.shape
    sh, sw = stride
    if padding == 0:
        x = pad_same(x, kh, kw, sh, sw)
    n, h, wd, _ = x.shape
    oh, ow = (h - kh) // sh + 1, (wd - kw) // sw + 1
    y = np.zeros((n, oh, ow, o), np.float32)
    for dy in range(kh):
        for dx in range(kw):
            patch = x[:, dy:dy + sh * (oh - 1) + 1:sh, dx:dx + sw * (ow - 1) + 1:sw, :]
            y += (patch.reshape(-1, i) @ w[:, dy, dx, :].T).reshape(n, oh, ow, o)
    return activate(y + b, act)


def depthwise(x, w, b, stride, padding, act):  # w: [1,kh,kw,C]
    _, kh, kw, c = w.shape
    sh, sw = stride
    if padding == 0:
        x = pad_same(x, kh, kw, sh, sw)
    n, h, wd, _ = x.shape
    oh, ow = (h - kh) // sh + 1, (wd - kw) // sw + 1
    y = np.zeros((n, oh, ow, c), np.float32)
    for dy in range(kh):
        for dx in range(kw):
            y += x[:, dy:dy + sh * (oh - 1) + 1:sh, dx:dx + sw * (ow - 1) + 1:sw, :] * w[0, dy, dx, :]
    return activate(y + b, act)


def run_graph(tensors, ops, inputs, x):
    """x: NHWC float32. Returns the logits (the SOFTMAX's input)."""
    val = {inputs[0]: x}
    for op in ops:
        a = [val.get(i, tensors[i]["value"]) if i >= 0 else None for i in op["inputs"]]
        name = op["op"]
        if name == "CONV_2D":
            y = conv2d(a[0], a[1], a[2], op["stride"], op["padding"], op["act"])
        elif name == "DEPTHWISE_CONV_2D":
            assert op["mult"] == 1
            y = depthwise(a[0], a[1], a[2], op["stride"], op["padding"], op["act"])
        elif name == "ADD":
            y = activate(a[0] + a[1], op["act"])
        elif name == "AVERAGE_POOL_2D":
            fh, fw = op["filter"]
            assert op["padding"] == 1 and a[0].shape[1:3] == (fh, fw), "only a global VALID pool is expected"
            y = activate(a[0].mean(axis=(1, 2), keepdims=True), op["act"])
        elif name == "RESHAPE":
            y = a[0].reshape(a[0].shape[0], -1)
        elif name == "SOFTMAX":
            return a[0].reshape(a[0].shape[0], -1)
        elif name in ("QUANTIZE", "DEQUANTIZE"):
            y = a[0]
        else:
            raise SystemExit("unsupported operator " + name)
        val[op["outputs"][0]] = y.astype(np.float32)
    raise SystemExit("graph has no SOFTMAX")


def main():
    args = sys.argv[1:]
    limit = None
    if "--limit" in args:
        k = args.index("--limit")
        limit = int(args[k + 1])
        del args[k:k + 2]
    tflite, labels_path, image_dir, out = args
    tensors, ops, inputs, _ = load_tflite(tflite)
    labels = [l.rstrip("\n") for l in open(labels_path)]
    files = sorted(f for f in os.listdir(image_dir) if f.lower().endswith((".jpg", ".jpeg", ".png")))
    # chelsea and the darknet dog first, so a --limit run keeps them.
    for f in ("dog.20240.jpg", "cat.20240.jpg"):
        if f in files:
            files.remove(f)
            files.insert(0, f)
    if limit:
        files = files[:limit]
    tf = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(),
                             transforms.Normalize([0.5] * 3, [0.5] * 3)])
    x = torch.stack([tf(Image.open(os.path.join(image_dir, f)).convert("RGB")) for f in files])
    logits = []
    for s in range(0, len(files), 16):
        nhwc = x[s:s + 16].permute(0, 2, 3, 1).contiguous().numpy()
        logits.append(run_graph(tensors, ops, inputs, nhwc))
    logits = np.concatenate(logits)
    for f, l in list(zip(files, logits))[:2]:
        top = np.argsort(-l)[:5]
        print("%s: %s" % (f, ", ".join("%s (%.2f)" % (labels[i], l[i]) for i in top)))
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    torch.save({"input": x.contiguous(), "logits": torch.from_numpy(logits).contiguous(), "files": files}, out)
    print("mobilenet reference: %d photos -> %s" % (len(files), out))


if __name__ == "__main__":
    main()
