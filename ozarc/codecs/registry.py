"""The one table from codec ids and names to codec instances."""

from __future__ import annotations

from ozarc.codecs.base import Codec
from ozarc.errors import CodecError, UsageError

_BY_ID: dict[int, Codec] = {}
_BY_NAME: dict[str, Codec] = {}


def register(cls: type[Codec]) -> type[Codec]:
    """Class decorator: add one instance of ``cls`` to the table (ids are unique forever)."""
    codec = cls()
    if cls.codec_id in _BY_ID or cls.name in _BY_NAME:
        raise RuntimeError(f"codec id {cls.codec_id} or name {cls.name!r} registered twice")
    _BY_ID[cls.codec_id] = codec
    _BY_NAME[cls.name] = codec
    return cls


def codec_by_id(codec_id: int) -> Codec:
    try:
        return _BY_ID[codec_id]
    except KeyError:
        raise CodecError(
            f"unknown codec id {codec_id}: the archive needs a newer ozarc, or it is corrupt"
        ) from None


def codec_by_name(name: str) -> Codec:
    try:
        return _BY_NAME[name]
    except KeyError:
        known = ", ".join(sorted(_BY_NAME))
        raise UsageError(f"unknown codec {name!r} (known: {known})") from None


def all_codecs() -> list[Codec]:
    return [_BY_ID[k] for k in sorted(_BY_ID)]
