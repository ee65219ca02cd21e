"""Human-readable figures: byte counts, ratios, and the per-modality table after ``ozarc c``.

Pure formatting helpers (testable without a terminal) plus one function that renders the
CreateReport as a rich table on a stream.
"""

from __future__ import annotations

from typing import TextIO


def bits_per_byte(bytes_out: int, bytes_in: int) -> float | None:
    """Compressed bits per original byte; None when there were no original bytes."""
    return None if bytes_in == 0 else 8.0 * bytes_out / bytes_in


def format_bpb(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def format_ratio(stored: int, size: int) -> str:
    """Stored size as a percentage of the original size ("-" for empty members)."""
    return "-" if size == 0 else f"{100.0 * stored / size:.1f}%"


def format_size(n: int) -> str:
    """Bytes in a short human form (1000-based units, like ``ls --si``)."""
    value = float(n)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(value) < 1000 or unit == "TB":
            return f"{n} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{n} B"  # pragma: no cover  (loop always returns)


def format_codec_counts(codecs: dict[str, int]) -> str:
    """``{"zstd": 3, "store": 1}`` -> ``"zstd×3 store×1"``, most used first."""
    ordered = sorted(codecs.items(), key=lambda item: (-item[1], item[0]))
    return " ".join(f"{name}×{count}" for name, count in ordered) or "-"


def summary_rows(report) -> list[tuple[str, ...]]:
    """One row per modality and a total: modality, files, in, out, bits/Byte, codecs."""
    rows = []
    for tag in sorted(report.by_modality):
        stats = report.by_modality[tag]
        rows.append((tag, str(stats.files), format_size(stats.bytes_in),
                     format_size(stats.bytes_out),
                     format_bpb(bits_per_byte(stats.bytes_out, stats.bytes_in)),
                     format_codec_counts(stats.codecs)))
    total_files = sum(stats.files for stats in report.by_modality.values())
    rows.append(("total", str(total_files), format_size(report.bytes_in),
                 format_size(report.bytes_out),
                 format_bpb(bits_per_byte(report.bytes_out, report.bytes_in)), ""))
    return rows


SUMMARY_HEADER = ("modality", "files", "bytes in", "bytes out", "bits/Byte", "codecs (chunks)")


def render_create_summary(report, stream: TextIO) -> None:
    """Print the per-modality table of a CreateReport with rich."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"ozarc: {report.entries} entries in {report.elapsed_s:.1f} s")
    for i, column in enumerate(SUMMARY_HEADER):
        table.add_column(column, justify="right" if 0 < i < 5 else "left")
    rows = summary_rows(report)
    for row in rows[:-1]:
        table.add_row(*row)
    table.add_row(*rows[-1], style="bold")
    Console(file=stream).print(table)
