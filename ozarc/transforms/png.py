"""PNG <-> pixels + recipe, byte-exact.

The pixels go to the image model; the recipe keeps what the pixels do not say: every non-IDAT
chunk verbatim (before and after the IDAT run, trailing bytes included), each row's filter
type, the IDAT chunk sizes and the zlib settings found by ``png_deflate``.  Joining re-filters
the rows, re-deflates them and re-chunks them into the original bytes.

Supported: every colour type and bit depth, interlaced or not.  Streams: the colour channels (RGB
or gray; palette indices as a gray plane, one byte per pixel even at 1/2/4 bits, packed gray
levels spread over 0..255), then alpha as a gray plane, then for 16-bit images the low bytes of
all samples as one OTHER stream (they are close to noise).  Anything else (a bad CRC, an IDAT
zlib cannot reproduce) raises TransformError and the caller stores the file as it is.
"""

from __future__ import annotations

import io
import struct
import warnings
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ozarc.errors import TransformError
from ozarc.modality import Modality
from ozarc.transforms.base import Split, Stream, Transform
from ozarc.transforms.png_deflate import ZlibRecipe, find_zlib_recipe, rebuild_zlib
from ozarc.transforms.png_layout import (CHANNELS, PngHeader, decode_raw, encode_raw,
                                         filter_types, grid_to_streams, raw_size,
                                         streams_to_grid)
from ozarc.transforms.recipe import RecipeReader, RecipeWriter

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
RECIPE_VERSION = 1
MAX_RAW_BYTES = 192 << 20  # a 64-megapixel RGB image; bigger ones are stored as they are
SLOW_UNFILTER_MAX_BYTES = 8 << 20  # ~0.3 s per MiB of Paeth rows
MAX_ZLIB_RATIO = 1100


@dataclass(frozen=True)
class PngChunk:
    kind: bytes
    start: int  # offset of the length field
    end: int    # offset just after the CRC

    @property
    def data_start(self) -> int:
        return self.start + 8


def parse_header(ihdr: bytes) -> PngHeader:
    """Validate an IHDR payload."""
    if len(ihdr) != 13:
        raise TransformError("PNG IHDR has the wrong length")
    w, h, depth, ctype, comp, filt, interlace = struct.unpack(">IIBBBBB", ihdr)
    if ctype not in CHANNELS or comp != 0 or filt != 0 or interlace not in (0, 1):
        raise TransformError("PNG IHDR is invalid")
    if w == 0 or h == 0 or w > 2**31 - 1 or h > 2**31 - 1:
        raise TransformError("PNG has an invalid size")
    allowed = (1, 2, 4, 8) if ctype == 3 else (1, 2, 4, 8, 16) if ctype == 0 else (8, 16)
    if depth not in allowed:
        raise TransformError(f"PNG bit depth {depth} is invalid for colour type {ctype}")
    return PngHeader(w, h, depth, ctype, interlace)


def parse_chunks(data: bytes) -> list[PngChunk]:
    """All chunks up to and including IEND, with their CRCs checked."""
    if not data.startswith(PNG_SIGNATURE):
        raise TransformError("not a PNG file")
    chunks = []
    pos = len(PNG_SIGNATURE)
    while True:
        if pos + 12 > len(data):
            raise TransformError("PNG is truncated")
        length, kind = struct.unpack_from(">I4s", data, pos)
        end = pos + 12 + length
        if length > 2**31 - 1 or end > len(data):
            raise TransformError("PNG chunk length runs past the end of the file")
        crc = struct.unpack_from(">I", data, end - 4)[0]
        if zlib.crc32(data[pos + 4:end - 4]) != crc:
            raise TransformError(f"PNG chunk {kind!r} has a bad CRC")
        chunks.append(PngChunk(kind, pos, end))
        pos = end
        if kind == b"IEND":
            return chunks


def probe_png(data: bytes) -> PngHeader:
    """Parse the chunk structure and header without decoding pixels (used by detection)."""
    chunks = parse_chunks(data)
    if chunks[0].kind != b"IHDR":
        raise TransformError("PNG does not start with IHDR")
    return parse_header(data[chunks[0].data_start:chunks[0].end - 4])


def _idat_run(chunks: list[PngChunk]) -> list[PngChunk]:
    idx = [i for i, c in enumerate(chunks) if c.kind == b"IDAT"]
    if not idx:
        raise TransformError("PNG has no IDAT chunk")
    if idx != list(range(idx[0], idx[-1] + 1)):
        raise TransformError("PNG IDAT chunks are not consecutive")
    return chunks[idx[0]:idx[-1] + 1]


def _inflate(idat: bytes, header: PngHeader) -> bytes:
    expected = raw_size(header)
    if expected > MAX_RAW_BYTES or expected > MAX_ZLIB_RATIO * len(idat) + 1024:
        raise TransformError("PNG image is too large for its compressed size")
    d = zlib.decompressobj()
    try:
        raw = d.decompress(idat, expected + 1)
    except zlib.error as exc:
        raise TransformError(f"PNG image data is corrupt: {exc}") from None
    if len(raw) != expected or not d.eof:
        raise TransformError("PNG image data has the wrong size")
    return raw


def _grid_via_pillow(data: bytes, header: PngHeader) -> np.ndarray | None:
    """Pillow's fast C decoder, for the layouts it decodes without loss; None otherwise."""
    from PIL import Image

    modes = {0: "L", 2: "RGB", 3: "P", 4: "LA", 6: "RGBA"}
    if header.packed:
        return None
    if header.bit_depth == 8:
        wanted = modes[header.color_type]
    elif header.color_type == 0:
        wanted = "I;16"
    else:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. DecompressionBombWarning: sizes are checked
            with Image.open(io.BytesIO(data)) as im:
                if im.mode != wanted or im.size != (header.width, header.height):
                    return None
                buf = im.tobytes()
    except Exception:  # noqa: BLE001 - any Pillow failure just means "use the slow path"
        return None
    if wanted == "I;16":
        buf = np.frombuffer(buf, dtype="<u2").astype(">u2").tobytes()
    if len(buf) != header.height * header.width * header.bytes_per_pixel:
        return None
    return np.frombuffer(buf, np.uint8).reshape(header.height, header.width, header.bytes_per_pixel)


def _decode_grid(data: bytes, raw: bytes, header: PngHeader) -> tuple[np.ndarray, np.ndarray, bytes]:
    """(pixel grid, filter types, row-end pad bits) of the inflated scanlines ``raw``."""
    types = filter_types(raw, header)
    if int(types.max(initial=0)) > 4:
        raise TransformError("PNG row has an unknown filter type")
    grid = _grid_via_pillow(data, header)
    if grid is not None and encode_raw(grid, header, types, b"") == raw:
        return grid, types, b""
    if len(raw) > SLOW_UNFILTER_MAX_BYTES:
        raise TransformError("PNG layout needs the slow unfilter and the image is too large")
    grid, pad = decode_raw(raw, header)
    return grid, types, pad


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


class PngTransform(Transform):
    transform_id = 1
    name = "png"

    def sniff(self, head: bytes) -> bool:
        return head.startswith(PNG_SIGNATURE)

    def probe(self, data: bytes) -> Modality:
        header = probe_png(data)
        return Modality.IMAGE_RGB if header.color_channels == 3 else Modality.IMAGE_GRAY

    def split(self, data: bytes) -> Split:
        data = bytes(data)
        chunks = parse_chunks(data)
        if chunks[0].kind != b"IHDR":
            raise TransformError("PNG does not start with IHDR")
        header = parse_header(data[chunks[0].data_start:chunks[0].end - 4])
        run = _idat_run(chunks)
        idat = b"".join(data[c.data_start:c.end - 4] for c in run)
        raw = _inflate(idat, header)
        zrec = find_zlib_recipe(raw, idat)  # first: it is what fails for foreign encoders
        grid, types, pad = _decode_grid(data, raw, header)
        w = RecipeWriter().u8(RECIPE_VERSION)
        w.blob(data[:run[0].start]).blob(data[run[-1].end:])
        w.uints([c.end - c.start - 12 for c in run])
        w.blob(types.tobytes()).uint(zlib.crc32(idat))
        w.blob(pad)
        zrec.write(w)
        return Split(self.transform_id, w.getvalue(), grid_to_streams(grid, header))

    def join(self, recipe: bytes, streams: Sequence[bytes]) -> bytes:
        r = RecipeReader(recipe)
        r.expect_version(RECIPE_VERSION, "PNG")
        pre, post = r.blob(), r.blob()
        sizes = r.uints()
        types = np.frombuffer(r.blob(), dtype=np.uint8)
        idat_crc = r.uint()
        pad = r.blob()
        zrec = ZlibRecipe.read(r)
        r.done()
        if len(pre) < 33 or pre[12:16] != b"IHDR":
            raise TransformError("PNG recipe does not start with an IHDR chunk")
        header = parse_header(pre[16:29])
        raw = encode_raw(streams_to_grid(streams, header), header, types, pad)
        idat = rebuild_zlib(raw, zrec)
        if zlib.crc32(idat) != idat_crc or sum(sizes) != len(idat):
            raise TransformError("re-deflated PNG data differs from the original (damaged "
                                 "pixels, or this machine's zlib compresses differently)")
        parts = [pre]
        pos = 0
        for n in sizes:
            parts.append(_chunk(b"IDAT", idat[pos:pos + n]))
            pos += n
        parts.append(post)
        return b"".join(parts)
