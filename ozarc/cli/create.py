"""``ozarc c ARCHIVE PATH...``: pack files and directories into a new archive."""

from __future__ import annotations

import argparse
import os
import sys

import ozarc
from ozarc.cli.progress import add_output_flags, make_progress, wants_bar
from ozarc.cli.summary import render_create_summary
from ozarc.codecs import all_codecs
from ozarc.errors import EXIT_OK


def codec_choices() -> list[str]:
    """``auto`` plus every registered codec name (the registry, never a hard-coded list)."""
    return ["auto"] + [codec.name for codec in all_codecs()]


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def positive_int(text: str) -> int:
    """argparse type for ``-j``: an integer of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def add_parser(subparsers, parents) -> None:
    parser = subparsers.add_parser("c", parents=parents, help="create an archive",
                                   description="Pack files and directories into ARCHIVE.")
    parser.add_argument("archive", metavar="ARCHIVE")
    parser.add_argument("paths", metavar="PATH", nargs="+")
    parser.add_argument("-j", "--jobs", type=positive_int, default=None,
                        help=f"worker processes (default: cores, here {default_jobs()})")
    parser.add_argument("-l", "--level", type=int, choices=range(1, 10), default=6,
                        metavar="N", help="1 (fast) .. 9 (small), default 6: 1-6 zstd only; 7-8 add "
                        "the learned codec with the 'default' model (~100 KB/s), 9 with the "
                        "'high' model (slower; 'default' where it is not installed and for "
                        "the modalities high leaves to it, e.g. speech), each "
                        "against zstd -19, bzip2 -9, xz -9e and store (MODELS.md)")
    parser.add_argument("--codec", choices=codec_choices(), default="auto",
                        help="auto keeps, per chunk, the smallest of the level's codecs and "
                        "store; a codec name uses that codec (zstd where it does not apply)")
    parser.add_argument("--exclude", action="append", default=[], metavar="GLOB",
                        help="leave out members whose name or base name matches (repeatable)")
    add_output_flags(parser)


def run(args) -> int:
    progress = make_progress("packing", quiet=args.quiet, verbose=args.verbose)
    report = ozarc.create(args.archive, args.paths, jobs=args.jobs or default_jobs(),
                          level=args.level, codec=args.codec, exclude=tuple(args.exclude),
                          progress=progress)
    for warning in report.warnings:
        sys.stderr.write(f"ozarc: warning: {warning}\n")
    if args.verbose or wants_bar(args.quiet):
        render_create_summary(report, sys.stderr)
    return EXIT_OK
