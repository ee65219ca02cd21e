"""Deciding the archive's layout: which bytes go into which numbered chunk, in what order.

The planner runs in the main process over members in walk order and emits a sequence of
actions: "code this chunk" and "write this entry record".  Chunk numbers are given in
emission order and an entry record always follows the chunks it references, so the layout,
and hence the archive, is fixed before any worker runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

from ozarc.container.chunking import SolidBuffer, chunk_geometry, cut_points, packs_solid
from ozarc.container.compress import CompressJob
from ozarc.container.records import EntryRecord, Extent, StreamRef
from ozarc.modality import Modality
from ozarc.transforms.base import Split, Stream


@dataclass(frozen=True)
class ChunkAction:
    """Code ``job`` and write it as a chunk record; ``progress_bytes`` of input it stands for."""

    job: CompressJob
    label: str
    progress_bytes: int = 0


@dataclass(frozen=True)
class EntryAction:
    """Write ``record`` (an ENTRY record); all chunks it references precede it."""

    record: EntryRecord
    progress_bytes: int = 0
    job = None


Action = ChunkAction | EntryAction


@dataclass
class _PendingEntry:
    record: EntryRecord
    extents: list[list[Extent]]
    outstanding: int = 0
    progress_bytes: int = 0
    streams: list[Stream] = field(default_factory=list)
    duplicates: list[EntryRecord] = field(default_factory=list)

    def finished(self) -> EntryRecord:
        refs = tuple(StreamRef(s.modality, tuple(s.geometry), len(s.data), tuple(ext))
                     for s, ext in zip(self.streams, self.extents, strict=True))
        return replace(self.record, streams=refs)


def same_content(record: EntryRecord, original: EntryRecord) -> EntryRecord:
    """``record`` made to reference the chunks of ``original``, whose content is identical."""
    return replace(record, streams=original.streams, transform_id=original.transform_id,
                   modality=original.modality)


def split_streams(split: Split) -> list[Stream]:
    """The streams an entry stores: identity -> its one stream; else recipe first, then the rest."""
    if split.transform_id == 0:
        return list(split.streams)
    return [Stream(Modality.OTHER, split.recipe)] + list(split.streams)


def _coded_by_stream(split: Split, n_streams: int) -> list[tuple | None]:
    """Per stored stream, the chunks the entry trial already coded (recipe: never), or None."""
    coded = list(getattr(split, "coded", ()) or ())
    out: list[tuple | None] = [None] * (n_streams - len(split.streams))
    out += coded + [None] * (len(split.streams) - len(coded))
    return out


class LayoutPlanner:
    """Turns members into ordered actions; ``model_for(modality)`` gives a learned codec's model."""

    def __init__(self, level: int, codec_option: str,
                 model_for: Callable[[int], object | None] = lambda modality: None):
        self.level = level
        self.codec_option = codec_option
        self.model_for = model_for
        self.next_chunk_no = 0
        #: one buffer per modality: small files are packed in walk order
        self._solid: dict[int, SolidBuffer] = {}
        #: content hash -> the first file with that content (finished record, or still pending)
        self._by_content: dict[bytes, EntryRecord | _PendingEntry] = {}

    def _job(self, data: bytes, modality: int, geometry: tuple[int, ...],
             precoded: tuple | None = None) -> CompressJob:
        job = CompressJob(self.next_chunk_no, data, int(modality), tuple(geometry), self.level,
                          self.codec_option, self.model_for(int(modality)), precoded)
        self.next_chunk_no += 1
        return job

    def own_chunks(self, data: bytes, modality: int, geometry: tuple[int, ...], label: str,
                   progress: bool, precoded: tuple | None = None
                   ) -> tuple[list[ChunkAction], list[Extent]]:
        """Cut one stream into chunks of its own (``precoded``: their coding, one per chunk)."""
        actions, extents, start = [], [], 0
        ends = cut_points(data, modality, geometry)
        if precoded is not None and len(precoded) != len(ends):
            precoded = None  # not cut as the trial assumed: code afresh
        for number, end in enumerate(ends):
            hint_geometry = chunk_geometry(modality, geometry, start, end, len(data))
            job = self._job(data[start:end], modality, hint_geometry,
                            precoded[number] if precoded is not None else None)
            actions.append(ChunkAction(job, label, end - start if progress else 0))
            extents.append(Extent(job.chunk_no, 0, end - start))
            start = end
        return actions, extents

    def add_file(self, record: EntryRecord, split: Split) -> Iterator[Action]:
        """Lay out one file's streams; its entry record follows once all are placed.

        A file whose content equals an earlier file's is stored once: its entry references
        the same chunks.
        """
        original = self._by_content.get(record.content_hash) if record.size else None
        if isinstance(original, EntryRecord):
            yield EntryAction(same_content(record, original), record.size)
            return
        if original is not None:
            original.duplicates.append(record)
            return
        streams = split_streams(split)
        pending = _PendingEntry(record, [[] for _ in streams], streams=streams)
        self._by_content[record.content_hash] = pending
        identity = split.transform_id == 0
        pending.progress_bytes = record.size
        coded = _coded_by_stream(split, len(streams))
        for number, stream in enumerate(streams):
            if coded[number] is None and packs_solid(stream.modality, len(stream.data)):
                key = int(stream.modality)
                buffer = self._solid.setdefault(key, SolidBuffer(stream.modality))
                buffer.add((pending, number), stream.data)
                pending.outstanding += 1
                continue
            own_progress = identity and len(streams) == 1
            actions, extents = self.own_chunks(stream.data, stream.modality, stream.geometry,
                                               record.name.decode("utf-8", "replace"), own_progress,
                                               coded[number])
            if own_progress:
                pending.progress_bytes = 0
            pending.extents[number] = extents
            yield from actions
        if pending.outstanding == 0:
            yield from self._finished(pending)
        for key in sorted(key for key, buffer in self._solid.items() if buffer.is_full()):
            yield from self._flush(key)

    def add_record(self, record: EntryRecord, progress_bytes: int = 0) -> Iterator[Action]:
        """An entry without data of its own (dir, symlink, hard link, streamed file's end)."""
        yield EntryAction(record, progress_bytes)

    def finish(self) -> Iterator[Action]:
        for key in sorted(self._solid):
            yield from self._flush(key)

    def _flush(self, key: int) -> Iterator[Action]:
        buffer = self._solid.pop(key)
        modality = buffer.modality
        data, pieces = buffer.take()
        if not pieces:
            return
        label = pieces[-1][0][0].record.name.decode("utf-8", "replace")
        job = self._job(data, modality, ())
        yield ChunkAction(job, label)
        for (pending, number), offset, length in pieces:
            pending.extents[number] = [Extent(job.chunk_no, offset, length)]
            pending.outstanding -= 1
            if pending.outstanding == 0:
                yield from self._finished(pending)

    def _finished(self, pending: _PendingEntry) -> Iterator[Action]:
        record = pending.finished()
        self._by_content[record.content_hash] = record
        yield EntryAction(record, pending.progress_bytes)
        for duplicate in pending.duplicates:
            yield EntryAction(same_content(duplicate, record), duplicate.size)
