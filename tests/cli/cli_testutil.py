"""Helpers for the CLI tests: build a sample tree and snapshot what a round trip keeps."""

from __future__ import annotations

import os
import stat

FIXED_MTIME_NS = 1_600_000_000_123_456_789


def write_file(path, data: bytes, mode: int = 0o644, mtime_ns: int = FIXED_MTIME_NS) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, mode)
    os.utime(path, ns=(mtime_ns, mtime_ns))


def make_sample_tree(root) -> dict[str, bytes]:
    """A small tree with text, binary, an executable, an empty file and dir, and a symlink.

    Returns {relative path: bytes} of its regular files.
    """
    files = {
        "notes/readme.txt": b"hello ozarc\n" * 40,
        "notes/deep/more.md": "caf\u00e9 \u2013 unicode text\n".encode() * 10,
        "data/random.bin": os.urandom(3000),
        "data/empty": b"",
        "bin/run.sh": b"#!/bin/sh\necho hi\n",
    }
    for rel, data in files.items():
        write_file(os.path.join(root, rel), data,
                   mode=0o755 if rel.endswith(".sh") else 0o640)
    os.makedirs(os.path.join(root, "empty_dir"))
    os.symlink("notes/readme.txt", os.path.join(root, "link_to_readme"))
    for dirpath, dirnames, _ in os.walk(root, topdown=False):
        for d in dirnames:
            os.utime(os.path.join(dirpath, d), ns=(FIXED_MTIME_NS, FIXED_MTIME_NS))
    return files


def snapshot(root) -> dict[str, tuple]:
    """Everything a round trip must keep, per relative path: kind, mode, mtime, bytes/target."""
    state = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root)
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode):
                state[rel] = ("symlink", os.readlink(path))
            elif stat.S_ISDIR(st.st_mode):
                state[rel] = ("dir", stat.S_IMODE(st.st_mode), st.st_mtime_ns)
            else:
                with open(path, "rb") as f:
                    state[rel] = ("file", stat.S_IMODE(st.st_mode), st.st_mtime_ns, f.read())
    return state
