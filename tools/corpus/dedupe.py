"""Keep the public bench out of the training corpus.

Packages sometimes carry bench files (alice29.txt in compression test data,
LibriSpeech clips in ASR packages). A candidate is rejected when its bytes or
its decoded content hash equal a bench file's, or, for text, when any 64-byte
window of it also occurs in a bench text. Windows are compared through 64-bit
polynomial hashes computed for every offset with numpy (mod 2**64 arithmetic),
after CRLF -> LF so line-end conversions do not hide a copy. Bench windows with
few distinct bytes (rules, runs of spaces) are ignored: they are not evidence
of a copy and would reject innocent files.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

SHINGLE = 64
MIN_DISTINCT_BYTES = 12
_BASE = np.uint64(0x100000001B3)  # odd, so invertible mod 2**64


def sha256_hex(data: bytes) -> str:
    """Hex sha256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def content_hash(array: np.ndarray) -> str:
    """Hash of decoded content (dtype, shape and values), independent of file format."""
    a = np.ascontiguousarray(array)
    head = f"{a.dtype.str}{a.shape}".encode()
    return hashlib.sha256(head + a.tobytes()).hexdigest()


def normalise_text(data: bytes) -> bytes:
    """Bytes as compared for shingles: CRLF and lone CR become LF."""
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")


def _inverse_mod_2_64(a: int) -> int:
    return pow(a, -1, 1 << 64)


def shingle_hashes(data: bytes, size: int = SHINGLE) -> np.ndarray:
    """uint64 hash of every ``size``-byte window of ``data`` (empty if shorter).

    hash(i) = sum_j data[i+j] * B**j mod 2**64, from prefix sums:
    (S[i+size] - S[i]) * B**-i.
    """
    n = len(data)
    if n < size:
        return np.zeros(0, dtype=np.uint64)
    b = np.frombuffer(data, dtype=np.uint8).astype(np.uint64)
    with np.errstate(over="ignore"):
        powers = np.empty(n, dtype=np.uint64)
        powers[0] = 1
        powers[1:] = _BASE
        powers = np.cumprod(powers, dtype=np.uint64)
        prefix = np.concatenate([np.zeros(1, np.uint64), np.cumsum(b * powers, dtype=np.uint64)])
        inv = np.empty(n - size + 1, dtype=np.uint64)
        inv[0] = 1
        inv[1:] = np.uint64(_inverse_mod_2_64(int(_BASE)))
        inv = np.cumprod(inv, dtype=np.uint64)
        return (prefix[size:] - prefix[: n - size + 1]) * inv


def _diverse_windows(data: bytes, size: int) -> np.ndarray:
    """Mask of windows holding at least MIN_DISTINCT_BYTES distinct byte values."""
    n = len(data) - size + 1
    if n <= 0:
        return np.zeros(0, dtype=bool)
    b = np.frombuffer(data, dtype=np.uint8)
    distinct = np.zeros(n, dtype=np.int32)
    for value in np.unique(b):
        hits = np.concatenate([[0], np.cumsum(b == value, dtype=np.int32)])
        distinct += (hits[size:] - hits[:n]) > 0
    return distinct >= MIN_DISTINCT_BYTES


@dataclass
class BenchIndex:
    """What the bench looks like: file sha256s, decoded-content hashes, text shingles."""

    file_sha256: set[str] = field(default_factory=set)
    content_sha256: set[str] = field(default_factory=set)
    shingles: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))

    def add_text(self, data: bytes) -> None:
        """Index every diverse 64-byte window of a bench text."""
        norm = normalise_text(data)
        hashes = shingle_hashes(norm)[_diverse_windows(norm, SHINGLE)]
        self.shingles = np.unique(np.concatenate([self.shingles, hashes]))

    def add_file(self, data: bytes) -> None:
        self.file_sha256.add(sha256_hex(data))

    def add_content(self, array: np.ndarray) -> None:
        self.content_sha256.add(content_hash(array))

    def is_bench_file(self, data: bytes) -> bool:
        return sha256_hex(data) in self.file_sha256

    def is_bench_content(self, array: np.ndarray) -> bool:
        return content_hash(array) in self.content_sha256

    def shares_text(self, data: bytes) -> bool:
        """True when any 64-byte window of ``data`` is a (diverse) bench window."""
        if self.shingles.size == 0:
            return False
        hashes = shingle_hashes(normalise_text(data))
        if hashes.size == 0:
            return False
        pos = np.searchsorted(self.shingles, hashes)
        pos[pos == self.shingles.size] = 0
        return bool(np.any(self.shingles[pos] == hashes))


def load_bench_index(bench_dir: Path, decode_image, decode_audio) -> BenchIndex:
    """Index every file in ``bench_dir/MANIFEST.tsv``.

    ``decode_image(path) -> array`` and ``decode_audio(path) -> array`` give the
    decoded content used for content hashes; text files are shingled.
    """
    index = BenchIndex()
    with open(bench_dir / "MANIFEST.tsv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    for row in rows:
        index.file_sha256.add(row["sha256"])
        path = bench_dir / row["path"]
        if not path.is_file():
            continue
        data = path.read_bytes()
        index.add_file(data)
        top = row["path"].split("/", 1)[0]
        if top == "text":
            index.add_text(data)
        elif top == "images":
            index.add_content(decode_image(path))
        elif top == "speech":
            index.add_content(decode_audio(path))
    return index
