"""Walking the inputs of ``create``: member names, metadata and what is skipped.

Members are named like tar names them: the path as typed, without a leading "/" or "./"
and without "." components; a ".." component is refused.  Directories are walked depth
first in byte order of names, so the same tree always gives the same member order.  Symlinks
are recorded, never followed; a regular file seen again through another hard link becomes a
hard-link member naming the first; fifos, devices and sockets are skipped with a warning.
"""

from __future__ import annotations

import fnmatch
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from ozarc.container.records import EntryKind
from ozarc.errors import UsageError


@dataclass(frozen=True)
class Member:
    """One thing to archive: its member name, where it is on disk, and its metadata."""

    name: str
    path: str
    kind: EntryKind
    mode: int
    mtime_ns: int
    size: int = 0
    link_target: str | None = None


def member_name(typed: str) -> str:
    """The member name for a path as typed; "" for the root of the walk ("." or "/")."""
    parts = []
    for part in typed.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            raise UsageError(f"refusing input {typed!r}: member names may not contain '..'")
        parts.append(part)
    return "/".join(parts)


def is_excluded(name: str, patterns: tuple[str, ...]) -> bool:
    base = name.rsplit("/", 1)[-1]
    return any(fnmatch.fnmatchcase(name, p) or fnmatch.fnmatchcase(base, p) for p in patterns)


_SPECIAL_KINDS = ((stat.S_ISFIFO, "fifo"), (stat.S_ISSOCK, "socket"),
                  (stat.S_ISCHR, "character device"), (stat.S_ISBLK, "block device"))


class TreeWalker:
    """Collects members from the inputs; ``warnings`` says what was skipped and why."""

    def __init__(self, exclude: Iterable[str] = (), skip_inodes: Iterable[tuple[int, int]] = ()):
        self.exclude = tuple(exclude)
        self.skip_inodes = set(skip_inodes)
        self.warnings: list[str] = []
        self._seen_names: set[str] = set()
        self._first_link: dict[tuple[int, int], str] = {}

    def walk(self, inputs: Iterable[str | os.PathLike]) -> list[Member]:
        paths = [os.fspath(p) for p in inputs]
        paths = [os.fsdecode(p) for p in paths]
        for path in paths:
            member_name(path)  # refuse bad inputs before any work
            if not os.path.lexists(path):
                raise UsageError(f"input {path!r} does not exist")
        members: list[Member] = []
        for path in paths:
            members.extend(self._walk_one(path, member_name(path)))
        return members

    def _walk_one(self, path: str, name: str) -> Iterator[Member]:
        if name and is_excluded(name, self.exclude):
            return
        try:
            st = os.lstat(path)
        except OSError as exc:
            self.warnings.append(f"{name or path}: skipped, cannot stat ({exc.strerror})")
            return
        if (st.st_dev, st.st_ino) in self.skip_inodes:
            self.warnings.append(f"{name}: skipped, it is the archive being written")
            return
        member = self._member(path, name, st) if name else None
        if member is not None:
            if name in self._seen_names:
                self.warnings.append(f"{name}: given twice, archived once")
                return
            self._seen_names.add(name)
            yield member
        if stat.S_ISDIR(st.st_mode):
            try:
                children = sorted(os.listdir(path), key=os.fsencode)
            except OSError as exc:
                self.warnings.append(f"{name or path}: cannot list directory ({exc.strerror})")
                return
            for child in children:
                child_path = os.path.join(path, child)
                yield from self._walk_one(child_path, f"{name}/{child}" if name else child)

    def _member(self, path: str, name: str, st: os.stat_result) -> Member | None:
        mode, mtime = stat.S_IMODE(st.st_mode), st.st_mtime_ns
        if stat.S_ISDIR(st.st_mode):
            return Member(name, path, EntryKind.DIR, mode, mtime)
        if stat.S_ISLNK(st.st_mode):
            return Member(name, path, EntryKind.SYMLINK, mode, mtime,
                          link_target=os.readlink(path))
        if stat.S_ISREG(st.st_mode):
            key = (st.st_dev, st.st_ino)
            if st.st_nlink > 1 and key in self._first_link:
                return Member(name, path, EntryKind.HARDLINK, mode, mtime,
                              link_target=self._first_link[key])
            if st.st_nlink > 1:
                self._first_link[key] = name
            return Member(name, path, EntryKind.FILE, mode, mtime, size=st.st_size)
        kind = next((label for test, label in _SPECIAL_KINDS if test(st.st_mode)), "special file")
        self.warnings.append(f"{name}: skipped, a {kind} is not archived")
        return None
