"""Fixed-point conventions of the exact engine, and the lookup tables it ships in model files.

Why: a frequency table that differs in one entry between encoder and decoder corrupts the
rest of an arithmetic-coded stream, so every number on the way to a probability is an
integer.  This module fixes the number formats once (all engine activations are Q16: the
integer ``X`` stands for ``X / 2**16``), the clamps that make overflow impossible, and the
tables for the nonlinearities (sigmoid, exp) that the exporter writes into the ``.ozm`` file.

Overflow budget (int64 elementwise, float64 matmuls exact below 2**53):
  * matmul inputs are clamped to |x| <= ACT_MAX = 2**30; weights are int8 (|w| <= 127); so
    a dot product is below ACT_MAX * sum_j |q_ij| (at most 127 * 2**30 * C_in), which the
    exporter asserts < 2**53 for every row (``check_matmul_bound``).  Requantising multiplies
    that sum by a multiplier below 2**MULT_BITS; the exporter asserts that product < 2**62
    too (it holds with room for real weights: a row's L1 norm is far below 127 * C_in).
  * recurrent inputs r, k, v are clamped to |.| <= RKV_MAX = 2**25, the state to
    |S| <= STATE_MAX = 2**31; the state update then runs exactly in float64 (block._wkv).
"""

from __future__ import annotations

import math

import numpy as np

ACT_BITS = 16
ONE = 1 << ACT_BITS
ACT_MAX = (1 << 30) - 1          # clamp of every matmul input / output (real +-16384)
RESID_MAX = (1 << 34) - 1        # clamp of the residual stream (real +-262144)
RKV_MAX = (1 << 25) - 1          # clamp of r, k, v before they meet the state (real +-512)
STATE_MAX = (1 << 31) - 1        # clamp of the WKV state (real +-32768)
FLOAT_EXACT = 1 << 53            # float64 represents every integer below this exactly

MULT_BITS = 15                   # per-row requantisation multiplier in [2**14, 2**15)
WEIGHT_MAX = 127                 # int8 weights, symmetric
ROUTER_WEIGHT_MAX = 2047         # routers: 12-bit weights in int16 (top-k flips are costly)
ROUTER_IN_MAX = (1 << 24) - 1    # clamp of router inputs (LN outputs: real +-256)

# sigmoid table: input Q16 clamped to [-16, 16], rounded to the nearest multiple of 2**-8
SIGMOID_SHIFT = 8
SIGMOID_RANGE = 16 << ACT_BITS
SIGMOID_SIZE = ((2 * SIGMOID_RANGE) >> SIGMOID_SHIFT) + 1
# exp table for the output distribution: input (max - logit) Q16 in [0, 20), nearest 2**-10
EXP_SHIFT = 6
EXP_RANGE = 20 << ACT_BITS
EXP_SIZE = EXP_RANGE >> EXP_SHIFT
EXP_BITS = 30                    # table values are Q30 (exp(0) = 2**30)

FREQ_BITS = 16
FREQ_TOTAL = 1 << FREQ_BITS

ARITH_VERSION = 1                # bump whenever the integer arithmetic changes meaning
LN_EPS = 1e-5                    # LayerNorm eps of the float network (torch default)
GN_EPS = 64e-5                   # GroupNorm eps of the time mix


def engine_constants() -> dict:
    """The fixed-point conventions a model file is exported for (the engine checks them)."""
    return {"arith": ARITH_VERSION, "act_bits": ACT_BITS, "freq_bits": FREQ_BITS,
            "sigmoid_shift": SIGMOID_SHIFT, "exp_shift": EXP_SHIFT, "exp_bits": EXP_BITS,
            "ln_eps_q": int(round(LN_EPS * 2.0 ** (2 * ACT_BITS))),
            "gn_eps_q": int(round(GN_EPS * 2.0 ** (2 * ACT_BITS)))}


def sigmoid_table() -> np.ndarray:
    """sigma(x) in Q16 at x = -16 + i * 2**-8, i = 0 .. 8192 (int32)."""
    grid = np.arange(SIGMOID_SIZE) * ((1 << SIGMOID_SHIFT) / ONE) - SIGMOID_RANGE / ONE
    return np.round(ONE / (1.0 + np.exp(-grid))).astype(np.int32)


def exp_table() -> np.ndarray:
    """exp(-d) in Q30 at d = i * 2**-10, i = 0 .. EXP_SIZE - 1 (int32; exp(0) = 2**30)."""
    grid = np.arange(EXP_SIZE) * ((1 << EXP_SHIFT) / ONE)
    return np.round(np.exp(-grid) * (1 << EXP_BITS)).astype(np.int32)


def to_fixed(values: np.ndarray, bits: int = ACT_BITS) -> np.ndarray:
    """Round float values to Q``bits`` integers (export time only; int64)."""
    return np.round(np.asarray(values, dtype=np.float64) * (1 << bits)).astype(np.int64)


def quantize_rows(weight: np.ndarray, qmax: int = WEIGHT_MAX):
    """Symmetric per-output-row quantisation of ``weight`` [out, in] (export time).

    Returns (q [out, in], mult int32 [out], shift int32 [out]) with the row scale
    s = max|w| / qmax = mult * 2**-shift, mult in [2**14, 2**15) (0 for an all-zero row).  The
    engine computes a Q16 output as (acc * mult) >> shift where acc = q . x (x in Q16).
    q is int8 for qmax <= 127 (the default), int16 otherwise (routers: ROUTER_WEIGHT_MAX).
    """
    w = np.asarray(weight, dtype=np.float64)
    peak = np.abs(w).max(axis=1)
    scale = peak / qmax
    safe = np.where(scale > 0, scale, 1.0)
    q = np.where(scale[:, None] > 0, np.round(w / safe[:, None]), 0.0)
    q = np.clip(q, -qmax, qmax).astype(np.int8 if qmax <= 127 else np.int16)
    mult = np.zeros(len(w), dtype=np.int64)
    shift = np.zeros(len(w), dtype=np.int64)
    for row, s in enumerate(scale):
        if s <= 0:
            continue
        mantissa, exponent = math.frexp(s)          # s = mantissa * 2**exponent, [0.5, 1)
        m = int(round(mantissa * (1 << MULT_BITS)))
        sh = MULT_BITS - exponent
        if m == 1 << MULT_BITS:
            m, sh = m >> 1, sh - 1
        if sh < 0:
            raise ValueError(f"weight row {row} too large to quantise (scale {s:g})")
        mult[row], shift[row] = m, sh
    return q, mult.astype(np.int32), shift.astype(np.int32)


def check_matmul_bound(name: str, q: np.ndarray, mult: np.ndarray,
                       in_max: int = ACT_MAX) -> None:
    """Assert the exactness bound of one quantised matrix (the proof in the module doc).

    acc = sum_j q_ij x_j with |x_j| <= in_max must stay below 2**53 (float64 matmul exact in
    any summation order: every partial sum is an integer of smaller magnitude), and
    acc * mult must stay below 2**62 (int64 requantisation without overflow).
    """
    row_l1 = np.abs(q.astype(np.int64)).sum(axis=1)
    acc_bound = int(row_l1.max(initial=0)) * in_max
    assert acc_bound < FLOAT_EXACT, f"{name}: matmul bound {acc_bound} >= 2**53"
    worst = max((int(a) * in_max * int(m) for a, m in zip(row_l1, mult)), default=0)
    assert worst < (1 << 62), f"{name}: requantisation bound {worst} >= 2**62"
