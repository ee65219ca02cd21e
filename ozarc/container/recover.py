"""Rebuilding an index by scanning for intact records, when the footer or index is lost.

Every record starts with the sync bytes and ends with a check over its contents, so a scan
can find each intact record again: chunks by their numbers, entries by their local records,
model-table rows by their MODEL records.  Entries whose chunks were lost are still listed;
reading them fails with a message naming them.
"""

from __future__ import annotations

import mmap
from typing import BinaryIO

from ozarc.container.framing import (
    FILE_HEADER_SIZE, FILE_MAGIC, FOOTER_SIZE, RECORD_SYNC, RecordType, check_frame,
    parse_frame_header,
)
from ozarc.container.index import ArchiveIndex, ChunkLocation
from ozarc.container.records import ChunkRecord, ModelRecord, decode_entry_group
from ozarc.errors import ArchiveError, OzarcError

#: The smallest frame a chunk can have; bounds the chunk numbers a scan accepts.
MIN_CHUNK_FRAME = 16
MAX_MODELS = 4096


def scan_archive(fileobj: BinaryIO, size: int) -> tuple[ArchiveIndex, list[str]]:
    """Return the index rebuilt from intact records, and warnings describing the damage."""
    if size == 0:
        raise ArchiveError("the archive is empty: nothing to recover")
    with mmap.mmap(fileobj.fileno(), 0, access=mmap.ACCESS_READ) as data:
        return _scan(data, size)


def _scan(data, size: int) -> tuple[ArchiveIndex, list[str]]:
    if data[:len(FILE_MAGIC)] != FILE_MAGIC and data.find(RECORD_SYNC) < 0:
        raise ArchiveError("not an ozarc archive: no records found to recover")
    chunks: dict[int, ChunkLocation] = {}
    models: dict[int, ModelRecord] = {}
    entries: list = []
    found_index: ArchiveIndex | None = None
    pos = FILE_HEADER_SIZE if data[:len(FILE_MAGIC)] == FILE_MAGIC else 0
    damaged, good_end = 0, pos  # regions between intact records; where the last one ended
    while (start := data.find(RECORD_SYNC, pos)) >= 0:
        try:
            header = parse_frame_header(data[start:start + 16], "record")
            if header.frame_len > size - start:
                raise ArchiveError("record runs past the end")
            body = check_frame(data[start:start + header.frame_len], header, "record")
            _take(header.record_type, body, start, header.frame_len, size,
                  chunks, models, entries)
            if header.record_type == RecordType.INDEX:
                found_index = ArchiveIndex.decode_body(body)
        except OzarcError:
            pos = start + 1
            continue
        damaged += start > good_end
        pos = good_end = start + header.frame_len
    damaged += size - good_end > FOOTER_SIZE
    if found_index is not None:
        return found_index, ["index found intact by scanning; footer was damaged or missing"]
    index = ArchiveIndex()
    index.chunks = [chunks.get(n) for n in range(max(chunks, default=-1) + 1)]
    index.models = [models.get(n) or ModelRecord(n, "(lost)", bytes(32))
                    for n in range(max(models, default=-1) + 1)]
    seen: set[bytes] = set()
    for offset, record in entries:
        if record.name not in seen:
            seen.add(record.name)
            index.entries.append(record)
            index.entry_offsets.append(offset)
    lost = sum(1 for c in index.chunks if c is None)
    warnings = [f"index rebuilt by scanning: {len(index.entries)} entries, "
                f"{len(chunks)} chunks found, {lost} chunks missing, {damaged} damaged or "
                "missing regions skipped; files are checked by their chunks' checksums (their "
                "whole-file hashes were in the lost index)"]
    return index, warnings


def _take(record_type, body, start, frame_len, size, chunks, models, entries) -> None:
    if record_type == RecordType.CHUNK:
        record = ChunkRecord.decode_body(body)
        if record.chunk_no <= size // MIN_CHUNK_FRAME and record.chunk_no not in chunks:
            chunks[record.chunk_no] = ChunkLocation(start, frame_len, record.codec_id,
                                                    record.raw_len, len(record.payload))
    elif record_type == RecordType.ENTRY:
        entries.extend((start, record) for record in decode_entry_group(body))
    elif record_type == RecordType.MODEL:
        record = ModelRecord.decode_body(body)
        if record.table_index < MAX_MODELS:
            models.setdefault(record.table_index, record)
