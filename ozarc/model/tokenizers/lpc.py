"""Backward-adaptive linear prediction of 16-bit samples, in exact integer arithmetic.

Why: a fixed predictor (``x[n-1]``) leaves speech's formant structure in the residual, and a
small network learns it poorly from byte symbols; FLAC takes it off with a linear predictor
fitted per block and stored in the stream.  Here the coefficients are not stored: every
BLOCK samples they are fitted afresh on the HISTORY samples already seen, so the decoder, which
restores the samples in order, fits the very same ones.  That needs the fit to be exact on
every machine, so it is integers throughout: the autocorrelation is a sum of int64 products
(at most 2^30 each, 2^40 in all), and Levinson-Durbin runs on Python integers in Q30 fixed
point with floor divisions.  No float reaches a coefficient.

Over a chunk's samples (the WAV transform hands the channels one after the other), per block
starting at sample ``i``:

    r[j]   = sum_n h[n] h[n+j]              h = the samples i-HISTORY .. i-1 (fewer at the start)
    r[0]  += (r[0] >> 10) + 1                white-noise floor: a silent history stays solvable
    r[j]  -= (r[j] j^2) >> 13                lag window: a smoother spectrum, stabler filter
    a      = Levinson(r) in Q30, rounded to Q12 (COEF_BITS), each clamped to +-2^20
    pred   = (sum_j a[j] x[n-1-j]) >> 12     samples before the chunk count as zero
    res[n] = x[n] - pred, wrapped into int16

The first block has no history and predicts ``x[n-1]`` (FLAC's order 1).  The inverse restores
each sample as ``res[n] + pred`` wrapped into int16, which is exact because ``x`` is int16.
"""

from __future__ import annotations

from operator import mul

import numpy as np

BLOCK = 128        # samples of a channel between two fits
HISTORY = 512      # samples of a channel each fit sees
COEF_BITS = 12     # coefficients in units of 2^-12
COEF_LIMIT = 1 << 20
_Q = 30            # Levinson's fixed point


def autocorrelation(history: np.ndarray, order: int) -> list[int]:
    """The regularised autocorrelation ``r[0..order]`` of int64 samples (module docstring)."""
    n = len(history)
    r = [int(np.dot(history[:n - j], history[j:])) if j < n else 0 for j in range(order + 1)]
    r[0] += (r[0] >> 10) + 1
    return [r[0]] + [v - ((v * j * j) >> 13) for j, v in enumerate(r[1:], start=1)]


def levinson(r: list[int], order: int) -> list[int]:
    """Prediction coefficients in Q``COEF_BITS`` (``a[0]`` weighs ``x[n-1]``) from the
    autocorrelation ``r``, by Levinson-Durbin in Q30 integers; a step whose reflection would
    reach 1 ends the recursion (the remaining coefficients stay zero)."""
    one = 1 << _Q
    a: list[int] = []
    err = r[0]
    for i in range(order):
        if err <= 0:
            break
        num = r[i + 1] * one - sum(a[j] * r[i - j] for j in range(i))
        k = num // err
        if not -one < k < one:
            break
        a = [a[j] - ((k * a[i - 1 - j]) >> _Q) for j in range(i)] + [k]
        err = err * (one * one - k * k) // (one * one)
    a += [0] * (order - len(a))
    half = 1 << (_Q - COEF_BITS - 1)
    return [max(-COEF_LIMIT, min(COEF_LIMIT, (v + half) >> (_Q - COEF_BITS))) for v in a]


def block_coefficients(history: np.ndarray, order: int) -> list[int]:
    """The coefficients of a block whose HISTORY samples before it (fewer at the start of a
    chunk, none for its first block: ``x[n-1]`` then) are ``history``."""
    if not len(history):
        return [1 << COEF_BITS] + [0] * (order - 1)
    return levinson(autocorrelation(history, order), order)


def _wrap16(v):
    return ((v + 0x8000) & 0xFFFF) - 0x8000


def residual(x: np.ndarray, order: int) -> np.ndarray:
    """The int16-wrapped prediction residual of int16 samples (int64 in and out)."""
    x = np.asarray(x, dtype=np.int64)
    n = len(x)
    coefs = np.asarray([block_coefficients(x[max(0, i - HISTORY):i], order)
                        for i in range(0, n, BLOCK)], dtype=np.int64).reshape(-1, order)
    pred = np.zeros(n, dtype=np.int64)
    for j in range(min(order, n)):
        lagged = np.concatenate([np.zeros(j + 1, dtype=np.int64), x[:n - j - 1]])
        pred += np.repeat(coefs[:, j], BLOCK)[:n] * lagged
    return _wrap16(x - (pred >> COEF_BITS))


def restore(res: np.ndarray, order: int) -> np.ndarray:
    """Inverse of :func:`residual`: the samples, one at a time (each block is fitted on the
    samples restored before it)."""
    res = np.asarray(res, dtype=np.int64).tolist()
    n = len(res)
    x = [0] * (order + n)                          # the first ``order`` stand for before the chunk
    for start in range(0, n, BLOCK):
        history = np.asarray(x[order + max(0, start - HISTORY):order + start], dtype=np.int64)
        reversed_coefs = block_coefficients(history, order)[::-1]
        for t in range(start, min(start + BLOCK, n)):
            pred = sum(map(mul, reversed_coefs, x[t:t + order])) >> COEF_BITS
            x[order + t] = ((res[t] + pred + 0x8000) & 0xFFFF) - 0x8000
    return np.asarray(x[order:], dtype=np.int64)
