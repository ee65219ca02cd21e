"""The codec interface every chunk coder implements.

A codec turns one chunk's raw bytes into a payload and back.  Chunks are self-describing: the
container stores the codec id (and a model-table index for learned codecs) with each chunk,
and decoding dispatches on those stored bytes through the registry, never on CLI options
(borg ``COMPRESSOR_TABLE``).  A learned codec writes whatever else it needs (sequence lengths,
tile geometry) at the head of its own payload.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import ClassVar

from ozarc.modality import Modality


#: ``--codec auto`` brings in the learned codecs (and the slower classical ones) from this
#: level up; below it only zstd and store compete (the learned codecs cost CPU seconds per MB).
LEARNED_MIN_LEVEL = 7


@dataclass(frozen=True)
class ChunkHint:
    """What the writer knows about a chunk before coding it.

    ``geometry`` is modality-specific: (height, width, channels) for an image tile, (channels,)
    for PCM.  ``model`` is the model reference (name, sha256) a learned codec should use.
    """

    modality: Modality = Modality.OTHER
    level: int = 6
    geometry: tuple[int, ...] = ()
    model: object | None = None
    extra: dict = field(default_factory=dict, compare=False, hash=False)


class Codec(ABC):
    """One chunk codec: a fixed on-disk ``codec_id`` and a user-facing ``name``."""

    codec_id: ClassVar[int]
    name: ClassVar[str]
    #: Learned codecs need a model: the writer records the model-table index of ``hint.model``
    #: with the chunk, and the reader passes the loaded model back into ``decode``.
    uses_model: ClassVar[bool] = False
    #: ``--codec auto`` tries this codec from this level up: the slow classical coders only
    #: where the learned codec already spends far more time per chunk than they do.
    auto_from_level: ClassVar[int] = 1

    def applies_to(self, hint: ChunkHint) -> bool:
        """Whether this codec can code chunks of this kind (learned codecs: one modality)."""
        return True

    @abstractmethod
    def encode(self, data: bytes, hint: ChunkHint) -> bytes:
        """Code ``data``; the result must decode back to exactly ``data``."""

    def encode_unchecked(self, data: bytes, hint: ChunkHint,
                         budget: int | None = None) -> bytes | None:
        """``encode`` without its self-check (see ``check_many``); the same bytes.  Given
        ``budget`` (the size to beat), a codec may return None instead, when it can tell
        early that it will not beat it by much (the learned codec's probe)."""
        return self.encode(data, hint)

    def check_many(self, chunks: list[bytes], payloads: list[bytes],
                   model: object | None = None) -> list[str | None]:
        """Per chunk, None if ``payloads[i]`` (from ``encode_unchecked``) decodes back to
        ``chunks[i]``, else why not.  Codecs whose ``encode`` needs no check return Nones; a
        learned codec decodes them all in one batch, which is where its cost lies."""
        return [None] * len(chunks)

    @abstractmethod
    def decode(self, payload: bytes, raw_length: int, model: object | None = None) -> bytes:
        """Decode ``payload`` into exactly ``raw_length`` bytes, or raise CodecError.

        ``raw_length`` comes from the (checksummed) chunk record and bounds every allocation:
        a codec never produces more than that, whatever its payload claims.
        """
