"""Uncompressed baseline TIFF (8-bit RGB or gray, strips) <-> pixels + recipe, byte-exact.

A minimal IFD reader finds the first image's strips.  The stream is the strips' bytes in strip
order (row-major interleaved pixels); the recipe is the rest of the file with the strip byte
ranges cut out, plus those ranges, so headers, IFDs, tags, further pages and gaps all come
back verbatim.  Tiles, compression, planar layout, extra samples or other bit depths raise
TransformError.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

import numpy as np

from ozarc.errors import TransformError
from ozarc.modality import Modality
from ozarc.transforms.base import Split, Stream, Transform
from ozarc.transforms.recipe import RecipeReader, RecipeWriter

RECIPE_VERSION = 1
TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8}
MAX_ENTRIES = 4096
WIDTH, LENGTH, BITS, COMPRESSION, PHOTOMETRIC = 256, 257, 258, 259, 262
STRIP_OFFSETS, SAMPLES, ROWS_PER_STRIP, STRIP_COUNTS, PLANAR = 273, 277, 278, 279, 284
TILE_WIDTH = 322


def _read_tags(data: bytes) -> tuple[str, dict[int, list[int]]]:
    """Integer tag values of the first IFD, by tag number."""
    if data[:4] == b"II*\0":
        e = "<"
    elif data[:4] == b"MM\0*":
        e = ">"
    else:
        raise TransformError("not a classic TIFF file")
    ifd = struct.unpack_from(e + "I", data, 4)[0]
    if ifd + 2 > len(data):
        raise TransformError("TIFF IFD offset runs past the end of the file")
    count = struct.unpack_from(e + "H", data, ifd)[0]
    if count > MAX_ENTRIES or ifd + 2 + 12 * count > len(data):
        raise TransformError("TIFF IFD is truncated")
    tags: dict[int, list[int]] = {}
    for i in range(count):
        tag, typ, n, value_at = struct.unpack_from(e + "HHI4s", data, ifd + 2 + 12 * i)
        if typ not in (3, 4) or n == 0:
            continue  # only SHORT/LONG tags matter here; others stay verbatim
        size = TYPE_SIZES[typ] * n
        if size <= 4:
            raw = value_at[:size]
        else:
            at = struct.unpack(e + "I", value_at)[0]
            if at + size > len(data):
                raise TransformError("TIFF tag value runs past the end of the file")
            raw = data[at:at + size]
        tags[tag] = list(struct.unpack(e + ("H" if typ == 3 else "I") * n, raw))
    return e, tags


def _one(tags: dict[int, list[int]], tag: int, default: int | None = None) -> int:
    values = tags.get(tag)
    if values is None:
        if default is None:
            raise TransformError(f"TIFF lacks required tag {tag}")
        return default
    return values[0]


def parse_tiff(data: bytes) -> tuple[int, int, int, list[tuple[int, int]]]:
    """(width, height, channels, strip (offset, length) list) of an uncompressed TIFF."""
    if len(data) < 8:
        raise TransformError("not a classic TIFF file")
    _, tags = _read_tags(data)
    w, h = _one(tags, WIDTH), _one(tags, LENGTH)
    spp = _one(tags, SAMPLES, 1)
    photometric = _one(tags, PHOTOMETRIC)
    if TILE_WIDTH in tags or _one(tags, COMPRESSION, 1) != 1 or _one(tags, PLANAR, 1) != 1:
        raise TransformError("TIFF is tiled, compressed or planar")
    if (spp, photometric) not in ((1, 1), (3, 2)) or set(tags.get(BITS, [1])) != {8}:
        raise TransformError("TIFF is not 8-bit gray or RGB")
    offsets, counts = tags.get(STRIP_OFFSETS, []), tags.get(STRIP_COUNTS, [])
    if not offsets or len(offsets) != len(counts) or w == 0 or h == 0:
        raise TransformError("TIFF strip tables are missing or inconsistent")
    strips = list(zip(offsets, counts))
    if sum(counts) != w * h * spp:
        raise TransformError("TIFF strips do not hold exactly the image")
    ordered = sorted(strips)
    for (a, n), (b, _) in zip(ordered, ordered[1:] + [(len(data), 0)]):
        if a + n > b:
            raise TransformError("TIFF strips overlap or run past the end of the file")
    return w, h, spp, strips


def _cut(data: bytes, strips: list[tuple[int, int]]) -> bytes:
    """``data`` without the strip byte ranges."""
    parts, pos = [], 0
    for a, n in sorted(strips):
        parts.append(data[pos:a])
        pos = a + n
    parts.append(data[pos:])
    return b"".join(parts)


class TiffTransform(Transform):
    transform_id = 4
    name = "tiff"

    def sniff(self, head: bytes) -> bool:
        return head[:4] in (b"II*\0", b"MM\0*")

    def probe(self, data: bytes) -> Modality:
        return Modality.IMAGE_RGB if parse_tiff(data)[2] == 3 else Modality.IMAGE_GRAY

    def split(self, data: bytes) -> Split:
        data = bytes(data)
        w, h, c, strips = parse_tiff(data)
        pixels = b"".join(data[a:a + n] for a, n in strips)
        w_ = RecipeWriter().u8(RECIPE_VERSION).uint(h).uint(w).uint(c)
        w_.uints([a for a, _ in strips]).uints([n for _, n in strips]).blob(_cut(data, strips))
        modality = Modality.IMAGE_RGB if c == 3 else Modality.IMAGE_GRAY
        return Split(self.transform_id, w_.getvalue(), (Stream(modality, pixels, (h, w, c)),))

    def join(self, recipe: bytes, streams: Sequence[bytes]) -> bytes:
        r = RecipeReader(recipe)
        r.expect_version(RECIPE_VERSION, "TIFF")
        h, w, c = r.uint(), r.uint(), r.uint()
        offsets, counts = r.uints(), r.uints()
        rest = r.blob()
        r.done()
        if len(streams) != 1 or len(offsets) != len(counts) or sum(counts) != len(streams[0]) \
                or len(streams[0]) != h * w * c:
            raise TransformError("TIFF recipe and pixel stream do not match")
        pixels = bytes(streams[0])
        starts = np.cumsum([0] + counts[:-1]).tolist()
        pieces = sorted(zip(offsets, counts, starts))
        parts, pos, consumed = [], 0, 0
        for a, n, s in pieces:
            gap = a - pos
            if gap < 0 or consumed + gap > len(rest):
                raise TransformError("TIFF recipe strip table is corrupt")
            parts.append(rest[consumed:consumed + gap])
            consumed += gap
            parts.append(pixels[s:s + n])
            pos = a + n
        parts.append(rest[consumed:])
        return b"".join(parts)
