"""Where streams are cut into chunks, and which streams share solid chunks: one place.

Chunks are coded independently, so their boundaries must suit the codec that will see them:
image streams are cut into bands of whole 16-row patch rows, speech at whole sample frames,
text at UTF-8 character boundaries, anything else every ``CHUNK_TARGET`` bytes.  Small
streams of the byte-oriented modalities are packed into shared ("solid") chunks instead, so
thousands of small files do not each pay a codec's start-up cost.  All functions are pure.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ozarc.container.records import MAX_CHUNK_RAW
from ozarc.modality import Modality

CHUNK_TARGET = 1 << 20
#: Streams shorter than this (of a solid-packable modality) go into shared chunks.
SOLID_LIMIT = 64 << 10
PATCH_ROWS = 16
SOLID_MODALITIES = frozenset({Modality.OTHER, Modality.TEXT})


def is_image_geometry(modality: int, geometry: tuple[int, ...], length: int) -> bool:
    return (modality in (Modality.IMAGE_RGB, Modality.IMAGE_GRAY) and len(geometry) == 3
            and geometry[0] * geometry[1] * geometry[2] == length and geometry[1] * geometry[2] > 0)


def cut_points(data: bytes | memoryview, modality: int, geometry: tuple[int, ...] = (),
               target: int = CHUNK_TARGET) -> list[int]:
    """End offsets of the chunks ``data`` is cut into (the last one is ``len(data)``).

    An empty stream has no chunks.  No chunk exceeds ``MAX_CHUNK_RAW``.
    """
    length = len(data)
    if length == 0:
        return []
    target = max(1, min(target, MAX_CHUNK_RAW))
    step = target
    if is_image_geometry(modality, geometry, length):
        row_bytes = geometry[1] * geometry[2]
        band_rows = max(PATCH_ROWS, target // (row_bytes * PATCH_ROWS) * PATCH_ROWS)
        if band_rows * row_bytes <= MAX_CHUNK_RAW:
            step = band_rows * row_bytes
    elif modality == Modality.SPEECH and len(geometry) == 1 and geometry[0] > 0:
        frame = 2 * geometry[0]
        step = max(frame, target - target % frame)
    if modality == Modality.TEXT:
        return _text_cuts(data, step)
    return list(range(step, length, step)) + [length]


def _text_cuts(data: bytes | memoryview, step: int) -> list[int]:
    """Cut about every ``step`` bytes, moved back so no cut splits a UTF-8 sequence."""
    cuts, start, length = [], 0, len(data)
    while length - start > step:
        cut = start + step
        back = cut
        while back > start and back > cut - 3 and data[back] & 0xC0 == 0x80:
            back -= 1
        if back > start and data[back] & 0xC0 != 0x80:
            cut = back
        else:  # a step shorter than one character: move forward to the next boundary
            while cut < length and data[cut] & 0xC0 == 0x80:
                cut += 1
        if cut >= length:
            break
        cuts.append(cut)
        start = cut
    cuts.append(length)
    return cuts


def chunk_geometry(modality: int, geometry: tuple[int, ...], start: int, end: int,
                   stream_length: int) -> tuple[int, ...]:
    """The geometry hint for the chunk ``[start, end)`` of a stream: an image band's rows."""
    if is_image_geometry(modality, geometry, stream_length):
        row_bytes = geometry[1] * geometry[2]
        if start % row_bytes == 0 and end % row_bytes == 0:
            return ((end - start) // row_bytes, geometry[1], geometry[2])
        return ()
    if modality == Modality.SPEECH:
        return geometry
    return ()


def packs_solid(modality: int, length: int) -> bool:
    """Whether a stream goes into a shared chunk rather than chunks of its own."""
    return 0 < length < SOLID_LIMIT and modality in SOLID_MODALITIES


@dataclass
class SolidBuffer:
    """Small streams of one modality waiting to fill a shared chunk.

    ``pieces`` holds an opaque owner per stream, in order, with its offset in ``data``.
    """

    modality: int
    data: bytearray = field(default_factory=bytearray)
    pieces: list[tuple[object, int, int]] = field(default_factory=list)

    def add(self, owner: object, stream: bytes) -> None:
        self.pieces.append((owner, len(self.data), len(stream)))
        self.data += stream

    def is_full(self, target: int = CHUNK_TARGET) -> bool:
        return len(self.data) >= target

    def take(self) -> tuple[bytes, list[tuple[object, int, int]]]:
        data, pieces = bytes(self.data), self.pieces
        self.data, self.pieces = bytearray(), []
        return data, pieces
