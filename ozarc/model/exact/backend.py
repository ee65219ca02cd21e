"""Array backends of the exact engine: numpy (default), torch CPU and torch CUDA.

Why: the integer kernels are written once against this small interface, so every backend
runs the same operations and produces the same integers.  Arithmetic operators (+ - * >> //
comparisons, indexing, reshape) are shared by numpy arrays and torch tensors; only the calls
whose names differ go through a backend.  Exactness does not depend on the backend: int64
elementwise arithmetic is exact, and float64 matmuls are exact because every partial sum is
an integer below 2**53 (fixed.py), whatever the summation order, thread count or device.
"""

from __future__ import annotations

import os

import numpy as np

from ozarc.model.exact.blas import limit_blas_threads

_clip_ufunc = np._core.umath.clip if hasattr(np, "_core") else np.core.umath.clip


class NumpyBackend:
    """int64 numpy arrays; float64 BLAS matmuls (OpenBLAS held to ``blas_threads``)."""

    name = "numpy"
    fused = False           # True: the backend has the compiled kernels of NumbaBackend

    def __init__(self, blas_threads: int | None = 1):
        if blas_threads is not None:
            limit_blas_threads(blas_threads)

    def asarray(self, values, dtype="int64"):
        return np.ascontiguousarray(np.asarray(values), dtype=np.dtype(dtype))

    def weights(self, q: np.ndarray):
        """A quantised matrix [out, in] prepared for ``matmul``: float64 [in, out]."""
        return np.ascontiguousarray(np.asarray(q, dtype=np.float64).T)

    def to_numpy(self, a) -> np.ndarray:
        return np.asarray(a)

    def zeros(self, shape):
        return np.zeros(shape, dtype=np.int64)

    def matmul(self, x, w):
        """Exact integer product x [..., in] (int64) @ w [in, out] (float64) -> int64.

        Flattened to 2-D first: a stacked matmul would run one tiny product per row."""
        return _float_product(x, w).astype(np.int64).reshape(*x.shape[:-1], w.shape[1])

    def linear(self, x, w, mult, shift, bound: int):
        """requantize(matmul(x, w), mult, shift, bound): a quantised layer's output."""
        return self.requantize(self.matmul(x, w), mult, shift, bound)

    def requantize(self, acc, mult, shift, bound: int):
        """clip((acc * mult) >> shift, -bound, bound), overwriting ``acc``."""
        np.multiply(acc, mult, out=acc)
        np.right_shift(acc, shift, out=acc)
        return _clip_ufunc(acc, -bound, bound, out=acc)

    def state_update(self, S, lam, delta, bound: float):
        """clip(floor(S * lam + delta), -bound, bound), overwriting ``S``."""
        np.multiply(S, lam, out=S)
        np.add(S, delta, out=S)
        np.floor(S, out=S)
        return _clip_ufunc(S, -bound, bound, out=S)

    def clip(self, a, lo: int, hi: int):
        return _clip_ufunc(a, lo, hi)   # the bare ufunc: np.clip's argument checks cost more

    def sum(self, a, axis: int, keepdims: bool = False):
        return a.sum(axis=axis, keepdims=keepdims)

    def max(self, a, axis: int, keepdims: bool = False):
        return a.max(axis=axis, keepdims=keepdims)

    def argmax(self, a, axis: int):
        return a.argmax(axis=axis)

    def min(self, a, axis: int, keepdims: bool = False):
        return a.min(axis=axis, keepdims=keepdims)

    def any(self, a) -> bool:
        return bool(a.any())

    def abs(self, a):
        return np.abs(a)

    def where(self, cond, a, b):
        return np.where(cond, a, b)

    def maximum(self, a, b):
        return np.maximum(a, b)

    def bit_length(self, a):
        """Number of bits of non-negative int64 values below 2**53 (0 for 0)."""
        return np.frexp(a.astype(np.float64))[1].astype(np.int64)

    def sqrt_floor_estimate(self, a):
        """floor(sqrt(a)) up to +-1 (corrected exactly by the caller)."""
        return np.floor(np.sqrt(a.astype(np.float64))).astype(np.int64)

    def concat(self, arrays, axis: int):
        return np.concatenate(arrays, axis=axis)

    def stack(self, arrays, axis: int):
        return np.stack(arrays, axis=axis)

    def one_hot_at(self, index, n: int):
        """int64 [..., n] with 1 at ``index`` [...] and 0 elsewhere."""
        return (index[..., None] == np.arange(n)).astype(np.int64)

    def add_at_rows(self, a, index, values) -> None:
        """a[row, index[row]] += values[row] for a 2-D ``a`` (in place)."""
        a[np.arange(a.shape[0]), index] += values

    def nonzero(self, mask):
        """Indices where a 1-D boolean mask is true, ascending."""
        return np.flatnonzero(mask)

    def take(self, table, idx):
        """table[idx] for a 1-D table."""
        return np.take(table, idx)

    def to_float(self, a):
        return a.astype(np.float64)

    def to_int(self, a):
        return a.astype(np.int64)

    def floor(self, a):
        return np.floor(a)

    def fzeros(self, shape):
        return np.zeros(shape, dtype=np.float64)


class NumbaBackend(NumpyBackend):
    """The numpy backend with the elementwise parts of the network as compiled loops
    (fused.py): the same integers, about twice the speed of the whole engine on a CPU.
    Matmuls stay float64 BLAS calls (exact, and faster than any loop)."""

    name = "numba"
    fused = True

    def __init__(self, blas_threads: int | None = 1):
        super().__init__(blas_threads)
        from ozarc.model.exact import fused

        self._k = fused

    def linear(self, x, w, mult, shift, bound: int):
        """The float64 product, then one compiled pass to the clamped int64 output."""
        acc = self._k.requantize_rows(_float_product(x, w), mult, shift, bound)
        return acc.reshape(*x.shape[:-1], w.shape[1])

    def normalize(self, x, gamma, beta, eps_q: int, groups: int):
        return self._k.normalize_rows(_rows(x), gamma, beta, eps_q, groups).reshape(x.shape)

    def token_shift(self, z, z_prev, mu_r, mu_k, mu_v):
        return self._k.token_shift(_lanes(z), _lanes(z_prev), mu_r, mu_k, mu_v)

    def time_mix(self, S, lam, r, k, v, z_r, k_scale, alpha, u, gn, sig_tab,
                 n_heads: int, head_size: int):
        lam = np.ascontiguousarray(lam.reshape(n_heads, head_size))
        return self._k.time_mix(S, lam, _lanes(r), _lanes(k), _lanes(v), _lanes(z_r), k_scale,
                                alpha, u, gn.gamma, gn.beta, gn.eps_q, sig_tab, n_heads,
                                head_size)

    def route(self, scores, top_k: int, sig_tab):
        return self._k.route(_rows(scores), top_k, sig_tab).reshape(scores.shape)

    def frequencies(self, logits, exp_tab):
        return self._k.frequencies(_rows(logits), exp_tab)

    def intervals(self, logits, exp_tab, symbols):
        return self._k.intervals(_rows(logits), exp_tab, _lanes(symbols))

    def routed_value(self, z, weights, experts, width: int):
        """block._value's routed sum (before its final >> 16) [rows, width]: each expert's
        product on its lanes, requantised, weighted and added in one compiled pass."""
        out, w, expert_rows = _routing(z, weights, width)
        for e, lanes, x_e in expert_rows:
            layer = experts[e]
            self._k.add_weighted_requantized(out, lanes, x_e @ layer.w, layer.mult,
                                             layer.shift, w[:, e])
        return out

    def routed_ffn(self, z, weights, key_experts, value_experts, width: int):
        """block._ffn's routed sum before requantisation [rows, width]."""
        out, w, expert_rows = _routing(z, weights, width)
        for e, lanes, x_e in expert_rows:
            key = key_experts[e]
            hidden = self._k.ffn_hidden(x_e @ key.w, key.mult, key.shift, lanes, w[:, e])
            self._k.add_rows(out, lanes, hidden @ value_experts[e])
        return out


def _float_product(x, w):
    """x [..., in] int64 @ w [in, out] float64, flattened to 2-D first (a stacked matmul
    would run one tiny product per row): the exact float64 accumulators [rows, out]."""
    return np.matmul(x.reshape(-1, x.shape[-1]).astype(np.float64), w)


def _routing(z, weights, width: int):
    """(out zeros [rows, width] int64, weights [rows, E], iterator of (expert, its lanes,
    those lanes' rows of z as float64)) for the routed layers; experts without lanes are
    skipped."""
    xf, w = _rows(z).astype(np.float64), _rows(weights)
    out = np.zeros((len(xf), width), dtype=np.int64)
    lanes_of = ((e, np.flatnonzero(w[:, e] > 0)) for e in range(w.shape[1]))
    return out, w, ((e, lanes, xf[lanes]) for e, lanes in lanes_of if len(lanes))


def _lanes(a):
    return np.ascontiguousarray(a, dtype=np.int64)


def _rows(a):
    """A C-contiguous int64 [rows, last axis] view or copy."""
    return np.ascontiguousarray(a.reshape(-1, a.shape[-1]), dtype=np.int64)


class TorchBackend:
    """int64 torch tensors on one device; float64 matmuls (CPU BLAS or cuBLAS DGEMM)."""

    fused = False

    def __init__(self, device: str = "cpu"):
        import torch

        self.torch = torch
        self.device = torch.device(device)
        self.name = f"torch-{self.device.type}"

    def asarray(self, values, dtype="int64"):
        t = self.torch
        arr = np.ascontiguousarray(np.asarray(values), dtype=np.dtype(dtype))
        return t.from_numpy(arr).to(self.device)

    def weights(self, q: np.ndarray):
        return self.asarray(np.asarray(q, dtype=np.float64).T, dtype="float64").contiguous()

    def to_numpy(self, a) -> np.ndarray:
        return a.cpu().numpy()

    def zeros(self, shape):
        return self.torch.zeros(shape, dtype=self.torch.int64, device=self.device)

    def matmul(self, x, w):
        lead = x.shape[:-1]
        flat = x.reshape(-1, x.shape[-1]).to(self.torch.float64)
        return self.torch.matmul(flat, w).to(self.torch.int64).reshape(*lead, w.shape[1])

    def linear(self, x, w, mult, shift, bound: int):
        return self.requantize(self.matmul(x, w), mult, shift, bound)

    def requantize(self, acc, mult, shift, bound: int):
        acc.mul_(mult).bitwise_right_shift_(shift)
        return acc.clamp_(-bound, bound)

    def state_update(self, S, lam, delta, bound: float):
        return S.mul_(lam).add_(delta).floor_().clamp_(-bound, bound)

    def clip(self, a, lo: int, hi: int):
        return self.torch.clamp(a, lo, hi)

    def sum(self, a, axis: int, keepdims: bool = False):
        return a.sum(dim=axis, keepdim=keepdims)

    def max(self, a, axis: int, keepdims: bool = False):
        return a.amax(dim=axis, keepdim=keepdims)

    def argmax(self, a, axis: int):
        # documented: the first maximal index is returned
        return a.argmax(dim=axis)

    def min(self, a, axis: int, keepdims: bool = False):
        return a.amin(dim=axis, keepdim=keepdims)

    def any(self, a) -> bool:
        return bool(a.any())

    def abs(self, a):
        return a.abs()

    def where(self, cond, a, b):
        t = self.torch
        a = a if isinstance(a, t.Tensor) else t.tensor(a, dtype=t.int64, device=self.device)
        b = b if isinstance(b, t.Tensor) else t.tensor(b, dtype=t.int64, device=self.device)
        return t.where(cond, a, b)

    def maximum(self, a, b):
        t = self.torch
        b = b if isinstance(b, t.Tensor) else t.tensor(b, dtype=t.int64, device=self.device)
        return t.maximum(a, b)

    def bit_length(self, a):
        return self.torch.frexp(a.to(self.torch.float64))[1].to(self.torch.int64)

    def sqrt_floor_estimate(self, a):
        return self.torch.floor(self.torch.sqrt(a.to(self.torch.float64))).to(self.torch.int64)

    def concat(self, arrays, axis: int):
        return self.torch.cat(list(arrays), dim=axis)

    def stack(self, arrays, axis: int):
        return self.torch.stack(list(arrays), dim=axis)

    def one_hot_at(self, index, n: int):
        return (index[..., None] == self.torch.arange(n, device=self.device)).to(self.torch.int64)

    def add_at_rows(self, a, index, values) -> None:
        a[self.torch.arange(a.shape[0], device=self.device), index] += values

    def nonzero(self, mask):
        return self.torch.nonzero(mask).reshape(-1)

    def take(self, table, idx):
        return table[idx]

    def to_float(self, a):
        return a.to(self.torch.float64)

    def to_int(self, a):
        return a.to(self.torch.int64)

    def floor(self, a):
        return self.torch.floor(a)

    def fzeros(self, shape):
        return self.torch.zeros(shape, dtype=self.torch.float64, device=self.device)


#: What ``auto`` (the default everywhere) picks: the fused CPU kernels when numba works here.
DEFAULT_BACKEND = "auto"


#: Environment variable that replaces ``auto`` by a named backend (``numpy`` to rule out
#: the compiled kernels when chasing a problem; archives are the same either way).
BACKEND_ENV = "OZARC_ENGINE_BACKEND"


def resolve_backend_name(name: str) -> str:
    """``auto`` -> $OZARC_ENGINE_BACKEND if set, else ``numba`` when numba imports, else
    ``numpy``; other names unchanged."""
    if name != "auto":
        return name
    forced = os.environ.get(BACKEND_ENV, "").strip()
    if forced and forced != "auto":
        return forced
    try:
        from ozarc.model.exact import fused
    except Exception:       # a numba that imports but cannot compile: the numpy code runs
        return "numpy"
    return "numba" if fused.AVAILABLE else "numpy"


def make_backend(name: str = DEFAULT_BACKEND):
    """``auto``, ``numpy``, ``numba``, ``torch`` (CPU), ``torch-cpu``, ``torch-cuda`` or
    ``cuda``.  All give the same integers; they differ in speed and in what they need."""
    name = resolve_backend_name(name)
    if name == "numpy":
        return NumpyBackend()
    if name == "numba":
        from ozarc.model.exact import fused

        if not fused.AVAILABLE:
            raise ValueError("engine backend 'numba' needs the numba package "
                             "(pip install numba), or use backend 'numpy'")
        return NumbaBackend()
    if name in ("torch", "torch-cpu"):
        return TorchBackend("cpu")
    if name in ("torch-cuda", "cuda"):
        return TorchBackend("cuda")
    raise ValueError(f"unknown engine backend {name!r} (auto, numpy, numba, torch, torch-cuda)")
