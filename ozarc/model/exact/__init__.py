"""The exact integer inference engine: frequency tables that are identical on every machine.

See engine.py (the API the neural codec uses), block.py (the integer network), kernels.py
(the rounding), fixed.py (number formats, bounds, tables), backend.py (numba -- the default
--, numpy, torch) and fused.py (the numba backend's compiled loops).
"""

from ozarc.model.exact.engine import EngineState, ExactModel
from ozarc.model.exact.reference import random_float_weights

__all__ = ["EngineState", "ExactModel", "random_float_weights"]
