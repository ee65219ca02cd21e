"""``ozarc x ARCHIVE [MEMBER|GLOB ...]``: extract members safely under a directory."""

from __future__ import annotations

import sys

from ozarc.cli.opening import open_archive
from ozarc.cli.create import positive_int
from ozarc.cli.progress import add_output_flags, make_progress
from ozarc.errors import EXIT_ENTRY_FAILED, EXIT_OK


def add_parser(subparsers, parents) -> None:
    parser = subparsers.add_parser("x", parents=parents, help="extract members",
                                   description="Extract members (all, or those named or "
                                               "matching a glob) of ARCHIVE.")
    parser.add_argument("archive", metavar="ARCHIVE")
    parser.add_argument("members", metavar="MEMBER", nargs="*",
                        help="member names or glob patterns (default: all)")
    parser.add_argument("-C", "--directory", default=".", metavar="DIR",
                        help="extract under DIR (default: the current directory)")
    parser.add_argument("--overwrite", action="store_true", help="replace existing files")
    parser.add_argument("--recover", action="store_true",
                        help="rebuild a lost or damaged index by scanning the archive")
    parser.add_argument("-j", "--jobs", type=positive_int, default=None,
                        help="worker processes (default: cores)")
    add_output_flags(parser)


def report_failures(failed, stream) -> None:
    """One line per failed entry: ``ozarc: NAME: reason``."""
    for name, message in failed:
        text = message if message.startswith(f"{name}:") else f"{name}: {message}"
        stream.write(f"ozarc: {text}\n")


def run(args) -> int:
    progress = make_progress("extracting", quiet=args.quiet, verbose=args.verbose)
    with open_archive(args.archive, recover=args.recover) as archive:
        report = archive.extractall(args.directory, members=args.members or None,
                                    overwrite=args.overwrite, jobs=args.jobs,
                                    progress=progress)
        warnings = archive.warnings
    # The report may repeat what opening found (recovery notes): say each warning once.
    for warning in dict.fromkeys(warnings + report.warnings):
        sys.stderr.write(f"ozarc: warning: {warning}\n")
    report_failures(report.failed, sys.stderr)
    if report.failed:
        sys.stderr.write(f"ozarc: {len(report.failed)} failed, "
                         f"{len(report.extracted)} extracted\n")
        return EXIT_ENTRY_FAILED
    return EXIT_OK
