"""What the speech A/B experiments share: an arm is a view of every speech window (window in,
window of the same length out), or a model whose config codes speech its own way (its windows
cut as that model's codec cuts them); the corpus's speech pools seen through a view, the WAV
windows of a folder measured through it, and the command line that trains or measures the
arms."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Callable

import numpy as np

from ozarc.modality import Modality
from ozarc.model.tokenizers.speech import pcm_to_sequences
from tools.experiments.arms import ArmSetup, add_arm_options, float_bits, load_arm, train_arms
from tools.train.data import Corpus, Pool

# (window, arm) -> the window as that arm's network sees it
ArmView = Callable[[np.ndarray, str], np.ndarray]


def wav_windows(folder: Path, every: int, predictor: int = 0) -> list[np.ndarray]:
    """Every ``every``-th 1024-byte window of the 16-bit WAV files under ``folder``, as the
    codec would cut them (each channel in turn, little-endian PCM bytes; a ``predictor``
    order: as a model with that switch codes them)."""
    import soundfile as sf

    windows = []
    for path in sorted(p for p in Path(folder).rglob("*.wav") if p.is_file()):
        samples, _ = sf.read(path, dtype="int16", always_2d=True)
        for channel in samples.T:
            pcm = np.ascontiguousarray(channel, "<i2").tobytes()
            windows += pcm_to_sequences(pcm, predictor=predictor)[::every]
    return windows


def speech_corpus(corpus: Corpus, convert: Callable[[np.ndarray], np.ndarray]) -> Corpus:
    """The corpus with every speech window converted (other modalities' pools as they are)."""
    def convert_pool(pool: Pool) -> Pool:
        out = Pool()
        for seq, n_bytes, row in zip(pool.sequences, pool.n_bytes, pool.rows):
            out.add(convert(seq), n_bytes, row)
        return out

    def convert_all(pools):
        return {m: convert_pool(p) if m == Modality.SPEECH else p for m, p in pools.items()}
    return Corpus(convert_all(corpus.train), convert_all(corpus.heldout))


def measure_speech(folder: Path, arms: list[str], out: Path, every: int,
                   view: ArmView) -> dict[str, float]:
    """Bits per byte of each arm's trained network on every ``every``-th speech window of the
    WAV files in ``folder``, each window cut as the arm's network codes speech and seen
    through the arm's view (float network, no coder: the cross-entropy)."""
    windows: dict[int, list[np.ndarray]] = {}
    result = {}
    for arm in arms:
        net = load_arm(out, arm)
        predictor = net.config.speech_predictor
        if predictor not in windows:
            windows[predictor] = wav_windows(folder, every, predictor)
        seqs = [view(s, arm) for s in windows[predictor]]
        bits, symbols = float_bits(net, Modality.SPEECH, seqs)
        result[arm] = bits / max(symbols, 1)
    return result


def speech_main(argv: list[str] | None, description: str, known_arms: list[str],
                default_arms: str, view: ArmView, arm_setup: ArmSetup) -> int:
    """The experiments' command line: train the arms on --data, or measure them on --measure."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--data", type=Path, help="folder of training speech (corpus npz or WAV)")
    p.add_argument("--measure", type=Path, help="folder of WAV files to code with trained arms")
    add_arm_options(p, arms=default_arms, steps=600, every=4)
    args = p.parse_args(argv)
    arms = args.arms.split(",")
    if set(arms) - set(known_arms):
        p.error(f"--arms: choose from {', '.join(known_arms)}")
    if args.measure:
        figures = measure_speech(args.measure, arms, args.out, args.every, view)
        print(json.dumps({"folder": str(args.measure), "every": args.every,
                          "bits_per_byte": figures}))
        return 0
    if not args.data:
        p.error("--data or --measure is required")
    train_arms(args, arm_setup)
    return 0
