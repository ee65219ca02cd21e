"""Restoring mode bits and modification times, without following symlinks.

Set-user-ID and set-group-ID bits are not restored (tarfile's 'data' filter does the same):
an archive should not be able to plant privileged executables.
"""

from __future__ import annotations

import contextlib
import os

RESTORED_MODE_BITS = 0o1777


def restore_fd(fd: int, mode: int, mtime_ns: int) -> None:
    os.fchmod(fd, mode & RESTORED_MODE_BITS)
    os.utime(fd, ns=(mtime_ns, mtime_ns))


def restore_symlink_time(dir_fd: int, base: str, mtime_ns: int) -> None:
    with contextlib.suppress(NotImplementedError, OSError):
        os.utime(base, ns=(mtime_ns, mtime_ns), dir_fd=dir_fd, follow_symlinks=False)
