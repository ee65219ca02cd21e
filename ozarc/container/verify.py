"""``verify``: check every record of an archive and name the entry each problem hurts.

Each entry is checked through its local record (must match the index) and its content (every
chunk's checksum and the whole-file hash).  A walk over all records then reports damage that
no entry owns (a model-table row, bytes between records) as a failure of "<archive>".
"""

from __future__ import annotations

import os
from dataclasses import replace

from ozarc.api import VerifyReport
from ozarc.container.framing import (
    FILE_HEADER_SIZE, MAX_FRAME_HEADER, RecordType, check_frame, parse_frame_header,
)
from ozarc.container.records import EntryKind, EntryRecord, decode_entry_group
from ozarc.errors import OzarcError

ARCHIVE_LEVEL = "<archive>"


def verify_archive(reader, progress=None) -> VerifyReport:
    report = VerifyReport()
    entries = reader.index.entries
    if progress is not None:
        progress.start(sum(e.size for e in entries if e.kind == EntryKind.FILE))
    try:
        for record, offset in zip(entries, reader.index.entry_offsets):
            name = os.fsdecode(record.name)
            try:
                _check_local_record(reader, record, offset, name)
                if record.kind in (EntryKind.FILE, EntryKind.HARDLINK):
                    for _ in reader.iter_content(name):
                        pass
                elif record.kind not in (EntryKind.DIR, EntryKind.SYMLINK):
                    raise OzarcError(f"unknown entry type {record.kind}: needs a newer ozarc")
            except OzarcError as exc:
                report.failed.append((name, _message(name, exc)))
            else:
                report.ok.append(name)
            if progress is not None and record.kind == EntryKind.FILE:
                progress.advance(record.size, name)
        report.failed += [(ARCHIVE_LEVEL, message) for message in _walk_records(reader)]
    finally:
        if progress is not None:
            progress.finish()
    return report


def _message(name: str, exc: OzarcError) -> str:
    text = str(exc)
    return text if text.startswith(f"{name}: ") else f"{name}: {text}"


def _check_local_record(reader, record: EntryRecord, offset: int, name: str) -> None:
    group = _group_at(reader, offset, name)
    if group is None:
        raise OzarcError("its local header is missing or damaged")
    if replace(record, content_hash=b"") not in group:
        raise OzarcError("its local header does not match the index")


def _group_at(reader, offset: int, name: str) -> list[EntryRecord] | None:
    """The entries of the intact ENTRY record at ``offset`` (cached: entries share them)."""
    cache = reader.__dict__.setdefault("_verify_groups", {})
    if offset not in cache:
        frame = _frame_at(reader, offset, f"local header of {name}")
        try:
            ok = frame is not None and frame[0] == RecordType.ENTRY
            cache.clear()
            cache[offset] = decode_entry_group(frame[1]) if ok else None
        except OzarcError:
            cache[offset] = None
    return cache[offset]


def _frame_at(reader, offset: int, what: str):
    """(type, body) of the intact record at ``offset``, or None."""
    try:
        head = reader._read_at(offset, MAX_FRAME_HEADER)
        header = parse_frame_header(head, what)
        if header.frame_len > reader._size - offset:
            return None
        body = check_frame(reader._read_at(offset, header.frame_len), header, what)
        return header.record_type, bytes(body), header.frame_len
    except OzarcError:
        return None


def _walk_records(reader) -> list[str]:
    """Damage between the file header and the index that no entry or chunk accounts for."""
    if not reader.index.entry_offsets and not reader.index.chunks:
        return []
    known = {c.offset: c.frame_len for c in reader.index.chunks if c is not None}
    known_starts = sorted(set(known) | set(reader.index.entry_offsets))
    end = max([c.offset + c.frame_len for c in reader.index.chunks if c is not None]
              + [o + 1 for o in reader.index.entry_offsets])
    problems, pos = [], FILE_HEADER_SIZE
    while pos < end:
        if pos in known and pos not in reader.index.entry_offsets:
            pos += known[pos]  # chunks are checked through the entries that use them
            continue
        frame = _frame_at(reader, pos, "record")
        if frame is not None:
            pos += frame[2]
            continue
        if pos not in reader.index.entry_offsets:
            problems.append(f"damaged record at byte {pos} (not part of any entry)")
        pos = next((s for s in known_starts if s > pos), end)
    return problems
