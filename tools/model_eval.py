"""The shipped model alone on a folder: exact code length in bits per byte, per file and total.

Why: the archive keeps per chunk the smallest of the model, zstd and store, and keeps an
image or WAV transform only where it pays, so archive figures hide how close the model is.
This tool measures the model itself: each file's pixels (any image Pillow decodes, as 8-bit
RGB or gray), speech samples (16-bit WAV, channels one after the other as the WAV transform
hands them over) or text bytes are cut into the neural codec's sequences, and the exact
engine's frequency tables give -sum log2(f / 2**16) bits -- what the rANS coder writes, less
4 bytes of coder state per sequence (counted too).  Bits/Byte is per byte of raw pixels /
PCM / text, the same denominator as the benchmark's raw-pixel column.

    python tools/model_eval.py /work/shared/bench/speech/librispeech --jobs 2
    python tools/model_eval.py /tmp/kodak-ppm --kind image --limit 4
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ozarc.entropy import STATE_BYTES  # noqa: E402
from ozarc.modality import Modality  # noqa: E402

TABLE_ENTRIES = 1 << 22   # frequency-table entries per engine call (memory bound)


def sequences_of(path: str, kind: str, model):
    """(modality, symbol sequences, raw bytes, each sequence's row stride or None) of one
    file, cut by the neural codec itself (``ozarc.codecs.neural.tokenize`` and
    ``lane_rows``); speech is the WAV transform's stream."""
    from ozarc.codecs import ChunkHint
    from ozarc.codecs.neural import lane_rows, tokenize
    from ozarc.transforms.wav import WavTransform

    data = Path(path).read_bytes()
    if kind == "image":
        from PIL import Image

        with Image.open(io.BytesIO(data)) as im:
            gray = im.mode in ("L", "LA", "I;16", "I")
            pixels = np.asarray(im.convert("L" if gray else "RGB"))
        modality = Modality.IMAGE_GRAY if gray else Modality.IMAGE_RGB
        raw, geometry = pixels.tobytes(), (*pixels.shape[:2], 1 if gray else 3)
    elif kind == "speech":
        (stream,) = WavTransform().split(data).streams
        modality, raw, geometry = Modality.SPEECH, stream.data, stream.geometry
    else:
        modality, raw, geometry = Modality.TEXT, data, ()
    header, seqs = tokenize(raw, ChunkHint(modality=modality, geometry=geometry), model)
    return modality, seqs, len(raw), lane_rows(model, header)


def code_length_bits(model, modality: Modality, seqs: list[np.ndarray],
                     state_bytes: int = STATE_BYTES, rows: list[int] | None = None) -> float:
    """Exact code length of ``seqs`` under the model's tables: -sum log2(f / 2**16), plus
    ``state_bytes`` of final coder state per sequence (``rows``: the sequences' row strides,
    for a model that reads the pixel above)."""
    bits = 8.0 * state_bytes * len(seqs)
    by_length: dict[int, list[tuple[np.ndarray, int]]] = {}
    for i, s in enumerate(seqs):
        by_length.setdefault(len(s), []).append(
            (np.asarray(s, dtype=np.int64), 0 if rows is None else rows[i]))
    n_symbols = model.n_symbols(modality)
    for length, group in by_length.items():
        lanes = max(1, TABLE_ENTRIES // max(1, length * n_symbols))
        for lo in range(0, len(group), lanes):
            symbols = np.stack([s for s, _ in group[lo:lo + lanes]])
            strides = [r for _, r in group[lo:lo + lanes]]
            tables = (model.sequence_freqs(modality, symbols) if rows is None else
                      model.sequence_freqs(modality, symbols, strides))
            f = np.take_along_axis(tables, symbols[..., None], -1)[..., 0]
            bits += float(-np.log2(f / float(1 << model.FREQ_BITS)).sum())
    return bits


def file_bits(job: tuple[str, str, str]) -> tuple[str, float, int]:
    path, kind, model_name = job
    from ozarc.model.registry import load_model

    model = load_model(model_name)
    modality, seqs, raw, rows = sequences_of(path, kind, model)
    return path, code_length_bits(model, modality, seqs, rows=rows), raw


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--kind", choices=["image", "speech", "text"])
    parser.add_argument("--model", default="default")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--limit", type=int, default=0, help="first N files only")
    args = parser.parse_args(argv)
    from tools.bench.sets import discover

    bench_set = discover(args.folder, args.kind)
    files = list(bench_set.files[: args.limit or None])
    jobs = [(f, bench_set.kind, args.model) for f in files]
    total_bits, total_raw = 0.0, 0
    print(f"| file | raw bytes | bits/Byte |  ({bench_set.kind}, model {args.model})")
    print("|---|---|---|")
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for path, bits, raw in pool.map(file_bits, jobs):
            total_bits += bits
            total_raw += raw
            print(f"| {os.path.relpath(path, bench_set.root)} | {raw:,} | {bits / raw:.3f} |",
                  flush=True)
    print(f"| **all {len(files)} files** | {total_raw:,} | **{total_bits / max(total_raw, 1):.3f}** |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
