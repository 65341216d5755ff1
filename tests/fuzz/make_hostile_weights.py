#!/usr/bin/python3
"""Weight files with lying sizes and offsets, for tests/native/test_hostile_weights.cpp.

Writes every case into --out plus index.tsv: file, expectation, what it lies about.
  error  the reader must refuse it with one WeightError line
  any    a harmless lie that torch.load itself accepts: either outcome, within the bound
  ok     a well-formed control that must load (so the writers below are known to be right
         and each hostile file differs from a loadable one only in its lie)
The .pth writers follow torch.save's layouts (legacy chain of pickles + raw storages; zip
archive/data.pkl + archive/data/<key>) with torch's own classes, so every field can be made
to lie; the TFLite files are written by flatc from native/weights/tflite_schema.fbs.

Usage: make_hostile_weights.py --out DIR --shared ../shared
"""
import argparse, collections, copy, io, json, os, pickle, shutil, struct, subprocess, sys, tempfile, zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_corpus  # noqa: E402  (tiny TFLite models)

import torch  # noqa: E402

CASES = []  # (file, expect, what)


def emit(out, name, data, expect, what):
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
    CASES.append((name, expect, what))


class Storage:
    """A storage as torch.save references it: dtype class, key, element count, raw bytes."""
    def __init__(self, key, cls, numel, data, header_numel=None):
        self.key, self.cls, self.numel, self.data = key, cls, numel, data
        self.header_numel = numel if header_numel is None else header_numel  # legacy only


class Tensor:
    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, tuple(size), tuple(stride)

    def __reduce__(self):
        return (torch._utils._rebuild_tensor_v2,
                (self.storage, self.offset, self.size, self.stride, False, collections.OrderedDict()))


class TorchPickler(pickle.Pickler):
    def __init__(self, f, legacy):
        super().__init__(f, protocol=2)
        self.legacy = legacy

    def persistent_id(self, obj):
        if not isinstance(obj, Storage):
            return None
        if self.legacy:
            return ("storage", obj.cls, obj.key, "cpu", obj.numel, None)
        return ("storage", obj.cls, obj.key, "cpu", obj.numel)


def state_pickle(sd, legacy):
    b = io.BytesIO()
    TorchPickler(b, legacy).dump(sd)
    return b.getvalue()


def storages_of(sd):
    seen = collections.OrderedDict()
    for t in sd.values():
        seen[t.storage.key] = t.storage
    return list(seen.values())


def legacy_pth(sd, storages=None):
    storages = storages_of(sd) if storages is None else storages
    b = io.BytesIO()
    for head in (0x1950a86a20f9469cfc6c, 1001,
                 {"protocol_version": 1001, "little_endian": True,
                  "type_sizes": {"short": 2, "int": 4, "long": 4}}):
        pickle.dump(head, b, protocol=2)
    b.write(state_pickle(sd, True))
    pickle.dump([s.key for s in storages], b, protocol=2)
    for s in storages:
        b.write(struct.pack("<q", s.header_numel))
        b.write(s.data)
    return b.getvalue()


def zip_pth(sd, storages=None, pkl=None):
    storages = storages_of(sd) if storages is None else storages
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", state_pickle(sd, False) if pkl is None else pkl)
        z.writestr("archive/byteorder", "little")
        for s in storages:
            z.writestr(f"archive/data/{s.key}", s.data)
        z.writestr("archive/version", "3\n")
    return b.getvalue()


def floats(n, start=0.0):
    return struct.pack(f"<{n}f", *[start + i for i in range(n)])


def zip_patch_sizes(data, member, compressed, uncompressed):
    """Rewrites `member`'s sizes in its local header and central directory entry."""
    d = bytearray(data)
    name = member.encode()
    for sig, csize_at, name_len_at, name_at in ((b"PK\x03\x04", 18, 26, 30), (b"PK\x01\x02", 20, 28, 46)):
        i = 0
        while (i := d.find(sig, i)) >= 0:
            n = struct.unpack_from("<H", d, i + name_len_at)[0]
            if bytes(d[i + name_at:i + name_at + n]) == name:
                if compressed is not None:
                    struct.pack_into("<I", d, i + csize_at, compressed)
                if uncompressed is not None:
                    struct.pack_into("<I", d, i + csize_at + 4, uncompressed)
            i += 4
    return bytes(d)


def pth_cases(out):
    F, D = torch.FloatStorage, torch.DoubleStorage
    def sd(size, stride, offset=0, numel=12, cls=F, key="0", data=None, header_numel=None):
        esize = 8 if cls is D else 4
        st = Storage(key, cls, numel, floats(12) if data is None else data, header_numel)
        if cls is D and data is None:
            st.data = struct.pack("<12d", *range(12))
        del esize
        return collections.OrderedDict([("w", Tensor(st, offset, size, stride))])

    both = [("legacy", legacy_pth), ("zip", zip_pth)]
    for fmt, writer in both:
        emit(out, f"ok_3x4.{fmt}.pth", writer(sd((3, 4), (4, 1))), "ok", "control: a 3x4 float tensor")
        emit(out, f"ok_transposed.{fmt}.pth", writer(sd((4, 3), (1, 4))), "ok", "control: a strided view")
        lies = {
            "size_2pow20_square": (sd((1 << 20, 1 << 20), (1 << 20, 1)), "size 2^20 x 2^20 over a 12-element storage"),
            "size_product_overflow": (sd((1 << 32, 1 << 32, 1 << 32), (1, 1, 1)), "size product overflows int64"),
            "size_negative": (sd((-1, 4), (4, 1)), "negative size"),
            "offset_2pow40": (sd((3, 4), (4, 1), offset=1 << 40), "storage_offset 2^40"),
            "offset_negative": (sd((3, 4), (4, 1), offset=-8), "negative storage_offset"),
            "stride_past_end": (sd((3, 4), (1000, 1)), "stride reaches past the storage"),
            "stride_negative": (sd((3, 4), (-4, 1)), "negative stride"),
            "stride_overflow": (sd((3, 4), (1 << 62, 1)), "stride * size overflows int64"),
            "numel_2pow40": (sd((3, 4), (4, 1), numel=1 << 40), "storage says 2^40 elements, holds 12"),
            "numel_2pow62_double": (sd((3, 4), (4, 1), numel=1 << 62, cls=D), "2^62 doubles: byte count overflows"),
            "numel_negative": (sd((3, 4), (4, 1), numel=-5), "negative storage element count"),
            "rank_mismatch": (sd((3, 4), (1,)), "size and stride of different lengths"),
        }
        for lie, (d, what) in lies.items():
            # A zip holds each storage as its own entry, whose size is the truth: torch.load
            # ignores the pickle's element count there, so the reader may too (harmless).
            expect = "any" if fmt == "zip" and lie.startswith("numel_2pow") else "error"
            emit(out, f"{lie}.{fmt}.pth", writer(d), expect, what)
    # Storage keys that name nothing.
    ghost = sd((3, 4), (4, 1), key="99")
    emit(out, "missing_storage.legacy.pth", legacy_pth(ghost, storages=[]), "error", "tensor names a storage that is not in the file")
    emit(out, "missing_storage.zip.pth", zip_pth(ghost, storages=[]), "error", "archive/data/99 is missing")
    # Legacy raw-storage headers that lie.
    for n, what in ((1 << 40, "raw storage header says 2^40 elements"), (1 << 62, "raw storage header 2^62: bytes overflow"),
                    (-1, "raw storage header -1"), (13, "raw storage header one element longer than the data")):
        emit(out, f"raw_header_{n if n > 0 else 'neg'}.legacy.pth", legacy_pth(sd((3, 4), (4, 1), header_numel=n)), "error", what)
    ok_legacy = legacy_pth(sd((3, 4), (4, 1)))
    emit(out, "truncated_in_storage.legacy.pth", ok_legacy[:-10], "error", "cut 10 bytes before the end")
    emit(out, "truncated_in_pickle.legacy.pth", ok_legacy[:80], "error", "cut inside the state-dict pickle")
    # Zip entries whose sizes lie.
    ok_zip = zip_pth(sd((3, 4), (4, 1)))
    emit(out, "zip_uncompressed_4GB.zip.pth", zip_patch_sizes(ok_zip, "archive/data/0", None, 0xFFFFFFF0), "error",
         "data/0 claims 4 GB uncompressed")
    emit(out, "zip_both_sizes_4GB.zip.pth", zip_patch_sizes(ok_zip, "archive/data/0", 0xFFFFFFF0, 0xFFFFFFF0), "error",
         "data/0 claims 4 GB stored, past the end of the file")
    emit(out, "zip_pkl_4GB.zip.pth", zip_patch_sizes(ok_zip, "archive/data.pkl", 0xFFFFFFF0, 0xFFFFFFF0), "error",
         "data.pkl claims 4 GB")
    emit(out, "zip_truncated_central_dir.zip.pth", ok_zip[:-30], "error", "end of central directory cut off")
    emit(out, "zip_no_pickle.zip.pth", zip_patch_sizes(ok_zip, "nothing", None, None).replace(b"data.pkl", b"data.pkX"),
         "error", "no data.pkl")
    # Pickle opcodes that lie (the legacy reader unpickles the first bytes of the file).
    P2 = b"\x80\x02"
    pk = {
        "pickle_binunicode_2GB": P2 + b"X" + struct.pack("<I", 0x7FFFFFFF) + b"abc.",
        "pickle_binbytes8_2pow63": b"\x80\x04\x8e" + struct.pack("<Q", 1 << 63) + b"abc.",
        "pickle_long_binput_4G": P2 + b"Nr" + struct.pack("<I", 0xFFFFFFF0) + b".",
        "pickle_long_binget_4G": P2 + b"j" + struct.pack("<I", 0xFFFFFFF0) + b".",
        "pickle_long4_2GB": P2 + b"\x8b" + struct.pack("<i", 0x7FFFFFFF) + b"\x01.",
        "pickle_1M_marks": P2 + b"(" * (1 << 20) + b".",
        "pickle_1M_nested_lists": P2 + b"]" * (1 << 19) + b"a" * ((1 << 19) - 1) + b".",
        "pickle_no_stop": P2 + b"N" * 100,
        "pickle_empty": b"",
        "pickle_frame_2pow63": b"\x80\x04\x95" + struct.pack("<Q", 1 << 63) + b"N.",
    }
    for name, data in pk.items():
        emit(out, f"{name}.legacy.pth", data, "error", name.replace("_", " "))
    # The same lies inside a zip's data.pkl.
    emit(out, "zip_pickle_long_binput_4G.zip.pth", zip_pth(sd((3, 4), (4, 1)), pkl=pk["pickle_long_binput_4G"]),
         "error", "data.pkl: LONG_BINPUT 4G")
    # torch.save's own files, as controls.
    t = collections.OrderedDict([("a", torch.arange(12.0).reshape(3, 4)), ("b", torch.ones(2).half())])
    for fmt, legacy in (("zip", False), ("legacy", True)):
        b = io.BytesIO()
        torch.save(t, b, _use_new_zipfile_serialization=not legacy)
        emit(out, f"ok_torch_save.{fmt}.pth", b.getvalue(), "ok", "control: torch.save")


def tflite_cases(out, shared):
    models = dict(make_corpus.tiny_tflite_models())
    base = models["tiny_uint8.tflite"]
    flt = models["tiny_float_int8.tflite"]

    def variant(m, fn):
        m = copy.deepcopy(m)
        fn(m)
        return m

    def tensors(m):
        return m["subgraphs"][0]["tensors"]

    def ops(m):
        return m["subgraphs"][0]["operators"]

    todo = [("ok_tiny_uint8.tflite", base, "ok", "control: tiny uint8 graph"),
            ("ok_tiny_float_int8.tflite", flt, "ok", "control: tiny float/int8 graph")]
    lies = [
        ("shape_65536_cubed", base, lambda m: tensors(m)[1].update(shape=[65536, 65536, 65536]),
         "constant tensor 65536^3 over a 54-byte buffer"),
        ("shape_product_overflow", base, lambda m: tensors(m)[1].update(shape=[2147483647] * 3),
         "shape product overflows int64"),
        ("shape_negative", base, lambda m: tensors(m)[1].update(shape=[-2, 3, 3, 3]), "negative dimension"),
        ("shape_too_small", base, lambda m: tensors(m)[1].update(shape=[2, 3, 3, 4]), "shape wants more bytes than the buffer"),
        ("buffer_index_1000", base, lambda m: tensors(m)[1].update(buffer=1000), "buffer index past the buffers"),
        ("opcode_index_1000", base, lambda m: ops(m)[0].update(opcode_index=1000), "opcode index past the codes"),
        ("op_input_1000", base, lambda m: ops(m)[0].update(inputs=[1000, 1, 2]), "operator input index past the tensors"),
        ("op_output_negative", base, lambda m: ops(m)[0].update(outputs=[-5]), "operator output index -5"),
        ("graph_input_1000", base, lambda m: m["subgraphs"][0].update(inputs=[1000]), "graph input index past the tensors"),
        ("quant_dim_7", flt, lambda m: tensors(m)[4]["quantization"].update(quantized_dimension=7),
         "per-channel quantized_dimension 7 on a rank-2 tensor"),
        ("quant_scale_count", flt, lambda m: tensors(m)[4]["quantization"].update(scale=[0.1, 0.2], zero_point=[0, 0]),
         "2 per-channel scales for 3 channels"),
        ("quant_zero_point_count", base, lambda m: tensors(m)[1]["quantization"].update(zero_point=[1, 2, 3]),
         "zero_point and scale of different lengths"),
        ("float_buffer_6_bytes", flt, lambda m: m["buffers"].__setitem__(1, {"data": [0] * 6}),
         "FLOAT32 [2,3] constant over 6 bytes"),
        ("buffer_offset_2pow63", base, lambda m: m["buffers"].__setitem__(1, {"offset": 1 << 63, "size": 54}),
         "buffer stored at offset 2^63 of the file"),
        ("buffer_size_2pow40", base, lambda m: m["buffers"].__setitem__(1, {"offset": 16, "size": 1 << 40}),
         "buffer of 2^40 bytes after the flatbuffer"),
        ("buffer_offset_size_wrap", base,
         lambda m: m["buffers"].__setitem__(1, {"offset": 64, "size": (1 << 64) - 32}),
         "buffer offset + size wraps around 2^64"),
        ("no_subgraphs", base, lambda m: m.update(subgraphs=[]), "no subgraph"),
    ]
    for name, m, fn, what in lies:
        todo.append((name + ".tflite", variant(m, fn), "error", what))
    with tempfile.TemporaryDirectory() as tmp:
        make_corpus.flatc_build([(n, m) for n, m, _, _ in todo], tmp)
        for name, _, expect, what in todo:
            emit(out, name, open(os.path.join(tmp, name), "rb").read(), expect, what)
        ok = open(os.path.join(tmp, "ok_tiny_uint8.tflite"), "rb").read()
    # Byte-level lies the flatc JSON cannot express.
    vec = struct.pack("<I", 54) + bytes(range(54))   # buffer 1's data vector (length + bytes)
    at = ok.find(vec)
    assert at > 0, "buffer vector not found in the tiny model"
    emit(out, "vector_length_2GB.tflite", ok[:at] + struct.pack("<I", 0x7FFFFFF0) + ok[at + 4:], "error",
         "a vector length of 2 GB inside a 2 KB file")
    emit(out, "root_offset_past_end.tflite", struct.pack("<I", 0xFFFFFFF0) + ok[4:], "error", "root table offset past the end")
    emit(out, "wrong_identifier.tflite", ok[:4] + b"XXXX" + ok[8:], "error", "file identifier is not TFL3")
    emit(out, "truncated_half.tflite", ok[:len(ok) // 2], "error", "cut in half")
    emit(out, "empty.tflite", b"", "error", "0 bytes")
    real = os.path.join(shared, "weights", "mobilenet_v2_1.0_224_quant", "mobilenet_v2_1.0_224_quant.tflite")
    data = open(real, "rb").read()
    emit(out, "mobilenet_first_1MB.tflite", data[: 1 << 20], "error", "the real model cut at 1 MB")
    emit(out, "ok_mobilenet_v2_quant.tflite", data, "ok", "control: the real MobileNet V2 (3.4 MB)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--shared", required=True)
    a = ap.parse_args()
    shutil.rmtree(a.out, ignore_errors=True)
    os.makedirs(a.out)
    pth_cases(a.out)
    tflite_cases(a.out, a.shared)
    with open(os.path.join(a.out, "index.tsv"), "w") as f:
        for row in CASES:
            f.write("\t".join(row) + "\n")
    print(f"make_hostile_weights: {len(CASES)} files in {a.out}")


if __name__ == "__main__":
    main()
