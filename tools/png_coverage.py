"""Report how many PNG files ozarc codes natively (pixels + recipe) and why the rest fall back.

Usage: python tools/png_coverage.py DIR_OR_FILE... [--limit N] [--show-zlib]

Walks the given folders for *.png files, runs the PNG transform's split and join on each and
checks the round trip, then prints the share coded natively and the fallback reasons.
"""

from __future__ import annotations

import argparse
import collections
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ozarc.errors import TransformError  # noqa: E402
from ozarc.transforms.png import PngTransform  # noqa: E402


def png_files(roots: list[str]) -> list[Path]:
    out: list[Path] = []
    for root in roots:
        p = Path(root)
        if p.is_file():
            out.append(p)
        else:
            out.extend(sorted(q for q in p.rglob("*") if q.suffix.lower() == ".png" and q.is_file()
                              and not q.is_symlink()))
    return out


def classify(data: bytes, transform: PngTransform) -> tuple[str, str]:
    """('native', zlib kind) or ('fallback', reason) for one file."""
    try:
        split = transform.split(data)
        rebuilt = transform.join(split.recipe, [s.data for s in split.streams])
    except TransformError as exc:
        return "fallback", str(exc)
    except Exception as exc:  # noqa: BLE001 - a tool: report, do not stop
        return "fallback", f"crash: {type(exc).__name__}: {exc}"
    if rebuilt != data:
        return "fallback", "join differs from the file"
    return "native", ""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="+")
    ap.add_argument("--limit", type=int, default=0, help="check at most N files (0: all)")
    args = ap.parse_args(argv)
    files = png_files(args.paths)
    if args.limit:
        files = files[:args.limit]
    transform = PngTransform()
    reasons: collections.Counter[str] = collections.Counter()
    native = native_bytes = total_bytes = 0
    start = time.perf_counter()
    for path in files:
        data = path.read_bytes()
        total_bytes += len(data)
        verdict, why = classify(data, transform)
        if verdict == "native":
            native += 1
            native_bytes += len(data)
        else:
            reasons[why] += 1
    seconds = time.perf_counter() - start
    n = len(files)
    if not n:
        print("no PNG files found")
        return 1
    print(f"{n} PNG files, {total_bytes / 1e6:.2f} MB, {seconds:.1f} s")
    print(f"native:   {native} files ({100 * native / n:.1f}%), "
          f"{100 * native_bytes / max(1, total_bytes):.1f}% of bytes")
    print(f"fallback: {n - native} files ({100 * (n - native) / n:.1f}%)")
    for why, count in reasons.most_common():
        print(f"  {count:6d}  {why}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
