"""Uncompressed BMP (24/32-bit, 8-bit palette) <-> pixels + recipe, byte-exact.

BMP stores rows bottom-up (unless the height is negative), BGR(A) order and each row padded
to 4 bytes.  The stream is the picture the way every other image stream is: top row first,
RGB interleaved; the 4th byte of 32-bit pixels becomes a gray plane; 8-bit pixels are one gray
plane (true gray levels for the usual gray-ramp palette, palette indices otherwise, as for PNG).  The recipe
keeps the headers (everything before the pixels), the row padding bytes and anything after
the pixels verbatim.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ozarc.errors import TransformError
from ozarc.modality import Modality
from ozarc.transforms.base import Split, Stream, Transform
from ozarc.transforms.recipe import RecipeReader, RecipeWriter

RECIPE_VERSION = 1
BI_RGB = 0
BI_BITFIELDS = 3
INFO_HEADER_SIZES = (40, 52, 56, 108, 124)
BGRA_MASKS = (0x00FF0000, 0x0000FF00, 0x000000FF)


@dataclass(frozen=True)
class BmpLayout:
    width: int
    height: int
    top_down: bool
    bits: int
    offset: int

    @property
    def bytes_per_pixel(self) -> int:
        return self.bits // 8

    @property
    def stride(self) -> int:
        return (self.width * self.bytes_per_pixel + 3) & ~3

    @property
    def pixel_bytes(self) -> int:
        return self.stride * self.height


def parse_bmp(data: bytes, pixels_present: bool = True) -> BmpLayout:
    """Validate the headers; every size is checked against ``len(data)``.

    ``pixels_present=False`` parses a header alone (at join time, where the pixel bytes come
    from the streams and their sizes are checked there).
    """
    if len(data) < 54 or data[:2] != b"BM":
        raise TransformError("not a BMP file")
    offset = struct.unpack_from("<I", data, 10)[0]
    info_size, width, height, planes, bits, compression = struct.unpack_from("<IiiHHI", data, 14)
    if info_size not in INFO_HEADER_SIZES or planes != 1:
        raise TransformError("BMP header version is not supported")
    if width <= 0 or height == 0 or bits not in (8, 24, 32):
        raise TransformError("BMP layout is not supported")
    if compression == BI_BITFIELDS and bits == 32:
        if len(data) < 66 or struct.unpack_from("<III", data, 54) != BGRA_MASKS:
            raise TransformError("BMP bitfields are not plain BGRA")
    elif compression != BI_RGB:
        raise TransformError("compressed BMP is not coded natively")
    layout = BmpLayout(width, abs(height), height < 0, bits, offset)
    if offset < 14 + info_size:
        raise TransformError("BMP pixel offset is inside the header")
    if pixels_present and offset + layout.pixel_bytes > len(data):
        raise TransformError("BMP pixel data runs past the end of the file")
    if not pixels_present and offset != len(data):
        raise TransformError("BMP recipe header does not end at the pixels")
    if bits == 8:
        colors = struct.unpack_from("<I", data, 46)[0] or 256
        palette_at = 14 + info_size
        if colors > 256 or palette_at + 4 * colors > offset:
            raise TransformError("BMP palette is invalid")
    return layout


def _rows(layout: BmpLayout, pixels: np.ndarray) -> np.ndarray:
    """Flip between file row order and top-first order (the operation is its own inverse)."""
    return pixels if layout.top_down else pixels[::-1]


class BmpTransform(Transform):
    transform_id = 2
    name = "bmp"

    def sniff(self, head: bytes) -> bool:
        return head[:2] == b"BM"

    def probe(self, data: bytes) -> Modality:
        return Modality.IMAGE_GRAY if parse_bmp(data).bits == 8 else Modality.IMAGE_RGB

    def split(self, data: bytes) -> Split:
        data = bytes(data)
        lay = parse_bmp(data)
        h, w, bpp = lay.height, lay.width, lay.bytes_per_pixel
        block = np.frombuffer(data, np.uint8, lay.pixel_bytes, lay.offset).reshape(h, lay.stride)
        padding = block[:, w * bpp:].tobytes()
        px = _rows(lay, block[:, :w * bpp]).reshape(h, w, bpp)
        if bpp == 1:
            streams = (Stream(Modality.IMAGE_GRAY, px.tobytes(), (h, w, 1)),)
        else:
            rgb = np.ascontiguousarray(px[..., 2::-1]).tobytes()
            streams = (Stream(Modality.IMAGE_RGB, rgb, (h, w, 3)),)
            if bpp == 4:
                alpha = np.ascontiguousarray(px[..., 3]).tobytes()
                streams += (Stream(Modality.IMAGE_GRAY, alpha, (h, w, 1)),)
        recipe = (RecipeWriter().u8(RECIPE_VERSION).blob(data[:lay.offset]).blob(padding)
                  .blob(data[lay.offset + lay.pixel_bytes:]).getvalue())
        return Split(self.transform_id, recipe, streams)

    def join(self, recipe: bytes, streams: Sequence[bytes]) -> bytes:
        r = RecipeReader(recipe)
        r.expect_version(RECIPE_VERSION, "BMP")
        head, padding, tail = r.blob(), r.blob(), r.blob()
        r.done()
        lay = parse_bmp(head, pixels_present=False)
        h, w, bpp = lay.height, lay.width, lay.bytes_per_pixel
        want = 1 if bpp in (1, 3) else 2
        if len(streams) != want:
            raise TransformError(f"BMP join needs {want} streams, got {len(streams)}")
        planes = [np.frombuffer(bytes(s), np.uint8) for s in streams]
        if planes[0].size != h * w * min(bpp, 3) or (bpp == 4 and planes[1].size != h * w):
            raise TransformError("BMP pixel stream has the wrong size")
        px = np.empty((h, w, bpp), np.uint8)
        if bpp == 1:
            px[..., 0] = planes[0].reshape(h, w)
        else:
            px[..., 2::-1] = planes[0].reshape(h, w, 3)
            if bpp == 4:
                px[..., 3] = planes[1].reshape(h, w)
        block = np.empty((h, lay.stride), np.uint8)
        block[:, :w * bpp] = _rows(lay, px.reshape(h, w * bpp))
        pad = np.frombuffer(padding, np.uint8)
        if pad.size != h * (lay.stride - w * bpp):
            raise TransformError("BMP row padding has the wrong size")
        block[:, w * bpp:] = pad.reshape(h, lay.stride - w * bpp)
        return head + block.tobytes() + tail

