"""Decoding a standard-library stream (bz2, lzma) to exactly the record's length."""

from __future__ import annotations

from ozarc.errors import CodecError


def decompress_exactly(decompressor, payload: bytes, raw_length: int, name: str,
                       errors: tuple[type[Exception], ...]) -> bytes:
    """``decompressor.decompress(payload)`` bounded by ``raw_length`` (+1, to notice a payload
    that decodes to more), which must be what comes out; the stream must end exactly at the
    payload's end.  Any of ``errors`` becomes a CodecError naming the codec."""
    try:
        out = decompressor.decompress(payload, max_length=raw_length + 1)
    except errors as exc:
        raise CodecError(f"{name} payload does not decode ({exc})") from None
    if len(out) != raw_length:
        raise CodecError(f"{name} chunk decoded to {len(out)} bytes, expected {raw_length}")
    if not decompressor.eof or decompressor.unused_data:
        raise CodecError(f"{name} payload is truncated or has trailing bytes")
    return out
