"""Binary PGM/PPM (P5/P6, 8-bit) <-> pixels + recipe, byte-exact.

The header (magic, comments, size, maxval and the one whitespace byte after it) and anything
after the raster (netpbm allows several images in one file) stay verbatim in the recipe; the
raster is already row-major interleaved, so it is the stream as it is.  ASCII (P2/P3),
bitmaps (P4) and 16-bit rasters (maxval > 255) raise TransformError.
"""

from __future__ import annotations

from collections.abc import Sequence

from ozarc.errors import TransformError
from ozarc.modality import Modality
from ozarc.transforms.base import Split, Stream, Transform
from ozarc.transforms.recipe import RecipeReader, RecipeWriter

RECIPE_VERSION = 1
WHITESPACE = b" \t\n\r\v\f"
CHANNELS = {b"P5": 1, b"P6": 3}
MAX_HEADER_BYTES = 4096


def parse_pnm_header(data: bytes) -> tuple[int, int, int, int]:
    """(width, height, channels, raster offset) of a binary 8-bit PGM/PPM."""
    channels = CHANNELS.get(bytes(data[:2]))
    if channels is None:
        raise TransformError("not a binary PGM/PPM file")
    pos = 2
    fields = []
    while len(fields) < 3:
        if pos >= min(len(data), MAX_HEADER_BYTES):
            raise TransformError("PNM header is truncated")
        c = data[pos]
        if c in WHITESPACE:
            pos += 1
        elif c == ord("#"):
            end = data.find(b"\n", pos)
            if end < 0:
                raise TransformError("PNM header is truncated")
            pos = end + 1
        elif 48 <= c <= 57:
            start = pos
            while pos < len(data) and 48 <= data[pos] <= 57 and pos - start < 10:
                pos += 1
            fields.append(int(data[start:pos]))
        else:
            raise TransformError("PNM header is malformed")
    if pos >= len(data) or data[pos] not in WHITESPACE:
        raise TransformError("PNM header does not end in whitespace")
    width, height, maxval = fields
    if width == 0 or height == 0 or not 0 < maxval < 256:
        raise TransformError("PNM is not an 8-bit image")
    return width, height, channels, pos + 1


class PnmTransform(Transform):
    transform_id = 3
    name = "pnm"

    def sniff(self, head: bytes) -> bool:
        return head[:2] in CHANNELS

    def _layout(self, data: bytes) -> tuple[int, int, int, int]:
        w, h, c, offset = parse_pnm_header(data)
        if offset + w * h * c > len(data):
            raise TransformError("PNM raster runs past the end of the file")
        return w, h, c, offset

    def probe(self, data: bytes) -> Modality:
        return Modality.IMAGE_RGB if self._layout(data)[2] == 3 else Modality.IMAGE_GRAY

    def split(self, data: bytes) -> Split:
        data = bytes(data)
        w, h, c, offset = self._layout(data)
        end = offset + w * h * c
        modality = Modality.IMAGE_RGB if c == 3 else Modality.IMAGE_GRAY
        recipe = (RecipeWriter().u8(RECIPE_VERSION).blob(data[:offset]).blob(data[end:])
                  .getvalue())
        return Split(self.transform_id, recipe, (Stream(modality, data[offset:end], (h, w, c)),))

    def join(self, recipe: bytes, streams: Sequence[bytes]) -> bytes:
        r = RecipeReader(recipe)
        r.expect_version(RECIPE_VERSION, "PNM")
        head, tail = r.blob(), r.blob()
        r.done()
        w, h, c, offset = parse_pnm_header(head + b"\n")
        if offset != len(head) or len(streams) != 1 or len(streams[0]) != w * h * c:
            raise TransformError("PNM recipe and pixel stream do not match")
        return head + bytes(streams[0]) + tail
