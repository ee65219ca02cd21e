"""One measurement in a fresh process: a codec (baseline or ozarc configuration) on one set.

Run as ``python -m tools.bench.worker JOB_JSON``; prints one JSON result line.  A process per
measurement keeps peak memory per codec readable (``ru_maxrss``) and keeps one codec's caches
or model from flattering the next one's timings.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import tempfile
import time

from tools.bench.sets import BenchSet, load_samples


def current_rss_kb() -> int:
    """Resident set size now, from /proc (0 where there is no /proc)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def peak_rss_kb() -> int:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children)


def run_baseline(name: str, bench_set: BenchSet) -> dict:
    from tools.bench.baselines import baseline_by_name

    baseline = baseline_by_name(name)
    samples = load_samples(bench_set)
    rss_before = current_rss_kb()
    blobs, compress_s = [], 0.0
    for sample in samples:
        t0 = time.perf_counter()
        blobs.append(baseline.compress(sample))
        compress_s += time.perf_counter() - t0
    decoded, decompress_s = [], 0.0
    for sample, blob in zip(samples, blobs):
        t0 = time.perf_counter()
        decoded.append(baseline.decompress(blob, sample))
        decompress_s += time.perf_counter() - t0
    peak = peak_rss_kb()
    return {
        "compressed_bytes": sum(len(b) for b in blobs),
        "file_bytes": sum(len(s.data) for s in samples),
        "raw_bytes": sum(s.raw_bytes for s in samples),
        "compress_s": compress_s if baseline.timed_compress else None,
        "decompress_s": decompress_s,
        "roundtrip_ok": all(baseline.matches(s, d) for s, d in zip(samples, decoded)),
        "peak_rss_mb": peak / 1024, "extra_rss_mb": max(0, peak - rss_before) / 1024,
    }


def run_ozarc(level: int, codec: str, jobs: int, bench_set: BenchSet) -> dict:
    samples = load_samples(bench_set)  # raw sizes, and the originals to compare against
    rss_before = current_rss_kb()
    import ozarc  # inside the measurement: the library and its model are part of its cost

    members = [os.path.relpath(s.path, bench_set.root) for s in samples]
    with tempfile.TemporaryDirectory(prefix="ozarc-bench-") as tmp:
        archive = os.path.join(tmp, "set.oz")
        out_dir = os.path.join(tmp, "out")
        os.mkdir(out_dir)
        cwd = os.getcwd()
        os.chdir(bench_set.root)
        try:
            t0 = time.perf_counter()
            report = ozarc.create(archive, members, jobs=jobs, level=level, codec=codec)
            compress_s = time.perf_counter() - t0
        finally:
            os.chdir(cwd)
        t0 = time.perf_counter()
        with ozarc.open(archive) as reader:
            extracted = reader.extractall(out_dir, jobs=jobs)
        decompress_s = time.perf_counter() - t0
        ok = not extracted.failed
        for sample, member in zip(samples, members):
            with open(os.path.join(out_dir, member), "rb") as f:
                ok = ok and f.read() == sample.data
        archive_bytes = os.path.getsize(archive)
    peak = peak_rss_kb()
    codecs: dict[str, int] = {}
    for stats in report.by_modality.values():
        for name, count in stats.codecs.items():
            codecs[name] = codecs.get(name, 0) + count
    return {
        "compressed_bytes": archive_bytes,
        "file_bytes": sum(len(s.data) for s in samples),
        "raw_bytes": sum(s.raw_bytes for s in samples),
        "compress_s": compress_s, "decompress_s": decompress_s, "roundtrip_ok": ok,
        "peak_rss_mb": peak / 1024, "extra_rss_mb": max(0, peak - rss_before) / 1024,
        "codecs": codecs, "modalities": sorted(report.by_modality),
    }


def run_job(job: dict) -> dict:
    bench_set = BenchSet.from_json(job["set"])
    if job["type"] == "ozarc":
        return run_ozarc(job["level"], job["codec"], job.get("jobs", 1), bench_set)
    return run_baseline(job["name"], bench_set)


def main(argv: list[str]) -> int:
    job = json.loads(argv[0])
    try:
        result = run_job(job)
    except Exception as exc:  # noqa: BLE001  (reported to the harness as a failed row)
        result = {"error": f"{type(exc).__name__}: {exc}"}
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
