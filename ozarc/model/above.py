"""The above-pixel input: each image sub-pixel is predicted knowing the same channel one
pixel row up in its patch.

Why: a patch is coded in raster order (R, G, B interleaved), so the pixel above the one being
coded lies a whole patch row back (48 tokens in a full RGB patch) and the recurrent state
keeps little of it (MODELS.md, "Where the bits go").  A model whose config has
``above_pixel`` adds, after LN0, one more embedding row chosen by that symbol (or by
``ABOVE_NONE`` in a patch's first row).  The row stride of a patch is its width times its
channels, so it is known before any symbol: narrow right-edge patches have a shorter row.

The float network (training) and the exact engine (coding) both take their inputs from
:func:`above_symbols`, so they see the same thing by construction.
"""

from __future__ import annotations

import numpy as np

from ozarc.modality import Modality
from ozarc.model.tokenizers.image import PATCH
from ozarc.model.vocab import N_BYTE_SYMBOLS

ABOVE_NONE = N_BYTE_SYMBOLS          # "no pixel above": a patch's first row, or not an image
N_ABOVE = N_BYTE_SYMBOLS + 1         # rows of the above-pixel table
IMAGE_CHANNELS = {Modality.IMAGE_RGB: 3, Modality.IMAGE_GRAY: 1}


def uses_above(modality: Modality) -> bool:
    """True for the modalities the above-pixel input applies to (images)."""
    return Modality(modality) in IMAGE_CHANNELS


def full_patch_row(modality: Modality) -> int:
    """Tokens between a sub-pixel and the one above it in a full-width patch (0: none)."""
    return PATCH * IMAGE_CHANNELS.get(Modality(modality), 0)


def patch_rows(height: int, width: int, channels: int) -> list[int]:
    """Each patch's row stride in tokens (its width times ``channels``), in the patch order
    of ``ozarc.model.tokenizers.image.image_to_sequences``."""
    cols = [min(PATCH, width - x) * channels for x in range(0, width, PATCH)]
    return cols * len(range(0, height, PATCH))


def above_symbols(symbols: np.ndarray, rows) -> np.ndarray:
    """[B, T] modality-local symbols and [B] row strides -> [B, T]: at position t (the one
    predicting ``symbols[:, t]``) the symbol ``symbols[:, t - row]``, or ``ABOVE_NONE`` where
    ``t < row`` or the lane's row is 0."""
    symbols = np.asarray(symbols, dtype=np.int64)
    B, T = symbols.shape
    rows = np.broadcast_to(np.asarray(rows, dtype=np.int64), (B,))
    t = np.arange(T)[None, :]
    source = t - rows[:, None]
    valid = (rows[:, None] > 0) & (source >= 0)
    picked = np.take_along_axis(symbols, np.clip(source, 0, max(T - 1, 0)), axis=1) if T else symbols
    return np.where(valid, picked, ABOVE_NONE)
