"""Speed and quantisation-gap measurements of the exact engine.

Why: the engine's promise is exactness; its cost is speed and a small loss against the
float network.  This tool measures both so changes can be judged by numbers.

    python tools/engine_bench.py                       # speed table, widths 64 96 128 320
    python tools/engine_bench.py --widths 64 --batches 256 1024 --backend torch
    python tools/engine_bench.py --quant-gap --checkpoint run/model.pt --data some.bin

Speed: decode = the decoder's loop (freqs + advance, one symbol per lane per step);
encode = ``sequence_intervals`` over whole sequences (what the encoder calls).  Random
weights (speed does not depend on them).  Symbols/s of image bytes (1 byte = 1 symbol).

Quant gap: cross-entropy (bits/symbol) of the float network and of the exported integer
engine on the same sequences, and their relative difference.  ``--checkpoint`` is a torch
file holding {"config": {...}, "model": state_dict} (or "state_dict"), or a bare state dict
with ``--config`` JSON; without one, random weights are used (a sanity check only).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ozarc.model.tokenizers.speech import pcm_to_sequences  # noqa: E402
from ozarc.modality import Modality  # noqa: E402
from ozarc.model.config import ModelConfig  # noqa: E402
from ozarc.model.exact import ExactModel, random_float_weights  # noqa: E402
from ozarc.model.exact.backend import resolve_backend_name  # noqa: E402
from ozarc.model.above import full_patch_row  # noqa: E402
from ozarc.model.exact.reference import float_logits  # noqa: E402
from ozarc.model.export import export_model  # noqa: E402
from ozarc.model.ozm import write_ozm  # noqa: E402


def build(config: ModelConfig, weights: dict, backend: str) -> ExactModel:
    model = ExactModel.from_bytes(write_ozm(export_model(weights, config, "bench")), backend,
                                  threads=ENGINE_THREADS[0])
    set_threads(THREADS[0])         # the numpy backend holds OpenBLAS to 1 thread on creation
    return model


class Clock:
    """Wall and process-CPU time: on a shared machine symbols per CPU-second is the figure
    that carries over to an idle core (the numpy backend runs on one thread)."""

    def __init__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def rates(self, symbols: int) -> tuple[float, float]:
        wall = time.perf_counter() - self.wall
        cpu = time.process_time() - self.cpu
        return symbols / wall, symbols / max(cpu, 1e-9)


def time_decode(model: ExactModel, batch: int, steps: int) -> float:
    symbols = np.random.default_rng(0).integers(0, 256, (batch, steps))
    state = model.start(Modality.IMAGE_RGB, batch)
    model.freqs(state)
    model.advance(state, symbols[:, 0])                   # warm-up
    clock = Clock()
    for t in range(1, steps):
        model.freqs(state)
        model.advance(state, symbols[:, t])
    return clock.rates(batch * (steps - 1))


def time_encode(model: ExactModel, batch: int, length: int) -> float:
    symbols = np.random.default_rng(1).integers(0, 256, (batch, length))
    model.sequence_intervals(Modality.IMAGE_RGB, symbols[:1, :4])   # warm-up
    clock = Clock()
    model.sequence_intervals(Modality.IMAGE_RGB, symbols)
    return clock.rates(batch * length)


def speed_table(args) -> None:
    print(f"backend={resolve_backend_name(args.backend)} engine_threads={args.engine_threads} "
          f"layers={args.layers} n_text={args.n_text} "
          f"steps={args.steps} seq_len={args.seq_len}")
    print(f"{'width':>5} {'batch':>6} {'decode sym/s':>13} {'per cpu-s':>10} "
          f"{'encode sym/s':>13} {'per cpu-s':>10}")
    for width in args.widths:
        config = ModelConfig(n_text=args.n_text, width=width, n_layers=args.layers)
        model = build(config, random_float_weights(config, 0), args.backend)
        for batch in args.batches:
            dec = time_decode(model, batch, args.steps)
            enc = time_encode(model, batch, args.seq_len)
            print(f"{width:>5} {batch:>6} {dec[0]:>13,.0f} {dec[1]:>10,.0f} "
                  f"{enc[0]:>13,.0f} {enc[1]:>10,.0f}", flush=True)


def load_checkpoint(args) -> tuple[ModelConfig, dict]:
    import torch

    blob = torch.load(args.checkpoint, map_location="cpu", weights_only=False)
    if isinstance(blob, dict) and "config" in blob:
        config = ModelConfig.from_dict(blob["config"])
        state = blob.get("model", blob.get("state_dict"))
    else:
        config = ModelConfig.from_dict(json.loads(Path(args.config).read_text()))
        state = blob
    if any("hira_" in key for key in state):
        from ozarc.model.network import OzNet

        net = OzNet(config)
        net.load_state_dict(state)
        net.merge_hira()
        state = net.state_dict()
    return config, state


def cross_entropy_bits(probs: np.ndarray, symbols: np.ndarray) -> float:
    return float(-np.log2(np.take_along_axis(probs, symbols[..., None], -1)).mean())


def quant_gap(args) -> None:
    if args.checkpoint:
        config, weights = load_checkpoint(args)
    else:
        config = ModelConfig(n_text=args.n_text, width=args.widths[0], n_layers=args.layers)
        weights = random_float_weights(config, 0)
    model = build(config, weights, args.backend)
    modality = Modality.from_tag(args.modality)
    n = model.n_symbols(modality)
    if args.data:
        data = Path(args.data).read_bytes()
        count = min(args.sequences, len(data) // args.seq_len)
        data = data[:count * args.seq_len]
        if modality == Modality.SPEECH:           # the windows it codes (its predictor's)
            data = b"".join(s.tobytes() for s in
                            pcm_to_sequences(data, args.seq_len, config.speech_predictor))
        raw = np.frombuffer(data, dtype=np.uint8).astype(np.int64)
        symbols = raw.reshape(count, args.seq_len) % n
    else:
        symbols = np.random.default_rng(2).integers(0, n, (args.sequences, args.seq_len))
    # an above-pixel model reads the symbol one full patch row back (the data are patches)
    rows = [full_patch_row(modality)] * len(symbols) if model.reads_above(modality) else None
    logits = float_logits(weights, config, modality, symbols, rows)
    p = np.exp(logits - logits.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    q = model.sequence_freqs(modality, symbols, rows) / 2.0 ** ExactModel.FREQ_BITS
    ce_float, ce_int = cross_entropy_bits(p, symbols), cross_entropy_bits(q, symbols)
    print(f"sequences={len(symbols)} length={symbols.shape[1]} modality={modality.tag}")
    print(f"float CE {ce_float:.4f} bits/sym   integer CE {ce_int:.4f} bits/sym   "
          f"gap {100 * (ce_int - ce_float) / ce_float:+.2f}%")


THREADS = [1]
ENGINE_THREADS = [1]


def set_threads(n: int) -> None:
    THREADS[0] = n
    from ozarc.model.exact.blas import limit_blas_threads

    limit_blas_threads(n)
    try:
        import torch

        torch.set_num_threads(n)
    except ImportError:
        pass


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--widths", type=int, nargs="+", default=[64, 96, 128, 320])
    parser.add_argument("--batches", type=int, nargs="+", default=[256, 1024])
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--n-text", type=int, default=4096)
    parser.add_argument("--steps", type=int, default=24)
    parser.add_argument("--seq-len", type=int, default=256)
    parser.add_argument("--backend", default="auto")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch intra-op / OpenBLAS threads (1 is fastest on a busy box)")
    parser.add_argument("--engine-threads", type=int, default=1,
                        help="lane shards decoded on that many threads (ExactModel threads)")
    parser.add_argument("--quant-gap", action="store_true")
    parser.add_argument("--checkpoint")
    parser.add_argument("--config", help="JSON ModelConfig for a bare state-dict checkpoint")
    parser.add_argument("--data", help="raw bytes to take sequences from (else random)")
    parser.add_argument("--modality", default="image-gray")
    parser.add_argument("--sequences", type=int, default=16)
    args = parser.parse_args(argv)
    set_threads(args.threads)
    ENGINE_THREADS[0] = args.engine_threads
    if args.quant_gap:
        quant_gap(args)
    else:
        speed_table(args)


if __name__ == "__main__":
    main()
