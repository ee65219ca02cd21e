"""Turn result rows into a markdown report, a JSON document and a bits/Byte vs speed plot."""

from __future__ import annotations

import json
from collections.abc import Iterable

from tools.bench.published import published_for


def _num(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _speed(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def _roundtrip(ok: bool | None) -> str:
    return "-" if ok is None else ("ok" if ok else "FAILED")


def _note(row) -> str:
    """The row's note, plus the chunk codecs an ozarc row ended up using."""
    parts = [row.note] if row.note else []
    codecs = row.detail.get("codecs")
    if codecs:
        ordered = sorted(codecs.items(), key=lambda item: (-item[1], item[0]))
        parts.append("chunks: " + " ".join(f"{name}×{count}" for name, count in ordered))
    return "; ".join(parts).replace("|", "/")


def set_table(rows: list, runs: int) -> list[str]:
    """Markdown lines for one set's rows (all rows share the set's kind)."""
    kind = rows[0].kind
    name = rows[0].set
    lines = [f"### {name} ({kind}, {rows[0].file_bytes or 0:,} file bytes"
             + (f", {rows[0].raw_bytes:,} raw pixel bytes" if kind == "image"
                and rows[0].raw_bytes else "") + f"; median of {runs} run(s))", ""]
    if kind == "image":
        lines.append("bits/Byte: compressed bits per byte of decoded raw pixels (sub-pixel "
                     "bytes), and per byte of the PNG files as given.")
    else:
        lines.append("bits/Byte: compressed bits per byte of the files as given.")
    lines.append("Speeds: KB/s (1000 bytes) of file bytes, one process, single-threaded "
                 "unless the row says -j. Memory: peak RSS above the loaded worker, MB.")
    lines.append("")
    head = ["configuration"]
    head += ["bits/Byte (raw px)", "bits/Byte (file)"] if kind == "image" else ["bits/Byte"]
    head += ["compress KB/s", "decompress KB/s", "peak MB", "round trip",
             "OmniZip paper bits/Byte (published, not measured)", "note"]
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + "---|" * len(head))
    published = published_for(name)
    for row in rows:
        cells = [row.config]
        if kind == "image":
            cells += [_num(row.bits_per_raw_byte()), _num(row.bits_per_file_byte())]
        else:
            cells += [_num(row.bits_per_file_byte())]
        cells += [_speed(row.speed_kbs(row.compress_s)), _speed(row.speed_kbs(row.decompress_s)),
                  _num(row.extra_rss_mb, 1), _roundtrip(row.roundtrip_ok),
                  published if row.is_ozarc else "", _note(row)]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def group_by_set(rows: Iterable) -> dict[str, list]:
    groups: dict[str, list] = {}
    for row in rows:
        groups.setdefault(row.set, []).append(row)
    return groups


def markdown_report(rows: list, runs: int, header: str = "") -> str:
    lines = [header, ""] if header else []
    for set_rows in group_by_set(rows).values():
        lines += set_table(set_rows, runs) + [""]
    return "\n".join(lines)


def json_report(rows: list, meta: dict) -> str:
    return json.dumps({"meta": meta, "results": [row.to_json() for row in rows]}, indent=2)


def plot(rows: list, path: str) -> str | None:
    """Write bits/Byte vs decode speed per set as a PNG; return a note if it was skipped."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "plot skipped: matplotlib is not installed"
    groups = group_by_set(rows)
    fig, axes = plt.subplots(1, len(groups), figsize=(5 * len(groups), 4), squeeze=False)
    for ax, (name, set_rows) in zip(axes[0], groups.items()):
        for row in set_rows:
            bpb = row.bits_per_raw_byte() if row.kind == "image" else row.bits_per_file_byte()
            speed = row.speed_kbs(row.decompress_s)
            if bpb is None or speed is None:
                continue
            ax.scatter(speed, bpb, marker="*" if row.is_ozarc else "o")
            ax.annotate(row.config, (speed, bpb), fontsize=7)
        ax.set_xscale("log")
        ax.set_xlabel("decompress KB/s")
        ax.set_ylabel("bits/Byte" + (" (raw pixels)" if set_rows[0].kind == "image" else ""))
        ax.set_title(name)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return None
