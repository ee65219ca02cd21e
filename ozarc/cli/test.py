"""``ozarc t ARCHIVE``: verify every chunk checksum and file hash; exit 0 only if all hold."""

from __future__ import annotations

import sys

from ozarc.cli.opening import open_archive
from ozarc.cli.extract import report_failures
from ozarc.cli.progress import add_output_flags, make_progress
from ozarc.errors import EXIT_ENTRY_FAILED, EXIT_OK


def add_parser(subparsers, parents) -> None:
    parser = subparsers.add_parser("t", parents=parents, help="test (verify) an archive",
                                   description="Decode and check every member of ARCHIVE.")
    parser.add_argument("archive", metavar="ARCHIVE")
    add_output_flags(parser)


def run(args) -> int:
    progress = make_progress("verifying", quiet=args.quiet, verbose=args.verbose)
    with open_archive(args.archive) as archive:
        report = archive.verify(progress=progress)
    report_failures(report.failed, sys.stderr)
    total = len(report.ok) + len(report.failed)
    if report.failed:
        sys.stderr.write(f"ozarc: {len(report.failed)} of {total} entries failed verification\n")
        return EXIT_ENTRY_FAILED
    if not args.quiet:
        sys.stdout.write(f"{total} entries OK\n")
    return EXIT_OK
