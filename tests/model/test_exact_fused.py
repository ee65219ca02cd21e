"""The numba backend's compiled kernels give the numpy backend's integers exactly: on whole
models (step and sequence forms, every routing path), and on adversarial inputs at the
clamps, where a transcription slip (a missed clamp, a wrong rounding) would show first."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ozarc.modality import Modality
from ozarc.model.exact import backend as backends
from ozarc.model.exact import block, fused, kernels
from ozarc.model.exact.block import LayerState
from ozarc.model.exact.fixed import ACT_MAX, RESID_MAX, RKV_MAX, STATE_MAX
from ozarc.model.exact.testing import small_model, step_tables

pytestmark = pytest.mark.skipif(not fused.AVAILABLE, reason="numba not installed")

IMAGE = Modality.IMAGE_RGB


@pytest.mark.parametrize("overrides", [{}, {"moe_v": False, "moe_ffn": False}, {"top_k": 1}])
@pytest.mark.parametrize("batch", [1, 7, 40, 130])
def test_numba_and_numpy_models_give_the_same_tables(overrides, batch):
    """Batches up to 32 rows run the experts densely, larger ones routed (block.py)."""
    on_numpy = small_model(4, backend="numpy", **overrides)
    on_numba = small_model(4, backend="numba", **overrides)
    symbols = np.random.default_rng(batch).integers(0, 256, (batch, 9))
    expected = on_numpy.sequence_freqs(IMAGE, symbols)
    assert np.array_equal(on_numba.sequence_freqs(IMAGE, symbols), expected)
    assert np.array_equal(step_tables(on_numba, IMAGE, symbols), expected)


@pytest.mark.parametrize("backend", ["numpy", "numba"])
@pytest.mark.parametrize("modality", [IMAGE, Modality.TEXT, Modality.SPEECH])
def test_sequence_intervals_are_the_coded_symbols_intervals(backend, modality):
    model = small_model(5, backend=backend)
    n = model.n_symbols(modality)
    symbols = np.random.default_rng(6).integers(0, n, (70, 11))
    symbols[:, 3] = n - 1                       # the last symbol: start = total - freq
    symbols[:, 4] = 0                           # the first: start = 0
    tables = small_model(5, backend="numpy").sequence_freqs(modality, symbols)
    freq, start = model.sequence_intervals(modality, symbols)
    sym = symbols[..., None]
    assert np.array_equal(freq, np.take_along_axis(tables, sym, -1)[..., 0])
    assert np.array_equal(start + freq, np.take_along_axis(np.cumsum(tables, -1), sym, -1)[..., 0])


def _extreme_ints(rng, shape, bound):
    """Values spread over every magnitude up to +-bound, with the bounds themselves."""
    mags = rng.integers(0, bound.bit_length() + 1, shape)
    values = rng.integers(0, 1 << 62, shape) >> (62 - mags)
    values = np.minimum(values, bound) * rng.choice([-1, 1], shape)
    flat = values.reshape(-1)
    flat[: min(4, flat.size)] = [bound, -bound, 0, 1][: min(4, flat.size)]
    return values.astype(np.int64)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1), rows=st.sampled_from([3, 32, 33, 90]),
       tokens=st.integers(1, 3), layer=st.integers(0, 1))
def test_a_block_agrees_on_inputs_at_the_clamps(seed, rows, tokens, layer):
    """A whole block (norms, token shift, routing, experts, time mix, FFN) on residuals,
    previous tokens and WKV states drawn up to their clamps."""
    rng = np.random.default_rng(seed)
    model = small_model(7, backend="numpy")
    cfg = model.config
    p = model._blocks[layer]
    H, N, C = cfg.n_heads, cfg.head_size, cfg.width
    x = _extreme_ints(rng, (rows, tokens, C), RESID_MAX)
    z_prev = _extreme_ints(rng, (rows, C), ACT_MAX)
    S = _extreme_ints(rng, (rows, H, N, N), STATE_MAX).astype(np.float64)
    v_first = None if layer == 0 else _extreme_ints(rng, (rows, tokens, C), RKV_MAX)
    results = []
    for be in (backends.NumpyBackend(), backends.NumbaBackend()):
        state = LayerState(z_prev.copy(), S.copy())
        out, _ = block.block_forward(be, p, x.copy(), state, copy.copy(v_first), cfg,
                                     model._sig)
        results.append((out, state.z_prev, state.S))
    for got, want in zip(results[1], results[0]):
        assert np.array_equal(got, want)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1), groups=st.sampled_from([1, 2, 3, 4]),
       bound=st.sampled_from([1, 1 << 10, 1 << 22, ACT_MAX, RESID_MAX]))
def test_norms_agree_at_every_scale(seed, groups, bound):
    """Row deviations above 2**22 take the norm's take-down shift; tiny ones meet eps;
    groups of 12 (3 groups of 36 channels) take the non-power-of-two division."""
    rng = np.random.default_rng(seed)
    C = 12 * groups if groups == 3 else 16 * groups
    x = _extreme_ints(rng, (17, C), bound)
    gamma = rng.integers(-(1 << 18), 1 << 18, C)
    beta = rng.integers(-(1 << 20), 1 << 20, C)
    eps = int(rng.integers(0, 1 << 20))
    want = kernels.normalize(backends.NumpyBackend(), x, gamma, beta, eps, groups)
    got = kernels.normalize(backends.NumbaBackend(), x, gamma, beta, eps, groups)
    assert np.array_equal(got, want)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1), top_k=st.sampled_from([1, 2]),
       ties=st.booleans())
def test_routing_agrees_including_ties(seed, top_k, ties):
    rng = np.random.default_rng(seed)
    scores = _extreme_ints(rng, (50, 4), ACT_MAX)
    if ties:
        scores = scores % 3                     # many equal scores: the tie-break decides
    table = kernels_sigmoid_table()
    want = kernels.route(backends.NumpyBackend(), scores, top_k, table)
    assert np.array_equal(kernels.route(backends.NumbaBackend(), scores, top_k, table), want)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1), n=st.sampled_from([2, 256, 4096]),
       ties=st.booleans())
def test_frequency_tables_and_intervals_agree(seed, n, ties):
    rng = np.random.default_rng(seed)
    logits = _extreme_ints(rng, (9, n), ACT_MAX)
    if ties:
        logits = logits % 2                     # several maxima: the first one takes the rest
    exp_tab = kernels_exp_table()
    want = kernels.frequencies(backends.NumpyBackend(), logits, exp_tab)
    numba_be = backends.NumbaBackend()
    assert np.array_equal(kernels.frequencies(numba_be, logits, exp_tab), want)
    symbols = rng.integers(0, n, 9)
    freq, start = numba_be.intervals(logits, exp_tab, symbols)
    rows = np.arange(9)
    assert np.array_equal(freq, want[rows, symbols])
    assert np.array_equal(start, np.cumsum(want, -1)[rows, symbols] - want[rows, symbols])


def kernels_sigmoid_table():
    from ozarc.model.exact.fixed import sigmoid_table

    return sigmoid_table().astype(np.int64)


def kernels_exp_table():
    from ozarc.model.exact.fixed import exp_table

    return exp_table().astype(np.int64)


def test_auto_picks_numba_here_and_numpy_without_it(monkeypatch):
    monkeypatch.delenv(backends.BACKEND_ENV, raising=False)
    assert backends.resolve_backend_name("auto") == "numba"
    assert small_model(0).backend == "numba"
    monkeypatch.setattr(fused, "AVAILABLE", False)
    assert backends.resolve_backend_name("auto") == "numpy"
    assert small_model(0).backend == "numpy"
    with pytest.raises(ValueError, match="needs the numba package"):
        backends.make_backend("numba")


def test_the_environment_can_force_the_numpy_engine(monkeypatch):
    monkeypatch.setenv(backends.BACKEND_ENV, "numpy")
    assert small_model(0).backend == "numpy"
    assert backends.resolve_backend_name("torch") == "torch"      # only ``auto`` is replaced


def test_kernels_compile_in_memory_where_no_cache_can_be_written(monkeypatch):
    """numba refuses cache=True when neither the package folder nor a user cache is writable
    (a read-only install): the kernels are then compiled without a cache, not lost."""
    asked = []

    def fake_njit(**options):
        asked.append(options["cache"])
        if options["cache"]:
            raise RuntimeError("cannot cache function 'f': no locator available")
        return lambda fn: ("compiled", fn)

    monkeypatch.setattr(fused, "njit", fake_njit)

    def kernel():
        return 1

    assert fused._jit(kernel) == ("compiled", kernel)
    assert asked == [True, False]
