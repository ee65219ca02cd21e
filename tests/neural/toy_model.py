"""A small deterministic stand-in for ExactModel (same API), for codec tests only.

Adaptive per lane: the next-symbol counts start at 1 for every symbol, each coded symbol adds
24 to its own count, and the previous symbol gets a bonus of 64 (an order-1 hint), so runs and
repeats compress.  Counts become a table summing to exactly 2**16 with every entry >= 1 by
integer arithmetic only (the remainder goes to the lowest-index largest entry).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from ozarc.modality import Modality

FREQ_BITS = 16


@dataclass(frozen=True)
class ToyConfig:
    n_text: int
    speech_predictor: int = 0


class ToyState:
    def __init__(self, counts: np.ndarray, prev: np.ndarray):
        self.counts = counts
        self.prev = prev


def quantize(counts: np.ndarray) -> np.ndarray:
    """Integer counts [B, n] -> tables summing to 2**16, each entry >= 1."""
    n = counts.shape[1]
    spare = (1 << FREQ_BITS) - n
    freqs = 1 + counts * spare // counts.sum(axis=1, keepdims=True)
    rows = np.arange(len(counts))
    freqs[rows, np.argmax(freqs, axis=1)] += (1 << FREQ_BITS) - freqs.sum(axis=1)
    return freqs


class ToyModel:
    FREQ_BITS = FREQ_BITS

    def __init__(self, tokenizer_blob: bytes = b"", n_text: int = 4096, name: str = "toy",
                 speech_predictor: int = 0):
        self.config = ToyConfig(n_text=n_text, speech_predictor=speech_predictor)
        self.name = name
        self.tokenizer_blob = tokenizer_blob
        self.sha256 = hashlib.sha256(b"toy" + tokenizer_blob).hexdigest()
        self.freqs_calls = 0

    def n_symbols(self, modality: Modality) -> int:
        return self.config.n_text if modality == Modality.TEXT else 256

    def start(self, modality: Modality, batch: int) -> ToyState:
        n = self.n_symbols(modality)
        return ToyState(np.ones((batch, n), dtype=np.int64), np.full(batch, -1, dtype=np.int64))

    def freqs(self, state: ToyState) -> np.ndarray:
        self.freqs_calls += 1
        counts = state.counts.copy()
        lanes = np.flatnonzero(state.prev >= 0)
        counts[lanes, state.prev[lanes]] += 64
        return quantize(counts)

    def advance(self, state: ToyState, symbols: np.ndarray) -> None:
        symbols = np.asarray(symbols, dtype=np.int64)
        state.counts[np.arange(len(symbols)), symbols] += 24
        state.prev = symbols.copy()

    def sequence_freqs(self, modality: Modality, symbols: np.ndarray) -> np.ndarray:
        symbols = np.asarray(symbols, dtype=np.int64)
        state = self.start(modality, symbols.shape[0])
        out = np.empty(symbols.shape + (self.n_symbols(modality),), dtype=np.int64)
        for t in range(symbols.shape[1]):
            out[:, t] = self.freqs(state)
            self.advance(state, symbols[:, t])
        return out
