"""Small files of the format variants PIL 9.4 reads and that catdog must read the same way.

Used by decode_reference.py (set "variants") and by tests/fuzz/make_corpus.py (seeds). PIL
writes what it can (PNG eXIf, animated and EXIF-tagged WebP, GIF animations); the rest is
written here byte by byte: RLE4/RLE8 BMPs (with deltas, odd runs, early end), OS/2 headers,
top-down rows, odd pixel offsets and palettes, GIFs without a colour table or with frames that
do not cover the screen, PNG text chunks (XMP, ImageMagick's raw EXIF profile), truncations.
Every file is a 77x49 crop of chelsea (CC0), so the whole set is ~350 KB.
"""
import io
import struct
import zlib

import numpy as np
from PIL import Image

# ---------------------------------------------------------------------------- [BMP writer]


def info40(w, h, bits, comp=0, colors=0, hsz=40, masks=None):
    head = struct.pack("<IiiHHIIiiII", hsz, w, h, 1, bits, comp, 0, 2835, 2835, colors, 0)
    if masks is not None and hsz >= 56:
        head += struct.pack("<4I", *masks)
    return head + b"\0" * (hsz - len(head))


def os2v1(w, h, bits):
    return struct.pack("<IHHHH", 12, w, h, 1, bits)


def bmp(info, palette=b"", pixels=b"", offset=None, extra=b""):
    """File header + info header + `extra` (40-byte BITFIELDS masks) + palette + pixels."""
    body = info + extra + palette
    off = 14 + len(body) if offset is None else offset
    gap = b"\0" * max(0, off - 14 - len(body))
    data = body + gap
    if off < 14 + len(body):  # offset inside the palette: pixels follow the palette anyway
        data = body
    return b"BM" + struct.pack("<IHHI", 14 + len(data) + len(pixels), 0, 0, off) + data + pixels


def bgrx(pal):
    return b"".join(bytes((b, g, r, 0)) for r, g, b in pal)


def bgr(pal):
    return b"".join(bytes((b, g, r)) for r, g, b in pal)


def rows_bottom_up(a):
    return [a[y] for y in range(a.shape[0] - 1, -1, -1)]


def pack_rows(rows, bits):
    out = bytearray()
    for r in rows:
        if bits == 8:
            b = bytes(r)
        elif bits == 4:
            r = list(r) + [0] * (len(r) % 2)
            b = bytes((r[i] << 4) | r[i + 1] for i in range(0, len(r), 2))
        elif bits == 1:
            b = np.packbits(np.asarray(r, dtype=np.uint8)).tobytes()
        else:  # RGB rows -> BGR
            b = np.asarray(r, dtype=np.uint8)[:, ::-1].tobytes()
        out += b + b"\0" * (-len(b) % 4)
    return bytes(out)


def rle_encode(rows, rle4, odd_absolute=False):
    """Conventional RLE8/RLE4: runs >= 3 encoded, literals >= 3 absolute, EOL per row, EOB."""
    out = bytearray()
    for r in rows:
        r = list(r)
        i = 0
        while i < len(r):
            j = i
            while j < len(r) and r[j] == r[i] and j - i < 255:
                j += 1
            if j - i >= 3:
                out += bytes((j - i, (r[i] << 4 | r[i]) if rle4 else r[i]))
                i = j
                continue
            k = i  # literal stretch up to the next run of 3
            while k < len(r) and k - i < 254 and not (k + 2 < len(r) and r[k] == r[k + 1] == r[k + 2]):
                k += 1
            n = k - i
            if not odd_absolute and rle4 and n % 2:
                n -= 1
            if n >= 3:
                lit = r[i:i + n]
                if rle4:
                    lit2 = lit + [0] * (n % 2)
                    b = bytes((lit2[t] << 4) | lit2[t + 1] for t in range(0, len(lit2), 2))
                else:
                    b = bytes(lit)
                out += bytes((0, n)) + b + b"\0" * (len(b) % 2)
                i += n
            else:
                out += bytes((1, (r[i] << 4) if rle4 else r[i]))
                i += 1
        out += b"\0\0"
    return bytes(out[:-2]) + b"\0\1"


# ---------------------------------------------------------------------------- [GIF writer]


def lzw_literal(indices, min_size):
    """An LZW stream of literal codes only (a CLEAR before the table would widen the codes)."""
    clear, eoi = 1 << min_size, (1 << min_size) + 1
    width = min_size + 1
    room = (1 << width) - (eoi + 1) - 1
    codes, n = [clear], 0
    for v in indices:
        if n == room:
            codes.append(clear)
            n = 0
        codes.append(int(v))
        n += 1
    codes.append(eoi)
    acc = nb = 0
    out = bytearray()
    for c in codes:
        acc |= c << nb
        nb += width
        while nb >= 8:
            out.append(acc & 255)
            acc >>= 8
            nb -= 8
    if nb:
        out.append(acc & 255)
    return bytes(out)


def sub_blocks(b):
    return b"".join(bytes((len(b[i:i + 255]),)) + b[i:i + 255] for i in range(0, len(b), 255)) + b"\0"


def colour_table(pal):
    bits = max(1, (len(pal) - 1).bit_length())
    return bits, b"".join(bytes(c) for c in pal) + b"\0" * (3 * ((1 << bits) - len(pal)))


def gif(sw, sh, gpal, frames, background=0):
    out = bytearray(b"GIF89a" + struct.pack("<HH", sw, sh))
    if gpal is not None:
        bits, table = colour_table(gpal)
        out += bytes((0x80 | (bits - 1), background, 0)) + table
    else:
        out += bytes((0, background, 0))
    for f in frames:
        x, y, w, h = f["rect"]
        if "trns" in f or "dispose" in f:
            flags = (f.get("dispose", 0) << 2) | (1 if "trns" in f else 0)
            out += b"!\xf9\x04" + bytes((flags,)) + struct.pack("<H", 10) + bytes((f.get("trns", 0), 0))
        fl, table = 0x40 if f.get("interlace") else 0, b""
        if f.get("pal") is not None:
            bits, table = colour_table(f["pal"])
            fl |= 0x80 | (bits - 1)
        idx = np.asarray(f["idx"], dtype=np.uint8).reshape(h, w)
        if f.get("interlace"):
            idx = np.concatenate([idx[0::8], idx[4::8], idx[2::4], idx[1::2]])
        out += b"," + struct.pack("<HHHH", x, y, w, h) + bytes((fl,)) + table
        out += bytes((8,)) + sub_blocks(lzw_literal(idx.reshape(-1), 8))
    return bytes(out + b";")


# ---------------------------------------------------------------------------- [PNG chunks]


def png_chunk(ctype, data):
    return struct.pack(">I", len(data)) + ctype + data + struct.pack(">I", zlib.crc32(ctype + data) & 0xFFFFFFFF)


def png_insert(png, chunks, after=b"IHDR"):
    """Inserts chunks right after the first `after` chunk (IHDR: before IDAT; IDAT: after it)."""
    pos = 8
    while True:
        n = struct.unpack(">I", png[pos:pos + 4])[0]
        ctype = png[pos + 4:pos + 8]
        pos += 12 + n
        if ctype == after:
            if after == b"IDAT":  # after the last IDAT
                while png[pos + 4:pos + 8] == b"IDAT":
                    pos += 12 + struct.unpack(">I", png[pos:pos + 4])[0]
            return png[:pos] + b"".join(chunks) + png[pos:]


def tiff_orientation(o, big_endian=False):
    e = ">" if big_endian else "<"
    return ((b"MM" if big_endian else b"II") + struct.pack(e + "HI", 42, 8) + struct.pack(e + "H", 1)
            + struct.pack(e + "HHIH", 0x0112, 3, 1, o) + b"\0\0" + struct.pack(e + "I", 0))


def tiff_without_orientation():
    return b"II" + struct.pack("<HI", 42, 8) + struct.pack("<H", 1) + struct.pack("<HHII", 0x0131, 2, 4, 0x00656D69) + struct.pack("<I", 0)


def xmp_packet(o, attribute=True):
    tag = f'tiff:Orientation="{o}"' if attribute else f"<tiff:Orientation>{o}</tiff:Orientation>"
    return ('<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
            'xmlns:tiff="http://ns.adobe.com/tiff/1.0/" ' + (tag if attribute else "") + ">"
            + ("" if attribute else tag) + "</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end=\"w\"?>")


# ---------------------------------------------------------------------------- [the variants]


def make_variants(chelsea_png):
    """-> {name: bytes}. Names say what each file is."""
    base = Image.open(chelsea_png).convert("RGB")
    rgb = base.crop((150, 60, 227, 109))  # 77x49: odd sizes, not square (orientation shows)
    a_rgb = np.asarray(rgb)
    w, h = rgb.size
    p256 = rgb.convert("P", palette=Image.ADAPTIVE, colors=200)
    p16 = rgb.convert("P", palette=Image.ADAPTIVE, colors=16)
    idx256, idx16 = np.asarray(p256), np.asarray(p16)
    pal256 = [tuple(p256.getpalette()[3 * i:3 * i + 3]) for i in range(200)]
    pal16 = [tuple(p16.getpalette()[3 * i:3 * i + 3]) for i in range(16)]
    # Posterised indices give long runs, so RLE has encoded runs as well as literals.
    idx_runs = (idx16 // 4 * 4).astype(np.uint8)
    v = {}

    # BMP: RLE
    v["bmp_rle8.bmp"] = bmp(info40(w, h, 8, comp=1, colors=200), bgrx(pal256), rle_encode(rows_bottom_up(idx256), False))
    v["bmp_rle8_runs.bmp"] = bmp(info40(w, h, 8, comp=1, colors=16), bgrx(pal16), rle_encode(rows_bottom_up(idx_runs), False))
    v["bmp_rle4.bmp"] = bmp(info40(w, h, 4, comp=2, colors=16), bgrx(pal16), rle_encode(rows_bottom_up(idx_runs), True))
    v["bmp_rle4_odd_absolute.bmp"] = bmp(info40(w, h, 4, comp=2, colors=16), bgrx(pal16),
                                         rle_encode(rows_bottom_up(idx16), True, odd_absolute=True))
    top = rle_encode(rows_bottom_up(idx256)[::-1], False)
    v["bmp_rle8_topdown.bmp"] = bmp(info40(w, -h, 8, comp=1, colors=200), bgrx(pal256), top)
    # Deltas ("transparent" skips) as encoders write them: 00 02 dx dy. PIL's decoder takes
    # (dx, dy) from the two bytes after them, so the same file is also written PIL's way.
    rows = rows_bottom_up(idx256)
    std, pil_style = bytearray(), bytearray()
    for y, r in enumerate(rows):
        for part, enc in ((r[:20], None), (r[30:], None)):
            body = rle_encode([part], False)[:-2]
            std += body
            pil_style += body
            if enc is None and len(part) == 20:
                std += b"\0\2" + bytes((10, 0))
                pil_style += b"\0\2\0\0" + bytes((10, 0))
        std += b"\0\0"
        pil_style += b"\0\0"
    v["bmp_rle8_delta.bmp"] = bmp(info40(w, h, 8, comp=1, colors=200), bgrx(pal256), bytes(std[:-2]) + b"\0\1")
    v["bmp_rle8_delta_pil_layout.bmp"] = bmp(info40(w, h, 8, comp=1, colors=200), bgrx(pal256),
                                             bytes(pil_style[:-2]) + b"\0\1")
    # Ends (EOB) after half the rows: PIL refuses ("not enough image data").
    half = rle_encode(rows_bottom_up(idx256)[: h // 2], False)
    v["bmp_rle8_early_end.bmp"] = bmp(info40(w, h, 8, comp=1, colors=200), bgrx(pal256), half)
    full = v["bmp_rle8.bmp"]
    v["bmp_rle8_truncated.bmp"] = full[: len(full) * 2 // 3]

    # BMP: headers, rows, offsets, palettes
    v["bmp_os2v1_24bit.bmp"] = bmp(os2v1(w, h, 24), b"", pack_rows(rows_bottom_up(a_rgb), 24))
    v["bmp_os2v1_8bit.bmp"] = bmp(os2v1(w, h, 8), bgr(pal256 + [(0, 0, 0)] * 56), pack_rows(rows_bottom_up(idx256), 8))
    v["bmp_os2v2_8bit.bmp"] = bmp(info40(w, h, 8, colors=200, hsz=64), bgrx(pal256), pack_rows(rows_bottom_up(idx256), 8))
    v["bmp_topdown_24bit.bmp"] = bmp(info40(w, -h, 24), b"", pack_rows(list(a_rgb), 24))
    v["bmp_topdown_8bit.bmp"] = bmp(info40(w, -h, 8, colors=200), bgrx(pal256), pack_rows(list(idx256), 8))
    v["bmp_v5_topdown_4bit.bmp"] = bmp(info40(w, -h, 4, colors=16, hsz=124), bgrx(pal16), pack_rows(list(idx16), 4))
    v["bmp_offset_gap.bmp"] = bmp(info40(w, h, 8, colors=200), bgrx(pal256), pack_rows(rows_bottom_up(idx256), 8),
                                  offset=14 + 40 + 800 + 333)
    v["bmp_offset_at_palette.bmp"] = bmp(info40(w, h, 8, colors=200), bgrx(pal256), pack_rows(rows_bottom_up(idx256), 8),
                                         offset=14 + 40)
    v["bmp_offset_zero.bmp"] = bmp(info40(w, h, 8, colors=200), bgrx(pal256), pack_rows(rows_bottom_up(idx256), 8),
                                   offset=0)
    v["bmp_4bit_palette_256.bmp"] = bmp(info40(w, h, 4, colors=256), bgrx(pal16 + [(7, 7, 7)] * 240),
                                        pack_rows(rows_bottom_up(idx16), 4))
    v["bmp_1bit_palette_256.bmp"] = bmp(info40(w, h, 1, colors=256), bgrx([(200, 30, 40), (20, 90, 250)] + [(1, 2, 3)] * 254),
                                        pack_rows(rows_bottom_up(idx16 > 7), 1))
    v["bmp_8bit_out_of_range.bmp"] = bmp(info40(w, h, 8, colors=16), bgrx(pal16), pack_rows(rows_bottom_up(idx256), 8))
    v["bmp_8bit_palette_300.bmp"] = bmp(info40(w, h, 8, colors=300), bgrx(pal256 + [(9, 9, 9)] * 100),
                                        pack_rows(rows_bottom_up(idx256), 8))
    v["bmp_8bit_grey_ramp.bmp"] = bmp(info40(w, h, 8, colors=256), bgrx([(i, i, i) for i in range(256)]),
                                      pack_rows(rows_bottom_up(idx256), 8))
    v["bmp_4bit_grey_ramp_quirk.bmp"] = bmp(info40(w, h, 4, colors=16), bgrx([(i, i, i) for i in range(16)]),
                                            pack_rows(rows_bottom_up(idx16), 4))
    r5, g6, b5 = (a_rgb[..., 0] >> 3).astype(np.uint16), (a_rgb[..., 1] >> 2).astype(np.uint16), (a_rgb[..., 2] >> 3).astype(np.uint16)
    px565 = (r5 << 11 | g6 << 5 | b5).astype("<u2")
    px555 = (r5 << 10 | (g6 >> 1) << 5 | b5).astype("<u2")
    pack16 = lambda a: b"".join(a[y].tobytes() + b"\0" * (-2 * w % 4) for y in range(h - 1, -1, -1))
    v["bmp_16bit_565_bitfields.bmp"] = bmp(info40(w, h, 16, comp=3), b"", pack16(px565),
                                           extra=struct.pack("<3I", 0xF800, 0x7E0, 0x1F))
    v["bmp_16bit_555.bmp"] = bmp(info40(w, h, 16), b"", pack16(px555))
    alpha = np.clip(np.arange(w)[None, :] * 4 + np.arange(h)[:, None] * 2, 0, 255).astype(np.uint8)
    bgra = np.dstack([a_rgb[..., 2], a_rgb[..., 1], a_rgb[..., 0], np.broadcast_to(alpha, (h, w))])
    v["bmp_v4_32bit_bgra.bmp"] = bmp(info40(w, h, 32, comp=3, hsz=108, masks=(0xFF0000, 0xFF00, 0xFF, 0xFF000000)),
                                     b"", b"".join(bgra[y].tobytes() for y in range(h - 1, -1, -1)))
    raw24 = bmp(info40(w, h, 24), b"", pack_rows(rows_bottom_up(a_rgb), 24))
    v["bmp_24bit_truncated.bmp"] = raw24[:-500]
    v["bmp_24bit_no_last_padding.bmp"] = raw24[:-(-3 * w % 4)] if (-3 * w % 4) else raw24

    # GIF
    flat16 = idx16.reshape(-1)
    v["gif_no_colour_table.gif"] = gif(w, h, None, [dict(rect=(0, 0, w, h), idx=flat16 * 16)])
    v["gif_local_table_only.gif"] = gif(w, h, None, [dict(rect=(0, 0, w, h), pal=pal16, idx=flat16)])
    v["gif_local_ramp_hides_global.gif"] = gif(w, h, pal16, [dict(rect=(0, 0, w, h), pal=[(i, i, i) for i in range(16)], idx=flat16)])
    v["gif_global_grey_ramp_trns.gif"] = gif(w, h, [(i, i, i) for i in range(16)], [dict(rect=(0, 0, w, h), idx=flat16, trns=3)])
    v["gif_out_of_range_indices.gif"] = gif(w, h, pal16[:4], [dict(rect=(0, 0, w, h), idx=idx256.reshape(-1))])
    sub = idx16[5:35, 10:60]
    v["gif_frame_inside_screen.gif"] = gif(w, h, pal16, [dict(rect=(10, 5, 50, 30), idx=sub.reshape(-1))], background=9)
    v["gif_frame_inside_screen_trns.gif"] = gif(w, h, pal16, [dict(rect=(10, 5, 50, 30), idx=sub.reshape(-1), trns=2)])
    two = [dict(rect=(10, 5, 50, 30), idx=sub.reshape(-1), trns=2, dispose=2),
           dict(rect=(0, 0, 20, 20), idx=np.full(400, 5), dispose=1)]
    v["gif_disposal2_trns_two_frames.gif"] = gif(w, h, pal16, two)
    v["gif_disposal3_two_frames.gif"] = gif(w, h, pal16, [dict(two[0], dispose=3), two[1]])
    v["gif_frame_beyond_screen.gif"] = gif(40, 30, pal16, [dict(rect=(20, 10, 50, 30), idx=sub.reshape(-1))])
    v["gif_interlaced_local.gif"] = gif(w, h, pal16, [dict(rect=(0, 0, w, h), idx=flat16[::-1].copy(), pal=pal16[::-1], interlace=True)])
    anim = io.BytesIO()
    frames = [p16, rgb.rotate(180).convert("P", palette=Image.ADAPTIVE, colors=16)]
    frames[0].save(anim, "GIF", save_all=True, append_images=frames[1:], duration=100, disposal=2, transparency=0, loop=0)
    v["gif_pil_animated_disposal2_trns.gif"] = anim.getvalue()
    g = v["gif_local_table_only.gif"]
    v["gif_no_trailer_no_terminator.gif"] = g[:-2]
    v["gif_truncated_pixels.gif"] = g[: len(g) * 3 // 4]
    v["gif_truncated_header.gif"] = g[:40]

    # WebP: animation (first frame) and the EXIF chunk
    def webp(im, **kw):
        b = io.BytesIO()
        im.save(b, "WEBP", **kw)
        return b.getvalue()
    rgba = rgb.copy()
    rgba.putalpha(Image.fromarray(alpha))
    second = rgb.transpose(Image.FLIP_LEFT_RIGHT)
    v["webp_animated_lossy.webp"] = webp(rgb, save_all=True, append_images=[second], duration=80, quality=80)
    v["webp_animated_lossless_alpha.webp"] = webp(rgba, save_all=True, append_images=[second.convert("RGBA")],
                                                  duration=80, lossless=True)
    for o in (3, 6, 8):
        v[f"webp_exif_orientation{o}.webp"] = webp(rgb, quality=85, exif=b"Exif\0\0" + tiff_orientation(o, o == 8))
    v["webp_exif_without_prefix6.webp"] = webp(rgb, lossless=True, exif=tiff_orientation(6))
    v["webp_animated_exif5.webp"] = webp(rgb, save_all=True, append_images=[second], lossless=True,
                                         exif=b"Exif\0\0" + tiff_orientation(5))

    # PNG: orientation chunks, 16-bit grey (mode I)
    def png(im, **kw):
        b = io.BytesIO()
        im.save(b, "PNG", **kw)
        return b.getvalue()
    plain = png(rgb)
    for o in (2, 6, 7):
        v[f"png_exif_orientation{o}.png"] = png_insert(plain, [png_chunk(b"eXIf", tiff_orientation(o, o == 7))])
    v["png_exif_after_idat6.png"] = png_insert(plain, [png_chunk(b"eXIf", tiff_orientation(6))], after=b"IDAT")
    xmp8 = xmp_packet(8).encode()
    v["png_xmp_itxt8.png"] = png_insert(plain, [png_chunk(b"iTXt", b"XML:com.adobe.xmp\0\0\0\0\0" + xmp8)])
    v["png_xmp_itxt_compressed6.png"] = png_insert(
        plain, [png_chunk(b"iTXt", b"XML:com.adobe.xmp\0\1\0\0\0" + zlib.compress(xmp_packet(6, False).encode()))])
    v["png_xmp_ztxt3.png"] = png_insert(plain, [png_chunk(b"zTXt", b"XML:com.adobe.xmp\0\0" + zlib.compress(xmp_packet(3).encode()))])
    v["png_exif1_beats_xmp6.png"] = png_insert(plain, [png_chunk(b"eXIf", tiff_orientation(1)),
                                                       png_chunk(b"iTXt", b"XML:com.adobe.xmp\0\0\0\0\0" + xmp_packet(6).encode())])
    v["png_exif_no_tag_xmp5.png"] = png_insert(plain, [png_chunk(b"eXIf", tiff_without_orientation()),
                                                       png_chunk(b"tEXt", b"XML:com.adobe.xmp\0" + xmp_packet(5).encode())])
    hexed = (b"Exif\0\0" + tiff_orientation(8)).hex()
    profile = "\nexif\n" + f"{len(hexed) // 2:8d}\n" + "\n".join(hexed[i:i + 72] for i in range(0, len(hexed), 72)) + "\n"
    v["png_raw_profile_exif8.png"] = png_insert(plain, [png_chunk(b"zTXt", b"Raw profile type exif\0\0" + zlib.compress(profile.encode()))])
    grey = np.asarray(rgb.convert("L")).astype(np.uint16)
    v["png_gray16_low_values.png"] = png(Image.fromarray((grey * 2).astype(np.uint16)))  # 0..510: half clip
    v["png_gray16_orientation6.png"] = png_insert(png(Image.fromarray(grey.astype(np.uint16) + 3)),
                                                  [png_chunk(b"eXIf", tiff_orientation(6))])
    return v
