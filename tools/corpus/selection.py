"""Deterministic choices: which split a source file goes to, in what order items are
taken, and how a byte budget is shared between sources.

Everything is derived from sha256 of stable keys (package/member), never from
random state or directory listing order, so the same packages give the same
corpus.
"""

from __future__ import annotations

import hashlib

HOLDOUT_PER_MILLE = 50  # ~5 % held out
TRAIN = "train"
HELDOUT = "heldout"
MAX_MISFITS = 50


def _key_int(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


def split_of(key: str, holdout_per_mille: int = HOLDOUT_PER_MILLE) -> str:
    """``HELDOUT`` for about ``holdout_per_mille``/1000 of keys, else ``TRAIN``.

    The decision depends on the key alone, so a source file keeps its split
    whatever else is added to the corpus.
    """
    return HELDOUT if _key_int("split:" + key) % 1000 < holdout_per_mille else TRAIN


def shuffled(keys, seed: str = "ozarc-corpus-1") -> list:
    """Keys in a fixed pseudo-random order (sha256 of seed and key), ties by key."""
    return sorted(keys, key=lambda k: (_key_int(seed + ":" + str(k)), str(k)))


def fill_in_order(groups, budget: int, size) -> dict[str, list]:
    """Share ``budget`` between groups (name, weight, items) taken in the given order.

    Each group may use ``left * weight / remaining weights``; what a group leaves
    unused flows to the groups after it, so put small groups first. Items are
    taken in iteration order; one that does not fit is skipped, and a group stops
    after MAX_MISFITS items in a row did not fit (it is full). ``size(item)``
    gives an item's cost in bytes. Works with lazy iterables.
    """
    if budget < 0:
        raise ValueError("budget must be >= 0")
    chosen: dict[str, list] = {}
    left = budget
    weight_left = sum(w for _, w, _ in groups)
    for name, weight, items in groups:
        cap = int(left * weight / weight_left) if weight_left > 0 else 0
        weight_left -= weight
        used = 0
        picked = []
        misfits = 0
        for item in items:
            if cap - used < 1024 or misfits >= MAX_MISFITS:
                break
            s = size(item)
            if used + s <= cap:
                picked.append(item)
                used += s
                misfits = 0
            else:
                misfits += 1
        chosen[name] = picked
        left -= used
    return chosen
