"""Collect a text corpus for SentencePiece training from files already on this machine.

Sources (never /work/shared/bench): the Python standard library's .py/.rst/.txt files, the
licence texts, the man pages (gzip-decompressed roff, several languages) and /usr/share/doc
text files.  Files are split into train / held-out by a hash of their path, so the held-out
text measures tokens/byte on files the tokenizer never saw.
"""

from __future__ import annotations

import gzip
import hashlib
import sys
from collections.abc import Iterator
from pathlib import Path

SOURCES = (
    (Path(sys.base_prefix) / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}",
     (".py", ".rst", ".txt")),
    (Path("/usr/share/common-licenses"), ("",)),
    (Path("/usr/share/man"), (".gz",)),
    (Path("/usr/share/doc"), (".txt", ".md", "README", "copyright", ".gz")),
)
SKIP_PARTS = {"site-packages", "__pycache__", "test", "tests", "idlelib"}
MAX_FILE_BYTES = 200_000


def _held_out(path: Path, percent: int) -> bool:
    return hashlib.sha256(str(path).encode()).digest()[0] * 100 // 256 < percent


def _read_text(path: Path) -> str | None:
    try:
        raw = path.read_bytes()
        if path.suffix == ".gz":
            raw = gzip.decompress(raw)
    except (OSError, EOFError, gzip.BadGzipFile):
        return None
    if len(raw) > MAX_FILE_BYTES or b"\0" in raw:
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def iter_files(root: Path, suffixes: tuple[str, ...]) -> Iterator[Path]:
    """Candidate files under one source root, in a deterministic order."""
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        if (path.is_file() and not path.is_symlink() and not SKIP_PARTS & set(path.parts)
                and any(path.name.endswith(s) for s in suffixes)):
            yield path


def build(out_dir: Path, held_out_percent: int = 5, budget_bytes: int = 24_000_000) -> dict:
    """Write train.txt and heldout.txt (UTF-8, one line per input line) under ``out_dir``.

    Each source gets an equal share of the byte budget, so code does not crowd out prose.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    sizes = {"train": 0, "heldout": 0}
    share = budget_bytes // len(SOURCES)
    with open(out_dir / "train.txt", "w", encoding="utf-8", newline="\n") as train, \
            open(out_dir / "heldout.txt", "w", encoding="utf-8", newline="\n") as held:
        for root, suffixes in SOURCES:
            taken = 0
            for path in iter_files(root, suffixes):
                if taken >= share:
                    break
                text = _read_text(path)
                if not text:
                    continue
                which = "heldout" if _held_out(path, held_out_percent) else "train"
                (held if which == "heldout" else train).write(
                    text if text.endswith("\n") else text + "\n")
                sizes[which] += len(text.encode())
                taken += len(text.encode())
    return sizes
