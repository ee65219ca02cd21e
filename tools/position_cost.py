"""Where a model's bits go inside its sequences: mean code length per position.

    python tools/position_cost.py runs/high/checkpoint.pt /work/shared/bench/images/kodak
    python tools/position_cost.py runs/high/checkpoint.pt /work/shared/bench/text --every 1

Why: the codec cuts data into independent sequences (16x16 image patches, 1024-byte speech
windows, 1024-token text blocks), each starting from a fresh state.  Whether a ratio gap comes
from those boundaries (cold starts, the pixels above a patch) or from the model's prediction
itself decides what to change: the sequence layout, or width and training.  This runs the
float network of a training checkpoint (or a ``model_float.pt``) over full-length sequences of
a folder and prints the mean bits per position, grouped.  A measurement, not a test.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ozarc.modality import Modality
from ozarc.model.network import OzNet
from ozarc.model.tokenizers.text import default_model_bytes, tokenizer_for
from tools.train.data import item_sequences, pad_batch, read_items
from tools.train.loop import merged_net

PATCH = 16


def load_float_net(path: Path) -> OzNet:
    """The merged float network of a checkpoint or of a float export, in eval mode."""
    return merged_net(torch.load(path, map_location="cpu", weights_only=False)).eval()


def folder_sequences(folder: Path, every: int, limit: int, speech_predictor: int = 0
                     ) -> tuple[Modality, list[np.ndarray]]:
    """Full-length sequences of the folder's main modality: every ``every``-th, ``limit`` in all
    (speech as the network's ``speech_predictor`` residual)."""
    tokenizer = tokenizer_for(default_model_bytes())
    by_modality: dict[Modality, list[np.ndarray]] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        # files read_items does not know (Calgary's "paper1", "bib") are read as text
        for modality, item in read_items(path) or [(Modality.TEXT, path.read_bytes())]:
            seqs = [s for s, *_ in item_sequences(modality, item, tokenizer, 1024,
                                                  speech_predictor=speech_predictor)]
            full = max((len(s) for s in seqs), default=0)
            by_modality.setdefault(modality, []).extend(s for s in seqs[::every] if len(s) == full)
    if not by_modality:
        raise SystemExit(f"position_cost: no images, speech or text under {folder}")
    modality = max(by_modality, key=lambda m: len(by_modality[m]))
    seqs = by_modality[modality]
    lengths = {len(s) for s in seqs}
    keep = max(lengths, key=lambda n: sum(len(s) == n for s in seqs))
    return modality, [s for s in seqs if len(s) == keep][:limit]


@torch.no_grad()
def position_bits(net: OzNet, modality: Modality, seqs: list[np.ndarray],
                  batch: int = 16) -> np.ndarray:
    """Mean bits per position over equal-length sequences."""
    total = np.zeros(len(seqs[0]))
    for start in range(0, len(seqs), batch):
        padded = pad_batch(modality, seqs[start:start + batch])
        inputs, targets = torch.as_tensor(padded.inputs), torch.as_tensor(padded.targets)
        above = None if padded.above is None else torch.as_tensor(padded.above)
        logits, _ = net(inputs, modality, above)     # a network without the input ignores it
        ce = F.cross_entropy(logits.flatten(0, 1), targets.flatten(), reduction="none")
        total += ce.view(targets.shape).sum(0).numpy() / math.log(2)
    return total / len(seqs)


def summary(modality: Modality, bits: np.ndarray) -> list[str]:
    """Grouped figures: patch edges and rows for images, spans of positions otherwise."""
    lines = [f"mean {bits.mean():.3f} bits per position ({len(bits)} positions)"]
    if modality.tag.startswith("image") and len(bits) % (PATCH * PATCH) == 0:
        grid = bits.reshape(PATCH, PATCH, -1).mean(axis=2)
        lines += [f"first pixel {grid[0, 0]:.2f}; rest of first row {grid[0, 1:].mean():.2f}; "
                  f"rest of first column {grid[1:, 0].mean():.2f}; interior {grid[1:, 1:].mean():.3f}",
                  "interior by row: " + " ".join(f"{x:.2f}" for x in grid[1:, 1:].mean(axis=1)),
                  f"edges as cheap as the interior would save "
                  f"{100 * (1 - grid[1:, 1:].mean() / grid.mean()):.1f} %"]
        return lines
    edges = [0, 16, 64, 128, 256, 512, len(bits)]
    for lo, hi in zip(edges, edges[1:]):
        if lo < hi <= len(bits):
            lines.append(f"positions {lo}-{hi}: {bits[lo:hi].mean():.3f}")
    steady = bits[len(bits) // 2:].mean()
    lines.append(f"a cold start costs {100 * (bits.mean() / steady - 1):.1f} % over the second half")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("checkpoint", type=Path)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--every", type=int, default=8, help="take every N-th sequence of a file")
    parser.add_argument("--limit", type=int, default=1200, help="sequences in all")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    net = load_float_net(args.checkpoint)
    modality, seqs = folder_sequences(args.folder, args.every, args.limit,
                                      net.config.speech_predictor)
    print(f"{modality.tag}: {len(seqs)} sequences of {len(seqs[0])} from {args.folder}")
    print("\n".join(summary(modality, position_bits(net, modality, seqs))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
