#!/usr/bin/python3
"""Outside references for the page's explanations (tests/web/explain.test.mjs).

  explain_ref.py cam --onnx model.web.onnx --weight W --bias B --acts A.f32 --shape C,H,W --cls K [--versus J]
      CAM in NumPy (float64) from the head's initializers (read with the onnx package) and the
      last conv's activations that onnxruntime computed: map = sum_c w_c A_c, and mean + bias.
  explain_ref.py gradcam --onnx model.onnx --input X.f32 --size S --layer L --cls K [--versus J]
      Grad-CAM by torch autograd: the ONNX graph is run op by op with torch.nn.functional
      (its own weights, no catdog code), score = logit_K (- logit_J), d score / d L by
      backward(); alpha_c = mean of the gradient, map = ReLU(sum_c alpha_c L_c) (signed: no ReLU).

  explain_ref.py imagenet --pt REF.pt --labels imagenet_labels.txt --classes N
      The ImageNet top-5 of tests/reference/mobilenet_reference.py's TFLite reference (its saved
      logits, 1001 with TFLite's "background"; softmax over the N classes the export kept).

Each prints one JSON object ({"width", "height", "data", ...}; imagenet: {file: [[label, prob], ...]}).
"""
import argparse
import json
import sys

import numpy as np


def initializers(path):
    import onnx
    from onnx import numpy_helper
    m = onnx.load(path)
    return m, {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}


def cam(a):
    _, init = initializers(a.onnx)
    if a.weight not in init or a.bias not in init:
        sys.exit(f"{a.onnx}: no initializer {a.weight} / {a.bias}")
    W = init[a.weight].astype(np.float64)
    b = init[a.bias].astype(np.float64)
    C, H, Wd = (int(x) for x in a.shape.split(","))
    A = np.fromfile(a.acts, dtype="<f4").astype(np.float64).reshape(C, H, Wd)
    w, bias = W[a.cls], b[a.cls]
    if a.versus >= 0:
        w, bias = w - W[a.versus], bias - b[a.versus]
    m = np.einsum("c,chw->hw", w, A)
    print(json.dumps({"width": Wd, "height": H, "data": m.ravel().tolist(), "mean_plus_bias": float(m.mean() + bias)}))


# ---------------------------------------------------------------------------------------
# The ONNX graph in torch (the ops catdog's exporter writes)
# ---------------------------------------------------------------------------------------
def run_graph(model, init, feeds, keep):
    import torch
    import torch.nn.functional as F
    from onnx import helper

    v = {k: torch.from_numpy(np.array(x)) for k, x in init.items()}
    v.update(feeds)
    for n in model.graph.node:
        at = {x.name: helper.get_attribute_value(x) for x in n.attribute}
        x = [v[i] if i else None for i in n.input]
        op = n.op_type
        if op == "Conv":
            t, l, bt, r = at.get("pads", [0, 0, 0, 0])   # ONNX: begins (top, left), then ends
            inp = F.pad(x[0], (l, r, t, bt)) if (t or l or bt or r) else x[0]
            y = F.conv2d(inp, x[1], x[2] if len(x) > 2 else None, stride=tuple(at.get("strides", [1, 1])),
                         dilation=tuple(at.get("dilations", [1, 1])), groups=at.get("group", 1))
        elif op == "Relu":
            y = F.relu(x[0])
        elif op == "Clip":
            lo = float(x[1]) if len(x) > 1 and x[1] is not None else at.get("min", -np.inf)
            hi = float(x[2]) if len(x) > 2 and x[2] is not None else at.get("max", np.inf)
            y = torch.clamp(x[0], lo, hi)
        elif op == "Add":
            y = x[0] + x[1]
        elif op == "Mul":
            y = x[0] * x[1]
        elif op in ("MaxPool", "AveragePool"):
            p = at.get("pads", [0, 0, 0, 0])
            k, s = tuple(at["kernel_shape"]), tuple(at.get("strides", [1, 1]))
            ceil = bool(at.get("ceil_mode", 0))
            if op == "MaxPool":
                inp = F.pad(x[0], (p[1], p[3], p[0], p[2]), value=-np.inf) if any(p) else x[0]
                y = F.max_pool2d(inp, k, s, ceil_mode=ceil)
            else:
                if p[0] != p[2] or p[1] != p[3]:
                    sys.exit("AveragePool with asymmetric pads")
                y = F.avg_pool2d(x[0], k, s, padding=(p[0], p[1]), ceil_mode=ceil,
                                 count_include_pad=bool(at.get("count_include_pad", 0)))
        elif op == "GlobalAveragePool":
            y = x[0].mean(dim=(2, 3), keepdim=True)
        elif op == "Flatten":
            y = torch.flatten(x[0], at.get("axis", 1))
        elif op == "Gemm":
            A, B = x[0], x[1]
            if at.get("transA", 0):
                A = A.t()
            if at.get("transB", 0):
                B = B.t()
            y = at.get("alpha", 1.0) * (A @ B)
            if len(x) > 2 and x[2] is not None:
                y = y + at.get("beta", 1.0) * x[2]
        elif op == "Softmax":
            y = F.softmax(x[0], dim=at.get("axis", -1))
        elif op == "Concat":
            y = torch.cat(x, dim=at["axis"])
        elif op == "BatchNormalization":
            y = F.batch_norm(x[0], x[3], x[4], x[1], x[2], training=False, eps=at.get("epsilon", 1e-5))
        elif op in ("Identity", "Dropout"):
            y = x[0]   # the same tensor object: a gradient at the Identity's name is the input's
        elif op == "Cast":
            y = x[0].float()
        elif op == "DequantizeLinear":
            q, scale = x[0].float(), x[1].float()
            zp = x[2].float() if len(x) > 2 and x[2] is not None else 0.0
            ax = at.get("axis", 1)
            if scale.dim() == 1 and scale.numel() > 1:
                shape = [1] * q.dim()
                shape[ax] = -1
                scale = scale.reshape(shape)
                zp = zp.reshape(shape) if torch.is_tensor(zp) else zp
            y = (q - zp) * scale
        else:
            sys.exit(f"explain_ref.py: ONNX op {op} not handled")
        for o in n.output:
            v[o] = y
        if n.output[0] in keep and y.requires_grad:
            y.retain_grad()
    return v


def gradcam(a):
    import torch
    torch.set_num_threads(1)
    model, init = initializers(a.onnx)
    S = a.size
    x = torch.from_numpy(np.fromfile(a.input, dtype="<f4").reshape(1, 3, S, S).copy()).requires_grad_(True)
    v = run_graph(model, init, {model.graph.input[0].name: x}, {a.layer})
    logits = v["logits"][0]
    score = logits[a.cls] - (logits[a.versus] if a.versus >= 0 else 0)
    L = v[a.layer]   # its gradient was kept (retain_grad) when the run made it
    score.backward()
    if L.grad is None:
        sys.exit(f"no gradient reaches {a.layer}")
    A, G = L.detach().double()[0], L.grad.double()[0]
    alpha = G.mean(dim=(1, 2))
    m = torch.einsum("c,chw->hw", alpha, A)
    if a.versus < 0:
        m = torch.relu(m)
    print(json.dumps({"width": int(m.shape[1]), "height": int(m.shape[0]), "data": m.ravel().tolist(),
                      "score": float(score), "logits": logits.detach().tolist()}))


def imagenet(a):
    import torch
    ref = torch.load(a.pt)
    labels = [l.rstrip("\n") for l in open(a.labels)]
    logits = ref["logits"].double()
    drop = logits.shape[1] - a.classes   # TFLite's class 0 is "background"
    out = {}
    for f, l in zip(ref["files"], logits):
        p = torch.softmax(l[drop:], 0)
        top = torch.argsort(-p)[:5]
        out[f] = [[int(i), labels[int(i) + drop], float(p[i])] for i in top]
    print(json.dumps(out))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["cam", "gradcam", "imagenet"])
    ap.add_argument("--onnx")
    ap.add_argument("--weight")
    ap.add_argument("--bias")
    ap.add_argument("--acts")
    ap.add_argument("--shape")
    ap.add_argument("--input")
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--layer")
    ap.add_argument("--cls", type=int, default=0)
    ap.add_argument("--pt")
    ap.add_argument("--labels")
    ap.add_argument("--classes", type=int, default=1000)
    ap.add_argument("--versus", type=int, default=-1)
    a = ap.parse_args()
    {"cam": cam, "gradcam": gradcam, "imagenet": imagenet}[a.what](a)


if __name__ == "__main__":
    main()
