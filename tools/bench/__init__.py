"""Benchmark harness: ozarc against classical and modality codecs on public sets.

Run ``python -m tools.bench --help``.  Every measurement runs in its own worker process
(:mod:`tools.bench.worker`) so peak memory can be read per codec; baselines whose module or
binary is missing are skipped with a note, never an error.  Never part of CI except the smoke
test on a few kilobytes (tests/bench/).
"""
