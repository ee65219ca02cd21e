"""The images of a folder as pixel arrays, for the experiments that measure on them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

#: Pillow modes read as gray (as tools/model_eval.py does); everything else as RGB
GRAY_MODES = ("L", "LA", "I;16", "I")


def folder_pixels(folder: Path) -> Iterator[tuple[Path, np.ndarray]]:
    """(path, [H, W, C] uint8 pixels, C = 1 or 3) for every file under ``folder`` that Pillow
    decodes, in name order; other files are skipped."""
    from PIL import Image

    for path in sorted(f for f in Path(folder).rglob("*") if f.is_file()):
        try:
            with Image.open(path) as im:
                pixels = np.asarray(im.convert("L" if im.mode in GRAY_MODES else "RGB"))
        except OSError:
            continue
        yield path, pixels.reshape(pixels.shape[0], pixels.shape[1], -1)
