"""Small exported models with random weights, for tests of the engine and of its users.

Why: the neural codec's and the engine's tests need a real ``ExactModel`` that is fast to
build and identical on every run; a random-weight model exported through the real exporter
is exactly that (its predictions are meaningless but deterministic).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ozarc.model.config import ModelConfig
from ozarc.model.exact.engine import ExactModel
from ozarc.model.exact.reference import random_float_weights

SMALL = {"n_text": 64, "width": 32, "n_layers": 2}


def small_config(**overrides) -> ModelConfig:
    """A tiny config (width 32, 2 layers, 64 text pieces) with the given fields changed."""
    return ModelConfig(**{**SMALL, **overrides})


@lru_cache(maxsize=16)
def _small_model_bytes(seed: int, items: tuple) -> bytes:
    from ozarc.model.export import export_model
    from ozarc.model.ozm import write_ozm

    config = small_config(**dict(items))
    return write_ozm(export_model(random_float_weights(config, seed), config, f"small-{seed}"))


def small_model_bytes(seed: int = 0, **overrides) -> bytes:
    """The .ozm bytes of a random-weight model exported from ``small_config(**overrides)``."""
    return _small_model_bytes(seed, tuple(sorted(overrides.items())))


def small_model(seed: int = 0, backend: str = "auto", **overrides) -> ExactModel:
    """A loaded random-weight model (see ``small_model_bytes``)."""
    return ExactModel.from_bytes(small_model_bytes(seed, **overrides), backend=backend)


def step_tables(model: ExactModel, modality, symbols: np.ndarray, rows=None) -> np.ndarray:
    """The decoder's tables [B, T, n] for ``symbols`` [B, T], step by step (``freqs`` /
    ``advance``): what ``sequence_freqs(modality, symbols, rows)`` must equal."""
    state = model.start(modality, symbols.shape[0], rows)
    out = [np.zeros((symbols.shape[0], 0, model.n_symbols(modality)), dtype=np.int64)]
    for t in range(symbols.shape[1]):
        out.append(model.freqs(state)[:, None, :].copy())
        model.advance(state, symbols[:, t])
    return np.concatenate(out, axis=1)


def table_kl(tables: np.ndarray, logits: np.ndarray) -> np.ndarray:
    """KL(softmax(logits) || tables / 2**16) in nats per position: how far the engine's
    integer tables are from the float network's distribution (logits [..., n])."""
    p = np.exp(logits - logits.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    q = tables / 2.0 ** ExactModel.FREQ_BITS
    return (p * (np.log(p) - np.log(q))).sum(-1)
