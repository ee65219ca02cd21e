"""The WKV recurrence of the static-decay RWKV-7 time mix, in a one-step and a chunked form.

Per head, with the state S ∈ R^{N×N} (rows: value index i, cols: key index j), a = −κ̂ and
b = κ̂⊙α (docs/model-architecture.md):

    S ← S·(diag(λ) + a bᵀ) + v kᵀ ,   y = S r

`wkv_step` is that equation for one token (the recurrent form and the reference).  Training
needs whole sequences (T = 769 image patches, 1024 text tokens) without a Python loop over T:
`wkv_chunked` splits T into chunks of L tokens and, because the decay λ is static, writes a
chunk's states as

    S_t = S_0 D^t + Σ_{s≤t} (u_s (b_s⊙λ^{t−s})ᵀ + v_s (k_s⊙λ^{t−s})ᵀ),   u_s = S_{s−1} a_s

The u_s solve one unit lower-triangular L×L system per chunk (the WY trick of chunked delta
rules), all chunks at once; only an N×N matrix product per chunk is left sequential.  Powers
λ^{±t} are factored per token; that is safe because λ ≥ exp(−e^{−0.5}) ≈ 0.545 by construction,
so λ^{−L} ≤ 1.7e4 for L = 16.  Everything runs in at least float32.
"""

from __future__ import annotations

import torch
from torch import Tensor

CHUNK_LEN = 16


def wkv_step(state: Tensor, r: Tensor, k: Tensor, v: Tensor, kappa: Tensor, alpha: Tensor,
             lam: Tensor) -> tuple[Tensor, Tensor]:
    """One token.  state [B,H,N,N]; r, k, v, kappa [B,H,N]; alpha, lam [H,N].  -> (y, state)."""
    sa = -(state @ kappa.unsqueeze(-1))                                   # [B,H,N,1]
    state = (state * lam.unsqueeze(-2) + sa * (kappa * alpha).unsqueeze(-2)
             + v.unsqueeze(-1) * k.unsqueeze(-2))
    y = (state @ r.unsqueeze(-1)).squeeze(-1)
    return y, state


def wkv_sequential(state: Tensor, r: Tensor, k: Tensor, v: Tensor, kappa: Tensor,
                   alpha: Tensor, lam: Tensor) -> tuple[Tensor, Tensor]:
    """Reference: `wkv_step` in a loop.  r, k, v, kappa [B,T,H,N] -> (y [B,T,H,N], state)."""
    ys = []
    for t in range(r.shape[1]):
        y, state = wkv_step(state, r[:, t], k[:, t], v[:, t], kappa[:, t], alpha, lam)
        ys.append(y)
    return torch.stack(ys, dim=1), state


def wkv_chunked(state: Tensor, r: Tensor, k: Tensor, v: Tensor, kappa: Tensor, alpha: Tensor,
                lam: Tensor, chunk_len: int = CHUNK_LEN) -> tuple[Tensor, Tensor]:
    """Same function as `wkv_sequential`, parallel within chunks of `chunk_len` tokens.
    Runs in at least float32 even under autocast (the factored powers need the range)."""
    with torch.autocast(r.device.type, enabled=False):
        return _wkv_chunked(state, r, k, v, kappa, alpha, lam, chunk_len)


def _wkv_chunked(state, r, k, v, kappa, alpha, lam, chunk_len):
    out_dtype = r.dtype
    dt = torch.promote_types(out_dtype, torch.float32)
    B, T, H, N = r.shape
    L = chunk_len
    n_chunks = -(-T // L)
    pad = n_chunks * L - T

    def chunks(x: Tensor) -> Tensor:          # [B,T,H,N] -> [B,H,nC,L,N]
        x = x.to(dt)
        if pad:
            x = torch.nn.functional.pad(x, (0, 0, 0, 0, 0, pad))
        return x.view(B, n_chunks, L, H, N).permute(0, 3, 1, 2, 4)

    r, k, v, kappa = chunks(r), chunks(k), chunks(v), chunks(kappa)
    a = -kappa
    b = kappa * alpha.to(dt)[:, None, None, :]
    log_lam = torch.log(lam.to(dt))[:, None, None, :]                     # [H,1,1,N]
    t = torch.arange(L, device=r.device, dtype=dt)[:, None]               # within-chunk index
    r_t = r * torch.exp((t + 1) * log_lam)                                # r ⊙ λ^t
    k_t = k * torch.exp(-(t + 1) * log_lam)                               # k ⊙ λ^−t
    b_t = b * torch.exp(-(t + 1) * log_lam)                               # b ⊙ λ^−t
    a_t = a * torch.exp(t * log_lam)                                      # a ⊙ λ^(t−1)
    end = torch.full((n_chunks, 1, 1), float(L), device=r.device, dtype=dt)
    end[-1] = L - pad                                                     # last real token
    lam_end = torch.exp(end * log_lam)                              # λ^(chunk end) [H,nC,1,N]

    ones = torch.ones(L, L, device=r.device, dtype=torch.bool)
    strict = torch.tril(ones, -1).to(dt)
    incl = torch.tril(ones).to(dt)
    beta = (a_t @ b_t.transpose(-1, -2)) * strict                         # [.., L, L]
    a_k = (a_t @ k_t.transpose(-1, -2)) * strict
    r_b = (r_t @ b_t.transpose(-1, -2)) * incl
    r_k = (r_t @ k_t.transpose(-1, -2)) * incl

    eye = torch.eye(L, device=r.device, dtype=dt)
    rhs = torch.cat([a_t, a_k @ v], dim=-1)                               # [.., L, 2N]
    sol = torch.linalg.solve_triangular(eye - beta, rhs, upper=False, unitriangular=True)
    w, u_intra = sol[..., :N], sol[..., N:]                               # u = S0 w + u_intra
    q = r_t + r_b @ w                                                     # y = S0 q + y_intra
    y_intra = r_b @ u_intra + r_k @ v
    b_end, k_end = b_t * lam_end, k_t * lam_end
    # a chunk's end state is S_end = S0·trans + add
    trans = torch.diag_embed(lam_end.squeeze(-2)) + w.transpose(-1, -2) @ b_end
    add = u_intra.transpose(-1, -2) @ b_end + v.transpose(-1, -2) @ k_end

    s = state.to(dt)
    starts = []
    for c in range(n_chunks):
        starts.append(s)
        s = s @ trans[:, :, c] + add[:, :, c]
    s0 = torch.stack(starts, dim=2)                                       # [B,H,nC,N,N]
    y = q @ s0.transpose(-1, -2) + y_intra                                # [B,H,nC,L,N]
    y = y.permute(0, 2, 3, 1, 4).reshape(B, n_chunks * L, H, N)[:, :T]
    return y.to(out_dtype), s.to(state.dtype)
