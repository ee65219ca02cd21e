"""The integer kernels: exact square roots, norms, routing, frequency tables, quantisation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ozarc.model.exact import fixed
from ozarc.model.exact.backend import NumpyBackend, make_backend
from ozarc.model.exact.kernels import (
    QuantLinear,
    frequencies,
    isqrt,
    l2_normalize_heads,
    linear,
    normalize,
    route,
    sigmoid,
)

be = NumpyBackend()
SIG = fixed.sigmoid_table().astype(np.int64)
EXP = fixed.exp_table().astype(np.int64)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 2 ** 62 - 1), min_size=1, max_size=20))
def test_isqrt_is_exact(values):
    got = isqrt(be, np.array(values, dtype=np.int64))
    assert got.tolist() == [math.isqrt(v) for v in values]


def test_isqrt_at_perfect_squares_and_neighbours():
    roots = np.array([0, 1, 2, 3, 2 ** 20, 2 ** 30, 2 ** 31 - 1], dtype=np.int64)
    for delta in (-1, 0, 1):
        values = np.maximum(roots * roots + delta, 0)
        assert isqrt(be, values).tolist() == [math.isqrt(int(v)) for v in values]


def test_layer_norm_close_to_float():
    rng = np.random.default_rng(0)
    for scale in (0.05, 1.0, 300.0):   # (Q16 inputs: tiny-std rows lose digits)
        x = fixed.to_fixed(rng.standard_normal((6, 64)) * scale + 0.5 * scale) / fixed.ONE
        gamma, beta = 1 + 0.1 * rng.standard_normal(64), 0.1 * rng.standard_normal(64)
        got = normalize(be, fixed.to_fixed(x), fixed.to_fixed(gamma), fixed.to_fixed(beta),
                        fixed.engine_constants()["ln_eps_q"]) / fixed.ONE
        mu, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
        want = (x - mu) / np.sqrt(var + fixed.LN_EPS) * gamma + beta
        assert np.abs(got - want).max() < 2e-3


def test_group_norm_normalises_each_group_separately():
    x = np.concatenate([np.arange(16) * 1000, np.arange(16) * -700 + 40000])[None]
    ones, zeros = np.full(32, fixed.ONE), np.zeros(32, dtype=np.int64)
    y = normalize(be, x.astype(np.int64), ones, zeros, 1, groups=2) / fixed.ONE
    for half in (y[0, :16], y[0, 16:]):
        assert abs(half.mean()) < 1e-3 and abs(half.std() - 1) < 1e-3


def test_l2_normalize_gives_unit_heads_and_keeps_zero_heads():
    k = np.zeros((1, 32), dtype=np.int64)
    k[0, :16] = np.arange(16) * 5000 - 30000
    out = l2_normalize_heads(be, k, 16) / fixed.ONE
    assert abs(np.linalg.norm(out[0, :16]) - 1) < 1e-3
    assert (out[0, 16:] == 0).all()


def test_sigmoid_table_matches_sigmoid():
    x = np.linspace(-20, 20, 401)
    got = sigmoid(be, fixed.to_fixed(x), SIG) / fixed.ONE
    assert np.abs(got - 1 / (1 + np.exp(-x))).max() < 2e-3


def test_route_picks_top_two_with_lower_index_on_ties():
    scores = np.array([[5, 9, 9, 1], [7, 7, 7, 7], [0, 1, 2, 3]], dtype=np.int64) * fixed.ONE
    w = route(be, scores, 2, SIG)
    assert (w.sum(-1) == fixed.ONE).all()
    assert (np.nonzero(w[0])[0] == [1, 2]).all() and w[0, 1] == w[0, 2]
    assert (np.nonzero(w[1])[0] == [0, 1]).all()
    assert (np.nonzero(w[2])[0] == [2, 3]).all() and w[2, 3] > w[2, 2]
    top1 = route(be, scores, 1, SIG)
    assert top1[:, [1, 0, 3]].diagonal().tolist() == [fixed.ONE] * 3


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(-(2 ** 24), 2 ** 24), min_size=2, max_size=300))
def test_frequencies_sum_to_total_and_respect_order(logits):
    row = np.array([logits], dtype=np.int64)
    f = frequencies(be, row.copy(), EXP)[0]
    assert f.sum() == fixed.FREQ_TOTAL and f.min() >= 1
    larger = row[0][:, None] > row[0][None, :]
    assert (f[:, None] >= f[None, :])[larger].all()     # larger logit, no smaller frequency
    assert f[row[0].argmax()] == f.max()


def test_frequencies_close_to_softmax():
    rng = np.random.default_rng(1)
    logits = rng.standard_normal((4, 256)) * 3
    f = frequencies(be, fixed.to_fixed(logits), EXP) / fixed.FREQ_TOTAL
    p = np.exp(logits - logits.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    assert (p * np.log(p / f)).sum(-1).max() < 0.01


def test_quantize_rows_reconstructs_weights_and_linear_matches_float():
    rng = np.random.default_rng(2)
    w = rng.standard_normal((8, 32)) * np.array([1e-3, 0.1, 1, 3, 0, 1, 1, 1])[:, None]
    q, mult, shift = fixed.quantize_rows(w)
    assert q.dtype == np.int8 and np.abs(q).max() <= 127
    scale = mult / 2.0 ** shift
    assert np.abs(q * scale[:, None] - w).max(axis=1).tolist() <= (scale / 2 + 1e-12).tolist()
    assert (mult[scale > 0] >= 2 ** 14).all() and (mult < 2 ** 15).all()
    x = rng.standard_normal((3, 32))
    layer = QuantLinear(be.weights(q), mult.astype(np.int64), shift.astype(np.int64))
    got = linear(be, fixed.to_fixed(x), layer) / fixed.ONE
    assert np.abs(got - x @ w.T).max() < 0.05 * np.abs(x @ w.T).max()


def test_matmul_bound_check_rejects_too_wide_rows():
    q = np.full((1, 2 ** 17), 127, dtype=np.int8)
    with pytest.raises(AssertionError):
        fixed.check_matmul_bound("huge", q, np.array([2 ** 14]))


def test_backends_agree_on_kernels():
    torch_be = pytest.importorskip("torch") and make_backend("torch")
    rng = np.random.default_rng(3)
    x = rng.integers(-(2 ** 30), 2 ** 30, (5, 64))
    gamma = rng.integers(0, 2 ** 17, 64)
    beta = rng.integers(-(2 ** 16), 2 ** 16, 64)
    want = normalize(be, x, gamma, beta, 42950)
    got = normalize(torch_be, torch_be.asarray(x), torch_be.asarray(gamma),
                    torch_be.asarray(beta), 42950)
    assert np.array_equal(torch_be.to_numpy(got), want)
    want_f = frequencies(be, x[:, :40] >> 10, EXP)
    got_f = frequencies(torch_be, torch_be.asarray(x[:, :40] >> 10), torch_be.asarray(EXP))
    assert np.array_equal(torch_be.to_numpy(got_f), want_f)
