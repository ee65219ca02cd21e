"""A float64 numpy forward pass of the contract network, and random contract weights.

Why: the exact engine must track the float network it was exported from.  This module reads
the same state-dict keys as the exporter (docs/model-architecture.md) and computes the
contract's equations in float64, so tests and ``tools/engine_bench.py --quant-gap`` can
measure the quantisation gap without depending on the training code.  ``derived_constants``
is the single place where the static per-channel constants (lambda, sigma(nu), alpha, the k
scale) are defined; the exporter quantises exactly these values.
"""

from __future__ import annotations

import numpy as np

from ozarc.modality import Modality
from ozarc.model.above import N_ABOVE, above_symbols, uses_above
from ozarc.model.config import ModelConfig
from ozarc.model.exact.fixed import GN_EPS, LN_EPS
from ozarc.model.vocab import PREFIX_TOKEN, symbol_range


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _softplus(x):
    return np.logaddexp(0.0, x)


def vec(sd: dict, key: str) -> np.ndarray:
    """A state-dict entry as a float64 numpy array (accepts torch tensors)."""
    value = sd[key]
    if hasattr(value, "detach"):
        value = value.detach().cpu().double().numpy()
    return np.asarray(value, dtype=np.float64)


def derived_constants(sd: dict, prefix: str) -> dict[str, np.ndarray]:
    """Static per-channel constants of one block's time mix (flattened to [C])."""
    d = vec(sd, prefix + "att.decay").reshape(-1)
    omega = np.clip(-_softplus(-d) - 0.5, -60.0, 60.0)
    alpha = _sigmoid(vec(sd, prefix + "att.a").reshape(-1))
    s_ma = _sigmoid(vec(sd, prefix + "att.k_a").reshape(-1))
    s_mk = _sigmoid(vec(sd, prefix + "att.k_m").reshape(-1))
    return {
        "lam": np.exp(-np.exp(omega)),
        "v_mix": _sigmoid(vec(sd, prefix + "att.v_mix").reshape(-1)),
        "alpha": alpha,
        "k_scale": (s_ma + alpha * (1.0 - s_ma)) * np.exp(np.minimum(omega * s_mk, 0.0)),
        "u": vec(sd, prefix + "att.u").reshape(-1),
    }


def contract_shapes(config: ModelConfig) -> dict[str, tuple[int, ...]]:
    """Every state-dict key the exporter reads, with its shape."""
    C, V, E = config.width, config.vocab_size, config.n_experts
    hidden = config.ffn_mult * C
    shapes: dict[str, tuple[int, ...]] = {
        "emb.weight": (V, C), "ln0.weight": (C,), "ln0.bias": (C,),
        "ln_out.weight": (C,), "ln_out.bias": (C,), "head.weight": (V, C),
    }
    for i in range(config.n_layers):
        p = f"blocks.{i}."
        for name in ("ln1.weight", "ln1.bias", "ln2.weight", "ln2.bias", "att.mu_r",
                     "att.mu_k", "att.mu_v", "att.decay", "att.v_mix", "att.a", "att.k_a",
                     "att.k_m", "att.gn.weight", "att.gn.bias"):
            shapes[p + name] = (C,)
        shapes[p + "att.u"] = (config.n_heads, config.head_size)
        for name in ("att.receptance.weight", "att.key.weight", "att.output.weight"):
            shapes[p + name] = (C, C)
        if config.moe_v:
            shapes[p + "att.value.router.weight"] = (E, C)
            for e in range(E):
                shapes[p + f"att.value.experts.{e}.weight"] = (C, C)
        else:
            shapes[p + "att.value.weight"] = (C, C)
        if config.moe_ffn:
            shapes[p + "ffn.router.weight"] = (E, C)
            for e in range(E):
                shapes[p + f"ffn.experts.{e}.key.weight"] = (hidden // 2, C)
                shapes[p + f"ffn.experts.{e}.value.weight"] = (C, hidden // 2)
        else:
            shapes[p + "ffn.key.weight"] = (hidden, C)
            shapes[p + "ffn.value.weight"] = (C, hidden)
    if config.above_pixel:      # last, so the other keys' random test weights do not move
        shapes["above.weight"] = (N_ABOVE, C)
    return shapes


def random_float_weights(config: ModelConfig, seed: int) -> dict[str, np.ndarray]:
    """Random float32 weights with the contract's keys and shapes, scaled so that the
    network's output distributions are far from uniform (a meaningful engine test)."""
    rng = np.random.default_rng(seed)
    out = {}
    for key, shape in contract_shapes(config).items():
        if key.endswith(("ln0.weight", "ln1.weight", "ln2.weight", "ln_out.weight",
                         "gn.weight")):
            value = 1.0 + 0.1 * rng.standard_normal(shape)
        elif key.endswith("bias"):
            value = 0.1 * rng.standard_normal(shape)
        elif key.endswith(("mu_r", "mu_k", "mu_v")):
            value = rng.uniform(0.0, 1.0, shape)
        elif key.endswith("att.decay"):
            value = rng.uniform(-4.0, 4.0, shape)
        elif key.endswith("att.u"):
            value = 0.5 * rng.standard_normal(shape)
        elif key.endswith("head.weight"):
            value = 2.0 * rng.standard_normal(shape) / np.sqrt(shape[1])
        elif key.endswith(("emb.weight", "above.weight")) or len(shape) == 1:
            value = rng.standard_normal(shape)
        else:
            value = rng.standard_normal(shape) / np.sqrt(shape[1])
        out[key] = value.astype(np.float32)
    return out


def layer_norm(x, w, b, eps):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def _moe_weights(scores, top_k):
    order = np.argsort(-scores, axis=-1, kind="stable")[..., :top_k]
    top = np.take_along_axis(scores, order, -1)
    mix = np.exp(top - top.max(-1, keepdims=True))
    mix /= mix.sum(-1, keepdims=True)
    weights = np.zeros_like(scores)
    np.put_along_axis(weights, order, mix, -1)
    return weights


def float_logits(sd: dict, config: ModelConfig, modality: Modality,
                 symbols: np.ndarray, rows=None) -> np.ndarray:
    """Masked float64 logits [B, T, n_sym]: position t conditions on symbols[:, :t] (and,
    for above-pixel models on images, on the symbol ``rows`` back: ozarc.model.above)."""
    start, stop = symbol_range(Modality(modality), config.n_text)
    symbols = np.asarray(symbols, dtype=np.int64)
    B, T = symbols.shape
    C, H, N, E = config.width, config.n_heads, config.head_size, config.n_experts
    tokens = np.concatenate([np.full((B, 1), PREFIX_TOKEN[Modality(modality)]),
                             symbols[:, :-1] + start], axis=1)
    x = layer_norm(vec(sd, "emb.weight")[tokens], vec(sd, "ln0.weight"),
                    vec(sd, "ln0.bias"), LN_EPS)
    if config.above_pixel and uses_above(modality):
        x = x + vec(sd, "above.weight")[above_symbols(symbols, 0 if rows is None else rows)]
    v_first = None
    for i in range(config.n_layers):
        p = f"blocks.{i}."
        w = lambda name: vec(sd, p + name)  # noqa: E731
        k_ = derived_constants(sd, p)
        z = layer_norm(x, w("ln1.weight"), w("ln1.bias"), LN_EPS)
        delta = np.concatenate([np.zeros((B, 1, C)), z[:, :-1]], axis=1) - z
        z_r, z_k, z_v = (z + delta * w(m) for m in ("att.mu_r", "att.mu_k", "att.mu_v"))
        r, k = z_r @ w("att.receptance.weight").T, z_k @ w("att.key.weight").T
        if config.moe_v:
            mix = _moe_weights(z_v @ w("att.value.router.weight").T, config.top_k)
            v = sum(mix[..., e:e + 1] * (z_v @ w(f"att.value.experts.{e}.weight").T)
                    for e in range(E))
        else:
            v = z_v @ w("att.value.weight").T
        if v_first is None:
            v_first = v
        else:
            v = v + (v_first - v) * k_["v_mix"]
        g = _sigmoid(z_r)
        kh = k.reshape(B, T, H, N)
        kh = (kh / np.maximum(np.linalg.norm(kh, axis=-1, keepdims=True), 1e-12))
        k = k * k_["k_scale"]
        ka = kh * k_["alpha"].reshape(H, N)
        S = np.zeros((B, H, N, N))
        ys = []
        rh, kk, vh = r.reshape(B, T, H, N), k.reshape(B, T, H, N), v.reshape(B, T, H, N)
        lam = k_["lam"].reshape(H, 1, N)
        for t in range(T):
            sa = -(S * kh[:, t, :, None, :]).sum(-1, keepdims=True)
            S = S * lam + sa * ka[:, t, :, None, :] + vh[:, t, :, :, None] * kk[:, t, :, None, :]
            ys.append((S * rh[:, t, :, None, :]).sum(-1))
        y = np.stack(ys, 1)
        o = layer_norm(y, w("att.gn.weight").reshape(H, N), w("att.gn.bias").reshape(H, N),
                        GN_EPS)
        bonus = (rh * kk * k_["u"].reshape(H, N)).sum(-1, keepdims=True)
        o = (o + bonus * vh).reshape(B, T, C)
        x = x + (o * g) @ w("att.output.weight").T
        z2 = layer_norm(x, w("ln2.weight"), w("ln2.bias"), LN_EPS)
        if config.moe_ffn:
            mix = _moe_weights(z2 @ w("ffn.router.weight").T, config.top_k)
            x = x + sum(mix[..., e:e + 1] * (np.maximum(
                z2 @ w(f"ffn.experts.{e}.key.weight").T, 0) ** 2
                @ w(f"ffn.experts.{e}.value.weight").T) for e in range(E))
        else:
            x = x + np.maximum(z2 @ w("ffn.key.weight").T, 0) ** 2 @ w("ffn.value.weight").T
    z = layer_norm(x, vec(sd, "ln_out.weight"), vec(sd, "ln_out.bias"), LN_EPS)
    return z @ vec(sd, "head.weight")[start:stop].T
