"""Does the network code speech better as the residual of a fixed integer predictor?

Why: the speech tokenizer hands the network raw little-endian PCM bytes.  To put probability on
a sample's low byte the network must predict the sample to within a few steps and then take
that prediction modulo 256 -- arithmetic a width-64 recurrent network does poorly (the
byte-order A/B, ``speech_byte_order``, moved nothing).  FLAC's fixed predictors (order 1:
``x[n-1]``; order 2: ``2 x[n-1] - x[n-2]``) take the prediction off first, in exact integer
arithmetic; what is left is centred on zero and the network only has to learn its spread.
Every arm is a bijection of each 1024-byte window (samples before the window count as zero,
differences wrap modulo 2^16), so held-out bits per byte compare directly.  ``z`` arms map the
residual zigzag (0, -1, 1, -2, ...) so small magnitudes have a zero high byte.

    python -m tools.experiments.speech_residual --data /work/corpus/speech --steps 1500 --out runs/sres --arms le,d1z,d1,d2z,d2
    python -m tools.experiments.speech_residual --measure FOLDER --every 4 --out runs/sres --arms le,d1z,d1,d2z,d2

The ``z`` form is what the codec does for a model whose config sets ``speech_predictor``.

``--measure`` codes every N-th window of the WAV files in a folder with the trained arms'
float networks (a measurement; the folder may be a benchmark set, it trains nothing).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from ozarc.modality import Modality
from ozarc.model.tokenizers.speech import residual_window
from tools.experiments.arms import add_arm_options, float_bits, load_arm, train_arms
from tools.experiments.speech_byte_order import wav_windows
from tools.train.data import Corpus, Pool

# arm -> (predictor order, zigzag)
ARMS = {"le": (0, False), "d1": (1, False), "d2": (2, False), "d1z": (1, True),
        "d2z": (2, True)}


def arm_window(seq: np.ndarray, arm: str) -> np.ndarray:
    """The window as the arm's network sees it: the tokenizer's own residual
    (``ozarc.model.tokenizers.speech.residual_window``, zigzagged), or for the plain arms the
    same residual as two's-complement int16."""
    order, zigzag = ARMS[arm]
    out = residual_window(seq, order)
    if order == 0 or zigzag:
        return out
    even = len(out) - len(out) % 2
    z = out[:even].view("<u2").astype(np.int64)
    plain = ((z >> 1) ^ -(z & 1)) & 0xFFFF
    return np.concatenate([plain.astype("<u2").view(np.uint8), out[even:]])


def arm_corpus(corpus: Corpus, arm: str) -> Corpus:
    """The corpus with its speech windows as the arm's network sees them."""
    def convert_pool(pool: Pool) -> Pool:
        out = Pool()
        for seq, n_bytes, row in zip(pool.sequences, pool.n_bytes, pool.rows):
            out.add(arm_window(seq, arm), n_bytes, row)
        return out

    def convert(pools):
        return {m: convert_pool(p) if m == Modality.SPEECH else p for m, p in pools.items()}
    return Corpus(convert(corpus.train), convert(corpus.heldout))


def measure(folder: Path, arms: list[str], out: Path, every: int) -> dict[str, float]:
    """Bits per byte of each arm's trained network on every ``every``-th speech window of the
    WAV files in ``folder`` (float network, no coder: the cross-entropy)."""
    windows = wav_windows(folder, every)
    result = {}
    for arm in arms:
        seqs = [arm_window(s, arm) for s in windows]
        bits, symbols = float_bits(load_arm(out, arm), Modality.SPEECH, seqs)
        result[arm] = bits / max(symbols, 1)
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, help="folder of training speech (corpus npz or WAV)")
    p.add_argument("--measure", type=Path, help="folder of WAV files to code with trained arms")
    add_arm_options(p, arms="le,d1z", steps=600, every=4)
    args = p.parse_args(argv)
    arms = args.arms.split(",")
    if set(arms) - set(ARMS):
        p.error(f"--arms: choose from {', '.join(ARMS)}")
    if args.measure:
        figures = measure(args.measure, arms, args.out, args.every)
        print(json.dumps({"folder": str(args.measure), "every": args.every,
                          "bits_per_byte": figures}))
        return 0
    if not args.data:
        p.error("--data or --measure is required")
    train_arms(args, lambda arm, cfg, corpus: (cfg, arm_corpus(corpus, arm)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
