#!/usr/bin/python3
"""PIL 9.4 reference pixels for tests/core/test_decode.cpp.

Run with Debian's /usr/bin/python3 (python3-pil 9.4, which decodes JPEG with libjpeg-turbo
2.1.5). For each input it records what `Image.open(p)` + `ImageOps.exif_transpose` +
`convert('RGB')` gives, or PIL's error. Images with alpha are composited over white with
`Image.alpha_composite`, which is what catdog promises for them. 16-bit grey PNGs are PIL's
mode I, which convert('RGB') clips at 255: catdog does the same.

Writes into --out:
  index.tsv          set, name, path, status, w, h, hash, raw, kind, pil_mode, message
  raw/<set>/<name>.rgb   interleaved RGB8 (only for images up to 4 MP)
  exif/orient<N>.jpg     cat.baseline_ref.jpg with an EXIF APP1 (Orientation=N) spliced in
  synthetic/*            PNG/GIF/BMP/WebP variants the odd set lacks (tRNS, 1/4/16-bit, ...)
  variants/*             the long tail (make_decode_variants.py): RLE/OS2/top-down BMP, GIF
                         without a colour table, animated WebP, orientation in PNG/WebP, ...
`hash` is sum_i (b_i + 1) * (((i * 2654435761) mod 2^32) | 1) mod 2^64 over the RGB bytes:
cheap in numpy and in C++, and any single changed byte changes it.
"""
import argparse
import hashlib
import os
import struct
import sys
import warnings

import numpy as np
from PIL import Image, ImageOps

RAW_LIMIT = 4_000_000  # pixels; bigger images are compared by hash only
KAGGLE_SAMPLE_STEP = 50  # every 50th photo of the sorted 3,000 -> 60 photos


def rgb_hash(a):
    flat = np.ascontiguousarray(a, dtype=np.uint8).reshape(-1)
    total = np.uint64(0)
    step = 1 << 22
    with np.errstate(over="ignore"):
        for s in range(0, flat.size, step):
            idx = np.arange(s, min(s + step, flat.size), dtype=np.uint64)
            w = ((idx * np.uint64(2654435761)) & np.uint64(0xFFFFFFFF)) | np.uint64(1)
            total += np.sum((flat[s:s + idx.size].astype(np.uint64) + np.uint64(1)) * w, dtype=np.uint64)
    return int(total)


def pil_rgb(path):
    """-> (rgb uint8 array HxWx3, kind, source mode) as catdog should decode the file."""
    with warnings.catch_warnings(), open(path, "rb") as f:
        warnings.simplefilter("ignore")
        im = Image.open(f)  # a stream, as torchvision's pil_loader opens it (never PIL's mmap path)
        fmt, mode = im.format, im.mode
        im.load()
        im = ImageOps.exif_transpose(im)  # JPEG APP1, PNG eXIf/XMP/raw profile, WebP EXIF
        alpha = im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info)
        if alpha:
            rgba = im.convert("RGBA")
            white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            out = Image.alpha_composite(white, rgba).convert("RGB")
            kind = "alpha"
        else:
            out = im.convert("RGB")
            kind = {"CMYK": "cmyk", "L": "gray"}.get(mode, "exact") if fmt == "JPEG" else "exact"
    return np.asarray(out), kind, f"{fmt}/{mode}"


def exif_app1(orientation, big_endian):
    e = ">" if big_endian else "<"
    tiff = (b"MM" if big_endian else b"II") + struct.pack(e + "HI", 42, 8)
    tiff += struct.pack(e + "H", 1) + struct.pack(e + "HHI", 0x0112, 3, 1)
    tiff += struct.pack(e + "H", orientation) + b"\0\0" + struct.pack(e + "I", 0)
    payload = b"Exif\0\0" + tiff
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


def write_variants(shared, out):
    from make_decode_variants import make_variants
    d = os.path.join(out, "variants")
    os.makedirs(d, exist_ok=True)
    paths = []
    for name, data in sorted(make_variants(os.path.join(shared, "datasets", "odd", "cat.chelsea_rgb.png")).items()):
        p = os.path.join(d, name)
        with open(p, "wb") as f:
            f.write(data)
        paths.append(p)
    return paths


def make_exif_files(shared, out):
    src = open(os.path.join(shared, "datasets", "odd", "cat.baseline_ref.jpg"), "rb").read()
    assert src[:2] == b"\xff\xd8"
    os.makedirs(os.path.join(out, "exif"), exist_ok=True)
    paths = []
    for n in range(1, 9):
        p = os.path.join(out, "exif", f"orient{n}.jpg")
        with open(p, "wb") as f:
            f.write(src[:2] + exif_app1(n, big_endian=(n % 2 == 1)) + src[2:])
        paths.append(p)
    return paths


def make_synthetic(shared, out):
    """Variants PIL can write, each a small odd-sized crop of chelsea."""
    d = os.path.join(out, "synthetic")
    os.makedirs(d, exist_ok=True)
    base = Image.open(os.path.join(shared, "datasets", "odd", "cat.chelsea_rgb.png")).convert("RGB")
    rgb = base.crop((100, 50, 197, 111))  # 97x61
    yy, xx = np.mgrid[0:61, 0:97]
    alpha = Image.fromarray(np.clip((xx * 3 + yy * 2) % 300, 0, 255).astype(np.uint8))
    rgba = rgb.copy()
    rgba.putalpha(alpha)
    gray = rgb.convert("L")
    pal = rgb.convert("P", palette=Image.ADAPTIVE, colors=16)
    made = {}

    def save(name, im, **kw):
        p = os.path.join(d, name)
        im.save(p, **kw)
        made[name] = p

    save("gray16.png", Image.fromarray((np.asarray(gray).astype(np.uint16) * 257 + np.uint16(128)).astype(np.uint16)))
    save("rgba.png", rgba)
    save("la.png", Image.merge("LA", (gray, alpha)))
    pal_t = pal.copy()
    pal_t.info["transparency"] = 3
    save("palette_trns.png", pal_t, transparency=3)
    save("palette_4bit.png", pal, bits=4)
    save("gray_trns.png", gray, transparency=128)  # colour key: convert('RGB') ignores it
    save("rgb_trns.png", rgb, transparency=(10, 20, 30))
    save("bilevel.png", gray.convert("1"))
    save("gif_transparent.gif", pal, transparency=3)
    save("rgba_as_bmp.bmp", rgba)  # PIL writes 32-bit BI_RGB: the 4th byte is padding, not alpha
    save("lossless.webp", rgb, lossless=True)
    save("lossless_alpha.webp", rgba, lossless=True)
    save("lossy_alpha.webp", rgba, quality=80)
    save("progressive_444.jpg", rgb, progressive=True, subsampling=0, quality=90)
    save("gray_progressive.jpg", gray, progressive=True)
    save("cmyk_progressive.jpg", rgb.convert("CMYK"), progressive=True)
    # Progressive files cut after their first scans (+ EOI): the missing AC coefficients switch
    # on libjpeg-turbo's block smoothing, which reads two blocks on each side.
    src = open(os.path.join(shared, "datasets", "odd", "cat.progressive.jpg"), "rb").read()
    for n in (1, 3):
        p = os.path.join(d, f"progressive_{n}scans.jpg")
        with open(p, "wb") as f:
            f.write(first_scans(src, n) + b"\xff\xd9")
        made[os.path.basename(p)] = p
    return [made[k] for k in sorted(made)]


def first_scans(jpeg, n):
    """The bytes of `jpeg` up to the end of its n-th scan's entropy-coded data."""
    i, scans = 2, 0
    while i + 4 <= len(jpeg):
        assert jpeg[i] == 0xFF, "marker expected"
        marker, length = jpeg[i + 1], int.from_bytes(jpeg[i + 2:i + 4], "big")
        i += 2 + length
        if marker != 0xDA:
            continue
        while not (jpeg[i] == 0xFF and jpeg[i + 1] not in (0x00, *range(0xD0, 0xD8))):
            i += 1  # entropy-coded data runs to the next marker other than RSTn
        scans += 1
        if scans == n:
            return jpeg[:i]
    raise ValueError("not enough scans")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    ds = os.path.join(args.shared, "datasets")
    if not os.path.isdir(ds):
        sys.exit(f"decode_reference: {ds} is MISSING: the decode tests need ../shared")

    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, here)
    me = hashlib.sha256(open(__file__, "rb").read() + open(os.path.join(here, "make_decode_variants.py"), "rb").read()).hexdigest()[:16]
    index = os.path.join(args.out, "index.tsv")
    if os.path.exists(index):
        with open(index) as f:
            if f.readline().strip() == f"# decode_reference {me} {Image.__version__}":
                print(f"decode_reference: up to date ({index})")
                return

    def listing(folder):
        d = os.path.join(ds, folder)
        return [os.path.join(d, n) for n in sorted(os.listdir(d)) if not n.endswith(".tsv")]

    kaggle = listing("dogs-vs-cats-3k")
    sets = [
        ("odd", listing("odd"), True),
        ("exif", make_exif_files(args.shared, args.out), True),
        ("synthetic", make_synthetic(args.shared, args.out), True),
        ("variants", write_variants(args.shared, args.out), True),
        ("kaggle-sample", kaggle[::KAGGLE_SAMPLE_STEP], True),
        ("holdout", listing("holdout-dev"), True),
        ("kaggle-all", kaggle, False),
    ]
    rows = []
    for set_name, paths, dump in sets:
        rawdir = os.path.join(args.out, "raw", set_name)
        os.makedirs(rawdir, exist_ok=True)
        for p in paths:
            name = os.path.basename(p)
            try:
                a, kind, mode = pil_rgb(p)
            except Exception as e:  # PIL refuses the file: catdog must refuse it too
                msg = f"{type(e).__name__}: {e}".replace("\t", " ").replace("\n", " ")
                rows.append([set_name, name, p, "error", 0, 0, 0, "-", "-", "-", msg])
                continue
            h, w = a.shape[:2]
            raw = "-"
            if dump and w * h <= RAW_LIMIT:
                raw = os.path.join("raw", set_name, name + ".rgb")
                a.tofile(os.path.join(args.out, raw))
            rows.append([set_name, name, p, "ok", w, h, rgb_hash(a), raw, kind, mode, "-"])
    tmp = index + ".tmp"
    with open(tmp, "w") as f:
        f.write(f"# decode_reference {me} {Image.__version__}\n")
        for r in rows:
            f.write("\t".join(str(x) for x in r) + "\n")
    os.replace(tmp, index)
    print(f"decode_reference: {len(rows)} files -> {index}")


if __name__ == "__main__":
    main()
