"""A read-only binary file object over a member's content, produced chunk by chunk."""

from __future__ import annotations

import io
from collections.abc import Iterator


class MemberStream(io.RawIOBase):
    """Raw stream over an iterator of byte pieces; errors in the iterator surface in read()."""

    def __init__(self, pieces: Iterator[bytes]):
        super().__init__()
        self._pieces = pieces
        self._buffer = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, target) -> int:
        while not self._buffer:
            piece = next(self._pieces, None)
            if piece is None:
                return 0
            self._buffer = memoryview(piece)
        n = min(len(target), len(self._buffer))
        target[:n] = self._buffer[:n]
        self._buffer = self._buffer[n:]
        return n

    def close(self) -> None:
        self._pieces = iter(())
        self._buffer = memoryview(b"")
        super().close()
