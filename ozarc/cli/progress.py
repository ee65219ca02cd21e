"""Progress reporting for the CLI: a rich bar on a terminal, member names with ``-v``.

The library calls a ProgressSink (``start``/``advance``/``finish``); this module builds the sink
that matches the user's terminal and flags.  The bar goes to stderr and only when stderr is a
terminal and ``-q`` is not given, so pipes and logs stay clean.  ``-v`` lists each member once,
on stdout, the first time the library reports progress on it.
"""

from __future__ import annotations

import sys
import threading
from typing import TextIO


class NullProgress:
    """Reports nothing (``-q``, or not a terminal without ``-v``)."""

    def start(self, total_bytes: int) -> None:
        pass

    def advance(self, nbytes: int, current: str) -> None:
        pass

    def finish(self) -> None:
        pass


class MemberLister:
    """Writes each member name once, the first time progress is reported for it (``-v``)."""

    def __init__(self, out: TextIO | None = None):
        # None: look sys.stdout up at each write, so rich's live display can redirect it
        # above the bar while one is drawn.
        self._out = out
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def start(self, total_bytes: int) -> None:
        pass

    def advance(self, nbytes: int, current: str) -> None:
        with self._lock:
            if current and current not in self._seen:
                self._seen.add(current)
                out = sys.stdout if self._out is None else self._out
                out.write(current + "\n")
                out.flush()

    def finish(self) -> None:
        pass


class RichProgressBar:
    """A rich progress bar on stderr: bytes done, rate, ETA and the current member."""

    def __init__(self, description: str, stream: TextIO):
        from rich.console import Console
        from rich.progress import (BarColumn, DownloadColumn, Progress, TextColumn,
                                   TimeRemainingColumn, TransferSpeedColumn)

        self._description = description
        self._progress = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), DownloadColumn(),
            TransferSpeedColumn(), TimeRemainingColumn(),
            TextColumn("{task.fields[current]}", style="dim"),
            console=Console(file=stream), transient=False,
        )
        self._task = None
        self._lock = threading.Lock()

    def start(self, total_bytes: int) -> None:
        with self._lock:
            self._progress.start()
            self._task = self._progress.add_task(self._description, total=total_bytes,
                                                 current="")

    def advance(self, nbytes: int, current: str) -> None:
        with self._lock:
            if self._task is not None:
                self._progress.update(self._task, advance=nbytes, current=_shorten(current))

    def finish(self) -> None:
        with self._lock:
            self._progress.stop()
            self._task = None


class FanOut:
    """Passes every call on to several sinks (bar and ``-v`` listing together)."""

    def __init__(self, *sinks):
        self._sinks = sinks

    def start(self, total_bytes: int) -> None:
        for sink in self._sinks:
            sink.start(total_bytes)

    def advance(self, nbytes: int, current: str) -> None:
        for sink in self._sinks:
            sink.advance(nbytes, current)

    def finish(self) -> None:
        for sink in self._sinks:
            sink.finish()


def _shorten(name: str, width: int = 40) -> str:
    return name if len(name) <= width else "…" + name[-(width - 1):]


def wants_bar(quiet: bool, stream: TextIO | None = None) -> bool:
    """Whether to draw a bar: not ``-q`` and the stream is a terminal."""
    stream = sys.stderr if stream is None else stream
    if quiet:
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def make_progress(description: str, *, quiet: bool, verbose: bool, list_members: bool = True):
    """The ProgressSink for a command: a bar on a terminal, plus member names with ``-v``."""
    sinks = []
    if wants_bar(quiet):
        sinks.append(RichProgressBar(description, sys.stderr))
    if verbose and list_members:
        sinks.append(MemberLister())
    if not sinks:
        return NullProgress()
    return sinks[0] if len(sinks) == 1 else FanOut(*sinks)


def add_output_flags(parser) -> None:
    """``-q``/``-v``: every subcommand that reports progress takes them."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary")
    group.add_argument("-v", "--verbose", action="store_true", help="list each member processed")
