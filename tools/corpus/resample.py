"""Exact integer-ratio polyphase resampling of int16 audio (44.1 kHz -> 16 kHz is 160/441).

The speech expert trains on 16 kHz mono int16, while the package recordings are
44.1 kHz (tuxpaint) or 8 kHz (asterisk). A Kaiser-windowed sinc low-pass is cut
into ``up`` phases and quantised to integers once; the convolution then runs in
int64 so the corpus samples are the same on every machine. No scipy needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from math import gcd

import numpy as np

COEF_SHIFT = 16          # taps are fixed point with 16 fractional bits
HALF_TAPS = 48           # input samples on each side of an output instant
KAISER_BETA = 8.6        # ~ -85 dB stopband
ROLLOFF = 0.92           # cutoff as a fraction of the lower Nyquist rate
_BLOCK = 1 << 15         # outputs computed per vectorised block


@dataclass(frozen=True)
class PolyphaseFilter:
    """Integer taps ``table[phase, tap]``; each phase sums to ``1 << COEF_SHIFT``."""

    up: int
    down: int
    half_taps: int
    table: np.ndarray


def output_length(n_in: int, up: int, down: int) -> int:
    """Number of output samples: ceil(n_in * up / down)."""
    return (n_in * up + down - 1) // down


@lru_cache(maxsize=8)
def design_filter(up: int, down: int, half_taps: int = HALF_TAPS) -> PolyphaseFilter:
    """Kaiser-windowed sinc low-pass for ``up``/``down`` split into ``up`` phases."""
    g = gcd(up, down)
    up, down = up // g, down // g
    cutoff = ROLLOFF * 0.5 / max(up, down)          # cycles per upsampled sample
    j = np.arange(-half_taps, half_taps)             # input-sample offsets
    phases = np.arange(up)
    t = j[None, :] * up + phases[:, None]            # time in upsampled samples
    span = half_taps * up
    x = np.clip(t / span, -1.0, 1.0)
    window = np.i0(KAISER_BETA * np.sqrt(1.0 - x * x)) / np.i0(KAISER_BETA)
    taps = 2.0 * cutoff * np.sinc(2.0 * cutoff * t) * window
    taps /= taps.sum(axis=1, keepdims=True)           # unity DC gain per phase
    scale = 1 << COEF_SHIFT
    table = np.rint(taps * scale).astype(np.int64)
    residue = scale - table.sum(axis=1)
    centre = np.argmax(np.abs(table), axis=1)
    table[phases, centre] += residue                  # exact sum per phase
    table.setflags(write=False)
    return PolyphaseFilter(up=up, down=down, half_taps=half_taps, table=table)


def resample_int16(samples: np.ndarray, up: int, down: int) -> np.ndarray:
    """Resample mono int16 ``samples`` by ``up``/``down``; exact integer arithmetic.

    Output sample n sits at input time n*down/up; its value is the integer dot
    product of the surrounding input samples with the phase's taps, rounded
    half up and clipped to int16.
    """
    x = np.asarray(samples)
    if x.ndim != 1:
        raise ValueError("resample_int16 expects mono (1-D) samples")
    filt = design_filter(up, down)
    up, down, w = filt.up, filt.down, filt.half_taps
    n_out = output_length(x.size, up, down)
    padded = np.concatenate([np.zeros(w, np.int64), x.astype(np.int64), np.zeros(w + 1, np.int64)])
    offsets = np.arange(-w, w)
    out = np.empty(n_out, dtype=np.int16)
    half = 1 << (COEF_SHIFT - 1)
    for start in range(0, n_out, _BLOCK):
        n = np.arange(start, min(start + _BLOCK, n_out), dtype=np.int64)
        base = (n * down) // up
        phase = (n * down) % up
        idx = base[:, None] - offsets[None, :] + w
        acc = (padded[idx] * filt.table[phase]).sum(axis=1)
        y = (acc + half) >> COEF_SHIFT
        out[start:start + n.size] = np.clip(y, -32768, 32767)
    return out


def to_mono_int16(frames: np.ndarray) -> np.ndarray:
    """Average int16 channels (frames x channels) to mono int16, rounding half up."""
    a = np.asarray(frames)
    if a.ndim == 1:
        return a.astype(np.int16, copy=True)
    ch = a.shape[1]
    total = a.astype(np.int64).sum(axis=1)
    return ((total * 2 + ch) // (2 * ch)).astype(np.int16)
