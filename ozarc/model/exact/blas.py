"""Keep numpy's BLAS to one thread while the engine runs.

Why: the engine's matmuls are small (batch x width), and OpenBLAS's worker threads spin on
barriers: on a machine whose other cores are busy (other archiver workers, other programs)
a 2-thread product measured 3-5x slower than a 1-thread one.  Results do not depend on the
thread count (the products are exact); only speed does.  This finds the OpenBLAS library
numpy loaded and calls its ``set_num_threads``; where that is impossible it does nothing.
"""

from __future__ import annotations

import ctypes
import re

_SYMBOLS = ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads",
            "openblas_set_num_threads64_", "openblas_set_num_threads")
_setters: list | None = None


def _openblas_libraries() -> list[str]:
    try:
        with open("/proc/self/maps") as fh:
            maps = fh.read()
    except OSError:
        return []
    return sorted(set(re.findall(r"(/\S*openblas\S*\.so\S*)", maps)))


def _find_setters() -> list:
    found = []
    for path in _openblas_libraries():
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for symbol in _SYMBOLS:
            setter = getattr(lib, symbol, None)
            if setter is not None:
                found.append(setter)
                break
    return found


def limit_blas_threads(n: int = 1) -> bool:
    """Set OpenBLAS (as loaded by numpy) to ``n`` threads; True if it could be done."""
    global _setters
    if _setters is None:
        _setters = _find_setters()
    for setter in _setters:
        setter(ctypes.c_int(n))
    return bool(_setters)
