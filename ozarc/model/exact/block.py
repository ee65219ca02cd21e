"""One integer RWKV-7-style block (docs/model-architecture.md), for T tokens at once.

Why: the step form (decoder: T = 1) and the whole-sequence form (encoder: T = all) must give
the same integers, so both run this same code: every per-token part (norms, projections,
routing, FFN) is computed for all T tokens in one go, and only the WKV recurrence loops over
t.  Because every operation is exact, batching over T or over lanes changes nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ozarc.model.exact.fixed import ACT_BITS, ACT_MAX, RESID_MAX, RKV_MAX, STATE_MAX
from ozarc.model.exact.kernels import (
    QuantLinear,
    l2_normalize_heads,
    linear,
    normalize,
    route,
    sigmoid,
)


@dataclass
class Norm:
    """A LayerNorm / GroupNorm on a backend: Q16 affine, eps in Q32 (variance) units."""

    gamma: object
    beta: object
    eps_q: int


@dataclass
class IntBlock:
    """The integer parameters of one block, already on a backend.  Static per-channel
    constants are Q16: lam = exp(-exp(w)), v_mix = sigma(nu), alpha = sigma(a),
    k_scale = (sigma(m_a) + alpha (1 - sigma(m_a))) exp(min(w sigma(m_k), 0)), u [C]."""

    ln1: Norm
    ln2: Norm
    gn: Norm
    mu_r: object
    mu_k: object
    mu_v: object
    receptance: QuantLinear
    key: QuantLinear
    value: QuantLinear | None   # dense value projection
    value_router: QuantLinear | None
    value_experts: list[QuantLinear] | None
    output: QuantLinear
    lam: object                 # [H, N, 1] float64: lam_q / 2**16 (exact), scales S^T rows
    v_mix: object
    alpha: object
    k_scale: object
    u: object
    ffn_key: QuantLinear | None             # dense [4C]
    ffn_value: QuantLinear      # dense, or all experts side by side (shared row scales)
    ffn_router: QuantLinear | None
    ffn_key_experts: list[QuantLinear] | None
    ffn_value_experts: list | None          # each expert's columns of ffn_value.w
    value_all: QuantLinear | None = None    # the value experts stacked: [C, E*C]
    ffn_key_all: QuantLinear | None = None  # the FFN key experts stacked: [C, E*hidden]


@dataclass
class LayerState:
    """Recurrent state of one block per lane: the previous token's LN1 output and S."""

    z_prev: object              # [B, C] int64
    S: object                   # [B, H, N, N] S transposed (rows: key index j; row-vector
    #                             products run faster), integer-valued float64 (Q16)


def _mix(be, z, delta, mu):
    """Token shift z + (z' - z) * mu, clamped (a trained mu may leave [0, 1])."""
    return be.clip(z + ((delta * mu) >> ACT_BITS), -ACT_MAX, ACT_MAX)


def block_forward(be, p: IntBlock, x, state: LayerState, v_first, cfg, sig_tab):
    """x [B, T, C] (Q16 residual) -> new x; updates ``state`` in place; returns (x, v_first).

    ``v_first`` is layer 0's value (None when called for layer 0).
    """
    B, T, C = x.shape
    H, N = cfg.n_heads, cfg.head_size
    z = normalize(be, x, p.ln1.gamma, p.ln1.beta, p.ln1.eps_q)
    if be.fused:
        z_r, z_k, z_v = be.token_shift(z, state.z_prev, p.mu_r, p.mu_k, p.mu_v)
    else:
        z_shift = be.concat([state.z_prev[:, None, :], z[:, :-1, :]], axis=1)
        delta = z_shift - z
        z_r, z_k, z_v = (_mix(be, z, delta, mu) for mu in (p.mu_r, p.mu_k, p.mu_v))
    state.z_prev = z[:, -1, :]

    r = be.clip(linear(be, z_r, p.receptance), -RKV_MAX, RKV_MAX)
    k = be.clip(linear(be, z_k, p.key), -RKV_MAX, RKV_MAX)
    v = _value(be, p, z_v, cfg, sig_tab)
    if v_first is None:
        v_first = v
    else:
        v = v + (((v_first - v) * p.v_mix) >> ACT_BITS)
    v = be.clip(v, -RKV_MAX, RKV_MAX)
    if be.fused:
        gated = be.time_mix(state.S, p.lam, r, k, v, z_r, p.k_scale, p.alpha, p.u, p.gn,
                            sig_tab, H, N)
    else:
        gated = _time_mix(be, p, state, r, k, v, z_r, sig_tab, H, N)
    x = be.clip(x + linear(be, gated, p.output), -RESID_MAX, RESID_MAX)

    z2 = normalize(be, x, p.ln2.gamma, p.ln2.beta, p.ln2.eps_q)
    x = be.clip(x + _ffn(be, p, z2, cfg, sig_tab), -RESID_MAX, RESID_MAX)
    return x, v_first


def _time_mix(be, p: IntBlock, state: LayerState, r, k, v, z_r, sig_tab, H, N):
    """From the clamped r, k, v to the gated GroupNorm output that enters the output
    projection (fused.time_mix is the same steps as one compiled loop)."""
    B, T, C = r.shape
    g = sigmoid(be, z_r, sig_tab)
    k_hat = l2_normalize_heads(be, k, N)
    k = be.clip((k * p.k_scale) >> ACT_BITS, -RKV_MAX, RKV_MAX)
    ka = (k_hat * p.alpha) >> ACT_BITS

    y = _wkv(be, state, r, k, v, k_hat, ka, p.lam, H, N)
    o = normalize(be, y, p.gn.gamma, p.gn.beta, p.gn.eps_q, groups=H)
    rku = (((r * k) >> ACT_BITS) * p.u) >> ACT_BITS
    bonus = be.clip(be.sum(rku.reshape(B, T, H, N), axis=-1, keepdims=True), -ACT_MAX, ACT_MAX)
    o = o + ((bonus * v.reshape(B, T, H, N)) >> ACT_BITS).reshape(B, T, C)
    o = be.clip(o, -ACT_MAX, ACT_MAX)
    return (o * g) >> ACT_BITS


#: Routed layers run every expert on every row (weight 0 where unrouted) when a call has at
#: most this many rows: small calls (the decoder's steps over few lanes) are bound by the
#: number of numpy calls, not by arithmetic, and one wide matmul replaces a gather, a product
#: and a scatter per expert.  Both forms give the same integers (unrouted terms are exact 0s).
DENSE_EXPERTS_MAX_ROWS = 32


def _dense_experts(lead) -> bool:
    return math.prod(lead) <= DENSE_EXPERTS_MAX_ROWS


def _value(be, p: IntBlock, z_v, cfg, sig_tab):
    if p.value_router is None:
        return linear(be, z_v, p.value)
    weights = route(be, linear(be, z_v, p.value_router), cfg.top_k, sig_tab)
    lead = z_v.shape[:-1]
    if p.value_all is not None and _dense_experts(lead):
        outs = linear(be, z_v, p.value_all).reshape(*lead, weights.shape[-1], cfg.width)
        return be.sum(outs * weights[..., None], axis=-2) >> ACT_BITS

    if be.fused:
        out = be.routed_value(z_v, weights, p.value_experts, cfg.width)
        return (out >> ACT_BITS).reshape(*lead, cfg.width)

    def expert(e, z):
        return linear(be, z, p.value_experts[e])

    return _routed(be, z_v, weights, expert, cfg.width) >> ACT_BITS


def _ffn(be, p: IntBlock, z2, cfg, sig_tab):
    if p.ffn_router is None:
        h = be.maximum(linear(be, z2, p.ffn_key), 0)
        return linear(be, be.clip((h * h) >> ACT_BITS, 0, ACT_MAX), p.ffn_value)
    weights = route(be, linear(be, z2, p.ffn_router), cfg.top_k, sig_tab)
    lead = z2.shape[:-1]
    if p.ffn_key_all is not None and _dense_experts(lead):
        h = be.maximum(linear(be, z2, p.ffn_key_all), 0)
        h = be.clip((h * h) >> ACT_BITS, 0, ACT_MAX).reshape(*lead, weights.shape[-1], -1)
        h = ((h * weights[..., None]) >> ACT_BITS).reshape(*lead, -1)
        return linear(be, h, p.ffn_value)

    if be.fused:
        acc = be.routed_ffn(z2, weights, p.ffn_key_experts, p.ffn_value_experts, cfg.width)
        acc = be.requantize(acc, p.ffn_value.mult, p.ffn_value.shift, ACT_MAX)
        return acc.reshape(*lead, cfg.width)

    def expert(e, z, w):
        h = be.maximum(linear(be, z, p.ffn_key_experts[e]), 0)
        h = be.clip((h * h) >> ACT_BITS, 0, ACT_MAX)
        return be.matmul((h * w[:, None]) >> ACT_BITS, p.ffn_value_experts[e])

    acc = _routed(be, z2, weights, expert, cfg.width, pass_weight=True)
    return be.requantize(acc, p.ffn_value.mult, p.ffn_value.shift, ACT_MAX)


def _routed(be, x, weights, expert, width: int, pass_weight: bool = False):
    """Sum over experts e of weight_e * expert(e, x), computed only on the lanes routed to e.

    Exact, so it equals evaluating every expert on every lane with weight 0 where unrouted.
    ``pass_weight``: the expert applies its weight itself (FFN: before its output matrix).
    """
    lead = x.shape[:-1]
    flat, w = x.reshape(-1, x.shape[-1]), weights.reshape(-1, weights.shape[-1])
    out = be.zeros((flat.shape[0], width))
    for e in range(w.shape[-1]):
        lanes = be.nonzero(w[:, e] > 0)
        if lanes.shape[0] == 0:
            continue
        if pass_weight:
            out[lanes] += expert(e, flat[lanes], w[lanes, e])
        else:
            out[lanes] += expert(e, flat[lanes]) * w[lanes, e][:, None]
    return out.reshape(*lead, width)


def _wkv(be, state: LayerState, r, k, v, k_hat, ka, lam, H, N):
    """The delta-rule recurrence per head, token by token; returns y [B, T, C] (int64).

    Kept as S^T (S^T_ji = S_ij): sa^T = -k_hat^T S^T, S^T <- diag(lam) S^T + [ka k] [sa; v]^T,
    y^T = r^T S^T: the same numbers as the contract's S, laid out for row-vector products.

    The state is integer-valued float64 so the per-head products run as batched float64
    matmuls, exact because every partial sum stays below 2**53: |S| <= 2**31 and
    |k_hat| <= 2**16 (unit vector) give |S k_hat| <= 4 * 2**47; S*lam + sa*ka + v*k is below
    2**47 + 2**49 + 2**50 (computed as S * (lam / 2**16) + D / 2**16: still exact, the
    products are exact multiples of 2**-16 below 2**35, then floor); y = S r is split as r = r_hi * 2**12 + r_lo (0 <= r_lo < 2**12),
    |S r_lo|, |S r_hi| <= 16 * 2**43, recombined in int64.
    """
    B, T, C = r.shape
    shape = (B, T, H, N)
    inv = 1.0 / (1 << ACT_BITS)      # scaling by a power of two is exact in float64
    kh_row = be.to_float(k_hat.reshape(shape))[..., None, :] * -inv         # [B,T,H,1,N]
    right = be.to_float(be.stack([ka.reshape(shape), k.reshape(shape)], axis=-1)) * inv
    v_row = be.to_float(v.reshape(shape))[..., None, :]                      # [B,T,H,1,N]
    r = r.reshape(shape)
    r_split = be.to_float(be.stack([r >> 12, r & 4095], axis=-2))            # [B,T,H,2,N]
    St = state.S                                                             # S transposed
    ys = []
    for t in range(T):
        sa = be.floor(kh_row[:, t] @ St)                                     # [B,H,1,N]
        left = be.concat([sa, v_row[:, t]], axis=-2)                         # [B,H,2,N]
        St = be.state_update(St, lam, right[:, t] @ left, STATE_MAX)         # lam: / 2**16
        ys.append(r_split[:, t] @ St)                                        # [B,H,2,N]
    state.S = St
    y = be.to_int(be.stack(ys, axis=1))
    return (((y[..., 0, :] << 12) + y[..., 1, :]) >> ACT_BITS).reshape(B, T, C)
