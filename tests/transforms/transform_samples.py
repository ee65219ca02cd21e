"""Shared helpers for the transform tests: fixture paths, sample images, round-trip checks."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image

from ozarc.transforms import join_from_archive, split_for_archive

MEDIA = Path(__file__).resolve().parents[2] / "fixtures" / "media"
MODES = ("1", "L", "LA", "RGB", "RGBA", "P", "I;16")


def media(pattern: str) -> list[Path]:
    files = sorted(MEDIA.glob(pattern))
    assert files, f"no fixtures match {pattern}"
    return files


def sample_image(mode: str, h: int, w: int, seed: int) -> Image.Image:
    """A picture mixing smooth and noisy regions, so encoders pick varied row filters."""
    rng = np.random.default_rng(seed)
    if mode == "1":
        return Image.fromarray(rng.random((h, w)) < 0.5)
    bands = {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4, "P": 3, "I;16": 1}[mode]
    y, x = np.mgrid[0:h, 0:w]
    smooth = (x * 7 + y * 3 + seed)[..., None] + np.arange(bands) * 40
    noise = rng.integers(0, 256, (h, w, bands))
    pick = rng.random((h, 1, 1)) < 0.3
    px = np.where(pick, noise, smooth)
    if mode == "I;16":
        arr = (px[..., 0] * 251 + rng.integers(0, 256, (h, w))).astype("<u2")
        return Image.frombytes("I;16", (w, h), arr.tobytes())
    px = (px % 256).astype(np.uint8)
    if mode == "P":
        return Image.fromarray(px, "RGB").convert("P", palette=Image.Palette.ADAPTIVE, colors=17)
    return Image.fromarray(px[..., 0] if bands == 1 else px, mode)


def png_bytes(im: Image.Image, level: int) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "PNG", compress_level=level)
    return buf.getvalue()


def encode(im: Image.Image, fmt: str) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt)
    return buf.getvalue()


def round_trip(data: bytes):
    """split_for_archive + join_from_archive; asserts the bytes come back and returns the split."""
    split = split_for_archive(data)
    rebuilt = join_from_archive(split.transform_id, split.recipe, [s.data for s in split.streams])
    assert rebuilt == data
    return split


def assert_falls_back(data: bytes, transform) -> None:
    """``transform`` refuses ``data`` with TransformError and the archive stores it as is."""
    import pytest

    from ozarc.errors import TransformError

    with pytest.raises(TransformError):
        transform.split(data)
    split = round_trip(data)
    assert split.transform_id == 0 and split.recipe == b""


def pillow_planes(data: bytes) -> list[np.ndarray]:
    """What the image streams must hold, decoded independently by Pillow.

    Colour (RGB/L/palette indices) first, then alpha; for 16-bit gray the high then low bytes.
    """
    with Image.open(io.BytesIO(data)) as im:
        mode = im.mode
        if mode == "I;16":
            wide = np.frombuffer(im.tobytes(), "<u2").reshape(im.size[1], im.size[0])
            return [(wide >> 8).astype(np.uint8)[..., None], (wide & 0xFF).astype(np.uint8)]
        arr = np.asarray(im.convert("L") if mode == "1" else im)
    if arr.ndim == 2:
        arr = arr[..., None]
    if mode in ("LA", "RGBA"):
        return [arr[..., :-1], arr[..., -1:]]
    return [arr]
