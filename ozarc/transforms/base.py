"""Modality transforms: split a file into model-friendly streams plus a small recipe, and join.

A PNG is split into its pixels (coded by the image model) and a recipe (every other chunk
verbatim, the row filters and the zlib settings that re-deflate the rows to the exact IDAT
bytes); ``join(recipe, streams)`` must give back the original file bit for bit.  The writer
checks ``join(split(x)) == x`` at pack time and falls back to the identity transform otherwise.

Container contract: an entry stores its ``transform_id`` (0 = identity) and its streams; for a
non-identity transform the recipe is stored as an extra stream of modality OTHER.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from ozarc.modality import Modality


@dataclass(frozen=True)
class Stream:
    """One payload for a codec.

    ``geometry``: images (height, width, channels), pixels row-major with channels interleaved;
    speech (channels,), little-endian int16 samples; otherwise ().
    """

    modality: Modality
    data: bytes
    geometry: tuple[int, ...] = ()


@dataclass(frozen=True)
class Split:
    transform_id: int
    recipe: bytes
    streams: tuple[Stream, ...]


class Transform(ABC):
    """A byte-exact split/join pair for one file format; ``transform_id`` is on disk forever."""

    transform_id: ClassVar[int]
    name: ClassVar[str]

    @abstractmethod
    def sniff(self, head: bytes) -> bool:
        """Cheap check on the first bytes (magic); ``split`` still has to parse the file."""

    def probe(self, data: bytes) -> Modality:
        """The modality of ``data`` if its headers parse, without decoding it (for ``detect``).

        Raises TransformError when this transform does not recognise the content.
        """
        from ozarc.errors import TransformError

        raise TransformError(f"the {self.name} transform does not probe content")

    @abstractmethod
    def split(self, data: bytes) -> Split:
        """Parse ``data``; raise TransformError if this file is not handled."""

    @abstractmethod
    def join(self, recipe: bytes, streams: Sequence[bytes]) -> bytes:
        """Rebuild the exact file from the recipe and the decoded streams' bytes."""
