"""Build the corpus: share the byte budget, gather candidates, write shards and manifest.

Layout of ``out``:
  images/rgb_{train,heldout}.npz    uint8 HxWx3 arrays named 00000, 00001...
  images/gray_{train,heldout}.npz   uint8 HxW arrays
  text/{prose,markup,code}_{train,heldout}.txt   UTF-8, documents end with U+001E
  speech/{wideband,narrowband}_{train,heldout}.npz   int16 mono 16 kHz arrays
  manifest.tsv  sources.tsv  summary.json
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf
from PIL import Image

from . import sources as S
from .candidates import Candidate
from .dedupe import load_bench_index
from .fetch import FetchError, Fetched, fetch
from .image_items import ImageCollector
from .manifest import ManifestRow, write_manifest
from .selection import HELDOUT, TRAIN, fill_in_order
from .shards import write_npz, write_text_shard
from .speech_items import TARGET_RATE, SpeechCollector
from .text_items import TextCollector

log = logging.getLogger(__name__)

MIB = 1 << 20
RESERVE = 0.04  # manifest, sources and summary files
SHARES = {"rgb": 0.28, "gray": 0.07, "text": 0.30, "wideband": 0.26, "narrowband": 0.05}
TEXT_CATEGORIES = {"prose": 0.55, "markup": 0.20, "code": 0.25}


@dataclass
class BuildResult:
    """What was written: rows for the manifest and per-shard statistics."""

    rows: list[ManifestRow] = field(default_factory=list)
    shards: dict[str, dict] = field(default_factory=dict)
    rejected: dict[str, dict] = field(default_factory=dict)
    unavailable: dict[str, str] = field(default_factory=dict)   # group -> why (skip mode)


def _tolerant(items, label: str, result: BuildResult):
    """The group's candidates until its package cannot be fetched; then none, noted."""
    try:
        yield from items
    except FetchError as exc:
        log.warning("group %s: source unavailable, skipped (%s)", label, exc)
        result.unavailable[label] = str(exc)


def _cost(c: Candidate) -> int:
    return c.cost


def _by_split(chosen: list[Candidate]) -> dict[str, list[Candidate]]:
    return {s: [c for c in chosen if c.split == s] for s in (TRAIN, HELDOUT)}


def _write_array_shards(out: Path, stem: str, modality: str, chosen: list[Candidate], result: BuildResult) -> None:
    for split, cands in _by_split(chosen).items():
        rel = f"{stem}_{split}.npz"
        names = [f"{i:05d}" for i in range(len(cands))]
        size = write_npz(out / rel, list(zip(names, (c.payload for c in cands))))
        for name, c in zip(names, cands):
            result.rows.append(_row(c, modality, c.cost, split, f"{rel}:{name} {c.note}".strip()))
        stats = {"bytes": size, "items": len(cands),
                 "values": int(sum(c.payload.size for c in cands))}
        if modality == "speech":
            stats["seconds"] = round(stats["values"] / TARGET_RATE, 1)
        result.shards[rel] = stats


def _write_text_shards(out: Path, category: str, chosen: list[Candidate], result: BuildResult) -> None:
    for split, cands in _by_split(chosen).items():
        rel = f"text/{category}_{split}.txt"
        size = write_text_shard(out / rel, [c.payload for c in cands])
        per_source: dict[str, int] = {}
        for c in cands:
            note = f"{rel} {c.part}".strip()
            result.rows.append(_row(c, "text", c.cost, split, note))
            per_source[c.fetched.source.name] = per_source.get(c.fetched.source.name, 0) + c.cost
        result.shards[rel] = {"bytes": size, "items": len(cands), "bytes_by_package": dict(sorted(per_source.items()))}


def _row(c: Candidate, modality: str, used: int, split: str, note: str) -> ManifestRow:
    src = c.fetched.source
    return ManifestRow(src.name, src.version, src.license, c.member, c.sha256, modality, used, split, note)


def _flatten(groups: dict[str, list[Candidate]]) -> list[Candidate]:
    return [c for name in groups for c in groups[name]]


def build(out: Path, budget_mb: float, cache: Path, bench_dir: Path,
          skip_unavailable: bool = False) -> BuildResult:
    """Build the corpus into ``out`` within ``budget_mb`` MiB; returns what was written.

    ``skip_unavailable``: a source whose pinned package can no longer be fetched (Debian
    replaces point-release versions on its mirrors) ends its group instead of the build; the
    summary lists it under ``unavailable`` and the manifest shows what was used instead."""
    for sub in ("images", "text", "speech"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    fetched: dict[str, Fetched] = {}

    def get(src: S.PackageSource) -> Fetched:
        if src.key not in fetched:
            fetched[src.key] = fetch(src, cache)
        return fetched[src.key]

    bench = load_bench_index(bench_dir, _decode_image, _decode_audio)
    budget = int(budget_mb * MIB * (1 - RESERVE))
    share = {k: int(budget * v / sum(SHARES.values())) for k, v in SHARES.items()}
    result = BuildResult()

    def groups(kind: str, specs: list) -> list:
        """fill_in_order's (name, weight, candidates) groups; in skip mode each stops, noted,
        where its package cannot be fetched."""
        if not skip_unavailable:
            return specs
        return [(name, w, _tolerant(items, f"{kind}/{name}", result)) for name, w, items in specs]

    images = ImageCollector(get, bench)
    rgb = fill_in_order(groups("rgb", [("photos", 0.45, images.rgb_photos()),
                                       ("stamps", 0.35, images.rgb_stamps()),
                                       ("nebulae", 0.20, images.rgb_nebulae())]),
                        share["rgb"], _cost)
    log.info("rgb: %s", {k: len(v) for k, v in rgb.items()})
    _write_array_shards(out, "images/rgb", "image_rgb", _flatten(rgb), result)
    gray = fill_in_order(groups("gray", [("photos", 0.30, images.gray_photos()),
                                         ("luma", 0.30, images.gray_luma(rgb["photos"])),
                                         ("stamps", 0.25, images.gray_stamps()),
                                         ("nebulae", 0.15, images.gray_nebulae())]),
                         share["gray"], _cost)
    log.info("gray: %s", {k: len(v) for k, v in gray.items()})
    _write_array_shards(out, "images/gray", "image_gray", _flatten(gray), result)
    result.rejected["images"] = images.rejected

    text = TextCollector(get, bench)
    categories = {
        "prose": [("devil", 1.0, text.devil()), ("perl_doc", 1.0, text.perl_doc()),
                  ("python_doc", 1.0, text.python_doc()), ("gcide", 1.0, text.gcide())],
        "markup": [("manpages", 1.0, text.manpages()), ("handbook", 1.0, text.handbook())],
        "code": [("ruby", 0.2, text.ruby()), ("stdlib", 0.3, text.stdlib()),
                 ("kernel_c", 0.5, text.kernel_c())],
    }
    text_left, weight_left = share["text"], sum(TEXT_CATEGORIES.values())
    for category, specs in categories.items():
        cap = int(text_left * TEXT_CATEGORIES[category] / weight_left)
        weight_left -= TEXT_CATEGORIES[category]
        chosen = _flatten(fill_in_order(groups(category, specs), cap, _cost))
        text_left -= sum(c.cost for c in chosen)
        _write_text_shards(out, category, chosen, result)
    result.rejected["text"] = text.rejected

    speech = SpeechCollector(get, bench)
    wide = fill_in_order(groups("wideband", [("pyannote", 0.05, speech.pyannote()),
                                             ("tux_en", 0.25, speech.tuxpaint_english()),
                                             ("tux_other", 0.70, speech.tuxpaint_other())]),
                         share["wideband"], _cost)
    _write_array_shards(out, "speech/wideband", "speech", _flatten(wide), result)
    narrow = fill_in_order(groups("narrowband", [("tux_8k", 0.1, speech.tuxpaint_narrowband()),
                                                 ("asterisk_fr", 0.45, speech.asterisk(S.ASTERISK_FR)),
                                                 ("asterisk_es", 0.45, speech.asterisk(S.ASTERISK_ES))]),
                           share["narrowband"], _cost)
    _write_array_shards(out, "speech/narrowband", "speech_narrowband", _flatten(narrow), result)
    result.rejected["speech"] = speech.rejected

    write_manifest(out / "manifest.tsv", result.rows)
    _write_sources(out / "sources.tsv", fetched)
    summary = {"budget_mib": budget_mb, "shards": result.shards, "rejected": result.rejected,
               "unavailable": result.unavailable,
               "total_bytes": sum(s["bytes"] for s in result.shards.values())}
    (out / "summary.json").write_text(json.dumps(summary, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return result


def _write_sources(path: Path, fetched: dict[str, Fetched]) -> None:
    lines = ["package\tversion\tchannel\tlicense\tarchive\tarchive_sha256"]
    for key in sorted(fetched):
        f = fetched[key]
        s = f.source
        lines.append(f"{s.name}\t{s.version}\t{s.channel}\t{s.license}\t{f.archive}\t{f.archive_sha256}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _decode_image(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im)


def _decode_audio(path: Path) -> np.ndarray:
    frames, _ = sf.read(path, dtype="int16", always_2d=False)
    return frames

