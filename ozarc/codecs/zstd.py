"""``zstd``: the classical codec for everything the learned model does not pay for."""

from __future__ import annotations

import zstandard

from ozarc.codecs.base import ChunkHint, Codec
from ozarc.codecs.registry import register
from ozarc.errors import CodecError

#: ozarc level (1..9) -> zstd level.  Levels 7-9 (the learned levels) use ``zstd -19``: there
#: the model costs a hundred times zstd's CPU, so zstd competes at its strongest; a weaker
#: zstd lost 17 % on photographs (Kodak as PPM: -15 makes 789 KB of kodim01 where -19 makes
#: 653 KB), which no chunk-wise choice can win back.
ZSTD_LEVEL_FOR = {1: 1, 2: 3, 3: 5, 4: 7, 5: 9, 6: 12, 7: 19, 8: 19, 9: 19}


@register
class ZstdCodec(Codec):
    codec_id = 1
    name = "zstd"

    def encode(self, data: bytes, hint: ChunkHint) -> bytes:
        level = ZSTD_LEVEL_FOR[min(max(hint.level, 1), 9)]
        # No content size, checksum or dict id in the frame: the chunk record already holds
        # the raw length and a checksum, so those bytes would only be header overhead.
        params = zstandard.ZstdCompressionParameters.from_level(
            level, source_size=len(data), write_content_size=False,
            write_checksum=False, write_dict_id=False,
        )
        return zstandard.ZstdCompressor(compression_params=params).compress(data)

    def decode(self, payload: bytes, raw_length: int, model: object | None = None) -> bytes:
        try:
            # Frames carry no content size, so the output bound is the record's raw length
            # (+1 to notice a payload that decodes to more than it should).
            with zstandard.ZstdDecompressor().stream_reader(payload) as reader:
                out = reader.read(raw_length + 1)
        except zstandard.ZstdError as exc:
            raise CodecError(f"zstd payload does not decode ({exc})") from None
        if len(out) != raw_length:
            raise CodecError(f"zstd chunk decoded to {len(out)} bytes, expected {raw_length}")
        return out
