#!/usr/bin/python3
"""tests/web/conv_ref.py - outside references for the page's kernel playground (teach_lab.test.mjs).

  conv_ref.py conv2d TENSOR.bin SIZE JOBS.json OUT.bin
      torch.nn.functional.conv2d of the page's input tensor (3 x SIZE x SIZE float32, as
      window.catdog.tensor() gave it) for each job {weights: [...], shape: [C, kh, kw], stride,
      pad: [top, left, bottom, right], bias, activation}; writes the outputs one after another
      (float32) and prints one JSON line per job: {"width", "height"}.
  conv_ref.py add-output MODEL.onnx NAME OUT.onnx
      the same ONNX model with the intermediate value NAME as an extra graph output (so that
      onnxruntime can hand out conv1's activation when the export did not list it).
"""
import json
import sys

import numpy as np


def conv2d(tensor_path, size, jobs_path, out_path):
    import torch
    import torch.nn.functional as F

    size = int(size)
    x = torch.from_numpy(np.fromfile(tensor_path, dtype=np.float32).reshape(1, 3, size, size))
    jobs = json.load(open(jobs_path))
    outs = []
    for j in jobs:
        c, kh, kw = j["shape"]
        w = torch.tensor(np.asarray(j["weights"], dtype=np.float32).reshape(1, c, kh, kw))
        t, l, b, r = j["pad"]
        xp = F.pad(x, (l, r, t, b))  # zeros, asymmetric (TensorFlow SAME)
        y = F.conv2d(xp, w, torch.tensor([float(j.get("bias", 0))], dtype=torch.float32), stride=int(j["stride"]))
        act = j.get("activation", "none")
        if act == "relu":
            y = F.relu(y)
        elif act == "relu6":
            y = F.relu6(y)
        elif act != "none":
            sys.exit(f"conv_ref: unknown activation {act}")
        outs.append(y[0, 0].numpy().astype(np.float32))
        print(json.dumps({"width": int(y.shape[3]), "height": int(y.shape[2])}))
    np.concatenate([o.ravel() for o in outs]).astype(np.float32).tofile(out_path)


def add_output(model_path, name, out_path):
    import onnx

    m = onnx.load(model_path)
    if name not in [o.name for o in m.graph.output]:
        produced = {v for n in m.graph.node for v in n.output}
        if name not in produced:
            sys.exit(f"conv_ref: {model_path}: no value named {name}")
        m.graph.output.append(onnx.ValueInfoProto(name=name))
    onnx.save(m, out_path)


if __name__ == "__main__":
    cmds = {"conv2d": (conv2d, 4), "add-output": (add_output, 3)}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds or len(sys.argv) != 2 + cmds[sys.argv[1]][1]:
        sys.exit(__doc__)
    fn, _ = cmds[sys.argv[1]]
    fn(*sys.argv[2:])
