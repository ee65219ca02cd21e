"""The neural chunk payload header: what a decoder needs before the first symbol.

Layout (all integers unsigned LEB128 varints; docs/bitstream.md):

    version  modality  geometry...  | lane states (4 B each) | rANS byte stream

geometry by modality:
    IMAGE_RGB / IMAGE_GRAY   height width channels     lanes = 16x16 patches, lengths derived
    SPEECH                   channels window            lanes = windows of ``window`` bytes
    TEXT                     block_tokens n_tokens      lanes = blocks of ``block_tokens``
                                                        pieces, the last one shorter

Sequence lengths are never stored: they follow from the geometry and the chunk's raw length
(images, speech) or from the token count (text), so a header cannot claim lengths that
disagree with its geometry, and every allocation is bounded by ``raw_length``.  The model
reference is not here: the container stores a model-table index with the chunk.
"""

from __future__ import annotations

from dataclasses import dataclass

from ozarc.errors import CodecError
from ozarc.modality import Modality
from ozarc.model.tokenizers.image import patch_lengths
from ozarc.model.tokenizers.speech import window_lengths
from ozarc.container.varint import encode_uvarint

FORMAT_VERSION = 1
IMAGE_CHANNELS = {Modality.IMAGE_RGB: 3, Modality.IMAGE_GRAY: 1}
#: Bounds on speech windows and text blocks: short lanes would let a hostile header ask for one
#: model state per byte of the chunk; the writer uses 1024 for both.
MIN_WINDOW, MAX_WINDOW = 256, 1 << 20
MIN_BLOCK_TOKENS, MAX_BLOCK_TOKENS = 64, 1 << 16


def read_varint(data: bytes, pos: int) -> tuple[int, int]:
    """(value, next position); at most 10 bytes; CodecError on truncation."""
    value = 0
    for shift in range(0, 70, 7):
        if pos >= len(data):
            raise CodecError("neural payload header is truncated")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
    raise CodecError("neural payload header has an overlong number")


@dataclass(frozen=True)
class PayloadHeader:
    """One neural chunk's header; ``geometry`` as in the module docstring."""

    modality: Modality
    geometry: tuple[int, ...]
    version: int = FORMAT_VERSION

    def to_bytes(self) -> bytes:
        fields = (self.version, int(self.modality)) + tuple(self.geometry)
        return b"".join(encode_uvarint(v) for v in fields)

    def lane_lengths(self, raw_length: int) -> list[int]:
        """Sequence lengths implied by the geometry; CodecError if they cannot be ``raw_length``."""
        m, g = self.modality, self.geometry
        if m in IMAGE_CHANNELS:
            height, width, channels = g
            if channels != IMAGE_CHANNELS[m] or height * width * channels != raw_length or not height * width:
                raise CodecError(f"image geometry {height}x{width}x{channels} does not match "
                                 f"{raw_length} bytes")
            return patch_lengths(height, width, channels)
        if m == Modality.SPEECH:
            channels, window = g
            if not channels or not MIN_WINDOW <= window <= MAX_WINDOW:
                raise CodecError(f"bad speech geometry ({channels} channels, window {window})")
            return window_lengths(raw_length, window)
        if m == Modality.TEXT:
            block, n_tokens = g
            if not MIN_BLOCK_TOKENS <= block <= MAX_BLOCK_TOKENS or n_tokens > raw_length:
                raise CodecError(f"bad text geometry ({n_tokens} tokens in blocks of {block})")
            return [min(block, n_tokens - i) for i in range(0, n_tokens, block)]
        raise CodecError(f"neural payload for unsupported modality {m.tag}")

    @classmethod
    def parse(cls, payload: bytes) -> tuple["PayloadHeader", int]:
        """(header, offset of the coded lanes); CodecError on anything malformed."""
        version, pos = read_varint(payload, 0)
        if version != FORMAT_VERSION:
            raise CodecError(f"neural payload version {version} is not supported "
                             f"(this ozarc reads version {FORMAT_VERSION})")
        code, pos = read_varint(payload, pos)
        try:
            modality = Modality(code)
        except ValueError:
            raise CodecError(f"neural payload names unknown modality {code}") from None
        n_fields = 3 if modality in IMAGE_CHANNELS else 2
        geometry = []
        for _ in range(n_fields):
            value, pos = read_varint(payload, pos)
            geometry.append(value)
        return cls(modality, tuple(geometry), version), pos
