#!/usr/bin/python3
"""Seed corpora for the libFuzzer targets in tests/fuzz, built at run time (never committed).

  image/   every file of ../shared/datasets/odd, plus tiny (<= 40 px) re-encodings of one
           photo in each format variant the decoders handle, so mutations execute fast, and
           the long-tail variants of tests/reference/make_decode_variants.py (RLE/OS2 BMP, GIF
           without a colour table, animated WebP, PNG/WebP orientation chunks, truncations)
  pth/     tiny state dicts written by torch.save in both containers (zip and legacy), with
           the dtypes, views (offsets, strides, shared storages) and OrderedDict/_metadata
           that torchvision files contain
  tflite/  ../shared's MobileNet V2 (3.4 MB), truncated copies of it, and tiny models written
           with flatc from native/weights/tflite_schema.fbs (uint8/int8 per-tensor and per-channel,
           int32 bias, float32/float16 constants, the ops the backbones use)

Usage: make_corpus.py --out DIR --shared ../shared
"""
import argparse, io, json, os, shutil, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def image_seeds(out, shared):
    odd = os.path.join(shared, "datasets", "odd")
    if not os.path.isdir(odd):
        sys.exit(f"make_corpus: {odd} is missing (../shared must sit beside the checkout)")
    for name in sorted(os.listdir(odd)):
        shutil.copyfile(os.path.join(odd, name), os.path.join(out, "odd." + name))
    from PIL import Image
    src = Image.open(os.path.join(odd, "cat.chelsea_rgb.png")).convert("RGB").resize((40, 27))
    rgba = src.copy(); rgba.putalpha(Image.linear_gradient("L").resize(src.size))
    variants = {
        "tiny.jpg": (src, dict(format="JPEG", quality=75)),
        "tiny_q100_444.jpg": (src, dict(format="JPEG", quality=100, subsampling=0)),
        "tiny_422.jpg": (src, dict(format="JPEG", quality=90, subsampling=1)),
        "tiny_progressive.jpg": (src, dict(format="JPEG", quality=80, progressive=True)),
        "tiny_optimized.jpg": (src, dict(format="JPEG", quality=80, optimize=True)),
        "tiny_gray.jpg": (src.convert("L"), dict(format="JPEG", quality=80)),
        "tiny_cmyk.jpg": (src.convert("CMYK"), dict(format="JPEG", quality=80)),
        "tiny.png": (src, dict(format="PNG")),
        "tiny_rgba.png": (rgba, dict(format="PNG")),
        "tiny_la.png": (rgba.convert("LA"), dict(format="PNG")),
        "tiny_gray.png": (src.convert("L"), dict(format="PNG")),
        "tiny_1bit.png": (src.convert("1"), dict(format="PNG")),
        "tiny_palette.png": (src.convert("P"), dict(format="PNG")),
        "tiny_16bit.png": (src.convert("L").convert("I"), dict(format="PNG")),
        "tiny.gif": (src.convert("P"), dict(format="GIF")),
        "tiny.bmp": (src, dict(format="BMP")),
        "tiny_palette.bmp": (src.convert("P"), dict(format="BMP")),
        "tiny_lossy.webp": (src, dict(format="WEBP", quality=70)),
        "tiny_lossless.webp": (src, dict(format="WEBP", lossless=True)),
        "tiny_alpha.webp": (rgba, dict(format="WEBP", quality=70)),
    }
    for name, (im, kw) in variants.items():
        buf = io.BytesIO(); im.save(buf, **kw); write(os.path.join(out, name), buf.getvalue())
    # EXIF orientations 2..8 (the decoder rotates/flips): PIL writes the APP1 segment.
    for o in range(2, 9):
        exif = Image.Exif(); exif[0x0112] = o
        buf = io.BytesIO(); src.save(buf, format="JPEG", quality=70, exif=exif.tobytes())
        write(os.path.join(out, f"tiny_exif{o}.jpg"), buf.getvalue())
    # A two-frame animated GIF (the decoder takes the first frame).
    buf = io.BytesIO()
    src.convert("P").save(buf, format="GIF", save_all=True, append_images=[src.rotate(90).convert("P")])
    write(os.path.join(out, "tiny_anim.gif"), buf.getvalue())
    # The long tail, hand-written where PIL cannot write it (77x49 each).
    sys.path.insert(0, os.path.join(HERE, "..", "reference"))
    from make_decode_variants import make_variants
    for name, data in make_variants(os.path.join(odd, "cat.chelsea_rgb.png")).items():
        write(os.path.join(out, "variant." + name), data)


def pth_seeds(out):
    import collections
    import torch
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 2, 3), torch.nn.BatchNorm2d(2), torch.nn.ReLU(),
                              torch.nn.Flatten(), torch.nn.Linear(4, 2))
    base = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    dicts = {
        "state_dict": net.state_dict(),  # OrderedDict + _metadata, int64 num_batches_tracked
        "dtypes": {"f16": torch.randn(2, 3).half(), "f64": torch.randn(3).double(),
                   "bf16": torch.randn(2, 2).bfloat16(), "i64": torch.arange(4),
                   "i32": torch.arange(3, dtype=torch.int32), "u8": torch.arange(5, dtype=torch.uint8),
                   "i8": torch.arange(-2, 2, dtype=torch.int8), "i16": torch.arange(3, dtype=torch.int16),
                   "bool": torch.tensor([True, False])},
        "views": collections.OrderedDict([
            ("transposed", base.t()), ("slice", base[1:, 1:3]), ("row", base[2]),
            ("shared_full", base), ("scalar", torch.tensor(3.5)), ("empty", torch.zeros(0, 3)),
            ("expanded", torch.ones(1, 3).expand(2, 3))]),
    }
    for name, sd in dicts.items():
        torch.save(sd, os.path.join(out, f"{name}.zip.pth"))
        torch.save(sd, os.path.join(out, f"{name}.legacy.pth"), _use_new_zipfile_serialization=False)


def tiny_tflite_models():
    """(name, json) for flatc: small graphs with the tensor kinds and ops the backbones use."""
    def q(scale, zp, dim=0):
        return {"scale": scale, "zero_point": zp, "quantized_dimension": dim}
    def buf(vals):
        return {"data": [v & 0xFF for v in vals]}
    import struct
    def f32(vals):
        return {"data": list(struct.pack(f"<{len(vals)}f", *vals))}
    def f16(vals):
        return {"data": list(struct.pack(f"<{len(vals)}e", *vals))}
    def i32(vals):
        return {"data": list(struct.pack(f"<{len(vals)}i", *vals))}
    ops = [{"deprecated_builtin_code": 3}, {"deprecated_builtin_code": 4},
           {"deprecated_builtin_code": 1}, {"deprecated_builtin_code": 22},
           {"deprecated_builtin_code": 25}, {"deprecated_builtin_code": 0},
           {"deprecated_builtin_code": 9}, {"deprecated_builtin_code": 32, "custom_code": "MyOp"},
           {"deprecated_builtin_code": 127, "builtin_code": 150, "version": 2}]
    quant_model = {
        "version": 3, "description": "catdog fuzz seed: uint8 graph",
        "operator_codes": ops,
        "buffers": [{}, buf(range(2 * 3 * 3 * 3)), i32([7, -3]), buf(range(1 * 3 * 3 * 2)),
                    i32([1, 2]), i32([1, 2]), {}],
        "subgraphs": [{
            "name": "main",
            "tensors": [
                {"shape": [1, 4, 4, 3], "type": "UINT8", "buffer": 0, "name": "input", "quantization": q([0.0078125], [128])},
                {"shape": [2, 3, 3, 3], "type": "UINT8", "buffer": 1, "name": "conv/w", "quantization": q([0.02], [120])},
                {"shape": [2], "type": "INT32", "buffer": 2, "name": "conv/b", "quantization": q([0.000156], [0])},
                {"shape": [1, 2, 2, 2], "type": "UINT8", "buffer": 0, "name": "conv/out", "quantization": q([0.023], [0])},
                {"shape": [1, 3, 3, 2], "type": "UINT8", "buffer": 3, "name": "dw/w", "quantization": q([0.1], [3])},
                {"shape": [2], "type": "INT32", "buffer": 4, "name": "dw/b", "quantization": q([0.0023], [0])},
                {"shape": [1, 2, 2, 2], "type": "UINT8", "buffer": 0, "name": "dw/out", "quantization": q([0.023], [0])},
                {"shape": [1, 1, 1, 2], "type": "UINT8", "buffer": 0, "name": "pool", "quantization": q([0.023], [0])},
                {"shape": [2], "type": "INT32", "buffer": 5, "name": "shape"},
                {"shape": [1, 2], "type": "UINT8", "buffer": 0, "name": "flat", "quantization": q([0.023], [0])},
                {"shape": [1, 2], "type": "UINT8", "buffer": 0, "name": "prob", "quantization": q([0.00390625], [0])},
            ],
            "inputs": [0], "outputs": [10],
            "operators": [
                {"opcode_index": 0, "inputs": [0, 1, 2], "outputs": [3], "builtin_options_type": "Conv2DOptions",
                 "builtin_options": {"padding": "SAME", "stride_w": 2, "stride_h": 2, "fused_activation_function": "RELU6"}},
                {"opcode_index": 1, "inputs": [3, 4, 5], "outputs": [6], "builtin_options_type": "DepthwiseConv2DOptions",
                 "builtin_options": {"padding": "SAME", "stride_w": 1, "stride_h": 1, "depth_multiplier": 1,
                                     "fused_activation_function": "RELU6"}},
                {"opcode_index": 2, "inputs": [6], "outputs": [7], "builtin_options_type": "Pool2DOptions",
                 "builtin_options": {"padding": "VALID", "stride_w": 2, "stride_h": 2, "filter_width": 2, "filter_height": 2}},
                {"opcode_index": 3, "inputs": [7, 8], "outputs": [9], "builtin_options_type": "ReshapeOptions",
                 "builtin_options": {"new_shape": [1, 2]}},
                {"opcode_index": 4, "inputs": [9], "outputs": [10], "builtin_options_type": "SoftmaxOptions",
                 "builtin_options": {"beta": 1.0}},
            ],
        }],
    }
    float_model = {
        "version": 3, "description": "catdog fuzz seed: float/int8 graph",
        "operator_codes": ops,
        "buffers": [{}, f32([0.5, -1.0, 2.0, 0.25, 1.5, -0.75]), f16([1.0, -2.0]),
                    buf([-3, 4, -5, 6, 7, -8]), i32([10, -20, 30])],
        "subgraphs": [{
            "tensors": [
                {"shape": [1, 3], "type": "FLOAT32", "buffer": 0, "name": "x"},
                {"shape": [2, 3], "type": "FLOAT32", "buffer": 1, "name": "fc/w"},
                {"shape": [2], "type": "FLOAT16", "buffer": 2, "name": "fc/b"},
                {"shape": [1, 2], "type": "FLOAT32", "buffer": 0, "name": "y"},
                {"shape": [3, 2], "type": "INT8", "buffer": 3, "name": "pc/w",
                 "quantization": q([0.1, 0.2, 0.3], [0, 0, 0], 0)},
                {"shape": [3], "type": "INT32", "buffer": 4, "name": "pc/b", "quantization": q([0.01, 0.02, 0.03], [0, 0, 0])},
                {"shape": [1, 2], "type": "FLOAT32", "buffer": 0, "name": "z"},
            ],
            "inputs": [0], "outputs": [6],
            "operators": [
                {"opcode_index": 6, "inputs": [0, 1, 2], "outputs": [3], "builtin_options_type": "FullyConnectedOptions",
                 "builtin_options": {"fused_activation_function": "RELU"}},
                {"opcode_index": 5, "inputs": [3, 3], "outputs": [6], "builtin_options_type": "AddOptions",
                 "builtin_options": {"fused_activation_function": "NONE"}},
                {"opcode_index": 7, "inputs": [6, -1], "outputs": [6], "custom_options": [1, 2, 3]},
                {"opcode_index": 8, "inputs": [4, 5], "outputs": [6]},
            ],
        }],
    }
    return [("tiny_uint8.tflite", quant_model), ("tiny_float_int8.tflite", float_model)]


def flatc_build(models, out):
    with tempfile.TemporaryDirectory() as tmp:
        for name, model in models:
            js = os.path.join(tmp, name.replace(".tflite", ".json"))
            with open(js, "w") as f:
                json.dump(model, f)
            subprocess.run(["flatc", "-b", "-o", tmp, os.path.join(HERE, "..", "..", "native", "weights", "tflite_schema.fbs"), js], check=True)
            shutil.copyfile(js.replace(".json", ".tflite"), os.path.join(out, name))


def tflite_seeds(out, shared):
    real = os.path.join(shared, "weights", "mobilenet_v2_1.0_224_quant", "mobilenet_v2_1.0_224_quant.tflite")
    data = open(real, "rb").read()
    write(os.path.join(out, "mobilenet_v2_quant.tflite"), data)
    for n in (8, 64, 1024, 65536, len(data) // 2, len(data) - 16):
        write(os.path.join(out, f"mobilenet_v2_quant.first{n}.tflite"), data[:n])
    models = tiny_tflite_models()
    flatc_build(models, out)
    # The >2 GB layout: buffer 1's bytes after the flatbuffer, found by offset/size.
    import copy
    ext = copy.deepcopy(dict(models)["tiny_uint8.tflite"])
    payload = ext["buffers"][1]["data"]
    ext["buffers"][1] = {"offset": 4096, "size": len(payload)}
    flatc_build([("tiny_external_buffer.tflite", ext)], out)
    path = os.path.join(out, "tiny_external_buffer.tflite")
    fb = open(path, "rb").read()
    assert len(fb) <= 4096
    write(path, fb + bytes(4096 - len(fb)) + bytes(payload))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--shared", required=True)
    a = ap.parse_args()
    shutil.rmtree(a.out, ignore_errors=True)
    for kind, fn in (("image", lambda d: image_seeds(d, a.shared)), ("pth", pth_seeds),
                     ("tflite", lambda d: tflite_seeds(d, a.shared))):
        d = os.path.join(a.out, kind)
        os.makedirs(d)
        fn(d)
        print(f"make_corpus: {kind}: {len(os.listdir(d))} seeds in {d}")
    open(os.path.join(a.out, ".complete"), "w").close()


if __name__ == "__main__":
    main()
