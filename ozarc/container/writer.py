"""Writing records to an archive file in order: header, chunks, entries, models, index, footer.

The writer knows nothing about files or workers: it frames records, remembers where each
chunk and entry went, and at the end writes the central index and the footer.
"""

from __future__ import annotations

from typing import BinaryIO

from ozarc.container.compress import CompressResult
from ozarc.container.framing import (
    FILE_HEADER_SIZE, Footer, RecordType, check8, encode_file_header, encode_frame,
)
from ozarc.container.index import ArchiveIndex, ChunkLocation
from ozarc.container.records import ChunkRecord, EntryRecord, ModelRecord, encode_entry_group


def model_identity(model: object) -> tuple[str, bytes]:
    """(name, 32-byte SHA-256) of a model reference (``ModelRef`` or a loaded model)."""
    name = str(getattr(model, "name", "model"))
    digest = getattr(model, "sha256", b"")
    if isinstance(digest, str):
        digest = bytes.fromhex(digest)
    if len(digest) != 32:
        raise ValueError(f"model {name!r} has no valid SHA-256")
    return name, bytes(digest)


class ArchiveWriter:
    def __init__(self, fileobj: BinaryIO):
        self.fileobj = fileobj
        self.index = ArchiveIndex()
        self._model_numbers: dict[bytes, int] = {}
        self.offset = 0
        self._write(encode_file_header())
        assert self.offset == FILE_HEADER_SIZE

    def _write(self, data: bytes) -> int:
        start = self.offset
        self.fileobj.write(data)
        self.offset += len(data)
        return start

    def _model_ref(self, model: object | None) -> int:
        if model is None:
            return 0
        name, digest = model_identity(model)
        if digest not in self._model_numbers:
            record = ModelRecord(len(self.index.models), name, digest)
            self._write(encode_frame(RecordType.MODEL, record.encode_body()))
            self.index.models.append(record)
            self._model_numbers[digest] = record.table_index
        return self._model_numbers[digest] + 1

    def write_chunk(self, result: CompressResult) -> ChunkLocation:
        if result.chunk_no != len(self.index.chunks):
            raise RuntimeError(f"chunk {result.chunk_no} written out of order")
        record = ChunkRecord(result.chunk_no, result.codec_id, self._model_ref(result.model),
                             result.raw_len, result.raw_check, result.payload)
        frame = encode_frame(RecordType.CHUNK, record.encode_body())
        location = ChunkLocation(self.offset, len(frame), result.codec_id, result.raw_len,
                                 len(result.payload))
        self._write(frame)
        self.index.chunks.append(location)
        return location

    def write_entries(self, records: list[EntryRecord]) -> int:
        """Write the local headers of consecutive entries as one ENTRY record; its offset."""
        return self._write(encode_frame(RecordType.ENTRY, encode_entry_group(records)))

    def finish(self, entries: list[tuple[EntryRecord, int]]) -> int:
        """Write the index (entries in the given order) and the footer; return the total size."""
        self.index.entries = [record for record, _ in entries]
        self.index.entry_offsets = [offset for _, offset in entries]
        frame = encode_frame(RecordType.INDEX, self.index.encode_body())
        index_offset = self._write(frame)
        self._write(Footer(index_offset, len(frame), check8(frame)).encode())
        return self.offset
