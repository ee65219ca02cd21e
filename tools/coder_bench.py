"""Throughput of the lane rANS coder alone (no model): python -m tools.coder_bench

Tables are precomputed, so this measures exactly what the codec adds per step on top of the
model: symbol_intervals + encode_lanes on the encoder side, LaneDecoder.decode_step (cumsum,
search, renormalisation) on the decoder side.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from ozarc.entropy.rans import TOTAL, LaneDecoder, encode_lanes, symbol_intervals


def _tables(rng: np.random.Generator, lanes: int, steps: int, n: int) -> np.ndarray:
    p = rng.dirichlet(np.full(n, 0.2), size=(lanes, steps))
    freqs = 1 + np.floor(p * (TOTAL - n)).astype(np.int64)
    flat = freqs.reshape(-1, n)
    flat[np.arange(len(flat)), flat.argmax(axis=1)] += TOTAL - flat.sum(axis=1)
    return freqs


def bench(lanes: int, steps: int, n: int, seed: int = 0) -> tuple[float, float, float]:
    """(encode symbols/s, decode symbols/s, bits/symbol over the information content)."""
    rng = np.random.default_rng(seed)
    tables = _tables(rng, lanes, steps, n)
    symbols = (np.cumsum(tables, axis=-1) <= rng.integers(0, TOTAL, (lanes, steps))[..., None]).sum(-1)
    lengths = np.full(lanes, steps)
    t0 = time.perf_counter()
    freq, start = symbol_intervals(tables, symbols)
    coded = encode_lanes(freq, start, lengths)
    t1 = time.perf_counter()
    decoder = LaneDecoder([coded], [lanes])
    all_lanes = np.arange(lanes)
    for t in range(steps):
        out = decoder.decode_step(all_lanes, tables[:, t])
        assert (out == symbols[:, t]).all()
    t2 = time.perf_counter()
    assert decoder.ok().all()
    info = -np.log2(freq / TOTAL).sum()
    return lanes * steps / (t1 - t0), lanes * steps / (t2 - t1), (8 * len(coded) - info) / (lanes * steps)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tools.coder_bench")
    parser.add_argument("--steps", type=int, default=256)
    args = parser.parse_args()
    print("symbols  lanes   encode sym/s   decode sym/s   overhead bits/sym")
    for n, lanes in [(256, 64), (256, 256), (256, 1024), (4096, 16), (4096, 64)]:
        enc, dec, over = bench(lanes, args.steps, n)
        print(f"{n:7d}  {lanes:5d}  {enc:13,.0f}  {dec:13,.0f}  {over:17.4f}", flush=True)


if __name__ == "__main__":
    main()
