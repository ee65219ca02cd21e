"""Does the network code speech better when each sample's high byte comes first?

Why: the speech tokenizer (ozarc.model.tokenizers.speech) hands the model the PCM bytes as
they are, little-endian: each sample's low byte, then its high byte.  The low byte is then
predicted before the coarse part of the sample is known; coarse-then-fine (the high byte
first, as in WaveNet's split) gives the network the easy part first and conditions the fine
part on it.  The chain rule says the true distribution costs the same either way; what a
small network learns need not.  This A/B trains the same network twice on the same speech,
same seed and batches -- ``le`` (the bytes as the codec sends them today) and ``be`` (the two
bytes of every sample swapped) -- and reports held-out bits per byte; nothing from
shared/bench is read for training.

    python -m tools.experiments.speech_byte_order --data /work/corpus/speech --steps 600 --out runs/sbo
    python -m tools.experiments.speech_byte_order --measure FOLDER --every 4 --out runs/sbo

``--measure`` codes every N-th window of the WAV files in a folder with both arms' trained
float networks (a measurement; the folder may be a benchmark set, it trains nothing).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from ozarc.modality import Modality
from ozarc.model.tokenizers.speech import pcm_to_sequences
from tools.experiments.arms import add_arm_options, float_bits, load_arm, train_arms
from tools.train.data import Corpus, Pool

ARMS = ("le", "be")


def swap_sample_bytes(seq: np.ndarray) -> np.ndarray:
    """The window with the two bytes of every 16-bit sample swapped (an odd last byte stays
    where it is).  Its own inverse."""
    out = np.array(seq, dtype=np.uint8, copy=True)
    even = len(out) - len(out) % 2
    out[:even] = out[:even].reshape(-1, 2)[:, ::-1].ravel()
    return out


def arm_pool(pool: Pool, arm: str) -> Pool:
    """The speech pool as the arm's network sees it."""
    if arm == "le":
        return pool
    swapped = Pool()
    for seq, n_bytes, row in zip(pool.sequences, pool.n_bytes, pool.rows):
        swapped.add(swap_sample_bytes(seq), n_bytes, row)
    return swapped


def arm_corpus(corpus: Corpus, arm: str) -> Corpus:
    """The corpus with its speech pools in the arm's byte order (other modalities as they are)."""
    def convert(pools):
        return {m: arm_pool(p, arm) if m == Modality.SPEECH else p for m, p in pools.items()}
    return Corpus(convert(corpus.train), convert(corpus.heldout))


def wav_windows(folder: Path, every: int) -> list[np.ndarray]:
    """Every ``every``-th 1024-byte window of the 16-bit WAV files under ``folder``, as the
    codec would cut them (each channel in turn, little-endian)."""
    import soundfile as sf

    windows = []
    for path in sorted(p for p in Path(folder).rglob("*.wav") if p.is_file()):
        samples, _ = sf.read(path, dtype="int16", always_2d=True)
        for channel in samples.T:
            windows += pcm_to_sequences(np.ascontiguousarray(channel, "<i2").tobytes())[::every]
    return windows


def measure(folder: Path, arms: list[str], out: Path, every: int) -> dict[str, float]:
    """Bits per byte of each arm's trained network on every ``every``-th speech window of the
    WAV files in ``folder`` (float network, no coder: the cross-entropy)."""
    windows = wav_windows(folder, every)
    result = {}
    for arm in arms:
        seqs = windows if arm == "le" else [swap_sample_bytes(s) for s in windows]
        bits, symbols = float_bits(load_arm(out, arm), Modality.SPEECH, seqs)
        result[arm] = bits / max(symbols, 1)
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, help="folder of training speech (corpus npz or WAV)")
    p.add_argument("--measure", type=Path, help="folder of WAV files to code with trained arms")
    add_arm_options(p, arms=",".join(ARMS), steps=600, every=4)
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
