"""An order-preserving, memory-bounded process pool.

``ProcessPoolExecutor.map`` and ``Pool.imap`` read their whole input ahead, which would pull
every file of a large tree into memory.  ``ordered_map`` keeps at most ``window`` jobs in
flight and yields results strictly in input order, so what the main process writes does not
depend on the number of workers.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from itertools import chain
from typing import TypeVar

from ozarc.errors import OzarcError, UsageError

Item = TypeVar("Item")


def resolve_jobs(jobs: int | None) -> int:
    if jobs is None:
        return max(1, os.cpu_count() or 1)
    if not isinstance(jobs, int) or jobs < 1:
        raise UsageError(f"jobs must be a positive integer, not {jobs!r}")
    return jobs


def process_context():
    """``fork`` is fastest, but unsafe once torch has started its thread pools."""
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and "torch" not in sys.modules:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _ignore_interrupts() -> None:
    """Workers leave Ctrl-C to the main process, which stops the pool and cleans up."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def make_executor(jobs: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(max_workers=jobs, mp_context=process_context(),
                               initializer=_ignore_interrupts)


def ordered_map(work: Callable, items: Iterable[Item], jobs: int,
                job_of: Callable[[Item], object | None]) -> Iterator[tuple[Item, object]]:
    """Yield ``(item, work(job_of(item)))`` in order; items whose job is None pass through
    with result None.  With ``jobs == 1`` (or fewer than two jobs in all) nothing is forked.
    """
    iterator = iter(items)
    head, n_jobs = [], 0
    if jobs > 1:
        for item in iterator:
            head.append(item)
            n_jobs += job_of(item) is not None
            if n_jobs >= 2:
                break
    if n_jobs < 2:
        for item in chain(head, iterator):
            job = job_of(item)
            yield item, (work(job) if job is not None else None)
        return
    yield from _pooled(work, chain(head, iterator), jobs, job_of)


def _pooled(work, items, jobs, job_of):
    try:
        yield from _pooled_unguarded(work, items, jobs, job_of)
    except BrokenProcessPool:
        raise WorkerError() from None


class WorkerError(OzarcError):
    """A worker process died (killed, out of memory); the run cannot go on."""

    def __init__(self):
        super().__init__("a worker process stopped unexpectedly (out of memory or killed?); "
                         "try again with fewer jobs")


def _pooled_unguarded(work, items, jobs, job_of):
    window = 2 * jobs + 2
    executor = make_executor(jobs)
    pending: deque[tuple[object, Future | None]] = deque()
    in_flight = 0
    try:
        for item in items:
            job = job_of(item)
            future = executor.submit(work, job) if job is not None else None
            pending.append((item, future))
            in_flight += future is not None
            while pending and (pending[0][1] is None or pending[0][1].done()
                               or in_flight >= window):
                front, future = pending.popleft()
                in_flight -= future is not None
                yield front, (future.result() if future is not None else None)
        while pending:
            front, future = pending.popleft()
            yield front, (future.result() if future is not None else None)
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
