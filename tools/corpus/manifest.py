"""The training manifest: one row per source member used, so weights can be rebuilt.

Every row names the registry package and version, its license, the member path
inside the package, the sha256 of the member as shipped, the modality it feeds,
how many corpus bytes it contributed, which split it went to, and a short note
(downscale factor, narrowband...). The TSV is sorted so it is byte-stable.
"""

from __future__ import annotations

from dataclasses import astuple, dataclass, fields
from pathlib import Path

COLUMNS = ("package", "version", "license", "member", "sha256", "modality", "bytes_used", "split", "note")


@dataclass(frozen=True, order=True)
class ManifestRow:
    """One source member that contributed to the corpus."""

    package: str
    version: str
    license: str
    member: str
    sha256: str
    modality: str
    bytes_used: int
    split: str
    note: str = ""

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, str) and any(c in value for c in "\t\n\r"):
                raise ValueError(f"manifest field {f.name!r} must not contain tabs or newlines: {value!r}")
        if self.bytes_used < 0:
            raise ValueError(f"bytes_used must be >= 0 for {self.member}")


def _sort_key(row: ManifestRow) -> tuple:
    return (row.modality, row.package, row.member, row.split, row.note, astuple(row))


def render_manifest(rows: list[ManifestRow]) -> str:
    """TSV text with a header, rows sorted by modality, package and member.

    Fields never hold tabs or newlines (checked on construction), so no quoting
    is needed and the file reads back exactly.
    """
    lines = ["\t".join(COLUMNS)]
    lines += ["\t".join(str(v) for v in astuple(row)) for row in sorted(rows, key=_sort_key)]
    return "\n".join(lines) + "\n"


def write_manifest(path: Path, rows: list[ManifestRow]) -> None:
    path.write_text(render_manifest(rows), encoding="utf-8")


def parse_manifest(text: str) -> list[ManifestRow]:
    """Rows from TSV text written by ``render_manifest``."""
    lines = text.split("\n")
    if lines[0].split("\t") != list(COLUMNS):
        raise ValueError(f"unexpected manifest header: {lines[0]!r}")
    rows = []
    for line in lines[1:]:
        if not line:
            continue
        values = dict(zip(COLUMNS, line.split("\t")))
        values["bytes_used"] = int(values["bytes_used"])
        rows.append(ManifestRow(**values))
    return rows
