"""``ozarc cat ARCHIVE MEMBER``: stream one member's bytes to stdout."""

from __future__ import annotations

import shutil
import sys

from ozarc.cli.opening import open_archive
from ozarc.errors import EXIT_OK

COPY_BUFFER = 1 << 20


def add_parser(subparsers, parents) -> None:
    parser = subparsers.add_parser("cat", parents=parents, help="write a member to stdout",
                                   description="Write the bytes of MEMBER to stdout.")
    parser.add_argument("archive", metavar="ARCHIVE")
    parser.add_argument("member", metavar="MEMBER")


def run(args) -> int:
    out = sys.stdout.buffer
    with open_archive(args.archive) as archive:
        with archive.extractfile(args.member) as member:
            shutil.copyfileobj(member, out, COPY_BUFFER)
    out.flush()
    return EXIT_OK
