"""``python -m tools.bench``: run the benchmark and print a markdown report.

Examples::

    python -m tools.bench --runs 3 --json bench.json --plot bench.png
    python -m tools.bench my/folder --levels 9 --codecs auto
    python -m tools.bench --no-ozarc                  # baselines only
    python -m tools.bench --tree /work/shared/bench --small-files 10000
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shlex
import sys
import tempfile

from tools.bench import measure, report, sets, tree


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m tools.bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", nargs="*", default=None,
                        help="benchmark folders (default: the shared Kodak, text and "
                             "LibriSpeech sets)")
    parser.add_argument("--runs", type=int, default=3, help="repetitions; times are medians")
    parser.add_argument("--levels", default="1,6,9", help="ozarc levels, comma separated")
    parser.add_argument("--codecs", default="auto,zstd",
                        help="ozarc codecs (auto, zstd, store or a registered name)")
    parser.add_argument("--jobs", type=int, default=1, help="ozarc worker processes")
    parser.add_argument("--no-ozarc", action="store_true", help="baselines only")
    parser.add_argument("--only", default="",
                        help="comma separated configuration names to keep (e.g. 'xz -9e')")
    parser.add_argument("--timeout", type=float, default=1800,
                        help="seconds per measurement before it is abandoned")
    parser.add_argument("--json", metavar="PATH", help="write all results as JSON")
    parser.add_argument("--plot", metavar="PATH", help="PNG plot of bits/Byte vs decode speed")
    parser.add_argument("--tree", nargs="*", metavar="DIR", default=None,
                        help="archive-level comparison on these trees (default: the shared "
                             "bench folder) plus a tree of small files")
    parser.add_argument("--small-files", type=int, default=10000,
                        help="--tree: number of small files to generate (0: none)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    return parser.parse_args(argv)


def _log(quiet: bool):
    def log(message: str) -> None:
        if not quiet:
            sys.stderr.write(f"bench: {message}\n")
            sys.stderr.flush()

    return log


def meta(args) -> dict:
    return {"date_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "command": "python -m tools.bench " + shlex.join(args.argv),
            "python": platform.python_version(), "machine": platform.machine(),
            "cpus": os.cpu_count(), "runs": args.runs}


def run_sets(args, log) -> int:
    folders = args.folders or [f for f in sets.DEFAULT_SETS if os.path.isdir(f)]
    ozarc_configs = [] if args.no_ozarc else [
        measure.Config.ozarc(int(level), codec.strip(), args.jobs)
        for level in args.levels.split(",") if level.strip()
        for codec in args.codecs.split(",") if codec.strip()]
    keep = {name.strip() for name in args.only.split(",") if name.strip()}
    rows = []
    for folder in folders:
        bench_set = sets.discover(folder)
        log(f"{bench_set.name}: {len(bench_set.files)} {bench_set.kind} files")
        for config in measure.configs_for(bench_set, ozarc_configs):
            if keep and config.name not in keep:
                continue
            rows.append(measure.measure(bench_set, config, args.runs, args.timeout, log))
    info = meta(args)
    sys.stdout.write(report.markdown_report(rows, args.runs, f"## ozarc benchmark, "
                                            f"{info['date_utc']}\n\n`{info['command']}`") + "\n")
    notes = []
    if args.json:
        with open(args.json, "w") as f:
            f.write(report.json_report(rows, info) + "\n")
    if args.plot:
        note = report.plot(rows, args.plot)
        if note:
            notes.append(note)
    for note in notes:
        sys.stdout.write(f"\nNote: {note}\n")
    failed = [r for r in rows if r.roundtrip_ok is False]
    return 1 if failed else 0


def run_trees(args, log) -> int:
    trees = args.tree or ["/work/shared/bench"]
    results = []
    for path in trees:
        log(f"tree {path}")
        results += tree.measure_tree(path, args.runs, args.timeout)
    if args.small_files > 0:
        with tempfile.TemporaryDirectory(prefix="ozarc-small-") as tmp:
            small = tree.make_small_files(os.path.join(tmp, "small"), args.small_files)
            log(f"tree of {args.small_files} small files")
            results += tree.measure_tree(small, args.runs, args.timeout,
                                         label=f"{args.small_files} small files")
    info = meta(args)
    sys.stdout.write(f"## ozarc tree benchmark, {info['date_utc']}\n\n`{info['command']}`\n\n"
                     + tree.tree_markdown(results, args.runs) + "\n")
    if args.json:
        import json

        with open(args.json, "w") as f:
            json.dump({"meta": info, "trees": [r.to_json() for r in results]}, f, indent=2)
    return 1 if any(r.roundtrip_ok is False for r in results) else 0


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    args.argv = argv
    log = _log(args.quiet)
    if args.tree is not None:
        return run_trees(args, log)
    return run_sets(args, log)


if __name__ == "__main__":
    raise SystemExit(main())
