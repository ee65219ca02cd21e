"""Text candidates (English prose, markup, code) from the pinned packages.

Each member file becomes one document, except the dictionaries, which are one
huge file each and are cut into ~64 KiB parts at entry boundaries so that
parts can be sampled and held out. Files that are not UTF-8, that equal a
bench file, or that share any 64-byte window with a bench text are dropped.
"""

from __future__ import annotations

import gzip
import os
import logging
import tarfile
from pathlib import Path
from typing import Iterator

from . import sources as S
from .candidates import Candidate, Collector, member_path
from .dedupe import sha256_hex
from .fetch import Fetched
from .selection import shuffled

log = logging.getLogger(__name__)

PART_BYTES = 64 * 1024
KERNEL_DIRS = ("kernel/", "mm/", "lib/", "fs/ext4/", "net/ipv4/", "drivers/char/", "crypto/")
STDLIB_SKIP = ("site-packages/", "test/", "tests/", "idle_test/", "__pycache__/")

def split_parts(text: bytes, part_bytes: int = PART_BYTES) -> list[bytes]:
    """Cut ``text`` at blank lines into parts of about ``part_bytes`` bytes.

    Joining the parts gives back ``text`` exactly.
    """
    parts, start = [], 0
    while start < len(text):
        end = start + part_bytes
        if end >= len(text):
            parts.append(text[start:])
            break
        cut = text.find(b"\n\n", end)
        cut = len(text) if cut < 0 else cut + 2
        parts.append(text[start:cut])
        start = cut
    return parts


class TextCollector(Collector):
    """Produces text candidates, dropping bench overlaps and exact duplicates."""

    def _accept(self, fetched: Fetched, member: str, file_sha: str, text: str, part: str = "") -> Candidate | None:
        data = text.encode("utf-8")
        sha = sha256_hex(data)
        if sha in self.seen:
            self._reject("duplicate")
            return None
        if self.bench.is_bench_file(data) or self.bench.shares_text(data):
            self._reject("shares text with the bench")
            return None
        self.seen.add(sha)
        return Candidate(fetched, member, file_sha, text, len(data) + 1, part=part)

    def _files(self, src: S.PackageSource, pattern: str, skip=(), opener=None) -> Iterator[Candidate]:
        fetched = self.fetch(src)
        found = _walk(fetched.root, pattern, skip) if skip else fetched.root.glob(pattern)
        paths = {member_path(fetched, p): p for p in found if p.is_file()}
        for member in shuffled(paths):
            raw = paths[member].read_bytes()
            data = opener(raw) if opener else raw
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                self._reject("not UTF-8")
                continue
            if not text.strip():
                continue
            cand = self._accept(fetched, member, sha256_hex(raw), text)
            if cand is not None:
                yield cand

    def _dictionary(self, src: S.PackageSource, pattern: str) -> Iterator[Candidate]:
        fetched = self.fetch(src)
        for path in sorted(fetched.root.glob(pattern)):
            raw = path.read_bytes()
            member = member_path(fetched, path)
            parts = split_parts(gzip.decompress(raw))
            for i in shuffled(range(len(parts))):
                try:
                    text = parts[i].decode("utf-8")
                except UnicodeDecodeError:
                    self._reject("not UTF-8")
                    continue
                cand = self._accept(fetched, member, sha256_hex(raw), text, part=f"part{i:05d}")
                if cand is not None:
                    yield cand

    # ---- prose ---------------------------------------------------------------
    def devil(self):
        return self._dictionary(S.DEVIL, "usr/share/dictd/devil.dict.dz")

    def gcide(self):
        return self._dictionary(S.GCIDE, "usr/share/dictd/gcide.dict.dz")

    def python_doc(self):
        return self._files(S.PYTHON_DOC, "usr/share/doc/python3.11/html/_sources/**/*.txt")

    def perl_doc(self):
        return self._files(S.PERL_DOC, "usr/share/perl/**/*.pod")

    # ---- markup --------------------------------------------------------------
    def manpages(self):
        return self._files(S.MANPAGES, "usr/share/man/man*/*.gz", opener=gzip.decompress)

    def handbook(self):
        return self._files(S.HANDBOOK, "usr/share/doc/debian-handbook/html/en-US/*.html")

    # ---- code ----------------------------------------------------------------
    def ruby(self):
        return self._files(S.RUBY, "usr/lib/ruby/**/*.rb")

    def stdlib(self):
        return self._files(S.STDLIB, "**/*.py", skip=STDLIB_SKIP)

    def kernel_c(self) -> Iterator[Candidate]:
        """C sources from a few kernel directories, read from the tarball in the .deb."""
        fetched = self.fetch(S.LINUX)
        tarball = next(iter(sorted(fetched.root.glob("usr/src/linux-source-*.tar.xz"))))
        slice_dir = fetched.root / "corpus-slice"
        if not (slice_dir / ".done").exists():
            _extract_kernel_slice(tarball, slice_dir)
        tar_member = member_path(fetched, tarball)
        paths = {p.relative_to(slice_dir).as_posix(): p for p in slice_dir.rglob("*") if p.suffix in (".c", ".h")}
        for inner in shuffled(paths):
            raw = paths[inner].read_bytes()
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                self._reject("not UTF-8")
                continue
            cand = self._accept(fetched, f"{tar_member}:{inner}", sha256_hex(raw), text)
            if cand is not None:
                yield cand


def _walk(root: Path, pattern: str, skip) -> list[Path]:
    """Files matching ``pattern``'s suffix under ``root``, not entering ``skip`` folders."""
    suffix = pattern.rsplit("*", 1)[-1]
    skip_names = {s.strip("/") for s in skip}
    out = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in skip_names)
        out += [Path(folder) / f for f in sorted(files) if f.endswith(suffix)]
    return out


def _extract_kernel_slice(tarball: Path, dest: Path) -> None:
    """Copy .c/.h members under KERNEL_DIRS out of the kernel tarball (streamed once)."""
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(tarball, "r|xz") as tf:
        for info in tf:
            if not info.isfile() or not info.name.endswith((".c", ".h")):
                continue
            inner = info.name.split("/", 1)[-1]
            if not inner.startswith(KERNEL_DIRS):
                continue
            fh = tf.extractfile(info)
            if fh is None:
                continue
            target = dest / info.name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(fh.read())
    (dest / ".done").touch()
