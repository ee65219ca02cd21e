"""Float state dict (after ``merge_hira()``) -> integer ``.ozm`` model.

Why: the float network trains; the integer engine decodes archives on any machine.  This is
the one bridge: it reads the contract's parameter names (docs/model-architecture.md),
quantises matrices to int8 with per-row fixed-point scales, turns the static per-channel
constants and norms into Q16 integers, precomputes LN0(E[token]) as an integer table, and
stores the nonlinearity tables, so the engine never evaluates a float function.
"""

from __future__ import annotations

import numpy as np

from ozarc.model.config import ModelConfig
from ozarc.model.exact.fixed import (
    ARITH_VERSION,
    ROUTER_IN_MAX,
    ROUTER_WEIGHT_MAX,
    check_matmul_bound,
    engine_constants,
    exp_table,
    quantize_rows,
    sigmoid_table,
    to_fixed,
)
from ozarc.model.exact.reference import (
    LN_EPS,
    layer_norm,
    contract_shapes,
    derived_constants,
    random_float_weights,
    vec,
)
from ozarc.model.ozm import OzmFile

__all__ = ["ARITH_VERSION", "export_model", "random_float_weights"]

def _q16(name: str, values: np.ndarray) -> np.ndarray:
    q = to_fixed(values)
    if np.abs(q).max(initial=0) >= 2 ** 31:
        raise ValueError(f"{name}: value too large for a Q16 int32 constant")
    return q.astype(np.int32)


def _put_linear(out: dict, name: str, weight: np.ndarray) -> None:
    if name.endswith("router"):
        q, mult, shift = quantize_rows(weight, ROUTER_WEIGHT_MAX)
        check_matmul_bound(name, q, mult, ROUTER_IN_MAX)
    else:
        q, mult, shift = quantize_rows(weight)
        check_matmul_bound(name, q, mult)
    out[name + ".q"], out[name + ".mult"], out[name + ".shift"] = q, mult, shift


def _put_norm(out: dict, name: str, sd: dict, key: str) -> None:
    out[name + ".gamma"] = _q16(name, vec(sd, key + ".weight").reshape(-1))
    out[name + ".beta"] = _q16(name, vec(sd, key + ".bias").reshape(-1))


def _check_keys(sd: dict, config: ModelConfig) -> None:
    unmerged = sorted(key for key in sd if "hira_" in key)
    if unmerged:
        raise ValueError(f"state dict still has HiRA branches ({unmerged[0]}, ...): "
                         "call merge_hira() before exporting")
    for key, shape in contract_shapes(config).items():
        if key not in sd:
            raise KeyError(f"state dict lacks {key!r} (did you call merge_hira()?)")
        got = tuple(vec(sd, key).shape)
        if int(np.prod(got)) != int(np.prod(shape)):
            raise ValueError(f"{key}: shape {got}, contract says {shape}")


def export_model(state_dict: dict, config: ModelConfig, name: str,
                 tokenizer_blob: bytes = b"", meta: dict | None = None) -> OzmFile:
    """Quantise a float state dict with the contract's keys into an ``OzmFile``."""
    if config.top_k not in (1, 2):
        raise ValueError("the exact engine supports top_k 1 or 2")
    sd = state_dict
    _check_keys(sd, config)
    C, E = config.width, config.n_experts
    t: dict[str, np.ndarray] = {"table.sigmoid": sigmoid_table(), "table.exp": exp_table()}
    emb = layer_norm(vec(sd, "emb.weight"), vec(sd, "ln0.weight"), vec(sd, "ln0.bias"),
                      LN_EPS)
    t["emb_ln0"] = _q16("emb_ln0", emb)
    if config.above_pixel:      # added after LN0 (ozarc.model.above), Q16 like emb_ln0
        t["above"] = _q16("above", vec(sd, "above.weight"))
    for i in range(config.n_layers):
        p = f"blocks.{i}."
        _put_norm(t, p + "ln1", sd, p + "ln1")
        _put_norm(t, p + "ln2", sd, p + "ln2")
        _put_norm(t, p + "att.gn", sd, p + "att.gn")
        for mu in ("mu_r", "mu_k", "mu_v"):
            t[p + "att." + mu] = _q16(p + mu, vec(sd, p + "att." + mu).reshape(-1))
        for const, values in derived_constants(sd, p).items():
            t[p + "att." + const] = _q16(p + const, values)
        for proj in ("receptance", "key", "output"):
            _put_linear(t, p + "att." + proj, vec(sd, p + f"att.{proj}.weight"))
        if config.moe_v:
            _put_linear(t, p + "att.value.router", vec(sd, p + "att.value.router.weight"))
            stacked = np.concatenate([vec(sd, p + f"att.value.experts.{e}.weight")
                                      for e in range(E)], axis=0)
            _put_linear(t, p + "att.value", stacked)
        else:
            _put_linear(t, p + "att.value", vec(sd, p + "att.value.weight"))
        if config.moe_ffn:
            _put_linear(t, p + "ffn.router", vec(sd, p + "ffn.router.weight"))
            keys = [vec(sd, p + f"ffn.experts.{e}.key.weight") for e in range(E)]
            values = [vec(sd, p + f"ffn.experts.{e}.value.weight") for e in range(E)]
            _put_linear(t, p + "ffn.key", np.concatenate(keys, axis=0))
            _put_linear(t, p + "ffn.value", np.concatenate(values, axis=1))
        else:
            _put_linear(t, p + "ffn.key", vec(sd, p + "ffn.key.weight"))
            _put_linear(t, p + "ffn.value", vec(sd, p + "ffn.value.weight"))
    _put_norm(t, "ln_out", sd, "ln_out")
    _put_linear(t, "head", vec(sd, "head.weight").reshape(config.vocab_size, C))
    blobs = {"tokenizer": bytes(tokenizer_blob)} if tokenizer_blob else {}
    return OzmFile(name=name, config=config.to_dict(), engine=engine_constants(),
                   tensors=t, blobs=blobs, meta=dict(meta or {}))
