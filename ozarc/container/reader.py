"""Reading an archive: footer and index, chunks by number, members' verified content.

Whole-archive problems (bad magic, lost footer or index) raise ArchiveError; everything that
concerns one member (a corrupt chunk, an unknown codec, a hash mismatch) raises EntryError
naming it, so callers can go on with the others.  No declared size is trusted for
allocation: chunks are read one at a time and never exceed ``MAX_CHUNK_RAW``.
"""

from __future__ import annotations

import builtins
import hashlib
import io
import os
from collections import OrderedDict
from collections.abc import Iterator

from ozarc.api import EntryInfo, VerifyReport
from ozarc.codecs import codec_by_id
from ozarc.container.framing import (
    FILE_HEADER_SIZE, FOOTER_SIZE, RecordType, check8, check_frame, decode_file_header,
    parse_frame_header, Footer, MAX_FRAME_HEADER,
)
from ozarc.container import hooks
from ozarc.container.hooks import join_streams, transform_name
from ozarc.container.index import MAX_INDEX_RAW, ArchiveIndex
from ozarc.container.records import MAX_CHUNK_RAW, ChunkRecord, EntryKind, EntryRecord, StreamRef
from ozarc.container.recover import scan_archive
from ozarc.container.member_stream import MemberStream
from ozarc.container.prepare import MAX_TRANSFORMED_STREAMS
from ozarc.errors import ArchiveError, EntryError, OzarcError
from ozarc.modality import Modality

MAX_CHUNK_FRAME = MAX_CHUNK_RAW + 64
CHUNK_CACHE_SIZE = 2
#: Learned-codec chunks of one stream are decoded this many at a time (bounds memory).
PREFETCH_CHUNKS = 32


def _batches_decode(codec_id: int) -> bool:
    try:
        return hasattr(codec_by_id(codec_id), "decode_many")
    except OzarcError:
        return False


def entry_name(record: EntryRecord) -> str:
    return os.fsdecode(record.name)


class Reader:
    """The archive behind :class:`ozarc.api.ArchiveReader`."""

    def __init__(self, path, *, recover: bool = False, index: ArchiveIndex | None = None):
        self.path = os.fspath(path)
        self.warnings: list[str] = []
        try:
            self._file = builtins.open(self.path, "rb")
        except OSError as exc:
            raise ArchiveError(f"cannot open archive {self.path}: {exc.strerror}") from None
        try:
            self._size = os.fstat(self._file.fileno()).st_size
            self.index = index if index is not None else self._load_index(recover)
        except BaseException:
            self._file.close()
            raise
        self._by_name: dict[str, int] = {}
        for number, record in enumerate(self.index.entries):
            self._by_name.setdefault(entry_name(record), number)
        self._chunk_cache: OrderedDict[int, bytes] = OrderedDict()
        self._prefetched: dict[int, bytes] = {}
        self._models: dict[int, object] = {}

    # -- opening ---------------------------------------------------------------------------

    def _read_at(self, offset: int, length: int) -> bytes:
        self._file.seek(offset)
        return self._file.read(length)

    def _load_index(self, recover: bool) -> ArchiveIndex:
        try:
            return self._index_from_footer()
        except ArchiveError as exc:
            if not recover:
                raise
            index, warnings = scan_archive(self._file, self._size)
            self.warnings += [f"normal open failed ({exc})"] + warnings
            return index

    def _index_from_footer(self) -> ArchiveIndex:
        decode_file_header(self._read_at(0, FILE_HEADER_SIZE))
        if self._size < FILE_HEADER_SIZE + FOOTER_SIZE:
            raise ArchiveError("the archive is truncated: no footer (try `ozarc x --recover`, or recover=True)")
        footer = Footer.decode(self._read_at(self._size - FOOTER_SIZE, FOOTER_SIZE))
        if footer.index_offset + footer.index_length != self._size - FOOTER_SIZE:
            raise ArchiveError("the archive's footer does not point at its index (try `ozarc x --recover`, or recover=True)")
        frame = self._read_at(footer.index_offset, footer.index_length)
        if check8(frame) != footer.index_check:
            raise ArchiveError("the archive's index is damaged (try `ozarc x --recover`, or recover=True)")
        try:
            header = parse_frame_header(frame, "index")
            if header.record_type != RecordType.INDEX or header.frame_len != len(frame):
                raise ArchiveError("the archive's footer does not point at its index")
            limit = min(MAX_INDEX_RAW, max(16 << 20, 64 * self._size))
            return ArchiveIndex.decode_body(check_frame(frame, header, "index"), limit=limit)
        except OzarcError as exc:
            raise ArchiveError(f"the archive's index is damaged ({exc}); try `ozarc x --recover`, or recover=True") from None

    def close(self) -> None:
        self._file.close()
        self._chunk_cache.clear()
        self._prefetched.clear()

    # -- listing ---------------------------------------------------------------------------

    def infos(self) -> list[EntryInfo]:
        return [self._info(record) for record in self.index.entries]

    def record(self, name: str) -> EntryRecord:
        try:
            return self.index.entries[self._by_name[name]]
        except KeyError:
            raise EntryError(name, "no such member in the archive") from None

    def info(self, name: str) -> EntryInfo:
        return self._info(self.record(name))

    def _info(self, record: EntryRecord) -> EntryInfo:
        stored, codecs = 0, set()
        for stream in record.streams:
            for extent in stream.extents:
                location = self._location(extent.chunk_no)
                if location is None:
                    continue
                if location.raw_len:
                    stored += location.payload_len * extent.length // location.raw_len
                try:
                    codecs.add(codec_by_id(location.codec_id).name)
                except OzarcError:
                    codecs.add(f"codec#{location.codec_id}")
        try:
            kind = EntryKind(record.kind).label
        except ValueError:
            kind = f"unknown#{record.kind}"
        has_link = record.kind in (EntryKind.SYMLINK, EntryKind.HARDLINK)
        return EntryInfo(
            name=entry_name(record), kind=kind, mode=record.mode, mtime_ns=record.mtime_ns,
            size=record.size, stored_size=stored,
            modality=Modality.from_code(record.modality).tag, codecs=tuple(sorted(codecs)),
            link_target=os.fsdecode(record.link_target) if has_link else None,
            transform=transform_name(record.transform_id))

    def _location(self, chunk_no: int):
        return self.index.chunks[chunk_no] if 0 <= chunk_no < len(self.index.chunks) else None

    # -- chunks ----------------------------------------------------------------------------

    def chunk(self, chunk_no: int, name: str) -> bytes:
        """Chunk ``chunk_no`` decoded and checked; failures name the entry ``name``."""
        if chunk_no in self._chunk_cache:
            self._chunk_cache.move_to_end(chunk_no)
            return self._chunk_cache[chunk_no]
        try:
            raw = self._decode_chunk(chunk_no, name)
        except EntryError:
            raise
        except OzarcError as exc:
            raise EntryError(name, str(exc)) from None
        self._chunk_cache[chunk_no] = raw
        while len(self._chunk_cache) > CHUNK_CACHE_SIZE:
            self._chunk_cache.popitem(last=False)
        return raw

    def _load_record(self, chunk_no: int, name: str) -> ChunkRecord:
        """Chunk ``chunk_no``'s record, read through the chunk table and checked."""
        location = self._location(chunk_no)
        if location is None:
            raise EntryError(name, f"chunk {chunk_no} is missing from the archive")
        end = location.offset + location.frame_len
        if location.frame_len > MAX_CHUNK_FRAME or end > self._size:
            raise EntryError(name, f"chunk {chunk_no} lies beyond the end of the archive")
        frame = self._read_at(location.offset, location.frame_len)
        what = f"chunk {chunk_no}"
        header = parse_frame_header(frame[:MAX_FRAME_HEADER], what)
        if header.record_type != RecordType.CHUNK or header.frame_len != len(frame):
            raise EntryError(name, f"{what}: the index points at something else (corrupt)")
        record = ChunkRecord.decode_body(check_frame(frame, header, what), what)
        if record.chunk_no != chunk_no:
            raise EntryError(name, f"{what}: the record found there is chunk {record.chunk_no}")
        return record

    @staticmethod
    def _checked(record: ChunkRecord, raw: bytes, name: str) -> bytes:
        if len(raw) != record.raw_len or check8(raw) != record.raw_check:
            raise EntryError(name, f"chunk {record.chunk_no}: checksum mismatch, the data is "
                                   "corrupt")
        return raw

    def _decode_chunk(self, chunk_no: int, name: str) -> bytes:
        if chunk_no in self._prefetched:
            return self._prefetched.pop(chunk_no)
        record = self._load_record(chunk_no, name)
        what = f"chunk {chunk_no}"
        try:
            codec = codec_by_id(record.codec_id)
            model = self._model(record.model_ref, name) if codec.uses_model else None
            raw = codec.decode(bytes(record.payload), record.raw_len, model)
        except EntryError:
            raise
        except OzarcError as exc:
            raise EntryError(name, f"{what}: {exc}") from None
        except Exception as exc:  # a codec choking on corrupt input fails this entry only
            reason = f"{type(exc).__name__}: {exc}"
            raise EntryError(name, f"{what}: decoder failed ({reason})") from None
        return self._checked(record, raw, name)

    def prefetch(self, chunk_numbers: list[int], name: str) -> None:
        """Decode learned-codec chunks together (``decode_many``: one batched model pass).

        Best effort: a chunk that fails here is simply decoded again, alone, by ``chunk``,
        which then reports the error properly.
        """
        groups: dict[tuple[int, int], list[ChunkRecord]] = {}
        for chunk_no in dict.fromkeys(chunk_numbers):
            location = self._location(chunk_no)
            if (chunk_no in self._chunk_cache or chunk_no in self._prefetched
                    or location is None or not _batches_decode(location.codec_id)):
                continue
            try:
                record = self._load_record(chunk_no, name)
            except OzarcError:
                continue
            groups.setdefault((record.codec_id, record.model_ref), []).append(record)
        for (codec_id, model_ref), records in groups.items():
            if len(records) < 2:
                continue
            codec = codec_by_id(codec_id)
            try:
                model = self._model(model_ref, name) if codec.uses_model else None
                results = codec.decode_many([bytes(r.payload) for r in records],
                                            [r.raw_len for r in records], model)
            except Exception:  # noqa: BLE001  (reported by the one-by-one path)
                continue
            for record, raw in zip(records, results):
                if isinstance(raw, (bytes, bytearray)):
                    try:
                        self._prefetched[record.chunk_no] = self._checked(record, raw, name)
                    except EntryError:
                        pass

    def _model(self, model_ref: int, name: str):
        if model_ref not in self._models:
            number = model_ref - 1
            if not 0 <= number < len(self.index.models):
                raise EntryError(name, f"refers to model {number}, not in the model table")
            row = self.index.models[number]
            try:
                self._models[model_ref] = hooks.load_model(row.sha256.hex(), row.name)
            except OzarcError as exc:
                raise EntryError(name, str(exc)) from None
        return self._models[model_ref]

    # -- content ---------------------------------------------------------------------------

    def _file_record(self, name: str) -> EntryRecord:
        record = self.record(name)
        if record.kind == EntryKind.HARDLINK:
            target = os.fsdecode(record.link_target)
            record = self.record(target) if target in self._by_name else None
            if record is None or record.kind != EntryKind.FILE:
                raise EntryError(name, f"hard link to {target!r}, which is not a file here")
        elif record.kind != EntryKind.FILE:
            raise EntryError(name, "not a regular file")
        return record

    def _stream_pieces(self, stream: StreamRef, name: str) -> Iterator[bytes]:
        for number, extent in enumerate(stream.extents):
            if number % PREFETCH_CHUNKS == 0:
                window = stream.extents[number:number + PREFETCH_CHUNKS]
                self.prefetch([e.chunk_no for e in window], name)
            raw = self.chunk(extent.chunk_no, name)
            if extent.offset + extent.length > len(raw):
                raise EntryError(name, f"chunk {extent.chunk_no} is shorter than the entry says")
            yield raw[extent.offset:extent.offset + extent.length]

    def iter_content(self, name: str) -> Iterator[bytes]:
        """A file's bytes piece by piece; the last step checks size and hash (EntryError)."""
        record = self._file_record(name)
        hasher, total = hashlib.blake2b(digest_size=32), 0
        for piece in self._content_pieces(record, name):
            hasher.update(piece)
            total += len(piece)
            if total > record.size:
                raise EntryError(name, "content is longer than its recorded size (corrupt)")
            yield piece
        if total != record.size:
            raise EntryError(name, f"content has {total} bytes, {record.size} recorded (corrupt)")
        # Entries rebuilt from local headers by recovery carry no hash: their chunks' own
        # checksums are what vouches for them.
        if record.content_hash and hasher.digest() != record.content_hash:
            raise EntryError(name, "content hash mismatch, the data is corrupt")

    def _content_pieces(self, record: EntryRecord, name: str) -> Iterator[bytes]:
        if record.transform_id == 0:
            if len(record.streams) > 1:
                raise EntryError(name, "identity entry with several streams (corrupt)")
            for stream in record.streams:
                yield from self._stream_pieces(stream, name)
            return
        if not record.streams or sum(s.length for s in record.streams) > MAX_TRANSFORMED_STREAMS:
            raise EntryError(name, "transformed entry with impossible streams (corrupt)")
        parts = [b"".join(self._stream_pieces(s, name)) for s in record.streams]
        yield join_streams(name, record.transform_id, parts[0], parts[1:])

    def read(self, name: str) -> bytes:
        return b"".join(self.iter_content(name))

    def open_member(self, name: str) -> io.BufferedReader:
        self._file_record(name)  # fail now for a missing or non-file member
        return io.BufferedReader(MemberStream(self.iter_content(name)))

    # -- verification ----------------------------------------------------------------------

    def verify(self, progress=None) -> VerifyReport:
        from ozarc.container.verify import verify_archive

        return verify_archive(self, progress)
