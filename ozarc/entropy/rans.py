"""Lane-interleaved rANS over integer frequency tables (numpy-vectorised across lanes).

Why our own coder rather than constriction: constriction quantizes a *float* probability
vector to its own fixed-point table, and that quantization (leaky, fast vs. perfect, f32 vs
f64) is an internal detail that has changed between releases; an archive must decode with any
future version.  Here the model's integer table is used as it is: no float ever reaches the
coder.

Parameters (docs/bitstream.md): frequencies sum to M = 2**16, every entry >= 1.  One 32-bit
state per lane (one lane = one independent sequence), kept in [L, 2**31) with L = 2**23,
renormalised a byte at a time (at most two bytes per symbol).  All lanes share one byte
stream: the decoder processes step t for the active lanes in ascending lane order, decodes one
symbol per lane, then refills the lanes whose state fell below L — first one byte for every
such lane in lane order, then a second byte for those still below L.  The encoder runs the
steps backwards and emits in exactly the reverse order, so the stream reads forwards.  Coded
form: the lanes' final encoder states (4 bytes LE each) followed by the byte stream.  A decoder
that ends with every lane back at L and the stream exactly consumed has checked the chunk.
"""

from __future__ import annotations

import numpy as np

FREQ_BITS = 16
TOTAL = 1 << FREQ_BITS
STATE_LOW = 1 << 23          # L
STATE_HIGH = 1 << 31         # states live in [L, STATE_HIGH)
STATE_BYTES = 4
_X_MAX_SHIFT = 23 - FREQ_BITS + 8   # x_max(f) = f << 15: encode keeps x < x_max before coding


def symbol_intervals(freqs: np.ndarray, symbols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(frequency, cumulative start) of each symbol under its table: [..., n] x [...] -> [...]."""
    sym = np.asarray(symbols, dtype=np.int64)[..., None]
    freq = np.take_along_axis(freqs, sym, axis=-1)[..., 0]
    below = np.cumsum(freqs, axis=-1)
    start = np.take_along_axis(below, sym, axis=-1)[..., 0] - freq
    return freq.astype(np.int64), start.astype(np.int64)


def encode_lanes(freq: np.ndarray, start: np.ndarray, lengths: np.ndarray) -> bytes:
    """Code lanes of symbols given each symbol's (freq, start): [B, T] arrays, ``lengths`` [B].

    Entries at t >= lengths[b] are ignored.  Returns states + stream (see module docstring).
    """
    freq = np.asarray(freq, dtype=np.uint64)
    start = np.asarray(start, dtype=np.uint64)
    lengths = np.asarray(lengths, dtype=np.int64)
    n_lanes = len(lengths)
    if freq.shape[1:] and (freq[np.arange(freq.shape[1]) < lengths[:, None]] < 1).any():
        raise ValueError("zero frequency for a coded symbol")
    x = np.full(n_lanes, STATE_LOW, dtype=np.uint64)
    emitted: list[np.ndarray] = []
    order = np.arange(n_lanes)
    for t in range(int(lengths.max()) - 1 if n_lanes else -1, -1, -1):
        lanes = order[lengths > t][::-1]          # descending lane order
        xa, f = x[lanes], freq[lanes, t]
        x_max = f << np.uint64(_X_MAX_SHIFT)
        two = xa >= (x_max << np.uint64(8))
        if two.any():
            emitted.append((xa[two] & np.uint64(0xFF)).astype(np.uint8))
            xa[two] >>= np.uint64(8)
        one = xa >= x_max
        if one.any():
            emitted.append((xa[one] & np.uint64(0xFF)).astype(np.uint8))
            xa[one] >>= np.uint64(8)
        x[lanes] = ((xa // f) << np.uint64(FREQ_BITS)) + (xa % f) + start[lanes, t]
    stream = np.concatenate(emitted)[::-1].tobytes() if emitted else b""
    return x.astype("<u4").tobytes() + stream


class LaneDecoder:
    """Decodes several coded chunks at once; lanes are numbered across chunks in order.

    ``coded`` holds each chunk's states + stream and ``lanes`` how many lanes it has.  A chunk
    whose bytes run out or whose states are impossible is marked failed (``ok()`` reports it)
    and keeps decoding garbage, so the other chunks in the batch are unaffected and nothing
    loops or allocates beyond the lane count.
    """

    def __init__(self, coded: list[bytes], lanes: list[int]):
        n_chunks = len(coded)
        self._failed = np.zeros(n_chunks, dtype=bool)
        self._lane_chunk = np.repeat(np.arange(n_chunks), lanes)
        states, streams, ends = [], [], []
        offset = 0
        for i, (data, n) in enumerate(zip(coded, lanes)):
            head = bytes(data[:STATE_BYTES * n])
            if len(head) < STATE_BYTES * n:
                self._failed[i] = True
                head = head.ljust(STATE_BYTES * n, b"\0")
            lane_states = np.frombuffer(head, dtype="<u4").astype(np.uint64)
            bad = (lane_states < STATE_LOW) | (lane_states >= STATE_HIGH)
            if bad.any():
                self._failed[i] = True
                lane_states = np.where(bad, np.uint64(STATE_LOW), lane_states)
            states.append(lane_states)
            body = bytes(data[STATE_BYTES * n:])
            streams.append(body)
            offset += len(body)
            ends.append(offset)
        self._x = np.concatenate(states) if states else np.zeros(0, dtype=np.uint64)
        self._buf = np.frombuffer(b"".join(streams) + b"\0", dtype=np.uint8)
        self._end = np.asarray(ends, dtype=np.int64)
        self._pos = self._end - np.asarray([len(s) for s in streams], dtype=np.int64)

    def decode_step(self, lanes: np.ndarray, freqs: np.ndarray) -> np.ndarray:
        """Decode one symbol for each of ``lanes`` (ascending) under ``freqs`` [len(lanes), n]."""
        freqs = np.asarray(freqs, dtype=np.int64)
        below = np.cumsum(freqs, axis=1)
        if (below[:, -1] != TOTAL).any() or (freqs < 1).any():
            raise ValueError("frequency table must sum to 2**16 with every entry >= 1")
        xa = self._x[lanes]
        slot = (xa & np.uint64(TOTAL - 1)).astype(np.int64)
        symbols = (below <= slot[:, None]).sum(axis=1)
        rows = np.arange(len(lanes))
        f = freqs[rows, symbols]
        c = below[rows, symbols] - f
        xa = f.astype(np.uint64) * (xa >> np.uint64(FREQ_BITS)) + (slot - c).astype(np.uint64)
        for _ in range(2):
            need = xa < STATE_LOW
            if not need.any():
                break
            xa[need] = (xa[need] << np.uint64(8)) | self._read(lanes[need])
        self._x[lanes] = xa
        return symbols

    def _read(self, readers: np.ndarray) -> np.ndarray:
        """One byte for each reader lane (ascending), each from its own chunk's stream."""
        chunk = self._lane_chunk[readers]
        rank = np.arange(len(readers)) - np.searchsorted(chunk, chunk, side="left")
        where = self._pos[chunk] + rank
        over = where >= self._end[chunk]
        if over.any():
            self._failed[chunk[over]] = True
            where = np.where(over, len(self._buf) - 1, where)
        self._pos += np.bincount(chunk, minlength=len(self._pos))
        return self._buf[where].astype(np.uint64)

    def ok(self) -> np.ndarray:
        """Per chunk: decoded without running out, stream fully used, every lane back at L."""
        at_low = np.ones(len(self._end), dtype=bool)
        np.logical_and.at(at_low, self._lane_chunk, self._x == STATE_LOW)
        return ~self._failed & (self._pos == self._end) & at_low
