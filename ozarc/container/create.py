"""``ozarc.create``: walk the inputs, lay out chunks, code them in parallel, write the archive.

I/O lives here (reading files, the output file); the layout, coding and record encoding are
the pure parts in :mod:`layout`, :mod:`compress` and :mod:`writer`.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace

from ozarc.api import CreateReport, ModalityStats, ProgressSink
from ozarc.codecs import ChunkHint, all_codecs, codec_by_id, codec_by_name
from ozarc.codecs.base import LEARNED_MIN_LEVEL
from ozarc.container.chunking import CHUNK_TARGET
from ozarc.container.compress import check_codec_option, check_level, compress_chunk
from ozarc.container import hooks
from ozarc.container.entry_choice import EntryCoding
from ozarc.container.hooks import SplitHook
from ozarc.container.layout import Action, ChunkAction, LayoutPlanner
from ozarc.container.pool import ordered_map, resolve_jobs
from ozarc.container.prepare import (
    BATCH_BYTES, BATCH_FILES, WHOLE_FILE_LIMIT, PreparedFile, prepare_batch,
)
from ozarc.container.records import EntryKind, EntryRecord, StreamRef
from ozarc.container.writer import ArchiveWriter
from ozarc.errors import ArchiveError, UsageError
from ozarc.fsio.atomic import atomic_output
from ozarc.fsio.walk import Member, TreeWalker
from ozarc.modality import Modality

#: Local headers of at most this many consecutive entries share one ENTRY record.
MAX_GROUP_ENTRIES = 4096


def create_archive(archive_path, inputs, *, jobs=None, level=6, codec="auto", exclude=(),
                   progress: ProgressSink | None = None,
                   split_hook: SplitHook | None = None) -> CreateReport:
    """The work behind :func:`ozarc.api.create` (see there); ``split_hook`` replaces the
    transforms' ``split_for_archive`` (it must be picklable for worker processes)."""
    started = time.monotonic()
    check_level(level)
    check_codec_option(codec)
    jobs = resolve_jobs(jobs)
    if isinstance(inputs, (str, bytes, os.PathLike)):
        inputs = [inputs]
    if not inputs:
        raise UsageError("nothing to archive: give at least one input path")
    if isinstance(exclude, str):
        exclude = [exclude]
    skip = set()
    if os.path.exists(archive_path):
        st = os.stat(archive_path)
        skip.add((st.st_dev, st.st_ino))
    walker = TreeWalker(exclude, skip)
    members = walker.walk(inputs)
    report = CreateReport(warnings=walker.warnings)
    choose_model = _model_chooser(codec, level)
    planner = LayoutPlanner(level, codec, choose_model)
    if split_hook is None:
        models = tuple((m, choose_model(m)) for m in Modality if choose_model(m) is not None)
        split_hook = hooks.LearnedOnlySplit(frozenset(m for m, _ in models),
                                            EntryCoding(level, codec, models))
    packer = _Packer(planner, split_hook, report, jobs)
    if progress is not None:
        progress.start(sum(m.size for m in members if m.kind == EntryKind.FILE))
    try:
        with atomic_output(archive_path) as fileobj:
            writer = ArchiveWriter(fileobj)
            written = _write_records(writer, packer.actions(members), jobs, report, progress)
            ordered = [written[key] for key in (os.fsencode(m.name) for m in members)
                       if key in written]
            report.bytes_out = writer.finish(ordered)
    except OSError as exc:
        raise ArchiveError(f"cannot write archive {os.fsdecode(archive_path)}: "
                           f"{exc.strerror or exc}") from None
    finally:
        if progress is not None:
            progress.finish()
    report.entries = len(ordered)
    for record, _ in ordered:
        if record.kind == EntryKind.FILE:
            stats = report.by_modality.setdefault(Modality.from_code(record.modality).tag,
                                                  ModalityStats())
            stats.files += 1
            stats.bytes_in += record.size
            report.bytes_in += record.size
    report.elapsed_s = time.monotonic() - started
    return report


def _write_records(writer: ArchiveWriter, actions: Iterator[Action], jobs: int,
                   report: CreateReport, progress) -> dict[bytes, tuple[EntryRecord, int]]:
    """Code chunks in the pool and write them in order; consecutive entries share one
    ENTRY record.  Returns each entry's record and the offset of its local header."""
    written: dict[bytes, tuple[EntryRecord, int]] = {}
    pending: list[EntryRecord] = []
    failures: Counter[str] = Counter()

    def flush() -> None:
        if pending:
            offset = writer.write_entries(pending)
            written.update((record.name, (record, offset)) for record in pending)
            pending.clear()

    for action, result in ordered_map(compress_chunk, actions, jobs, job_of=lambda a: a.job):
        if result is not None:
            flush()
            location = writer.write_chunk(result)
            stats = report.by_modality.setdefault(
                Modality.from_code(action.job.modality).tag, ModalityStats())
            stats.bytes_out += location.frame_len
            name = codec_by_id(result.codec_id).name
            stats.codecs[name] = stats.codecs.get(name, 0) + 1
            failures.update(result.failures)
        else:
            pending.append(action.record)
            if len(pending) >= MAX_GROUP_ENTRIES:
                flush()
        if progress is not None and action.progress_bytes:
            progress.advance(action.progress_bytes, _label(action))
    flush()
    report.warnings += [f"codec {failure} (on {count} chunk{'s' * (count > 1)}, which kept "
                        "another codec)" for failure, count in sorted(failures.items())]
    return written


def _label(action: Action) -> str:
    if isinstance(action, ChunkAction):
        return action.label
    return action.record.name.decode("utf-8", "replace")


def _model_chooser(codec_option: str, level: int):
    """Learned codecs get a shipped model (level 9: ``high`` if installed, else ``default``),
    per modality: a modality the level's model defers to another installed model (its
    manifest says so, ``ozarc.model.registry.deferrals``) gets that one.  Without a model
    learned codecs simply do not compete."""
    classical = codec_option == "store" or (
        codec_option != "auto" and not codec_by_name(codec_option).uses_model)
    if classical or (codec_option == "auto" and level < LEARNED_MIN_LEVEL):
        return lambda modality: None
    learned = [c for c in all_codecs() if c.uses_model]
    if not learned:
        return lambda modality: None
    name = "high" if level == 9 else "default"
    own = hooks.shipped_model_ref(name)
    if own is None:
        name, own = "default", hooks.shipped_model_ref("default")
    others = {tag: hooks.shipped_model_ref(other)
              for tag, other in hooks.model_deferrals(name).items()}
    chosen = {}
    for m in Modality:
        ref = others.get(m.tag) or own
        if ref is not None and any(c.applies_to(ChunkHint(modality=m, model=ref)) for c in learned):
            chosen[m] = ref
    return chosen.get


class _Packer:
    """Feeds members to the layout planner in walk order; files are read and split in the
    worker pool (:mod:`prepare`), large ones streamed here."""

    def __init__(self, planner: LayoutPlanner, split_hook: SplitHook | None, report: CreateReport,
                 jobs: int):
        self.planner = planner
        self.split_hook = split_hook
        self.report = report
        self.jobs = jobs

    def actions(self, members: list[Member]) -> Iterator[Action]:
        learned = bool(getattr(self.split_hook, "learned", None))
        batch_bytes = LEARNED_BATCH_BYTES if learned else BATCH_BYTES
        batches = ordered_map(prepare_batch, _batches(members, batch_bytes), self.jobs,
                              job_of=lambda batch: _batch_job(batch, self.split_hook))
        for batch, prepared in batches:
            results = iter(prepared or ())
            for member in batch:
                base = EntryRecord(os.fsencode(member.name), member.kind, member.mode,
                                   member.mtime_ns)
                if member.kind != EntryKind.FILE:
                    target = os.fsencode(member.link_target) if member.link_target else b""
                    yield from self.planner.add_record(replace(base, link_target=target))
                elif _streams_whole(member):
                    yield from self._whole_file(member, base, next(results))
                else:
                    yield from self._streamed_file(member, base)
        yield from self.planner.finish()

    def _warn(self, member: Member, message: str) -> None:
        self.report.warnings.append(f"{member.name}: {message}")

    def _whole_file(self, member: Member, base: EntryRecord,
                    prepared: PreparedFile) -> Iterator[Action]:
        if prepared.too_big:
            yield from self._streamed_file(member, base)
            return
        if prepared.split is None:
            self._warn(member, prepared.error or "skipped")
            return
        if prepared.size != member.size:
            self._warn(member, "file changed size while being read; archived as read")
        split = prepared.split
        main = split.streams[0].modality if split.streams else Modality.OTHER
        record = replace(base, size=prepared.size, modality=int(main),
                         transform_id=split.transform_id, content_hash=prepared.content_hash)
        yield from self.planner.add_file(record, split)

    def _streamed_file(self, member: Member, base: EntryRecord) -> Iterator[Action]:
        hasher, size, extents = hashlib.blake2b(digest_size=32), 0, []
        try:
            with open(member.path, "rb") as fileobj:
                while piece := fileobj.read(CHUNK_TARGET):
                    hasher.update(piece)
                    size += len(piece)
                    actions, piece_extents = self.planner.own_chunks(
                        piece, Modality.OTHER, (), member.name, progress=True)
                    extents += piece_extents
                    yield from actions
        except OSError as exc:
            self._warn(member, f"skipped, read failed ({exc.strerror})")
            return
        if size != member.size:
            self._warn(member, "file changed size while being read; archived as read")
        stream = StreamRef(int(Modality.OTHER), (), size, tuple(extents))
        record = replace(base, size=size, content_hash=hasher.digest(), streams=(stream,))
        yield from self.planner.add_record(record)


def _streams_whole(member: Member) -> bool:
    return member.kind == EntryKind.FILE and member.size <= WHOLE_FILE_LIMIT


#: Batch size when a learned codec may code the files: each batch then costs seconds (the
#: learned chunks of a batch are coded, then checked together), so smaller batches keep
#: every worker busy on a folder of a few hundred KB of recordings.
LEARNED_BATCH_BYTES = 256 << 10


def _batches(members: list[Member], batch_bytes: int = BATCH_BYTES) -> Iterator[list[Member]]:
    """Consecutive members grouped so each batch has about ``batch_bytes`` of small files."""
    batch, size, files = [], 0, 0
    for member in members:
        batch.append(member)
        if _streams_whole(member):
            size += member.size
            files += 1
        if size >= batch_bytes or files >= BATCH_FILES:
            yield batch
            batch, size, files = [], 0, 0
    if batch:
        yield batch


def _batch_job(batch: list[Member], split_hook):
    paths = tuple(m.path for m in batch if _streams_whole(m))
    return (paths, split_hook) if paths else None
