"""Metadata blocks stored compressed: entry groups and the index.

A packed block is ``codec(u8) raw_len(uvar) payload``: codec 0 stores the bytes, codec 1 is
one zstd frame.  The writer keeps whichever is smaller; the reader bounds the output by
``raw_len`` and a caller-given limit, so a lying block cannot exhaust memory.
"""

from __future__ import annotations

import zstandard

from ozarc.container.varint import BodyReader, encode_uvarint
from ozarc.errors import CorruptDataError

RAW, ZSTD = 0, 1
METADATA_ZSTD_LEVEL = 9


def pack(data: bytes) -> bytes:
    compressed = zstandard.ZstdCompressor(level=METADATA_ZSTD_LEVEL, write_checksum=False,
                                          write_content_size=False).compress(data)
    if len(compressed) < len(data):
        return bytes([ZSTD]) + encode_uvarint(len(data)) + compressed
    return bytes([RAW]) + encode_uvarint(len(data)) + data


def unpack(reader: BodyReader, limit: int) -> bytes:
    """Read a packed block that runs to the end of ``reader``'s body."""
    codec, raw_len = reader.u8(), reader.uvarint()
    if raw_len > limit:
        raise CorruptDataError(f"{reader.what}: claims {raw_len} bytes, over the limit of {limit}")
    payload = bytes(reader.rest())
    if codec == RAW:
        data = payload
    elif codec == ZSTD:
        try:
            with zstandard.ZstdDecompressor().stream_reader(payload) as stream:
                data = stream.read(raw_len + 1)
        except zstandard.ZstdError as exc:
            raise CorruptDataError(f"{reader.what}: does not decompress ({exc})") from None
    else:
        raise CorruptDataError(f"{reader.what}: unknown metadata codec {codec}")
    if len(data) != raw_len:
        raise CorruptDataError(f"{reader.what}: holds {len(data)} bytes, {raw_len} expected")
    return data
