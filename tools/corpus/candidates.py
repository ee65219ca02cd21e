"""A training item on its way into the corpus, with the provenance the manifest needs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Union

import numpy as np

from .dedupe import BenchIndex, sha256_hex
from .fetch import Fetched
from .sources import PackageSource
from .selection import split_of

Payload = Union[np.ndarray, str]
Fetch = Callable[[PackageSource], Fetched]


@dataclass
class Candidate:
    """One processed item: its payload, where it came from and what it costs."""

    fetched: Fetched
    member: str          # path inside the package (or a document id within it)
    sha256: str          # of the member file as shipped
    payload: Payload
    cost: int            # bytes it will take in the corpus
    note: str = ""
    part: str = ""       # sub-document id when one file is split into several items

    @property
    def key(self) -> str:
        return f"{self.fetched.source.name}/{self.member}"

    @property
    def split(self) -> str:
        """Held-out or train, decided by the source file (parts of a file stay together
        unless the file is one huge document such as a dictionary)."""
        return split_of(self.key + (f"#{self.part}" if self.part else ""))


def member_path(fetched: Fetched, path: Path) -> str:
    """Path of ``path`` relative to the package root, as a manifest member."""
    return path.relative_to(fetched.root).as_posix()


def read_member(path: Path) -> tuple[bytes, str]:
    """Bytes of a member file and their sha256."""
    data = path.read_bytes()
    return data, sha256_hex(data)


class Collector:
    """Base of the per-modality collectors: the fetcher, the bench index, what was
    already taken (content hashes) and why candidates were dropped."""

    def __init__(self, fetch: Fetch, bench: BenchIndex):
        self.fetch = fetch
        self.bench = bench
        self.seen: set[str] = set()
        self.rejected: dict[str, int] = {}

    def _reject(self, why: str) -> None:
        self.rejected[why] = self.rejected.get(why, 0) + 1
