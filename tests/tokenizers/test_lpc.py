"""The backward-adaptive linear predictor (ozarc.model.tokenizers.lpc): exact inverse for any
int16 samples, integer-only fits that match the textbook float recursion, a residual far
smaller than the previous sample's on a resonant signal, and speech windows cut from the
chunk's residual."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from ozarc.model.tokenizers import lpc
from ozarc.model.tokenizers.speech import (ADAPTIVE_ORDERS, pcm_to_sequences, residual_window,
                                           sequences_to_pcm, unzigzag)

int16s = st.lists(st.integers(-32768, 32767), max_size=700)


@settings(max_examples=60, deadline=None)
@given(samples=int16s, order=st.sampled_from(ADAPTIVE_ORDERS))
def test_restore_inverts_residual(samples, order):
    x = np.array(samples, dtype=np.int64)
    res = lpc.residual(x, order)
    assert res.min(initial=0) >= -32768 and res.max(initial=0) <= 32767
    assert np.array_equal(lpc.restore(res, order), x)


@settings(max_examples=20, deadline=None)
@given(level=st.sampled_from([-32768, 32767]), order=st.sampled_from(ADAPTIVE_ORDERS))
def test_full_scale_square_waves_round_trip(level, order):
    """Where the prediction overshoots int16 the residual wraps, and the inverse still holds."""
    x = np.tile(np.r_[np.full(37, level), np.full(41, -1 - level)], 9).astype(np.int64)
    assert np.array_equal(lpc.restore(lpc.residual(x, order), order), x)


def ar_signal(n: int, seed: int = 0) -> np.ndarray:
    """A resonance (two poles at radius 0.97) driven by noise: speech-like spectral peaks."""
    rng = np.random.default_rng(seed)
    a1, a2 = 2 * 0.97 * np.cos(0.3), -0.97 ** 2
    x, y1, y2 = np.zeros(n), 0.0, 0.0
    for i, e in enumerate(rng.normal(0, 300, n)):
        x[i] = a1 * y1 + a2 * y2 + e
        y1, y2 = x[i], y1
    return np.clip(np.round(x), -32768, 32767).astype(np.int64)


def test_the_first_block_is_the_previous_sample_and_later_blocks_predict_better():
    x = ar_signal(4000)
    for order in ADAPTIVE_ORDERS:
        res = lpc.residual(x, order)
        assert np.array_equal(res[:lpc.BLOCK], np.diff(x[:lpc.BLOCK], prepend=0))
        first_difference = np.abs(np.diff(x)[lpc.BLOCK:]).mean()
        assert np.abs(res[lpc.BLOCK:]).mean() < 0.5 * first_difference


def test_integer_levinson_matches_the_float_recursion():
    x = ar_signal(lpc.HISTORY, seed=3)
    r = lpc.autocorrelation(x, 16)
    assert all(type(v) is int for v in r)
    got = np.array(lpc.levinson(r, 16)) / 2 ** lpc.COEF_BITS
    # the textbook recursion in float64 on the same (regularised) autocorrelation
    a, err = np.zeros(0), float(r[0])
    for i in range(16):
        k = (r[i + 1] - sum(a[j] * r[i - j] for j in range(i))) / err
        a = np.r_[a - k * a[::-1], k]
        err *= 1 - k * k
    assert np.abs(got - a).max() < 2 / 2 ** lpc.COEF_BITS
    # an order-2 fit finds the resonance's own coefficients
    two = np.array(lpc.levinson(lpc.autocorrelation(ar_signal(4000, seed=3), 2), 2))
    assert np.abs(two / 2 ** lpc.COEF_BITS - [2 * 0.97 * np.cos(0.3), -0.97 ** 2]).max() < 0.05


def test_silence_and_a_constant_fit_without_trouble():
    for x in (np.zeros(600, np.int64), np.full(600, -32768, np.int64)):
        res = lpc.residual(x, 16)
        assert np.array_equal(lpc.restore(res, 16), x)
    assert not lpc.residual(np.zeros(600, np.int64), 16).any()


def test_a_reflection_of_one_stops_the_recursion():
    # an (unregularised) pure alternation asks for reflection -1 at the first step: no filter
    assert lpc.levinson([10, -10, 10, -10], 3) == [0, 0, 0]
    # one just inside: the first step stands, the second would reach 1 and ends it
    assert lpc.levinson([10, -9, 10, -9], 3) == [round(-0.9 * 2 ** lpc.COEF_BITS), 0, 0]


@settings(max_examples=40, deadline=None)
@given(pcm=st.binary(max_size=3000), window=st.sampled_from([2, 7, 256, 1024]),
       order=st.sampled_from(ADAPTIVE_ORDERS))
def test_windows_are_cut_from_the_chunks_residual(pcm, window, order):
    seqs = pcm_to_sequences(pcm, window, order)
    joined = np.concatenate(seqs or [np.zeros(0, np.uint8)])
    even = len(pcm) - len(pcm) % 2
    x = np.frombuffer(pcm[:even], "<i2").astype(np.int64)
    assert np.array_equal(unzigzag(joined[:even].view("<u2").astype(np.int64)),
                          lpc.residual(x, order))
    assert joined[even:].tobytes() == pcm[even:]            # an odd last byte stays
    assert sequences_to_pcm(seqs, order) == pcm


def test_an_adaptive_order_is_not_a_window_predictor():
    with pytest.raises(ValueError, match="adaptive"):
        residual_window(np.zeros(4, np.uint8), 16)
