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

import sys
from pathlib import Path

import numpy as np

from tools.experiments.speech_arms import measure_speech, speech_corpus, speech_main
from tools.train.data import Corpus

ARMS = ("le", "be")


def swap_sample_bytes(seq: np.ndarray) -> np.ndarray:
    """The window with the two bytes of every 16-bit sample swapped (an odd last byte stays
    where it is).  Its own inverse."""
    out = np.array(seq, dtype=np.uint8, copy=True)
    even = len(out) - len(out) % 2
    out[:even] = out[:even].reshape(-1, 2)[:, ::-1].ravel()
    return out


def arm_window(seq: np.ndarray, arm: str) -> np.ndarray:
    """The window as the arm's network sees it."""
    return seq if arm == "le" else swap_sample_bytes(seq)


def arm_corpus(corpus: Corpus, arm: str) -> Corpus:
    """The corpus with its speech pools in the arm's byte order (other modalities as they are)."""
    return corpus if arm == "le" else speech_corpus(corpus, swap_sample_bytes)


def measure(folder: Path, arms: list[str], out: Path, every: int) -> dict[str, float]:
    """Bits per byte of each arm's trained network on every ``every``-th speech window of the
    WAV files in ``folder`` (``speech_arms.measure_speech``)."""
    return measure_speech(folder, arms, out, every, arm_window)


def main(argv: list[str] | None = None) -> int:
    return speech_main(argv, __doc__.splitlines()[0], list(ARMS), ",".join(ARMS), arm_window,
                       lambda arm, cfg, corpus: (cfg, arm_corpus(corpus, arm)))


if __name__ == "__main__":
    sys.exit(main())
