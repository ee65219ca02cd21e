"""Test helper: write archives record by record, including ones ozarc itself would never write."""

from __future__ import annotations

import hashlib

from ozarc.container.compress import CompressJob, compress_chunk
from ozarc.container.records import EntryKind, EntryRecord, Extent, StreamRef
from ozarc.container.writer import ArchiveWriter


def craft_archive(path, members):
    """``members``: (name, kind, payload) with payload bytes for files, a target for links.

    Files get one chunk each (zstd), so every member is independent.
    """
    with open(path, "wb") as fileobj:
        writer = ArchiveWriter(fileobj)
        written = []
        for name, kind, payload in members:
            record = EntryRecord(name.encode(), kind, 0o644 if kind != EntryKind.DIR else 0o755,
                                 1_700_000_000_000_000_000)
            if kind == EntryKind.FILE:
                streams = ()
                if payload:
                    chunk_no = len(writer.index.chunks)
                    writer.write_chunk(compress_chunk(CompressJob(chunk_no, payload, 0, (), 3, "zstd")))
                    streams = (StreamRef(0, (), len(payload), (Extent(chunk_no, 0, len(payload)),)),)
                record = EntryRecord(record.name, kind, record.mode, record.mtime_ns, len(payload),
                                     content_hash=hashlib.blake2b(payload, digest_size=32).digest(),
                                     streams=streams)
            elif kind in (EntryKind.SYMLINK, EntryKind.HARDLINK):
                record = EntryRecord(record.name, kind, 0o777, record.mtime_ns,
                                     link_target=payload.encode())
            written.append((record, writer.write_entries([record])))
        writer.finish(written)
    return path


def craft_raw(path, records_and_chunks):
    """Write given EntryRecords after given chunk jobs' results verbatim (for lying headers)."""
    with open(path, "wb") as fileobj:
        writer = ArchiveWriter(fileobj)
        written = []
        for item in records_and_chunks:
            if isinstance(item, CompressJob):
                writer.write_chunk(compress_chunk(item))
            else:
                written.append((item, writer.write_entries([item])))
        writer.finish(written)
    return path
