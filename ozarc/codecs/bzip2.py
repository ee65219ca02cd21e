"""``bzip2``: the Burrows-Wheeler codec, for the chunks where it beats zstd and xz.

On prose and on photographs as raw pixels a block-sorting coder wins by a margin no LZ
codec reaches: Canterbury/Calgary text 2.31 bits/Byte against zstd -19's 2.57 and xz -9e's
2.52, Kodak as raw RGB 3.88 against 4.32 and 4.12 (1 MiB chunks, Python's ``bz2``, ``lzma``
and ``zstandard``, 2026-12-02).  Python's standard library has it, so it adds no dependency.
It competes at the learned levels (7-9) only, where a chunk is worth trying several coders.
"""

from __future__ import annotations

import bz2

from ozarc.codecs.base import LEARNED_MIN_LEVEL, ChunkHint, Codec
from ozarc.codecs.bounded import decompress_exactly
from ozarc.codecs.registry import register


@register
class Bzip2Codec(Codec):
    codec_id = 3
    name = "bzip2"
    auto_from_level = LEARNED_MIN_LEVEL

    def encode(self, data: bytes, hint: ChunkHint) -> bytes:
        # 900 kB blocks: the largest, and chunks are about 1 MiB.
        return bz2.compress(data, 9)

    def decode(self, payload: bytes, raw_length: int, model: object | None = None) -> bytes:
        return decompress_exactly(bz2.BZ2Decompressor(), payload, raw_length, self.name,
                                  (OSError, EOFError, ValueError))
