"""Keeping extraction inside its target directory (tarfile's 'data' filter, by construction).

Member names are checked (no absolute paths, no "..", no NUL) and then every parent
directory is opened relative to the one before with ``O_NOFOLLOW``: a path through any
symlink, whether extracted earlier or already on disk, fails instead of being followed.
Link targets are checked too: symlinks may not point outside the target directory.
"""

from __future__ import annotations

import errno
import os
import posixpath

from ozarc.errors import UnsafePathError

DIR_FLAGS = (os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_NOFOLLOW", 0)
             | getattr(os, "O_CLOEXEC", 0))


def safe_parts(name: str) -> list[str]:
    """The path components of a member name; UnsafePathError if it could leave the target."""
    if "\x00" in name:
        raise UnsafePathError(name, "refused: the name contains a NUL byte")
    if name.startswith("/"):
        raise UnsafePathError(name, "refused: absolute path")
    parts = [part for part in name.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise UnsafePathError(name, "refused: the path contains '..'")
    if not parts:
        raise UnsafePathError(name, "refused: empty path")
    return parts


def check_symlink_target(name: str, target: str) -> None:
    """Refuse absolute targets and targets that climb out of the extraction directory."""
    if not target or "\x00" in target:
        raise UnsafePathError(name, "refused: empty or invalid symlink target")
    if target.startswith("/"):
        raise UnsafePathError(name, f"refused: symlink to absolute path {target!r}")
    parent = posixpath.dirname("/".join(safe_parts(name)))
    resolved = posixpath.normpath(posixpath.join(parent, target))
    if resolved == ".." or resolved.startswith("../"):
        raise UnsafePathError(name, f"refused: symlink target {target!r} leaves the "
                                    "extraction directory")


def open_dir_chain(root_fd: int, parts: list[str], name: str, create: bool = True) -> int:
    """Open the directory ``root/parts...`` without following symlinks (creating it if asked).

    Returns a new fd the caller closes; UnsafePathError if a component is a symlink or a
    non-directory.
    """
    fd = os.dup(root_fd)
    try:
        for depth, part in enumerate(parts):
            if create:
                try:
                    os.mkdir(part, 0o777, dir_fd=fd)  # the umask applies, as for mkdir -p
                except FileExistsError:
                    pass
            try:
                next_fd = os.open(part, DIR_FLAGS, dir_fd=fd)
            except OSError as exc:
                where = "/".join(parts[:depth + 1])
                if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                    raise UnsafePathError(name, f"refused: {where!r} is a symlink or not a "
                                                "directory") from None
                raise
            os.close(fd)
            fd = next_fd
        return fd
    except BaseException:
        os.close(fd)
        raise


class DirCache:
    """Open directory fds by path, reused across members (many small files share a parent).

    An fd stays bound to the directory it was opened as, so reusing it is as safe as
    opening it again; ``open`` returns a borrowed fd that the cache closes.
    """

    def __init__(self, root_fd: int, size: int = 32):
        self.root_fd = root_fd
        self.size = size
        self._fds: dict[tuple[str, ...], int] = {}

    def open(self, parts: list[str], name: str) -> int:
        key = tuple(parts)
        if key not in self._fds:
            if len(self._fds) >= self.size:
                os.close(self._fds.pop(next(iter(self._fds))))
            self._fds[key] = open_dir_chain(self.root_fd, parts, name)
        return self._fds[key]

    def close(self) -> None:
        for fd in self._fds.values():
            os.close(fd)
        self._fds.clear()
