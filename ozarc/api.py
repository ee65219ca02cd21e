"""ozarc's public API, shaped like :mod:`tarfile`.

``create`` packs files and directories into an archive; ``open`` returns an
:class:`ArchiveReader` (a context manager) that lists, reads, extracts and verifies members.
This module only holds the public signatures and report types; the work is done in
:mod:`ozarc.container` (format, writer, reader) and :mod:`ozarc.fsio` (the file system side),
so the CLI and other callers depend on this one stable surface.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import IO, Protocol, runtime_checkable

from ozarc.errors import ArchiveError, EntryError, UnsafePathError, UsageError  # noqa: F401

PathLike = str | os.PathLike


@runtime_checkable
class ProgressSink(Protocol):
    """Receives progress: ``start`` once with the total, ``advance`` per piece, ``finish`` once."""

    def start(self, total_bytes: int) -> None: ...

    def advance(self, nbytes: int, current: str) -> None: ...

    def finish(self) -> None: ...


@dataclass(frozen=True)
class EntryInfo:
    """One archive member as a user sees it (``tarfile.TarInfo``-like).

    ``kind`` is "file", "dir", "symlink" or "hardlink"; ``link_target`` is the symlink's target
    or, for a hard link, the name of the member it links to.  ``size`` is the file's length,
    ``stored_size`` the bytes its chunks take in the archive (a share of solid chunks it
    shares with others, so the sizes of all entries add up to the data in the archive).
    """

    name: str
    kind: str
    mode: int
    mtime_ns: int
    size: int
    stored_size: int
    modality: str
    codecs: tuple[str, ...]
    link_target: str | None
    transform: str


@dataclass
class ModalityStats:
    """What one modality contributed to an archive."""

    files: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    codecs: dict[str, int] = field(default_factory=dict)


@dataclass
class CreateReport:
    """Result of :func:`create`.  ``warnings`` holds skipped special files and the like."""

    entries: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    by_modality: dict[str, ModalityStats] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    elapsed_s: float = 0.0


@dataclass
class ExtractReport:
    """Result of :meth:`ArchiveReader.extractall`; ``failed`` holds (name, message) pairs."""

    extracted: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class VerifyReport:
    """Result of :meth:`ArchiveReader.verify`; ``failed`` holds (name, message) pairs."""

    ok: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


def create(archive_path: PathLike, inputs: Sequence[PathLike] | PathLike, *,
           jobs: int | None = None, level: int = 6, codec: str = "auto",
           exclude: Iterable[str] = (), progress: ProgressSink | None = None) -> CreateReport:
    """Pack ``inputs`` (files and directories) into a new archive at ``archive_path``.

    Members are named like tar does: the path as given, without a leading "/" or "./";
    a ".." component is refused (UsageError).  ``jobs`` worker processes compress chunks
    (None: one per core); the archive is byte-identical whatever ``jobs`` is.  ``level`` is
    1..9, ``codec`` "auto", "zstd", "store" or any registered codec name, ``exclude`` glob
    patterns matched against member names and base names.  The archive is written to a
    temporary file next to it and renamed at the end: an error leaves nothing behind.
    """
    from ozarc.container.create import create_archive

    return create_archive(archive_path, inputs, jobs=jobs, level=level, codec=codec,
                          exclude=exclude, progress=progress)


def open(archive_path: PathLike, *, recover: bool = False) -> "ArchiveReader":  # noqa: A001
    """Open an archive for reading.

    ``recover=True`` rebuilds the index by scanning the archive's records when the index or
    footer is lost or damaged; otherwise such an archive raises ArchiveError.
    """
    return ArchiveReader(archive_path, recover=recover)


class ArchiveReader:
    """A readable archive: list, read, extract and verify members (``tarfile.TarFile``-like)."""

    def __init__(self, archive_path: PathLike, *, recover: bool = False):
        from ozarc.container.reader import Reader

        self._reader = Reader(archive_path, recover=recover)

    def __enter__(self) -> "ArchiveReader":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    @property
    def warnings(self) -> list[str]:
        """Problems found while opening (e.g. what ``recover=True`` could not rebuild)."""
        return list(self._reader.warnings)

    def names(self) -> list[str]:
        """Member names in archive order."""
        return [info.name for info in self._reader.infos()]

    def entries(self) -> list[EntryInfo]:
        return list(self._reader.infos())

    def getentry(self, name: str) -> EntryInfo:
        """The member called ``name``; EntryError if there is none."""
        return self._reader.info(name)

    def read(self, name: str) -> bytes:
        """The whole content of a file member (hash verified); EntryError on any problem."""
        return self._reader.read(name)

    def extractfile(self, name: str) -> IO[bytes]:
        """A binary file object reading the member chunk by chunk (verified at its end)."""
        return self._reader.open_member(name)

    def extract(self, name: str, dest_dir: PathLike, *, overwrite: bool = False) -> None:
        """Extract one member under ``dest_dir``; raises EntryError/UnsafePathError on failure."""
        from ozarc.fsio.extract import extract_one

        extract_one(self._reader, name, dest_dir, overwrite=overwrite)

    def extractall(self, dest_dir: PathLike, *, members: Iterable[str] | None = None,
                   overwrite: bool = False, jobs: int | None = None,
                   progress: ProgressSink | None = None) -> ExtractReport:
        """Extract members (names or glob patterns; None = all) safely under ``dest_dir``.

        Nothing is written outside ``dest_dir``; existing files are kept unless ``overwrite``.
        Each member's failure is collected in the report and the others still extract.
        """
        from ozarc.fsio.extract import extract_members

        return extract_members(self._reader, dest_dir, members=members, overwrite=overwrite,
                               jobs=jobs, progress=progress)

    def verify(self, progress: ProgressSink | None = None) -> VerifyReport:
        """Check every chunk checksum and every file hash; failures named per entry."""
        return self._reader.verify(progress=progress)

    def close(self) -> None:
        self._reader.close()
