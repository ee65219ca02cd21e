"""Keep the smallest of the candidate codecs' outputs and ``store`` for one chunk."""

from __future__ import annotations

from collections.abc import Iterable

from ozarc.codecs.base import ChunkHint, Codec
from ozarc.codecs.registry import codec_by_name


def encode_smallest(data: bytes, candidates: Iterable[Codec], hint: ChunkHint) -> tuple[Codec, bytes]:
    """Code ``data`` with each applicable candidate and return the smallest (codec, payload).

    ``store`` always competes, so no chunk grows beyond its record header.  Ties go to the
    earlier candidate, then to store, so the choice is deterministic.
    """
    store = codec_by_name("store")
    best_codec, best_payload = store, store.encode(data, hint)
    for codec in candidates:
        if codec is store or not codec.applies_to(hint):
            continue
        payload = codec.encode(data, hint)
        if len(payload) < len(best_payload):
            best_codec, best_payload = codec, payload
    return best_codec, best_payload
