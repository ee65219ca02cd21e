"""The chunked WKV computes the one-step recurrence exactly (up to float64 rounding)."""

import torch
import torch.nn.functional as F
from hypothesis import given, settings, strategies as st

from ozarc.model.wkv import wkv_chunked, wkv_sequential, wkv_step


def _inputs(seed, B, T, H, N, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    r, k, v = (torch.randn(B, T, H, N, generator=g, dtype=dtype) for _ in range(3))
    kappa = F.normalize(torch.randn(B, T, H, N, generator=g, dtype=dtype), dim=-1)
    alpha = torch.rand(H, N, generator=g, dtype=dtype)
    d = 4 * torch.randn(H, N, generator=g, dtype=dtype)
    lam = torch.exp(-torch.exp(-F.softplus(-d) - 0.5))   # the network's decay, ≥ 0.545
    state = torch.randn(B, H, N, N, generator=g, dtype=dtype)
    return state, r, k, v, kappa, alpha, lam


def test_step_is_the_documented_elementwise_update():
    state, r, k, v, kappa, alpha, lam = _inputs(1, 1, 1, 1, 4)
    S, r, k, v, kp, al, la = state[0, 0], r[0, 0, 0], k[0, 0, 0], v[0, 0, 0], kappa[0, 0, 0], alpha[0], lam[0]
    expect = torch.empty_like(S)
    for i in range(4):
        sa = sum(-kp[j] * S[i, j] for j in range(4))
        for j in range(4):
            expect[i, j] = la[j] * S[i, j] + sa * kp[j] * al[j] + v[i] * k[j]
    y_expect = torch.stack([sum(expect[i, j] * r[j] for j in range(4)) for i in range(4)])
    y, new = wkv_step(state, r[None, None], k[None, None], v[None, None], kp[None, None],
                      alpha, lam)
    torch.testing.assert_close(new[0, 0], expect, rtol=0, atol=1e-12)
    torch.testing.assert_close(y[0, 0], y_expect, rtol=0, atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31), T=st.integers(1, 70), chunk=st.sampled_from([1, 3, 8, 16, 32]),
       H=st.integers(1, 3), N=st.sampled_from([4, 16]))
def test_chunked_equals_sequential(seed, T, chunk, H, N):
    args = _inputs(seed, 2, T, H, N)
    y_ref, s_ref = wkv_sequential(*args)
    y, s = wkv_chunked(*args, chunk_len=chunk)
    torch.testing.assert_close(y, y_ref, rtol=1e-9, atol=1e-9)
    torch.testing.assert_close(s, s_ref, rtol=1e-9, atol=1e-9)


def test_chunked_float32_tracks_float64_at_training_length():
    args64 = _inputs(7, 2, 769, 2, 16)
    y64, _ = wkv_chunked(*args64)
    y32, _ = wkv_chunked(*(a.float() for a in args64))
    assert y32.dtype == torch.float32
    err = (y32.double() - y64).abs().max() / y64.abs().max()
    assert err < 1e-4


def test_chunked_has_gradients_for_every_input():
    args = [a.clone().requires_grad_(True) for a in _inputs(3, 1, 20, 1, 4)]
    y, s = wkv_chunked(*args, chunk_len=8)
    (y.square().sum() + s.square().sum()).backward()
    assert all(a.grad is not None and torch.isfinite(a.grad).all() and a.grad.abs().sum() > 0
               for a in args)
