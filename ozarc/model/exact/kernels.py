"""Integer kernels of the exact engine: linear layers, norms, table nonlinearities, routing,
and the frequency table.

Why: these are the only places where rounding happens, so they are written once, as pure
functions of integer arrays, against the backend interface (backend.py).  All rounding is
floor (arithmetic right shift or floor division); all values are Q16 unless a name says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from ozarc.model.exact.fixed import (
    ACT_BITS,
    ACT_MAX,
    EXP_SHIFT,
    EXP_SIZE,
    FREQ_TOTAL,
    ONE,
    SIGMOID_RANGE,
    SIGMOID_SHIFT,
)

RECIP_BITS = 40     # frequencies(): fixed-point bits of the per-row reciprocal


@dataclass
class QuantLinear:
    """A quantised matrix on a backend: w float64 [in, out] holding int8 values, and the
    per-output requantisation multiplier/shift (int64 [out])."""

    w: object
    mult: object
    shift: object
    in_max: int = ACT_MAX       # inputs are clamped to +-in_max (the exactness bound)


def linear(be, x, layer: QuantLinear):
    """Q16 x [..., in] -> Q16 y [..., out] = floor(s_o * (q . x)), clamped to ACT_MAX.

    The caller guarantees |x| <= ACT_MAX (every producer clamps); narrower inputs
    (routers: ``in_max``) are clamped here."""
    if layer.in_max != ACT_MAX:
        x = be.clip(x, -layer.in_max, layer.in_max)
    return be.linear(x, layer.w, layer.mult, layer.shift, ACT_MAX)


def isqrt(be, a):
    """Exact floor(sqrt(a)) of non-negative int64 values below 2**62."""
    s = be.sqrt_floor_estimate(a)
    for _ in range(2):
        s = be.where(s * s > a, s - 1, s)
    for _ in range(2):
        s = be.where((s + 1) * (s + 1) <= a, s + 1, s)
    return s


def normalize(be, x, gamma, beta, eps_q: int, groups: int = 1):
    """LayerNorm (groups=1) or GroupNorm over ``groups`` equal groups of the last axis.

    x Q16 [..., C]; gamma, beta Q16 [C]; eps_q = round(eps * 2**32) (eps in squared units).
    The deviations are taken down by a per-row shift s so they fit 22 bits (the variance
    then fits int64); eps follows the same scale (eps_q >> 2s).  y = d / sqrt(var + eps) is
    computed with an exact integer square root and a per-row reciprocal.
    """
    if be.fused:
        return be.normalize(x, gamma, beta, eps_q, groups)
    shape = x.shape
    c = shape[-1] // groups
    xg = x.reshape(*shape[:-1], groups, c)
    mean = be.sum(xg, axis=-1, keepdims=True) // c
    d = xg - mean
    peak = be.maximum(be.max(d, axis=-1, keepdims=True), -be.min(d, axis=-1, keepdims=True))
    s = be.maximum(be.bit_length(peak) - 22, 0)
    if be.any(s):                               # usually no row needs taking down
        d = d >> s
    var = be.sum(d * d, axis=-1, keepdims=True) // c
    root = be.maximum(isqrt(be, (var + (eps_q >> (2 * s))) << 16), 1)   # sqrt(var) * 2**8
    inv = (1 << 46) // root
    y = ((d * inv) >> 22).reshape(shape)                                # d * 2**24 / root
    return be.clip(((y * gamma) >> ACT_BITS) + beta, -ACT_MAX, ACT_MAX)


def l2_normalize_heads(be, k, head_size: int):
    """k / ||k|| per head (F.normalize, eps 1e-12: a zero head stays zero), Q16 in and out."""
    shape = k.shape
    kh = k.reshape(*shape[:-1], shape[-1] // head_size, head_size)
    norm = isqrt(be, be.sum(kh * kh, axis=-1, keepdims=True))          # ||k|| in Q16
    inv = (1 << 46) // be.maximum(norm, 1)
    return ((kh * inv) >> 30).reshape(shape)


def sigmoid(be, x, table):
    """sigma(x) in Q16 by table lookup at the nearest multiple of 2**-8 in [-16, 16]."""
    half = 1 << (SIGMOID_SHIFT - 1)
    idx = (be.clip(x, -SIGMOID_RANGE, SIGMOID_RANGE) + (SIGMOID_RANGE + half)) >> SIGMOID_SHIFT
    return table[idx]


def route(be, scores, top_k: int, sigmoid_table):
    """Mixing weights [..., E] (Q16, summing to 2**16) of the top-k experts by score.

    Ties go to the lower expert index (strict comparison while scanning upwards).  With two
    experts the weights are softmax(s1, s2): w1 = sigma(s1 - s2), w2 = 1 - w1.
    """
    if be.fused:
        return be.route(scores, top_k, sigmoid_table)
    n_experts = scores.shape[-1]
    cols = [scores[..., e] for e in range(n_experts)]
    best, best_score = _scan_best(be, cols, excluded=None)
    if top_k == 1:
        return be.one_hot_at(best, n_experts) * ONE
    second, second_score = _scan_best(be, cols, excluded=best)
    w1 = sigmoid(be, best_score - second_score, sigmoid_table)
    return be.one_hot_at(best, n_experts) * w1[..., None] + \
        be.one_hot_at(second, n_experts) * (ONE - w1)[..., None]


def _scan_best(be, cols, excluded):
    best = cols[0] * 0
    best_score = cols[0]
    if excluded is not None:
        low = -(1 << 62)
        best_score = be.where(excluded == 0, low, cols[0])
    for e in range(1, len(cols)):
        score = cols[e] if excluded is None else be.where(excluded == e, -(1 << 62), cols[e])
        better = score > best_score
        best = be.where(better, e, best)
        best_score = be.where(better, score, best_score)
    return best, best_score


def frequencies(be, logits, exp_tab):
    """Next-symbol frequency table [B, n] from Q16 logits [B, n]: sums to exactly 2**16,
    every entry >= 1.

    e_i = exp(logit_i - max) from the Q30 table; with the row's reciprocal
    R = floor((2**16 - n) * 2**40 / sum e), f_i = 1 + floor(e_i * R / 2**40) (so the floors
    sum to at most 2**16 - n; e_i * R < 2**57); the remainder goes to the most probable symbol
    (lowest index among ties).  A multiply instead of a per-entry division: 15x faster.
    """
    n = logits.shape[-1]
    spare = FREQ_TOTAL - n
    if spare < 0:
        raise ValueError(f"{n} symbols do not fit a 2**16 frequency table")
    if be.fused:
        return be.frequencies(logits, exp_tab)
    top = be.max(logits, axis=-1, keepdims=True)
    idx = be.clip((top - logits + (1 << (EXP_SHIFT - 1))) >> EXP_SHIFT, 0, EXP_SIZE - 1)
    e = be.take(exp_tab, idx)
    recip = (spare << RECIP_BITS) // be.sum(e, axis=-1, keepdims=True)
    f = 1 + ((e * recip) >> RECIP_BITS)
    rest = FREQ_TOTAL - be.sum(f, axis=-1)
    be.add_at_rows(f, be.argmax(logits, axis=-1), rest)
    return f
