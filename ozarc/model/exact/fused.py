"""Fused CPU kernels of the exact engine (numba), used by the ``numba`` backend.

Why: on a CPU the engine is bound by numpy's per-call overhead and by the passes each
elementwise call makes over memory, not by arithmetic.  The time mix is the worst case: per
lane and head a 16 x 16 state, four small products and an update per token, which numpy
runs as batched tiny matmuls and several full passes over the state, surrounded by some
thirty elementwise calls (key normalisation, GroupNorm, bonus, gate).  A compiled loop does
one head of one lane at a time with everything in L1.

Each kernel is a line-by-line transcription of the numpy code it replaces (named in its
docstring), with the same integer steps: floor division, arithmetic right shifts, clamps,
table lookups.  Where the numpy code uses float64 (the WKV products), every value is an
integer, or a multiple of 2**-16, small enough to be exact (block._wkv's bound), so the
order of operations, or an FMA contraction, cannot change a result.  The kernels therefore
give the numpy backend's integers bit for bit; tests compare the two on random models and
on inputs at the clamps, and the golden vectors pin both.

numba is optional at run time: without it (or when it fails to import) the engine runs the
numpy code, same results, slower.
"""

from __future__ import annotations

import numpy as np

try:                                            # optional: the numpy code is the fallback
    from numba import njit
except Exception:                               # ImportError, or a broken llvmlite
    njit = None

from ozarc.model.exact.fixed import (
    ACT_BITS,
    ACT_MAX,
    EXP_SHIFT,
    EXP_SIZE,
    FREQ_TOTAL,
    RKV_MAX,
    SIGMOID_RANGE,
    SIGMOID_SHIFT,
    STATE_MAX,
)
from ozarc.model.exact.kernels import RECIP_BITS

AVAILABLE = njit is not None

# numba freezes module globals as compile-time constants
_ONE = 1 << ACT_BITS
_INV = 1.0 / (1 << ACT_BITS)
_STATE_CLAMP = float(STATE_MAX)
_SIG_HALF = 1 << (SIGMOID_SHIFT - 1)


def _jit(fn):
    """Compiled once per machine (cached next to this file, or in numba's user cache), no
    GIL (the engine's lane-shard threads run in parallel), numpy's error model (no
    zero-division branches in the loops: every divisor here is proven >= 1).  Where no
    cache location is writable (a read-only install, no home), compiled in memory by each
    process instead (a few seconds at first use)."""
    if not AVAILABLE:
        return fn
    try:
        return njit(cache=True, nogil=True, error_model="numpy")(fn)
    except RuntimeError:        # numba: "cannot cache function ...: no locator available"
        return njit(cache=False, nogil=True, error_model="numpy")(fn)


@_jit
def _clamp(z, bound):
    return min(max(z, -bound), bound)


@_jit
def _requant(acc, mult, shift, bound):
    """backend.requantize of one float64 accumulator holding an integer."""
    return _clamp((np.int64(acc) * mult) >> shift, bound)


@_jit
def _isqrt(a):
    """Exact floor(sqrt(a)) for 0 <= a < 2**62 (kernels.isqrt's contract)."""
    s = np.int64(np.sqrt(np.float64(a)))
    while s * s > a:
        s -= 1
    while (s + 1) * (s + 1) <= a:
        s += 1
    return s


@_jit
def _div(a, b):
    """floor(a / b) for a >= 0, b >= 1 (a < 2**62): a float estimate corrected exactly
    (a hardware integer division costs several times more)."""
    q = np.int64(np.float64(a) / np.float64(b))
    while q * b > a:
        q -= 1
    while (q + 1) * b <= a:
        q += 1
    return q


@_jit
def _div_count(a, c, c_shift):
    """floor(a / c) of a signed sum over c values: a shift when c is a power of two."""
    return a >> c_shift if c_shift >= 0 else a // c


@_jit
def _log2_exact(c):
    """log2(c) when c is a power of two, else -1 (the c_shift of _div_count)."""
    if c & (c - 1) != 0:
        return -1
    bits = 0
    while (1 << bits) < c:
        bits += 1
    return bits


@_jit
def _bit_length(a):
    """Number of bits of a >= 0 (0 for 0), by halving steps."""
    bits = 0
    for step in (32, 16, 8, 4, 2, 1):
        if a >> step:
            a >>= step
            bits += step
    return bits + (1 if a else 0)


@_jit
def _sigmoid(x, table):
    """kernels.sigmoid for one value."""
    x = _clamp(x, SIGMOID_RANGE)
    return table[(x + (SIGMOID_RANGE + _SIG_HALF)) >> SIGMOID_SHIFT]


@_jit
def _norm_group(src, o, c, c_shift, gamma, beta, eps_q, d, dst):
    """kernels.normalize for the c values src[o:o+c] into dst[o:o+c] (d: scratch [c];
    gamma, beta indexed like src; c_shift = log2_exact(c))."""
    total = np.int64(0)
    for i in range(c):
        total += src[o + i]
    mean = _div_count(total, c, c_shift)
    peak = np.int64(0)
    for i in range(c):
        d[i] = src[o + i] - mean
        if abs(d[i]) > peak:
            peak = abs(d[i])
    s = max(_bit_length(peak) - 22, 0)
    sq = np.int64(0)
    for i in range(c):
        d[i] >>= s
        sq += d[i] * d[i]
    root = max(_isqrt((_div_count(sq, c, c_shift) + (eps_q >> (2 * s))) << 16), 1)
    inv = _div(np.int64(1) << 46, root)
    for i in range(c):
        y = (d[i] * inv) >> 22
        dst[o + i] = _clamp(((y * gamma[o + i]) >> ACT_BITS) + beta[o + i], ACT_MAX)


@_jit
def normalize_rows(x, gamma, beta, eps_q, groups):
    """kernels.normalize for x [R, C]: LayerNorm (groups 1) or GroupNorm per row."""
    R, C = x.shape
    c = C // groups
    c_shift = _log2_exact(c)
    out = np.empty((R, C), dtype=np.int64)
    d = np.empty(c, dtype=np.int64)
    for row in range(R):
        for g in range(groups):
            _norm_group(x[row], g * c, c, c_shift, gamma, beta, eps_q, d, out[row])
    return out


@_jit
def requantize_rows(acc, mult, shift, bound):
    """backend.requantize of a float64 product acc [R, O] holding integers: one pass
    instead of four (to int64, multiply, shift, clamp)."""
    R, O = acc.shape
    out = np.empty((R, O), dtype=np.int64)
    for row in range(R):
        for j in range(O):
            out[row, j] = _requant(acc[row, j], mult[j], shift[j], bound)
    return out


@_jit
def token_shift(z, z_prev, mu_r, mu_k, mu_v):
    """block._mix for r, k and v: z [B, T, C], z_prev [B, C] (the token before z[:, 0])."""
    B, T, C = z.shape
    z_r = np.empty((B, T, C), dtype=np.int64)
    z_k = np.empty((B, T, C), dtype=np.int64)
    z_v = np.empty((B, T, C), dtype=np.int64)
    for b in range(B):
        for t in range(T):
            for i in range(C):
                cur = z[b, t, i]
                delta = (z_prev[b, i] if t == 0 else z[b, t - 1, i]) - cur
                z_r[b, t, i] = _clamp(cur + ((delta * mu_r[i]) >> ACT_BITS), ACT_MAX)
                z_k[b, t, i] = _clamp(cur + ((delta * mu_k[i]) >> ACT_BITS), ACT_MAX)
                z_v[b, t, i] = _clamp(cur + ((delta * mu_v[i]) >> ACT_BITS), ACT_MAX)
    return z_r, z_k, z_v


@_jit
def time_mix(S, lam, r, k, v, z_r, k_scale, alpha, u, gn_gamma, gn_beta, gn_eps, sig_tab,
             n_heads, head_size):
    """block_forward from the clamped r, k, v to the gated GroupNorm output (o * g) >> 16
    that enters the output projection: key normalisation and scaling, the WKV recurrence
    (block._wkv; S [B, H, N, N] float64, updated in place; lam [H, N]), GroupNorm per head,
    the u bonus and the receptance gate, for r, k, v, z_r [B, T, C]."""
    B, T, C = r.shape
    N = head_size
    n_shift = _log2_exact(N)
    out = np.empty((B, T, C), dtype=np.int64)
    kh = np.empty(N, dtype=np.int64)
    ks = np.empty(N, dtype=np.int64)
    ka = np.empty(N, dtype=np.int64)
    y = np.empty(N, dtype=np.int64)
    o_n = np.empty(N, dtype=np.int64)
    d = np.empty(N, dtype=np.int64)
    sa = np.empty(N)
    vf = np.empty(N)
    y_hi = np.empty(N)
    y_lo = np.empty(N)
    for b in range(B):
        for h in range(n_heads):
            St = S[b, h]
            o = h * N
            head_gamma, head_beta = gn_gamma[o:o + N], gn_beta[o:o + N]
            for t in range(T):
                # kernels.l2_normalize_heads, then k * k_scale and k_hat * alpha
                sq = np.int64(0)
                for i in range(N):
                    sq += k[b, t, o + i] * k[b, t, o + i]
                inv = _div(np.int64(1) << 46, max(_isqrt(sq), 1))
                for i in range(N):
                    kh[i] = (k[b, t, o + i] * inv) >> 30
                    ks[i] = _clamp((k[b, t, o + i] * k_scale[o + i]) >> ACT_BITS, RKV_MAX)
                    ka[i] = (kh[i] * alpha[o + i]) >> ACT_BITS
                # block._wkv: sa = floor(-k_hat S / 2**16); S <- clip(floor(S lam +
                # (ka sa^T + k v^T) / 2**16)); y = r S with r in 12-bit halves
                for i in range(N):
                    sa[i] = 0.0
                for j in range(N):
                    c = kh[j] * -_INV
                    for i in range(N):
                        sa[i] += c * St[j, i]
                for i in range(N):
                    sa[i] = np.floor(sa[i])
                    vf[i] = float(v[b, t, o + i])     # converted once, not N times below
                    y_hi[i] = 0.0
                    y_lo[i] = 0.0
                for j in range(N):
                    a = ka[j] * _INV
                    kk = ks[j] * _INV
                    decay = lam[h, j]
                    rj = r[b, t, o + j]
                    r_hi = float(rj >> 12)
                    r_lo = float(rj & 4095)
                    for i in range(N):
                        s = np.floor(St[j, i] * decay + (a * sa[i] + kk * vf[i]))
                        s = min(max(s, -_STATE_CLAMP), _STATE_CLAMP)
                        St[j, i] = s
                        y_hi[i] += r_hi * s
                        y_lo[i] += r_lo * s
                for i in range(N):
                    y[i] = ((np.int64(y_hi[i]) << 12) + np.int64(y_lo[i])) >> ACT_BITS
                # GroupNorm of this head, bonus, gate
                _norm_group(y, 0, N, n_shift, head_gamma, head_beta, gn_eps, d, o_n)
                bonus = np.int64(0)
                for i in range(N):
                    bonus += (((r[b, t, o + i] * ks[i]) >> ACT_BITS) * u[o + i]) >> ACT_BITS
                bonus = _clamp(bonus, ACT_MAX)
                for i in range(N):
                    oi = _clamp(o_n[i] + ((bonus * v[b, t, o + i]) >> ACT_BITS), ACT_MAX)
                    out[b, t, o + i] = (oi * _sigmoid(z_r[b, t, o + i], sig_tab)) >> ACT_BITS
    return out


@_jit
def route(scores, top_k, sig_tab):
    """kernels.route for scores [R, E]: top-1 or top-2 weights, ties to the lower index."""
    R, E = scores.shape
    w = np.zeros((R, E), dtype=np.int64)
    for row in range(R):
        best = 0
        for e in range(1, E):
            if scores[row, e] > scores[row, best]:
                best = e
        if top_k == 1:
            w[row, best] = _ONE
            continue
        second = -1
        for e in range(E):
            if e != best and (second < 0 or scores[row, e] > scores[row, second]):
                second = e
        w1 = _sigmoid(scores[row, best] - scores[row, second], sig_tab)
        w[row, best] = w1
        w[row, second] = _ONE - w1
    return w


@_jit
def _frequency_row(lg, exp_tab, e, f):
    """kernels.frequencies for one row of logits lg [n] into f [n] (e: scratch [n])."""
    n = lg.shape[0]
    top = lg[0]
    arg = 0
    for i in range(1, n):
        if lg[i] > top:
            top = lg[i]
            arg = i
    total = np.int64(0)
    for i in range(n):
        idx = (top - lg[i] + (1 << (EXP_SHIFT - 1))) >> EXP_SHIFT
        e[i] = exp_tab[min(max(idx, 0), EXP_SIZE - 1)]
        total += e[i]
    recip = (np.int64(FREQ_TOTAL - n) << RECIP_BITS) // total
    used = np.int64(0)
    for i in range(n):
        f[i] = 1 + ((e[i] * recip) >> RECIP_BITS)
        used += f[i]
    f[arg] += FREQ_TOTAL - used


@_jit
def frequencies(logits, exp_tab):
    """kernels.frequencies for logits [R, n]: 2**16-total tables, every entry >= 1."""
    R, n = logits.shape
    f = np.empty((R, n), dtype=np.int64)
    e = np.empty(n, dtype=np.int64)
    for row in range(R):
        _frequency_row(logits[row], exp_tab, e, f[row])
    return f



@_jit
def intervals(logits, exp_tab, symbols):
    """(freq, start) of symbols[row] under frequencies(logits)[row], without keeping the
    tables (the encoder needs only the coded symbol's interval)."""
    R, n = logits.shape
    freq = np.empty(R, dtype=np.int64)
    start = np.empty(R, dtype=np.int64)
    e = np.empty(n, dtype=np.int64)
    f = np.empty(n, dtype=np.int64)
    for row in range(R):
        _frequency_row(logits[row], exp_tab, e, f)
        sym = symbols[row]
        below = np.int64(0)
        for i in range(sym):
            below += f[i]
        freq[row] = f[sym]
        start[row] = below
    return freq, start


@_jit
def add_weighted_requantized(out, lanes, acc, mult, shift, weight):
    """block._routed for a value expert: out[lane] += clamp((acc * mult) >> shift) *
    weight[lane] for the expert's float64 product acc [L, O] over ``lanes``."""
    L, O = acc.shape
    for i in range(L):
        lane = lanes[i]
        w = weight[lane]
        for j in range(O):
            out[lane, j] += _requant(acc[i, j], mult[j], shift[j], ACT_MAX) * w


@_jit
def ffn_hidden(acc, mult, shift, lanes, weight):
    """block._ffn's expert between its two matrices: h = max(clamp(requantised key), 0),
    h = clip(h * h >> 16, 0, ACT_MAX), then (h * weight[lane]) >> 16, as float64 for the
    value matmul (exact: |h * w| >> 16 stays below 2**31)."""
    L, O = acc.shape
    out = np.empty((L, O))
    for i in range(L):
        w = weight[lanes[i]]
        for j in range(O):
            h = max(_requant(acc[i, j], mult[j], shift[j], ACT_MAX), 0)
            h = min((h * h) >> ACT_BITS, ACT_MAX)
            out[i, j] = np.float64((h * w) >> ACT_BITS)
    return out


@_jit
def add_rows(out, lanes, acc):
    """out[lanes[i]] += acc[i] for an integer-valued float64 product acc [L, O]."""
    L, O = acc.shape
    for i in range(L):
        lane = lanes[i]
        for j in range(O):
            out[lane, j] += np.int64(acc[i, j])
