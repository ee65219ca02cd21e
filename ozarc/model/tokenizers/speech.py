"""Speech tokens: 16-bit PCM as its little-endian bytes, in fixed windows.

The papers' choice: each int16 sample becomes two byte symbols, low byte then high byte,
samples (and channels) in file order, so the sequence is simply the PCM bytes.  The bytes are
cut into independent windows of ``WINDOW`` symbols (the last one shorter).  Any byte string is
accepted (an odd trailing byte is just a symbol), so the inverse is exact by construction.
"""

from __future__ import annotations

import numpy as np

WINDOW = 1024


def window_lengths(n_bytes: int, window: int = WINDOW) -> list[int]:
    return [min(window, n_bytes - i) for i in range(0, n_bytes, window)]


def pcm_to_sequences(pcm: bytes, window: int = WINDOW) -> list[np.ndarray]:
    """Cut little-endian PCM bytes into windows of byte symbols (uint8 arrays)."""
    if window < 1:
        raise ValueError("window must be positive")
    data = np.frombuffer(pcm, dtype=np.uint8)
    return [data[i:i + window] for i in range(0, len(data), window)]


def sequences_to_pcm(sequences: list[np.ndarray]) -> bytes:
    """Inverse of :func:`pcm_to_sequences`."""
    return b"".join(np.asarray(s, dtype=np.uint8).tobytes() for s in sequences)
