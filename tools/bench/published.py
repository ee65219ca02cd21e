"""Figures published in the OmniZip paper, shown beside (never mixed with) our measurements.

They are copied from the paper, not measured here; the text set is Canterbury+Calgary, not
enwik9, so the paper's enwik9 figures do not apply to it and are shown as n/a.
"""

from __future__ import annotations

#: set name -> the paper's bits/Byte (S = small model, L = large model).
OMNIZIP_PUBLISHED = {
    "kodak": "L 2.925",
    "librispeech": "S 4.155 / L 3.810",
    "text": "n/a (paper: enwik9 S 1.370 / L 0.980)",
}


def published_for(set_name: str) -> str:
    return OMNIZIP_PUBLISHED.get(set_name.lower(), "n/a")
