"""Extracting members safely, in parallel, each failure confined to its own member.

Order: directories first, then regular files (in worker processes, batched so members that
share a solid chunk are decoded together), then hard links, then symlinks, and last the
directories' modes and mtimes (deepest first, so writing their contents does not touch them).
Every file is written to a temporary name in its directory and renamed only once its hash has
verified, so a corrupt member never leaves a plausible-looking file behind.
"""

from __future__ import annotations

import fnmatch
import itertools
import os
import stat
from collections.abc import Iterable
from concurrent.futures.process import BrokenProcessPool

from ozarc.api import ExtractReport
from ozarc.codecs import codec_by_id
from ozarc.container.pool import WorkerError, make_executor, resolve_jobs
from ozarc.container.reader import PREFETCH_CHUNKS, Reader, entry_name
from ozarc.container.records import EntryKind, EntryRecord
from ozarc.errors import EntryError, OzarcError, UsageError
from ozarc.fsio.metadata import restore_fd, restore_symlink_time
from ozarc.fsio.safepath import (
    DIR_FLAGS, DirCache, check_symlink_target, open_dir_chain, safe_parts,
)

FILE_FLAGS = (os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
              | getattr(os, "O_CLOEXEC", 0))
_temp_counter = itertools.count()
#: Below this much data per worker, extracting in this process is faster than a pool.
PARALLEL_MIN_BYTES = 4 << 20
PARALLEL_MIN_FILE_SIZE = 64 << 10


def select_members(records: list[EntryRecord], patterns: Iterable[str] | None,
                   report: ExtractReport) -> list[EntryRecord]:
    """Members named by ``patterns`` (exact names, globs, or a directory with its contents)."""
    if patterns is None:
        return list(records)
    patterns = list(patterns)
    chosen, matched = [], set()
    for record in records:
        name = entry_name(record)
        hits = [p for p in patterns if name == p or fnmatch.fnmatchcase(name, p)
                or name.startswith(p.rstrip("/") + "/")]
        if hits:
            chosen.append(record)
            matched.update(hits)
    for pattern in patterns:
        if pattern not in matched:
            report.failed.append((pattern, f"{pattern}: no such member in the archive"))
    return chosen


class _Report(ExtractReport):
    """The report plus the exceptions behind its failures (for ``extract``, which raises)."""

    def __init__(self, **fields):
        super().__init__(**fields)
        self.errors: list[Exception] = []


def _fail(report: ExtractReport, name: str, exc: Exception) -> None:
    if isinstance(report, _Report):
        report.errors.append(exc)
    text = str(exc) if isinstance(exc, OzarcError) else f"{type(exc).__name__}: {exc}"
    if isinstance(exc, OSError) and exc.strerror:
        text = exc.strerror
    report.failed.append((name, text if text.startswith(f"{name}: ") else f"{name}: {text}"))


def extract_one(reader: Reader, name: str, dest_dir, *, overwrite: bool = False) -> None:
    """Extract one member; raise its error (EntryError, UnsafePathError) if it fails."""
    report = extract_members(reader, dest_dir, members=[name], overwrite=overwrite, jobs=1)
    if report.errors:
        error = report.errors[0]
        if isinstance(error, OzarcError):
            raise error
        raise EntryError(name, str(error))
    if report.failed:
        raise EntryError(name, report.failed[0][1].removeprefix(f"{name}: "))


def extract_members(reader: Reader, dest_dir, *, members=None, overwrite=False, jobs=None,
                    progress=None) -> ExtractReport:
    jobs = resolve_jobs(jobs)
    report = _Report(warnings=list(reader.warnings))
    selected = select_members(reader.index.entries, members, report)
    try:
        os.makedirs(dest_dir, exist_ok=True)
        root_fd = os.open(dest_dir, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:
        raise UsageError(f"cannot extract into {os.fsdecode(dest_dir)}: "
                         f"{exc.strerror or exc}") from None
    try:
        by_kind: dict[int, list[EntryRecord]] = {}
        for record in selected:
            name = entry_name(record)
            try:
                safe_parts(name)
                if record.kind not in EntryKind.__members__.values():
                    raise EntryError(name, f"unknown entry type {record.kind}: needs a newer ozarc")
            except OzarcError as exc:
                _fail(report, name, exc)
                continue
            by_kind.setdefault(record.kind, []).append(record)
        dirs = by_kind.get(EntryKind.DIR, [])
        for record in dirs:
            _guarded(report, record, lambda r: _make_dir(root_fd, r))
        files = by_kind.get(EntryKind.FILE, [])
        if progress is not None:
            progress.start(sum(r.size for r in files + by_kind.get(EntryKind.HARDLINK, [])))
        _extract_files(reader, dest_dir, root_fd, files, overwrite, jobs, report, progress)
        done = set(report.extracted)
        for record in by_kind.get(EntryKind.HARDLINK, []):
            _guarded(report, record, lambda r: _make_hardlink(reader, root_fd, r, overwrite, done))
            if progress is not None:
                progress.advance(record.size, entry_name(record))
        for record in by_kind.get(EntryKind.SYMLINK, []):
            _guarded(report, record, lambda r: _make_symlink(root_fd, r, overwrite))
        _drop_escaping_links(dest_dir, by_kind.get(EntryKind.SYMLINK, []), report)
        failed = {name for name, _ in report.failed}
        for record in sorted(dirs, key=lambda r: -entry_name(r).count("/")):
            if entry_name(record) not in failed:
                _guarded(report, record, lambda r: _restore_dir(root_fd, r), record_ok=False)
    finally:
        os.close(root_fd)
        if progress is not None:
            progress.finish()
    return report


def _guarded(report: ExtractReport, record: EntryRecord, action, record_ok: bool = True) -> None:
    name = entry_name(record)
    try:
        action(record)
    except (OzarcError, OSError) as exc:
        _fail(report, name, exc)
    else:
        if record_ok:
            report.extracted.append(name)


def _parent(root_fd: int, name: str) -> tuple[int, str]:
    parts = safe_parts(name)
    return open_dir_chain(root_fd, parts[:-1], name), parts[-1]


def _make_dir(root_fd: int, record: EntryRecord) -> None:
    name = entry_name(record)
    os.close(open_dir_chain(root_fd, safe_parts(name), name))


def _restore_dir(root_fd: int, record: EntryRecord) -> None:
    name = entry_name(record)
    fd = open_dir_chain(root_fd, safe_parts(name), name, create=False)
    try:
        restore_fd(fd, record.mode, record.mtime_ns)
    finally:
        os.close(fd)


def _check_free(parent_fd: int, base: str, name: str, overwrite: bool) -> None:
    try:
        st = os.lstat(base, dir_fd=parent_fd)
    except FileNotFoundError:
        return
    if not overwrite:
        raise EntryError(name, "already exists (not overwritten; use overwrite)")
    if stat.S_ISDIR(st.st_mode):
        raise EntryError(name, "a directory is in the way")


def write_file(reader: Reader, dirs: DirCache, record: EntryRecord, overwrite: bool) -> None:
    """Write one file via a temporary name; rename it into place once its hash verified."""
    name = entry_name(record)
    parts = safe_parts(name)
    parent_fd, base = dirs.open(parts[:-1], name), parts[-1]
    _check_free(parent_fd, base, name, overwrite)
    temp = f".{base[:100]}.{os.getpid()}.{next(_temp_counter)}.ozarc-part"
    fd = os.open(temp, FILE_FLAGS, 0o600, dir_fd=parent_fd)
    try:
        with os.fdopen(fd, "wb", closefd=False) as out:
            for piece in reader.iter_content(name):
                out.write(piece)
        restore_fd(fd, record.mode, record.mtime_ns)
    except BaseException:
        os.close(fd)
        os.unlink(temp, dir_fd=parent_fd)
        raise
    os.close(fd)
    try:
        os.rename(temp, base, src_dir_fd=parent_fd, dst_dir_fd=parent_fd)
    except OSError:
        os.unlink(temp, dir_fd=parent_fd)
        raise


def _make_hardlink(reader: Reader, root_fd: int, record: EntryRecord, overwrite: bool,
                   done: set[str]) -> None:
    name, target = entry_name(record), os.fsdecode(record.link_target)
    if target not in done:  # its target was not extracted now: write the content itself
        dirs = DirCache(root_fd)
        try:
            write_file(reader, dirs, record, overwrite)
        finally:
            dirs.close()
        return
    target_fd, target_base = _parent(root_fd, target)
    parent_fd, base = _parent(root_fd, name)
    try:
        _make_room(parent_fd, base, name, overwrite)
        os.link(target_base, base, src_dir_fd=target_fd, dst_dir_fd=parent_fd,
                follow_symlinks=False)
    finally:
        os.close(parent_fd)
        os.close(target_fd)


def _make_room(parent_fd: int, base: str, name: str, overwrite: bool) -> None:
    """Refuse an existing entry unless ``overwrite``; then remove it for a link to take its place."""
    _check_free(parent_fd, base, name, overwrite)
    if overwrite:
        try:
            os.unlink(base, dir_fd=parent_fd)
        except FileNotFoundError:
            pass


def _make_symlink(root_fd: int, record: EntryRecord, overwrite: bool) -> None:
    name, target = entry_name(record), os.fsdecode(record.link_target)
    check_symlink_target(name, target)
    parent_fd, base = _parent(root_fd, name)
    try:
        _make_room(parent_fd, base, name, overwrite)
        os.symlink(target, base, dir_fd=parent_fd)
        restore_symlink_time(parent_fd, base, record.mtime_ns)
    finally:
        os.close(parent_fd)


def _drop_escaping_links(dest_dir, links: list[EntryRecord], report: ExtractReport) -> None:
    """Remove links that leave ``dest_dir`` once resolved through the other links.

    Each target was checked lexically when it was created, but a chain (``a -> ..`` then
    ``b -> a/../x``) escapes only through another link, so the check is repeated on the
    finished tree with real resolution, as tarfile's 'data' filter does.
    """
    root = os.path.realpath(dest_dir)
    created = [r for r in links if entry_name(r) in set(report.extracted)]
    for record in created:
        name = entry_name(record)
        path = os.path.join(root, *safe_parts(name))
        resolved = os.path.realpath(path)
        if resolved == root or resolved.startswith(root + os.sep):
            continue
        os.unlink(path)
        report.extracted.remove(name)
        _fail(report, name, EntryError(name, f"refused: symlink target "
                                             f"{os.fsdecode(record.link_target)!r} resolves "
                                             "outside the extraction directory"))


# -- regular files, in parallel ------------------------------------------------------------

def _first_chunk(record: EntryRecord) -> int:
    return min((e.chunk_no for s in record.streams for e in s.extents), default=-1)


def plan_batches(files: list[EntryRecord], n_batches: int,
                 costly=lambda chunk_no: True) -> list[list[EntryRecord]]:
    """Split files into about ``n_batches`` runs of similar size, never splitting a costly
    chunk between two batches (each worker would decode it).

    ``costly(chunk_no)``: whether decoding that chunk twice would matter (learned codecs).
    Cheap chunks may be shared: the transforms' recipes of many files sit together in one
    small solid zstd chunk written late in the archive, and if it counted, no file after the
    first could start a new batch and one worker would do everything.
    """
    ordered = sorted(files, key=_first_chunk)
    total = sum(max(r.size, 1) for r in ordered)
    goal = max(1, total // max(1, n_batches))
    batches, current, size, last_chunk = [], [], 0, -1
    for record in ordered:
        chunks = [e.chunk_no for s in record.streams for e in s.extents if costly(e.chunk_no)]
        if current and size >= goal and (not chunks or min(chunks) > last_chunk):
            batches.append(current)
            current, size = [], 0
        current.append(record)
        size += max(record.size, 1)
        last_chunk = max(chunks + [last_chunk])
    if current:
        batches.append(current)
    return batches


def _extract_batch(archive_path, index, dest_dir, records, overwrite):
    """Worker: extract a batch; returns (extracted names, failures)."""
    report = ExtractReport()
    reader = Reader(archive_path, index=index)
    root_fd = os.open(dest_dir, DIR_FLAGS & ~getattr(os, "O_NOFOLLOW", 0))
    dirs = DirCache(root_fd)
    try:
        _write_files(reader, dirs, records, overwrite, report)
    finally:
        dirs.close()
        os.close(root_fd)
        reader.close()
    return report.extracted, report.failed


def _write_files(reader: Reader, dirs: DirCache, records: list[EntryRecord], overwrite: bool,
                 report: ExtractReport, progress=None) -> None:
    """write_file for each record, in order.  The learned chunks of each run of files (up to
    PREFETCH_CHUNKS of them) are decoded together first: a folder of short recordings then
    shares the decoder's steps instead of paying them file by file."""
    for window, chunks in _prefetch_windows(reader, records):
        if len(chunks) > 1:
            reader.prefetch(chunks, entry_name(window[0]))
        for record in window:
            _guarded(report, record, lambda r: write_file(reader, dirs, r, overwrite))
            if progress is not None:
                progress.advance(record.size, entry_name(record))


def _prefetch_windows(reader: Reader, records: list[EntryRecord]):
    """Consecutive runs of records, each with its learned chunk numbers, a run closing once
    it holds PREFETCH_CHUNKS of them."""
    window: list[EntryRecord] = []
    chunks: list[int] = []
    for record in records:
        window.append(record)
        chunks += [e.chunk_no for stream in record.streams for e in stream.extents
                   if _learned_chunk(reader, e.chunk_no)]
        if len(chunks) >= PREFETCH_CHUNKS:
            yield window, chunks
            window, chunks = [], []
    if window:
        yield window, chunks


def worth_a_pool(reader: Reader, files: list[EntryRecord], jobs: int) -> bool:
    """Workers pay off for learned codecs (slow to decode) or for enough data in files big
    enough that decoding, not creating files, is the work (many small files in the same
    directories only contend for the directories' locks)."""
    if jobs == 1 or len(files) < 2:
        return False
    chunk_numbers = {e.chunk_no for r in files for s in r.streams for e in s.extents}
    learned = any(_learned_chunk(reader, n) for n in chunk_numbers)
    total = sum(r.size for r in files)
    return learned or (total >= PARALLEL_MIN_BYTES * jobs
                       and total >= PARALLEL_MIN_FILE_SIZE * len(files))


def _learned_chunk(reader: Reader, chunk_no: int) -> bool:
    """Whether the chunk is coded by a learned codec (slow to decode)."""
    return getattr(_codec_or_none(reader, chunk_no), "uses_model", False)


def _codec_or_none(reader: Reader, chunk_no: int):
    location = reader.index.chunks[chunk_no] if 0 <= chunk_no < len(reader.index.chunks) else None
    try:
        return codec_by_id(location.codec_id) if location is not None else None
    except OzarcError:
        return None


def _extract_files(reader, dest_dir, root_fd, files, overwrite, jobs, report, progress):
    if not worth_a_pool(reader, files, jobs):
        dirs = DirCache(root_fd)
        try:
            _write_files(reader, dirs, files, overwrite, report, progress)
        finally:
            dirs.close()
        return
    batches = plan_batches(files, 4 * jobs, costly=lambda n: _learned_chunk(reader, n))
    executor = make_executor(jobs)
    try:
        futures = [executor.submit(_extract_batch, reader.path, reader.index,
                                   os.path.abspath(dest_dir), batch, overwrite)
                   for batch in batches]
        for batch, future in zip(batches, futures):
            try:
                extracted, failed = future.result()
            except BrokenProcessPool:
                raise WorkerError() from None
            report.extracted += extracted
            report.failed += failed
            if progress is not None:
                progress.advance(sum(r.size for r in batch), entry_name(batch[-1]))
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
