"""``store``: the payload is the raw bytes.  Every chunk can fall back to it."""

from __future__ import annotations

from ozarc.codecs.base import ChunkHint, Codec
from ozarc.codecs.registry import register
from ozarc.errors import CodecError


@register
class StoreCodec(Codec):
    codec_id = 0
    name = "store"

    def encode(self, data: bytes, hint: ChunkHint) -> bytes:
        return bytes(data)

    def decode(self, payload: bytes, raw_length: int, model: object | None = None) -> bytes:
        if len(payload) != raw_length:
            raise CodecError(f"stored chunk has {len(payload)} bytes, expected {raw_length}")
        return bytes(payload)
