"""Speech tokens: 16-bit PCM as little-endian bytes in fixed windows, optionally as the
residual of a fixed integer predictor.

The papers' choice: each int16 sample becomes two byte symbols, low byte then high byte,
samples (and channels) in file order, so the sequence is simply the PCM bytes.  The bytes are
cut into independent windows of ``WINDOW`` symbols (the last one shorter).

A model whose config sets ``speech_predictor`` = p > 0 sees each window's samples replaced by
the residual of FLAC's fixed predictor of order p (order 1 predicts ``x[n-1]``, order 2
``2 x[n-1] - x[n-2]``: p-th differences), wrapped modulo 2^16 and zigzag-mapped (0, -1, 1,
-2, ... -> 0, 1, 2, 3, ...) before it is split into bytes.  Why: to put probability on a raw
sample's low byte the network must predict the sample within a few steps and reduce that
modulo 256, which a small network does poorly; the residual is centred on zero, so the
network only learns its spread (tools/experiments/speech_residual.py measured it).  All of it
is integer arithmetic on each window alone (samples before a window count as zero), so windows
stay independent and the inverse is exact for any byte string: an odd trailing byte is a
symbol left as it is.

A ``speech_predictor`` of 8 or more (ADAPTIVE_ORDERS) names instead a backward-adaptive linear
predictor of that order (``ozarc.model.tokenizers.lpc``), run over the whole chunk's samples
before the residual is zigzagged and cut into windows: the windows stay
independent lanes for the network, and the decoder restores the samples once every window's
symbols are back.  tools/experiments/speech_residual.py measured it against order 1.
"""

from __future__ import annotations

import numpy as np

from ozarc.model.tokenizers import lpc

WINDOW = 1024
#: the fixed-predictor orders a model may name (FLAC's fixed predictors go up to 4)
FIXED_ORDERS = range(0, 5)
#: the orders of the backward-adaptive linear predictor a model may name
ADAPTIVE_ORDERS = (8, 16, 32)
PREDICTOR_ORDERS = tuple(FIXED_ORDERS) + ADAPTIVE_ORDERS


def window_lengths(n_bytes: int, window: int = WINDOW) -> list[int]:
    return [min(window, n_bytes - i) for i in range(0, n_bytes, window)]


def _check_order(order: int) -> None:
    if order not in PREDICTOR_ORDERS:
        raise ValueError(f"speech predictor order must be one of "
                         f"{', '.join(map(str, PREDICTOR_ORDERS))}, not {order}")


def _check_window_order(order: int) -> None:
    """A fixed order (0-4): the adaptive ones run over a chunk, not a window."""
    _check_order(order)
    if order in ADAPTIVE_ORDERS:
        raise ValueError(f"order {order} is adaptive: it runs over a chunk, not a window")


def map_samples(window: np.ndarray, fn) -> np.ndarray:
    """The window with ``fn`` applied to its little-endian 16-bit samples (given as int64 values
    0..65535, returned as values taken modulo 2^16); an odd last byte stays as it is."""
    window = np.asarray(window, dtype=np.uint8)
    even = len(window) - len(window) % 2
    values = np.asarray(fn(window[:even].view("<u2").astype(np.int64))) & 0xFFFF
    return np.concatenate([values.astype("<u2").view(np.uint8), window[even:]])


def unzigzag(z: np.ndarray) -> np.ndarray:
    """0, 1, 2, 3, ... -> 0, -1, 1, -2, ... (int64)."""
    return (z >> 1) ^ -(z & 1)


def zigzag(v: np.ndarray) -> np.ndarray:
    """int16 values 0, -1, 1, -2, ... -> 0, 1, 2, 3, ... (int64)."""
    return (v << 1) ^ (v >> 15)


def _int16(u: np.ndarray) -> np.ndarray:
    return (u + 0x8000) % 0x10000 - 0x8000


def residual_window(window: np.ndarray, order: int) -> np.ndarray:
    """One window's bytes as the zigzag-mapped order-``order`` residual of its int16 samples
    (little-endian bytes; an odd last byte stays as it is).  Order 0 returns the bytes."""
    _check_window_order(order)
    if order == 0:
        return np.asarray(window, dtype=np.uint8)

    def residual(u: np.ndarray) -> np.ndarray:
        r = _int16(u)                                   # the samples as int16 values
        for _ in range(order):
            r = np.diff(r, prepend=0)
        return zigzag(_int16(r))                        # wrap into int16, zigzag
    return map_samples(window, residual)


def restore_window(symbols: np.ndarray, order: int) -> np.ndarray:
    """Inverse of :func:`residual_window`: the window's PCM bytes."""
    _check_window_order(order)
    if order == 0:
        return np.asarray(symbols, dtype=np.uint8)

    def restore(z: np.ndarray) -> np.ndarray:
        x = unzigzag(z)
        for _ in range(order):
            x = np.cumsum(x) % 0x10000                  # undo one difference, modulo 2^16
        return x
    return map_samples(symbols, restore)


def adaptive_residual(pcm: np.ndarray, order: int) -> np.ndarray:
    """PCM bytes as the zigzagged residual of the order-``order`` adaptive predictor (an odd
    last byte stays as it is)."""
    return map_samples(pcm, lambda u: zigzag(lpc.residual(_int16(u), order)))


def adaptive_restore(symbols: np.ndarray, order: int) -> np.ndarray:
    """Inverse of :func:`adaptive_residual`."""
    return map_samples(symbols, lambda z: lpc.restore(unzigzag(z), order))


def pcm_to_sequences(pcm: bytes, window: int = WINDOW, predictor: int = 0) -> list[np.ndarray]:
    """Cut little-endian PCM bytes into windows of byte symbols (uint8 arrays), each the
    order-``predictor`` residual of its samples (0: the PCM bytes themselves; an adaptive
    order: the residual of the whole chunk, then cut)."""
    if window < 1:
        raise ValueError("window must be positive")
    _check_order(predictor)
    data = np.frombuffer(pcm, dtype=np.uint8)
    if predictor in ADAPTIVE_ORDERS:
        data = adaptive_residual(data, predictor)
        return [data[i:i + window] for i in range(0, len(data), window)]
    return [residual_window(data[i:i + window], predictor) for i in range(0, len(data), window)]


def sequences_to_pcm(sequences: list[np.ndarray], predictor: int = 0) -> bytes:
    """Inverse of :func:`pcm_to_sequences`."""
    _check_order(predictor)
    if predictor in ADAPTIVE_ORDERS:
        symbols = np.concatenate([np.asarray(s, dtype=np.uint8) for s in sequences]
                                 or [np.zeros(0, np.uint8)])
        return adaptive_restore(symbols, predictor).tobytes()
    return b"".join(restore_window(s, predictor).tobytes() for s in sequences)
