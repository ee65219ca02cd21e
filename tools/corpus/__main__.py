"""Command line: ``python -m tools.corpus build --out DIR [--budget-mb N] [--cache DIR]``.

A thin layer over ``build.build``: parses arguments, sets up logging, turns our
errors into a one-line message and an exit code.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from ozarc.errors import OzarcError

from .build import build

DEFAULT_CACHE = Path("/work/cache")
DEFAULT_BENCH = Path("/work/shared/bench")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tools.corpus", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="fetch the pinned packages and build the corpus")
    b.add_argument("--out", type=Path, required=True, help="output folder (created)")
    b.add_argument("--budget-mb", type=float, default=60.0, help="size limit of the corpus in MiB (default 60)")
    b.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="download/unpack cache (default /work/cache)")
    b.add_argument("--bench", type=Path, default=DEFAULT_BENCH, help="bench folder holding MANIFEST.tsv")
    b.add_argument("--skip-unavailable", action="store_true",
                   help="leave out sources whose pinned package the mirror no longer has "
                        "(listed in summary.json) instead of failing")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    if not (args.bench / "MANIFEST.tsv").is_file():
        sys.stderr.write(f"error: {args.bench}/MANIFEST.tsv not found; pass --bench so the bench can be excluded\n")
        return 2
    if args.budget_mb <= 0:
        sys.stderr.write("error: --budget-mb must be positive\n")
        return 2
    try:
        result = build(args.out, args.budget_mb, args.cache, args.bench, args.skip_unavailable)
    except OzarcError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return exc.exit_code
    sys.stdout.write(json.dumps(result.shards, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
