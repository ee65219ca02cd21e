"""Array backends of the exact engine: numpy (default), torch CPU and torch CUDA.

Why: the integer kernels are written once against this small interface, so every backend
runs the same operations and produces the same integers.  Arithmetic operators (+ - * >> //
comparisons, indexing, reshape) are shared by numpy arrays and torch tensors; only the calls
whose names differ go through a backend.  Exactness does not depend on the backend: int64
elementwise arithmetic is exact, and float64 matmuls are exact because every partial sum is
an integer below 2**53 (fixed.py), whatever the summation order, thread count or device.
"""

from __future__ import annotations

import numpy as np

from ozarc.model.exact.blas import limit_blas_threads

_clip_ufunc = np._core.umath.clip if hasattr(np, "_core") else np.core.umath.clip


class NumpyBackend:
    """int64 numpy arrays; float64 BLAS matmuls (OpenBLAS held to ``blas_threads``)."""

    name = "numpy"

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
        lead = x.shape[:-1]
        flat = x.reshape(-1, x.shape[-1]).astype(np.float64)
        return np.matmul(flat, w).astype(np.int64).reshape(*lead, w.shape[1])

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


class TorchBackend:
    """int64 torch tensors on one device; float64 matmuls (CPU BLAS or cuBLAS DGEMM)."""

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


def make_backend(name: str = "numpy"):
    """``numpy``, ``torch`` (CPU), ``torch-cpu``, ``torch-cuda`` or ``cuda``."""
    if name == "numpy":
        return NumpyBackend()
    if name in ("torch", "torch-cpu"):
        return TorchBackend("cpu")
    if name in ("torch-cuda", "cuda"):
        return TorchBackend("cuda")
    raise ValueError(f"unknown engine backend {name!r} (numpy, torch, torch-cuda)")
