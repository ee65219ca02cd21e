"""PNG row filters (None, Sub, Up, Average, Paeth): apply and undo them.

Joining a PNG re-applies each row's recorded filter to the pixels, which numpy does for all rows
at once.  Undoing filters is inherently sequential (each byte depends on the one just rebuilt),
so ``unfilter_rows`` is the slow exact fallback for layouts Pillow does not decode losslessly.
"""

from __future__ import annotations

import numpy as np

from ozarc.errors import TransformError

NONE, SUB, UP, AVERAGE, PAETH = range(5)
BLOCK_BYTES = 1 << 22


def _shift_left_neighbour(rows: np.ndarray, bpp: int) -> np.ndarray:
    left = np.zeros_like(rows)
    left[:, bpp:] = rows[:, :rows.shape[1] - bpp] if rows.shape[1] > bpp else 0
    return left


def _paeth_predictor(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    a, b, c = (x.astype(np.int16) for x in (a, b, c))
    p = a + b - c
    pa, pb, pc = np.abs(p - a), np.abs(p - b), np.abs(p - c)
    return np.where((pa <= pb) & (pa <= pc), a, np.where(pb <= pc, b, c)).astype(np.uint8)


def _filter_block(x: np.ndarray, above: np.ndarray, types: np.ndarray, bpp: int) -> np.ndarray:
    """Filtered bytes of rows ``x`` whose preceding row is ``above`` (zeros for the first)."""
    up = np.empty_like(x)
    up[0] = above
    up[1:] = x[:-1]
    left = _shift_left_neighbour(x, bpp)
    out = x.copy()
    sel = types == SUB
    out[sel] = x[sel] - left[sel]
    sel = types == UP
    out[sel] = x[sel] - up[sel]
    sel = types == AVERAGE
    if sel.any():
        avg = ((left[sel].astype(np.uint16) + up[sel]) >> 1).astype(np.uint8)
        out[sel] = x[sel] - avg
    sel = types == PAETH
    if sel.any():
        up_left = _shift_left_neighbour(up[sel], bpp)
        out[sel] = x[sel] - _paeth_predictor(left[sel], up[sel], up_left)
    return out


def filter_rows(pixels: np.ndarray, filter_types: np.ndarray, bpp: int) -> bytes:
    """The filtered scanlines (each prefixed by its filter byte) of ``pixels`` (h, rowbytes).

    Works in blocks of about BLOCK_BYTES so a large image needs little extra memory.
    """
    h, row_bytes = pixels.shape
    if filter_types.shape != (h,) or (h and int(filter_types.max(initial=0)) > PAETH):
        raise TransformError("PNG filter list does not match the image")
    framed = np.empty((h, row_bytes + 1), dtype=np.uint8)
    framed[:, 0] = filter_types
    step = max(1, BLOCK_BYTES // max(1, row_bytes))
    above = np.zeros(row_bytes, np.uint8)
    for r0 in range(0, h, step):
        block = pixels[r0:r0 + step]
        framed[r0:r0 + step, 1:] = _filter_block(block, above, filter_types[r0:r0 + step], bpp)
        above = block[-1]
    return framed.tobytes()


def _unfilter_sequential(cur: bytearray, prev: bytes, bpp: int, kind: int) -> None:
    n = len(cur)
    if kind == AVERAGE:
        for i in range(n):
            a = cur[i - bpp] if i >= bpp else 0
            cur[i] = (cur[i] + ((a + prev[i]) >> 1)) & 0xFF
        return
    for i in range(n):
        if i >= bpp:
            a, c = cur[i - bpp], prev[i - bpp]
        else:
            a = c = 0
        b = prev[i]
        p = a + b - c
        pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
        pred = a if (pa <= pb and pa <= pc) else (b if pb <= pc else c)
        cur[i] = (cur[i] + pred) & 0xFF


def unfilter_rows(raw: bytes, height: int, row_bytes: int, bpp: int) -> tuple[np.ndarray, np.ndarray]:
    """Undo the filters of ``raw``; returns (pixels (h, rowbytes) uint8, filter types (h,))."""
    if len(raw) != height * (row_bytes + 1):
        raise TransformError("PNG image data has the wrong size")
    framed = np.frombuffer(raw, dtype=np.uint8).reshape(height, row_bytes + 1)
    types = framed[:, 0].copy()
    if height and int(types.max(initial=0)) > PAETH:
        raise TransformError("PNG row has an unknown filter type")
    pixels = np.zeros((height, row_bytes), dtype=np.uint8)
    prev = np.zeros(row_bytes, dtype=np.uint8)
    for y in range(height):
        row = framed[y, 1:]
        kind = int(types[y])
        if kind == NONE:
            cur = row.copy()
        elif kind == UP:
            cur = row + prev
        elif kind == SUB:
            pad = (-row_bytes) % bpp
            cols = np.concatenate([row, np.zeros(pad, np.uint8)]).reshape(-1, bpp)
            cur = np.cumsum(cols, axis=0, dtype=np.uint8).reshape(-1)[:row_bytes]
        else:
            buf = bytearray(row.tobytes())
            _unfilter_sequential(buf, prev.tobytes(), bpp, kind)
            cur = np.frombuffer(bytes(buf), dtype=np.uint8)
        pixels[y] = cur
        prev = pixels[y]
    return pixels, types
