"""``--tree``: whole-archive comparison, ozarc ``c -l 9 --codec zstd`` against ``tar c | zstd -19``.

The learned codecs are left out on purpose: this mode measures the container (framing, chunking,
dedupe, parallel packing) against tar, not the model; the per-set report measures the model.

Each tool packs and extracts a whole directory tree through its command line (so start-up and
file-system costs count, as a user pays them); ozarc runs with ``-j 1`` and ``-j 2``.  A tree
of many small files (copies of /usr/share/doc files) measures files per second.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass

from tools.bench.sets import list_files

SMALL_FILE_SOURCE = "/usr/share/doc"
SMALL_FILE_MAX_BYTES = 16 * 1024


@dataclass
class TreeResult:
    tree: str
    method: str
    files: int
    input_bytes: int
    archive_bytes: int | None = None
    pack_s: float | None = None
    extract_s: float | None = None
    roundtrip_ok: bool | None = None
    note: str = ""

    def bits_per_byte(self) -> float | None:
        if self.archive_bytes is None or not self.input_bytes:
            return None
        return 8.0 * self.archive_bytes / self.input_bytes

    def to_json(self) -> dict:
        return asdict(self) | {"bits_per_byte": self.bits_per_byte()}


def make_small_files(dest: str, count: int, source: str = SMALL_FILE_SOURCE) -> str:
    """Fill ``dest`` with ``count`` small files copied (cyclically) from ``source``.

    Files go 100 to a folder.  Where ``source`` has no small files, deterministic text stands
    in, so the test works on any machine.
    """
    pool = [f for f in (list_files(source) if os.path.isdir(source) else [])
            if os.path.getsize(f) <= SMALL_FILE_MAX_BYTES][:5000]
    for i in range(count):
        folder = os.path.join(dest, f"d{i // 100:04d}")
        os.makedirs(folder, exist_ok=True)
        if pool:
            src = pool[i % len(pool)]
            shutil.copyfile(src, os.path.join(folder, f"f{i:05d}_{os.path.basename(src)}"))
        else:
            with open(os.path.join(folder, f"f{i:05d}.txt"), "w") as f:
                f.write(f"small file {i}\n" * (1 + i % 50))
    return dest


def trees_equal(original: str, restored: str) -> bool:
    """Same regular files with the same bytes (paths relative to each root)."""
    ours = sorted(os.path.relpath(f, original) for f in list_files(original))
    theirs = sorted(os.path.relpath(f, restored) for f in list_files(restored))
    if ours != theirs:
        return False
    for rel in ours:
        with open(os.path.join(original, rel), "rb") as a, open(os.path.join(restored, rel), "rb") as b:
            if a.read() != b.read():
                return False
    return True


def _methods(level: int) -> list[tuple[str, object, object]]:
    """(name, pack(tree_name, parent, archive) -> argv/shell, extract(archive, dest))."""
    ozarc = [sys.executable, "-m", "ozarc"]
    methods = []
    if shutil.which("tar") and shutil.which("zstd"):
        methods.append(("tar c | zstd -19",
                        lambda name, archive: f"tar cf - {_q(name)} | zstd -19 -q -T1 -o {_q(archive)}",
                        lambda archive, dest: f"zstd -dc {_q(archive)} | tar xf - -C {_q(dest)}"))
    for jobs in (1, 2):
        methods.append((f"ozarc c -l {level} -j{jobs}",
                        lambda name, archive, j=jobs: ozarc + ["c", "-q", "-l", str(level),
                                                               "--codec", "zstd", "-j", str(j),
                                                               archive, name],
                        lambda archive, dest, j=jobs: ozarc + ["x", "-q", "-j", str(j), archive,
                                                               "-C", dest]))
    return methods


def _q(path: str) -> str:
    import shlex

    return shlex.quote(path)


def _run(command, cwd: str, timeout_s: float) -> float:
    env = dict(os.environ)
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env["PYTHONPATH"] = repo + os.pathsep + env.get("PYTHONPATH", "")
    t0 = time.perf_counter()
    if isinstance(command, str):  # a pipeline: fail if any stage fails
        command = ["bash", "-c", "set -o pipefail; " + command]
    subprocess.run(command, cwd=cwd, check=True, capture_output=True, timeout=timeout_s,
                   env=env)
    return time.perf_counter() - t0


def measure_tree(tree: str, runs: int, timeout_s: float, level: int = 9,
                 label: str | None = None) -> list[TreeResult]:
    tree = os.path.abspath(tree)
    parent, name = os.path.dirname(tree), os.path.basename(tree)
    files = list_files(tree)
    input_bytes = sum(os.path.getsize(f) for f in files)
    results = []
    for method, pack, extract in _methods(level):
        result = TreeResult(label or name, method, len(files), input_bytes)
        pack_times, extract_times = [], []
        try:
            for _ in range(runs):
                with tempfile.TemporaryDirectory(prefix="ozarc-tree-") as tmp:
                    archive, dest = os.path.join(tmp, "tree.arc"), os.path.join(tmp, "out")
                    os.mkdir(dest)
                    pack_times.append(_run(pack(name, archive), parent, timeout_s))
                    extract_times.append(_run(extract(archive, dest), tmp, timeout_s))
                    result.archive_bytes = os.path.getsize(archive)
                    result.roundtrip_ok = trees_equal(tree, os.path.join(dest, name))
        except subprocess.TimeoutExpired:
            result.note = f"timed out after {timeout_s:.0f} s"
        except subprocess.CalledProcessError as exc:
            tail = (exc.stderr or b"").decode(errors="replace").strip().splitlines()
            result.note = f"exit {exc.returncode}: {tail[-1] if tail else 'no message'}"
        if pack_times:
            result.pack_s = statistics.median(pack_times)
        if extract_times:
            result.extract_s = statistics.median(extract_times)
        results.append(result)
    return results


def tree_markdown(results: list[TreeResult], runs: int) -> str:
    head = ["tree", "method", "files", "input bytes", "archive bytes", "bits/Byte",
            "pack KB/s", "extract KB/s", "pack files/s", "extract files/s", "round trip", "note"]
    lines = [f"### Whole-tree archives (command line, median of {runs} run(s); KB = 1000 bytes)",
             "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in results:
        def rate(amount, seconds, fmt="{:,.0f}"):
            return "-" if seconds is None else fmt.format(amount / max(seconds, 1e-9))

        bpb = r.bits_per_byte()
        cells = [r.tree, r.method, str(r.files), f"{r.input_bytes:,}",
                 "-" if r.archive_bytes is None else f"{r.archive_bytes:,}",
                 "-" if bpb is None else f"{bpb:.3f}",
                 rate(r.input_bytes / 1000, r.pack_s), rate(r.input_bytes / 1000, r.extract_s),
                 rate(r.files, r.pack_s), rate(r.files, r.extract_s),
                 "-" if r.roundtrip_ok is None else ("ok" if r.roundtrip_ok else "FAILED"),
                 r.note]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines)
