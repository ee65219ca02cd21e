"""``ozarc l ARCHIVE [--json]``: one line per member and a totals line (or one JSON document)."""

from __future__ import annotations

import dataclasses
import json
import os
import sys

from ozarc.cli.opening import open_archive
from ozarc.cli.summary import bits_per_byte, format_bpb, format_ratio
from ozarc.errors import EXIT_OK

LIST_HEADER = ("type", "size", "stored", "ratio", "modality", "codecs", "path")


def add_parser(subparsers, parents) -> None:
    parser = subparsers.add_parser("l", parents=parents, help="list members",
                                   description="List the members of ARCHIVE.")
    parser.add_argument("archive", metavar="ARCHIVE")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON document (entries and totals)")


def entry_row(info) -> tuple[str, ...]:
    path = info.name + ("/" if info.kind == "dir" and not info.name.endswith("/") else "")
    if info.link_target is not None:
        path += (" -> " if info.kind == "symlink" else " link to ") + info.link_target
    return (info.kind, str(info.size), str(info.stored_size),
            format_ratio(info.stored_size, info.size), info.modality,
            ",".join(info.codecs) or "-", path)


def totals(entries, archive_bytes: int) -> dict:
    """Counts and byte sums over all entries; ``archive_bytes`` is the file's size on disk."""
    size = sum(info.size for info in entries)
    stored = sum(info.stored_size for info in entries)
    bpb = bits_per_byte(stored, size)
    return {
        "entries": len(entries),
        "files": sum(1 for info in entries if info.kind == "file"),
        "size": size,
        "stored_size": stored,
        "ratio": None if size == 0 else stored / size,
        "bits_per_byte": bpb,
        "archive_bytes": archive_bytes,
    }


def format_table(rows: list[tuple[str, ...]]) -> list[str]:
    """Align columns; numbers right, text left, the last (path) column unpadded."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    lines = []
    for row in rows:
        cells = [cell.rjust(w) if 0 < i < 4 else cell.ljust(w)
                 for i, (cell, w) in enumerate(zip(row, widths))]
        lines.append("  ".join(cells + [row[-1]]).rstrip())
    return lines


def entry_json(info) -> dict:
    record = dataclasses.asdict(info)
    record["codecs"] = list(info.codecs)
    record["ratio"] = None if info.size == 0 else info.stored_size / info.size
    return record


def run(args) -> int:
    with open_archive(args.archive) as archive:
        entries = archive.entries()
    summary = totals(entries, os.path.getsize(args.archive))
    if args.json:
        document = {"archive": os.fspath(args.archive),
                    "entries": [entry_json(info) for info in entries], "totals": summary}
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
        return EXIT_OK
    rows = [LIST_HEADER] + [entry_row(info) for info in entries]
    for line in format_table(rows):
        sys.stdout.write(line + "\n")
    sys.stdout.write(
        f"{summary['entries']} entries ({summary['files']} files), "
        f"{summary['size']} bytes -> {summary['stored_size']} bytes stored "
        f"({format_ratio(summary['stored_size'], summary['size'])}, "
        f"{format_bpb(summary['bits_per_byte'])} bits/Byte), "
        f"archive {summary['archive_bytes']} bytes\n")
    return EXIT_OK
