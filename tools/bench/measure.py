"""Run each configuration on each set in worker processes, repeat, and take medians.

A configuration (:class:`Config`) is a baseline by name or one ozarc (level, codec); its
results over ``runs`` repetitions are folded into one :class:`Result` row: sizes must agree
between runs, times are medians, memory is the largest peak seen.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from dataclasses import asdict, dataclass, field

from tools.bench.baselines import baselines_for
from tools.bench.sets import BenchSet

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@dataclass(frozen=True)
class Config:
    """What to run: ``type`` "baseline" (by ``name``) or "ozarc" (``level``, ``codec``)."""

    type: str
    name: str
    level: int = 0
    codec: str = ""
    jobs: int = 1

    @classmethod
    def ozarc(cls, level: int, codec: str, jobs: int = 1) -> "Config":
        name = f"ozarc -l {level} --codec {codec}" + (f" -j{jobs}" if jobs > 1 else "")
        return cls("ozarc", name, level, codec, jobs)


@dataclass
class Result:
    """One row: a configuration on a set, over all runs (None where it could not run)."""

    set: str
    kind: str
    config: str
    is_ozarc: bool
    compressed_bytes: int | None = None
    file_bytes: int | None = None
    raw_bytes: int | None = None
    compress_s: float | None = None
    decompress_s: float | None = None
    roundtrip_ok: bool | None = None
    peak_rss_mb: float | None = None
    extra_rss_mb: float | None = None
    runs: int = 0
    note: str = ""
    detail: dict = field(default_factory=dict)

    def bits_per_file_byte(self) -> float | None:
        if self.compressed_bytes is None or not self.file_bytes:
            return None
        return 8.0 * self.compressed_bytes / self.file_bytes

    def bits_per_raw_byte(self) -> float | None:
        if self.compressed_bytes is None or not self.raw_bytes:
            return None
        return 8.0 * self.compressed_bytes / self.raw_bytes

    def speed_kbs(self, seconds: float | None) -> float | None:
        """KB/s (1000 bytes) of the set's file bytes."""
        if seconds is None or self.file_bytes is None:
            return None
        return self.file_bytes / 1000.0 / max(seconds, 1e-9)

    def to_json(self) -> dict:
        record = asdict(self)
        record.update(bits_per_file_byte=self.bits_per_file_byte(),
                      bits_per_raw_byte=self.bits_per_raw_byte(),
                      compress_kbs=self.speed_kbs(self.compress_s),
                      decompress_kbs=self.speed_kbs(self.decompress_s))
        return record


def configs_for(bench_set: BenchSet, ozarc_configs: list[Config]) -> list[Config]:
    return list(ozarc_configs) + [Config("baseline", b.name) for b in baselines_for(bench_set.kind)]


def unavailable_note(config: Config) -> str | None:
    if config.type != "baseline":
        return None
    from tools.bench.baselines import baseline_by_name

    return baseline_by_name(config.name).unavailable()


def run_worker(config: Config, bench_set: BenchSet, timeout_s: float) -> dict:
    job = {"type": config.type, "name": config.name, "level": config.level,
           "codec": config.codec, "jobs": config.jobs, "set": bench_set.to_json()}
    env = dict(os.environ)
    env["PYTHONPATH"] = REPO_ROOT + os.pathsep + env.get("PYTHONPATH", "")
    try:
        done = subprocess.run([sys.executable, "-m", "tools.bench.worker", json.dumps(job)],
                              capture_output=True, text=True, timeout=timeout_s, cwd=REPO_ROOT,
                              env=env)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout_s:.0f} s"}
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": f"worker exited {done.returncode}: {tail}"}
    return json.loads(lines[-1])


def fold(bench_set: BenchSet, config: Config, outcomes: list[dict]) -> Result:
    """Combine the runs of one configuration into one row."""
    result = Result(bench_set.name, bench_set.kind, config.name, config.type == "ozarc")
    good = [o for o in outcomes if "error" not in o]
    if not good:
        result.note = outcomes[0]["error"] if outcomes else "not run"
        return result
    first = good[0]
    result.runs = len(good)
    result.compressed_bytes = first["compressed_bytes"]
    result.file_bytes = first["file_bytes"]
    result.raw_bytes = first["raw_bytes"]
    sizes = {o["compressed_bytes"] for o in good}
    notes = [] if len(sizes) == 1 else [f"sizes differ between runs: {sorted(sizes)}"]
    if len(good) < len(outcomes):
        notes.append(f"{len(outcomes) - len(good)} run(s) failed: "
                     + next(o["error"] for o in outcomes if "error" in o))
    result.note = "; ".join(notes)
    if first["compress_s"] is not None:
        result.compress_s = statistics.median(o["compress_s"] for o in good)
    result.decompress_s = statistics.median(o["decompress_s"] for o in good)
    result.roundtrip_ok = all(o["roundtrip_ok"] for o in good)
    result.peak_rss_mb = max(o["peak_rss_mb"] for o in good)
    result.extra_rss_mb = max(o["extra_rss_mb"] for o in good)
    result.detail = {k: first[k] for k in ("codecs", "modalities") if k in first}
    return result


def measure(bench_set: BenchSet, config: Config, runs: int, timeout_s: float,
            log=None) -> Result:
    note = unavailable_note(config)
    if note:
        return Result(bench_set.name, bench_set.kind, config.name, False, note=f"skipped: {note}")
    outcomes = []
    for _ in range(runs):
        outcome = run_worker(config, bench_set, timeout_s)
        outcomes.append(outcome)
        if "error" in outcome and "timed out" in outcome["error"]:
            break  # do not spend the same timeout again
    result = fold(bench_set, config, outcomes)
    if log is not None:
        log(f"{bench_set.name}: {config.name}: "
            + (f"{result.compressed_bytes} bytes" if result.runs else result.note))
    return result
