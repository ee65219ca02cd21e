"""``xz``: LZMA2 at ``xz -9e`` strength, for the chunks where it beats zstd and bzip2.

The payload is one byte, the base-2 logarithm of the dictionary size (12..26), then a raw
LZMA2 stream (no .xz container: the chunk record already holds the length and a checksum).
The dictionary is the chunk length rounded up to a power of two, so a 1 MiB chunk needs
1 MiB to decode rather than xz -9's 64 MiB.  Python's standard library has it, so it adds
no dependency.  It competes at the learned levels (7-9) only.
"""

from __future__ import annotations

import lzma

from ozarc.codecs.base import LEARNED_MIN_LEVEL, ChunkHint, Codec
from ozarc.codecs.bounded import decompress_exactly
from ozarc.codecs.registry import register
from ozarc.errors import CodecError

#: dictionary sizes a payload may name: 4 KiB (LZMA2's least) .. 64 MiB (the chunk limit)
MIN_DICT_LOG, MAX_DICT_LOG = 12, 26


def dict_log_for(length: int) -> int:
    """The least power of two >= ``length`` within the allowed dictionary sizes."""
    return min(max(MIN_DICT_LOG, (max(length, 1) - 1).bit_length()), MAX_DICT_LOG)


def _filters(dict_log: int, preset: int | None = None) -> list[dict]:
    lzma2 = {"id": lzma.FILTER_LZMA2, "dict_size": 1 << dict_log}
    if preset is not None:
        lzma2["preset"] = preset
    return [lzma2]


@register
class XzCodec(Codec):
    codec_id = 4
    name = "xz"
    auto_from_level = LEARNED_MIN_LEVEL

    def encode(self, data: bytes, hint: ChunkHint) -> bytes:
        dict_log = dict_log_for(len(data))
        stream = lzma.compress(data, format=lzma.FORMAT_RAW,
                               filters=_filters(dict_log, 9 | lzma.PRESET_EXTREME))
        return bytes([dict_log]) + stream

    def decode(self, payload: bytes, raw_length: int, model: object | None = None) -> bytes:
        if not payload or not MIN_DICT_LOG <= payload[0] <= MAX_DICT_LOG:
            raise CodecError("xz payload names no valid dictionary size")
        decompressor = lzma.LZMADecompressor(format=lzma.FORMAT_RAW, filters=_filters(payload[0]))
        return decompress_exactly(decompressor, payload[1:], raw_length, self.name,
                                  (lzma.LZMAError, EOFError, ValueError))
