"""Find the zlib settings that re-deflate PNG rows to exactly the original IDAT stream.

A PNG keeps only the compressed rows; to store pixels instead we must be able to rebuild the
very same zlib bytes at extraction.  zlib is deterministic for a given (level, window bits,
memLevel, strategy), so we search those settings, most likely first (Pillow and libpng
defaults), compressing incrementally and abandoning a candidate at its first differing byte, so
a file that matches nothing costs little.  Streams made only of stored blocks (level 0) are
rebuilt from their block lengths instead, since zlib's own stored-block sizes depend on its
buffers.  The 2-byte zlib header is kept verbatim (libpng rewrites its window field), and bytes
after the zlib stream are kept as a tail.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

from ozarc.errors import TransformError
from ozarc.transforms.recipe import RecipeReader, RecipeWriter

KIND_ZLIB = 0
KIND_STORED = 1
FEED_BYTES = 1 << 14
MAX_BUDGET = 64 << 20
STRATEGIES = (zlib.Z_DEFAULT_STRATEGY, zlib.Z_FILTERED, zlib.Z_FIXED)
HUFFMAN_LIKE = (zlib.Z_HUFFMAN_ONLY, zlib.Z_RLE)


@dataclass(frozen=True)
class ZlibParams:
    level: int
    wbits: int
    mem_level: int
    strategy: int


@dataclass(frozen=True)
class ZlibRecipe:
    """How to rebuild one zlib stream from its uncompressed bytes."""

    kind: int
    header: bytes
    params: ZlibParams | None = None
    stored_blocks: tuple[int, ...] = ()
    tail: bytes = b""

    def write(self, w: RecipeWriter) -> None:
        w.u8(self.kind).blob(self.header).blob(self.tail)
        if self.kind == KIND_ZLIB:
            p = self.params
            w.u8(p.level).u8(p.wbits).u8(p.mem_level).u8(p.strategy)
        else:
            w.uints(list(self.stored_blocks))

    @classmethod
    def read(cls, r: RecipeReader) -> "ZlibRecipe":
        kind = r.u8()
        header, tail = r.blob(), r.blob()
        if kind == KIND_ZLIB:
            params = ZlibParams(r.u8(), r.u8(), r.u8(), r.u8())
            return cls(kind, header, params=params, tail=tail)
        if kind == KIND_STORED:
            return cls(kind, header, stored_blocks=tuple(r.uints()), tail=tail)
        raise TransformError(f"unknown zlib recipe kind {kind}")


def candidate_params(header: bytes) -> list[ZlibParams]:
    """Settings to try, most likely first.

    First those consistent with the header's level field (memLevel 8/9 and the header's window
    first), then every other level: some tools rewrite the header after compressing.
    """
    cinfo = header[0] >> 4
    flevel = header[1] >> 6
    wbits_list = [max(9, cinfo + 8)]
    if wbits_list[0] != 15:
        wbits_list.append(15)
    if flevel == 0:
        consistent = [(1, zlib.Z_DEFAULT_STRATEGY), (1, zlib.Z_FIXED)]
        consistent += [(1, s) for s in HUFFMAN_LIKE]
    else:
        levels = {1: (5, 4, 3, 2), 2: (6,), 3: (9, 7, 8)}[flevel]
        consistent = [(lv, s) for s in STRATEGIES for lv in levels]
    others = [(lv, s) for s in STRATEGIES for lv in (6, 9, 1, 2, 3, 4, 5, 7, 8)]
    plans: list[tuple[int, int]] = []
    for plan in consistent + others:
        level, strategy = plan
        if plan not in plans and not (strategy == zlib.Z_FILTERED and level < 4):
            plans.append(plan)  # Z_FILTERED equals the default strategy below level 4
    rank = {plan: i for i, plan in enumerate(plans)}
    out = [ZlibParams(level, wbits, mem, strategy)
           for mem in (8, 9, 7, 6, 5, 4, 3, 2, 1) for wbits in wbits_list
           for level, strategy in plans]
    out.sort(key=lambda p: (rank[(p.level, p.strategy)] >= len(consistent),
                            p.mem_level not in (8, 9), p.strategy not in (0, 1),
                            p.wbits != wbits_list[0]))
    return out


def _try_params(raw: bytes, target: bytes, params: ZlibParams) -> tuple[int, int]:
    """Compress ``raw``; stop at the first byte that differs from ``target``.

    Returns (length of the stream if ``target`` starts with all of it else -1, input bytes
    consumed).  The 2-byte zlib header is not compared (the recipe keeps the original one).
    """
    comp = zlib.compressobj(params.level, zlib.DEFLATED, params.wbits, params.mem_level,
                            params.strategy)
    pos = 0
    fed = 0
    for start in range(0, len(raw), FEED_BYTES):
        out = comp.compress(raw[start:start + FEED_BYTES])
        fed += min(FEED_BYTES, len(raw) - start)
        if pos == 0 and out:
            out, pos = out[2:], 2
        if out:
            if target[pos:pos + len(out)] != out:
                return -1, fed
            pos += len(out)
    out = comp.flush()
    if pos == 0:
        out, pos = out[2:], 2
    end = pos + len(out)
    return (end if end <= len(target) and target[pos:end] == out else -1), fed


def _stored_blocks(body: bytes, raw_len: int) -> tuple[tuple[int, ...], int] | None:
    """Block lengths if ``body`` (deflate data) is made only of stored blocks; else None.

    Returns (lengths, bytes used by the blocks).
    """
    pos = 0
    lengths = []
    total = 0
    while True:
        if pos + 5 > len(body) or body[pos] not in (0, 1):
            return None
        final = body[pos] == 1
        n, nn = struct.unpack_from("<HH", body, pos + 1)
        if n ^ nn != 0xFFFF or pos + 5 + n > len(body):
            return None
        lengths.append(n)
        total += n
        pos += 5 + n
        if total > raw_len:
            return None
        if final:
            return (tuple(lengths), pos) if total == raw_len else None


def _rebuild_stored(raw: bytes, lengths: tuple[int, ...]) -> bytes:
    parts = []
    pos = 0
    for i, n in enumerate(lengths):
        final = 1 if i == len(lengths) - 1 else 0
        parts.append(struct.pack("<BHH", final, n, n ^ 0xFFFF))
        parts.append(raw[pos:pos + n])
        pos += n
    if pos != len(raw):
        raise TransformError("stored-block lengths do not cover the image rows")
    return b"".join(parts)


def find_zlib_recipe(raw: bytes, target: bytes, budget: int | None = None) -> ZlibRecipe:
    """Return a recipe that rebuilds ``target`` from ``raw``, or raise TransformError.

    ``budget`` bounds the input bytes spent on candidates that fail (default 2 MiB plus
    4 x len(raw), at most 64 MiB), so a PNG from an unknown encoder costs bounded time.
    """
    if len(target) < 6 or (target[0] & 0x0F) != 8 or (target[0] << 8 | target[1]) % 31:
        raise TransformError("IDAT is not a zlib stream")
    if target[1] & 0x20:
        raise TransformError("IDAT zlib stream uses a preset dictionary")
    header = bytes(target[:2])
    stored = _stored_blocks(target[2:], len(raw))
    if stored is not None:
        lengths, used = stored
        end = 2 + used + 4
        if end <= len(target) and target[2 + used:end] == struct.pack(">I", zlib.adler32(raw)):
            return ZlibRecipe(KIND_STORED, header, stored_blocks=lengths, tail=bytes(target[end:]))
    if budget is None:
        budget = min((2 << 20) + 4 * len(raw), MAX_BUDGET)
    spent = 0
    for params in candidate_params(header):
        end, fed = _try_params(raw, target, params)
        if end >= 0:
            return ZlibRecipe(KIND_ZLIB, header, params=params, tail=bytes(target[end:]))
        spent += fed
        if spent > budget:
            break
    raise TransformError("no zlib setting reproduces the IDAT bytes")


def rebuild_zlib(raw: bytes, recipe: ZlibRecipe) -> bytes:
    """The exact zlib stream described by ``recipe`` for the uncompressed bytes ``raw``."""
    if recipe.kind == KIND_STORED:
        body = _rebuild_stored(raw, recipe.stored_blocks)
        return recipe.header + body + struct.pack(">I", zlib.adler32(raw)) + recipe.tail
    p = recipe.params
    try:
        comp = zlib.compressobj(p.level, zlib.DEFLATED, p.wbits, p.mem_level, p.strategy)
    except (ValueError, zlib.error) as exc:
        raise TransformError(f"recipe holds invalid zlib settings: {exc}") from None
    stream = comp.compress(raw) + comp.flush()
    return recipe.header + stream[2:] + recipe.tail
