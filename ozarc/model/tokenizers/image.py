"""Image tokens: 16x16 patches, each an independent sequence of sub-pixel bytes.

Patches are taken in raster order over the image; inside a patch, pixels in raster order with
their channels interleaved (R,G,B for RGB): 768 symbols for a full RGB patch, 256 for gray.
Edge patches of an image whose sides are not multiples of 16 are coded as they are, without
padding: a (ph, pw) edge patch is a shorter sequence of ph*pw*c symbols, so no padding bytes
are ever coded.  Symbols are the byte values 0..255.
"""

from __future__ import annotations

import numpy as np

PATCH = 16


def _check_geometry(n_bytes: int, height: int, width: int, channels: int) -> None:
    if min(height, width, channels) < 1 or height * width * channels != n_bytes:
        raise ValueError(f"{n_bytes} bytes do not make a {height}x{width}x{channels} image")


def patch_lengths(height: int, width: int, channels: int) -> list[int]:
    """Sequence lengths in patch order (what the decoder needs before any symbol)."""
    rows = [min(PATCH, height - y) for y in range(0, height, PATCH)]
    cols = [min(PATCH, width - x) for x in range(0, width, PATCH)]
    return [ph * pw * channels for ph in rows for pw in cols]


def image_to_sequences(pixels: bytes, height: int, width: int, channels: int) -> list[np.ndarray]:
    """Cut row-major interleaved pixels into patch sequences (uint8 arrays), raster patch order."""
    _check_geometry(len(pixels), height, width, channels)
    image = np.frombuffer(pixels, dtype=np.uint8).reshape(height, width, channels)
    n_full = width // PATCH
    sequences: list[np.ndarray] = []
    for y in range(0, height, PATCH):
        band = image[y:y + PATCH]
        ph = band.shape[0]
        full = band[:, :n_full * PATCH].reshape(ph, n_full, PATCH * channels).transpose(1, 0, 2)
        sequences.extend(full.reshape(n_full, ph * PATCH * channels))
        if width % PATCH:
            sequences.append(band[:, n_full * PATCH:].reshape(-1))
    return sequences


def sequences_to_image(sequences: list[np.ndarray], height: int, width: int, channels: int) -> bytes:
    """Inverse of :func:`image_to_sequences`: the exact pixel bytes."""
    expected = patch_lengths(height, width, channels)
    if [len(s) for s in sequences] != expected:
        raise ValueError("patch sequences do not match the image geometry")
    image = np.empty((height, width, channels), dtype=np.uint8)
    n_full = width // PATCH
    per_band = n_full + (1 if width % PATCH else 0)
    for band_index, y in enumerate(range(0, height, PATCH)):
        band_seqs = sequences[band_index * per_band:(band_index + 1) * per_band]
        ph = min(PATCH, height - y)
        if n_full:
            full = np.stack(band_seqs[:n_full]).reshape(n_full, ph, PATCH * channels)
            image[y:y + ph, :n_full * PATCH] = full.transpose(1, 0, 2).reshape(ph, n_full * PATCH, channels)
        if width % PATCH:
            image[y:y + ph, n_full * PATCH:] = np.asarray(band_seqs[-1]).reshape(ph, width % PATCH, channels)
    return image.tobytes()
