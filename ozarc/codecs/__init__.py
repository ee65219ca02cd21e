"""Chunk codecs and their registry.  Importing this package registers the built-in codecs."""

from ozarc.codecs.base import ChunkHint, Codec
from ozarc.codecs.registry import all_codecs, codec_by_id, codec_by_name, register
from ozarc.codecs import (  # noqa: F401  (registration)
    bzip2 as _bzip2, neural as _neural, store as _store, xz as _xz, zstd as _zstd,
)
from ozarc.codecs.select import encode_smallest

__all__ = ["ChunkHint", "Codec", "all_codecs", "codec_by_id", "codec_by_name", "register",
           "encode_smallest"]
