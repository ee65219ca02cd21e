"""Where PNG pixels live: header geometry, Adam7 passes, packed rows, and the pixel streams.

``png.py`` deals with chunks and zlib; this module turns filtered scanlines into a pixel grid
and back.  The grid is (h, w, bytes per pixel) for 8/16-bit images and (h, w) sample values for
1/2/4-bit ones.  An interlaced image is seven small images (passes) whose scanlines follow one
another in the zlib stream; a non-interlaced one is a single pass covering the whole grid.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from ozarc.errors import TransformError
from ozarc.modality import Modality
from ozarc.transforms.base import Stream
from ozarc.transforms.png_filters import filter_rows, unfilter_rows

CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
#: Adam7 passes as (first row, first column, row step, column step).
ADAM7 = ((0, 0, 8, 8), (0, 4, 8, 8), (4, 0, 8, 4), (0, 2, 4, 4), (2, 0, 4, 2), (0, 1, 2, 2),
         (1, 0, 2, 1))


@dataclass(frozen=True)
class PngHeader:
    width: int
    height: int
    bit_depth: int
    color_type: int
    interlace: int

    @property
    def channels(self) -> int:
        return CHANNELS[self.color_type]

    @property
    def color_channels(self) -> int:
        return 3 if self.color_type in (2, 6) else 1

    @property
    def sample_bytes(self) -> int:
        return max(1, self.bit_depth // 8)

    @property
    def packed(self) -> bool:
        """1, 2 or 4 bits per pixel: several pixels share a byte."""
        return self.bit_depth < 8

    @property
    def bytes_per_pixel(self) -> int:
        """The filter's byte distance (1 for packed pixels, as the PNG spec says)."""
        return max(1, self.channels * self.bit_depth // 8)

    @property
    def row_bytes(self) -> int:
        return (self.width * self.channels * self.bit_depth + 7) // 8

    @property
    def pad_bits(self) -> int:
        """Unused bits at the end of each row (packed pixels only)."""
        return self.row_bytes * 8 - self.width * self.channels * self.bit_depth


@dataclass(frozen=True)
class Pass:
    """One sub-image: grid[y0::dy, x0::dx], scanlined as the non-interlaced ``header``."""

    y0: int
    x0: int
    dy: int
    dx: int
    header: PngHeader

    @property
    def raw_size(self) -> int:
        return self.header.height * (self.header.row_bytes + 1)

    def region(self, grid: np.ndarray) -> np.ndarray:
        return grid[self.y0::self.dy, self.x0::self.dx]


def image_passes(header: PngHeader) -> list[Pass]:
    """The non-empty passes of ``header``'s image, in stream order."""
    if not header.interlace:
        return [Pass(0, 0, 1, 1, header)]
    out = []
    for y0, x0, dy, dx in ADAM7:
        ph, pw = -(-(header.height - y0) // dy), -(-(header.width - x0) // dx)
        if ph > 0 and pw > 0:
            out.append(Pass(y0, x0, dy, dx, replace(header, width=pw, height=ph, interlace=0)))
    return out


def raw_size(header: PngHeader) -> int:
    """Bytes of filtered scanlines (filter bytes included) the IDAT stream inflates to."""
    return sum(p.raw_size for p in image_passes(header))


def rows_to_grid(rows: np.ndarray, header: PngHeader) -> tuple[np.ndarray, np.ndarray]:
    """Unfiltered rows (h, rowbytes) -> (grid, row-end pad bits (h, pad_bits))."""
    h, w, d = header.height, header.width, header.bit_depth
    if not header.packed:
        return rows.reshape(h, w, header.bytes_per_pixel), np.zeros((h, 0), np.uint8)
    bits = np.unpackbits(rows, axis=1)
    weights = (1 << np.arange(d - 1, -1, -1)).astype(np.uint8)
    values = (bits[:, :w * d].reshape(h, w, d) * weights).sum(axis=2, dtype=np.uint8)
    return values, bits[:, w * d:]


def grid_to_rows(grid: np.ndarray, header: PngHeader, pad: np.ndarray) -> np.ndarray:
    """Inverse of ``rows_to_grid``."""
    h, w, d = header.height, header.width, header.bit_depth
    if not header.packed:
        return np.ascontiguousarray(grid).reshape(h, header.row_bytes)
    bits = np.empty((h, header.row_bytes * 8), np.uint8)
    shifts = np.arange(d - 1, -1, -1, dtype=np.uint8)
    bits[:, :w * d] = ((grid[..., None] >> shifts) & 1).reshape(h, w * d)
    bits[:, w * d:] = pad.reshape(h, header.pad_bits)
    return np.packbits(bits, axis=1)


def _segments(raw: bytes, passes: list[Pass]) -> list[bytes]:
    out, pos = [], 0
    for p in passes:
        out.append(raw[pos:pos + p.raw_size])
        pos += p.raw_size
    return out


def filter_types(raw: bytes, header: PngHeader) -> np.ndarray:
    """Every scanline's filter byte, passes in stream order."""
    types = []
    for p, seg in zip(image_passes(header), _segments(raw, image_passes(header))):
        framed = np.frombuffer(seg, np.uint8).reshape(p.header.height, p.header.row_bytes + 1)
        types.append(framed[:, 0])
    return np.concatenate(types)


def _empty_grid(header: PngHeader) -> np.ndarray:
    shape = (header.height, header.width)
    return np.zeros(shape if header.packed else shape + (header.bytes_per_pixel,), np.uint8)


def encode_raw(grid: np.ndarray, header: PngHeader, types: np.ndarray, pad: bytes) -> bytes:
    """Filtered scanlines of every pass: what the IDAT stream inflates to."""
    passes = image_passes(header)
    if types.size != sum(p.header.height for p in passes):
        raise TransformError("PNG filter list does not match the image")
    n_pad = sum(p.header.height * p.header.pad_bits for p in passes)
    pad_bits = np.unpackbits(np.frombuffer(pad, np.uint8))[:n_pad] if pad else np.zeros(n_pad, np.uint8)
    if pad_bits.size != n_pad:
        raise TransformError("PNG row padding in the recipe is truncated")
    out, row, bit = [], 0, 0
    for p in passes:
        ph, n = p.header.height, p.header.height * p.header.pad_bits
        rows = grid_to_rows(p.region(grid), p.header, pad_bits[bit:bit + n])
        out.append(filter_rows(rows, types[row:row + ph], p.header.bytes_per_pixel))
        row, bit = row + ph, bit + n
    return b"".join(out)


def decode_raw(raw: bytes, header: PngHeader) -> tuple[np.ndarray, bytes]:
    """Undo the filters pass by pass (slow, exact): (grid, packed row-end pad bits or b"")."""
    grid = _empty_grid(header)
    pads = []
    for p, seg in zip(image_passes(header), _segments(raw, image_passes(header))):
        rows, _ = unfilter_rows(seg, p.header.height, p.header.row_bytes, p.header.bytes_per_pixel)
        region, pad = rows_to_grid(rows, p.header)
        grid[p.y0::p.dy, p.x0::p.dx] = region
        pads.append(pad.reshape(-1))
    pad_bits = np.concatenate(pads)
    return grid, (np.packbits(pad_bits).tobytes() if pad_bits.any() else b"")


def _gray_scale(header: PngHeader) -> int:
    """Packed gray levels are spread over 0..255 for the model (x255, x85, x17); indices stay."""
    return 255 // (2 ** header.bit_depth - 1) if header.color_type == 0 else 1


def grid_to_streams(grid: np.ndarray, header: PngHeader) -> tuple[Stream, ...]:
    """Colour (RGB, gray or palette indices), then alpha, then 16-bit low bytes."""
    h, w, ch, cc = header.height, header.width, header.channels, header.color_channels
    if header.packed:
        values = grid * np.uint8(_gray_scale(header))
        return (Stream(Modality.IMAGE_GRAY, values.tobytes(), (h, w, 1)),)
    samples = grid.reshape(h, w, ch, header.sample_bytes)
    hi = samples[..., 0]
    color_mod = Modality.IMAGE_RGB if cc == 3 else Modality.IMAGE_GRAY
    streams = [Stream(color_mod, np.ascontiguousarray(hi[..., :cc]).tobytes(), (h, w, cc))]
    if ch > cc:
        streams.append(Stream(Modality.IMAGE_GRAY, np.ascontiguousarray(hi[..., cc:]).tobytes(),
                              (h, w, 1)))
    if header.sample_bytes == 2:
        streams.append(Stream(Modality.OTHER, np.ascontiguousarray(samples[..., 1]).tobytes()))
    return tuple(streams)


def streams_to_grid(streams: Sequence[bytes], header: PngHeader) -> np.ndarray:
    """Inverse of ``grid_to_streams``; raises TransformError on wrong sizes or values."""
    h, w, ch, cc = header.height, header.width, header.channels, header.color_channels
    if header.packed:
        if len(streams) != 1 or len(streams[0]) != h * w:
            raise TransformError("PNG join needs one pixel stream of the image's size")
        values = np.frombuffer(streams[0], np.uint8).reshape(h, w)
        scale = _gray_scale(header)
        if (values % scale).any() or int(values.max(initial=0)) // scale >= 1 << header.bit_depth:
            raise TransformError("PNG pixel stream holds levels the bit depth cannot store")
        return values // np.uint8(scale)
    expected = 1 + (ch > cc) + (header.sample_bytes == 2)
    if len(streams) != expected:
        raise TransformError(f"PNG join needs {expected} streams, got {len(streams)}")
    sizes = [h * w * cc] + ([h * w * (ch - cc)] if ch > cc else []) \
        + ([h * w * ch] if header.sample_bytes == 2 else [])
    if [len(s) for s in streams] != sizes:
        raise TransformError("PNG pixel stream has the wrong size")
    samples = np.empty((h, w, ch, header.sample_bytes), dtype=np.uint8)
    samples[..., :cc, 0] = np.frombuffer(streams[0], np.uint8).reshape(h, w, cc)
    if ch > cc:
        samples[..., cc:, 0] = np.frombuffer(streams[1], np.uint8).reshape(h, w, ch - cc)
    if header.sample_bytes == 2:
        samples[..., 1] = np.frombuffer(streams[-1], np.uint8).reshape(h, w, ch)
    return samples.reshape(h, w, header.bytes_per_pixel)
