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

The ``a`` arms (``a8``, ``a16``, ``a32``) are models whose config names the backward-adaptive
linear predictor of that order (``ozarc.model.tokenizers.lpc``): it runs over a whole
utterance, not a window, so those arms train on the corpus as such a model codes it and are
measured on the WAV files cut the same way.

    python -m tools.experiments.speech_residual --data /work/corpus/speech --steps 1500 --out runs/sres --arms le,d1z,d1,d2z,d2
    python -m tools.experiments.speech_residual --measure FOLDER --every 4 --out runs/sres --arms le,d1z,d1,d2z,d2

The ``z`` form is what the codec does for a model whose config sets ``speech_predictor``
to 1-4; the ``a`` arms are what it does for 8, 16 or 32.

``--measure`` codes every N-th window of the WAV files in a folder with the trained arms'
float networks (a measurement; the folder may be a benchmark set, it trains nothing).
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

from ozarc.model.config import ModelConfig
from ozarc.model.tokenizers.speech import ADAPTIVE_ORDERS, map_samples, residual_window, unzigzag
from tools.experiments.speech_arms import measure_speech, speech_corpus, speech_main
from tools.train.data import Corpus

# arm -> (predictor order, zigzag)
ARMS = {"le": (0, False), "d1": (1, False), "d2": (2, False), "d1z": (1, True),
        "d2z": (2, True), "a8": (8, True), "a16": (16, True), "a32": (32, True)}


def arm_window(seq: np.ndarray, arm: str) -> np.ndarray:
    """The window as the arm's network sees it: the tokenizer's own residual
    (``ozarc.model.tokenizers.speech.residual_window``, zigzagged), or for the plain arms the
    same residual as two's-complement int16."""
    order, zigzag = ARMS[arm]
    if order in ADAPTIVE_ORDERS:        # cut from the utterance's residual already
        return seq
    out = residual_window(seq, order)
    return out if order == 0 or zigzag else map_samples(out, unzigzag)


def arm_setup(arm: str, cfg: ModelConfig, corpus: Corpus) -> tuple[ModelConfig, Corpus]:
    """The arm's config and corpus: an ``a`` arm's model names its predictor (and is trained on
    the corpus as that model codes it, ``arms.train_arms``); the others see the corpus's
    windows through their view."""
    order = ARMS[arm][0]
    if order in ADAPTIVE_ORDERS:
        return replace(cfg, speech_predictor=order), corpus
    return cfg, speech_corpus(corpus, lambda seq: arm_window(seq, arm))


def measure(folder: Path, arms: list[str], out: Path, every: int) -> dict[str, float]:
    """Bits per byte of each arm's trained network on every ``every``-th speech window of the
    WAV files in ``folder`` (``speech_arms.measure_speech``)."""
    return measure_speech(folder, arms, out, every, arm_window)


def main(argv: list[str] | None = None) -> int:
    return speech_main(argv, __doc__.splitlines()[0], list(ARMS), "le,d1z", arm_window,
                       arm_setup)


if __name__ == "__main__":
    sys.exit(main())
