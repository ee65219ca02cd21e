"""Pure pixel operations that turn package images into clean training images.

JPEG photos carry 8x8 block statistics that the bench (lossless Kodak) lacks, so
they are shrunk by an integer factor with exact integer area averaging, cropped
so that no averaging cell straddles a JPEG block, and then checked for leftover
block edges. RGBA cut-outs are reduced to their largest fully opaque rectangle
because transparent pixels hold junk. All arithmetic is integer so the corpus
bytes do not depend on the machine.
"""

from __future__ import annotations

import numpy as np

JPEG_BLOCK = 8
BLOCKINESS_LIMIT = 1.05
MAX_FACTOR = 8

# Mean of the luma quantiser table at which a factor suffices (data-sources.md):
# q >= ~97 (mean <= ~3.5) needs 2, q85-95 (mean <= ~17.3) needs 4, worse needs 8.
_FACTOR_BY_MEAN_QUANT = ((3.5, 2), (17.3, 4))


def crop_to_multiple(img: np.ndarray, k: int) -> np.ndarray:
    """Drop bottom rows and right columns so height and width divide by ``k``.

    Pixel (0, 0) is kept, so k x k cells stay aligned with the JPEG block grid
    whenever ``k`` divides 8.
    """
    h = img.shape[0] - img.shape[0] % k
    w = img.shape[1] - img.shape[1] % k
    return img[:h, :w]


def area_downscale(img: np.ndarray, k: int) -> np.ndarray:
    """Shrink a uint8 image (HxW or HxWxC) by ``k`` with exact area averaging.

    Each output pixel is the mean of one k x k cell rounded half up, computed in
    integers. Bottom/right remainders are cropped first.
    """
    if k < 1:
        raise ValueError(f"downscale factor must be >= 1, got {k}")
    img = crop_to_multiple(np.asarray(img), k)
    if k == 1:
        return img.astype(np.uint8, copy=True)
    h, w = img.shape[0] // k, img.shape[1] // k
    cells = img.astype(np.int64).reshape((h, k, w, k) + img.shape[2:])
    total = cells.sum(axis=(1, 3))
    area = k * k
    return ((total + area // 2) // area).astype(np.uint8)


def blockiness_ratio(img: np.ndarray, period: int) -> float:
    """Mean |step| across grid lines every ``period`` px over the mean elsewhere.

    A grid line lies between columns (rows) ``m*period - 1`` and ``m*period``.
    About 1.0 means no visible grid; a JPEG block grid shows as > 1. A period of
    1 (every boundary is a grid line) has no reference and returns 1.0.
    """
    if period <= 1:
        return 1.0
    a = np.asarray(img).astype(np.int64)
    if a.ndim == 2:
        a = a[:, :, None]
    on_sum = off_sum = 0
    on_n = off_n = 0
    for axis in (0, 1):
        steps = np.abs(np.diff(a, axis=axis))
        # step i lies between pixel i and i+1: a grid step when (i+1) % period == 0
        idx = np.arange(steps.shape[axis])
        on = (idx + 1) % period == 0
        on_steps = np.compress(on, steps, axis=axis)
        off_steps = np.compress(~on, steps, axis=axis)
        on_sum += int(on_steps.sum())
        on_n += on_steps.size
        off_sum += int(off_steps.sum())
        off_n += off_steps.size
    if on_n == 0 or off_n == 0 or off_sum == 0:
        return 1.0
    return (on_sum / on_n) / (off_sum / off_n)


def factor_for_quantiser(mean_luma_quant: float) -> int:
    """The downscale factor a JPEG needs given the mean of its luma quantiser table."""
    for limit, k in _FACTOR_BY_MEAN_QUANT:
        if mean_luma_quant <= limit:
            return k
    return MAX_FACTOR


def clean_jpeg_pixels(img: np.ndarray, k: int) -> tuple[np.ndarray, int, float] | None:
    """Downscale by ``k`` (doubling up to 8) until no block grid is left.

    Returns (image, factor used, blockiness ratio) or None when even factor 8
    leaves a grid above ``BLOCKINESS_LIMIT``.
    """
    while k <= MAX_FACTOR:
        small = area_downscale(img, k)
        ratio = blockiness_ratio(small, JPEG_BLOCK // k)
        if ratio <= BLOCKINESS_LIMIT:
            return small, k, ratio
        k *= 2
    return None


def largest_opaque_rect(alpha: np.ndarray, opaque: int = 255) -> tuple[int, int, int, int]:
    """(top, left, height, width) of the largest all-opaque axis-aligned rectangle.

    Classic maximal rectangle over a binary mask: column heights of opaque runs
    per row, then the largest rectangle under each row's histogram with a stack.
    Returns (0, 0, 0, 0) when no pixel is opaque.
    """
    mask = np.asarray(alpha) >= opaque
    rows, cols = mask.shape
    heights = np.zeros(cols, dtype=np.int64)
    best = (0, 0, 0, 0)
    best_area = 0
    for r in range(rows):
        heights = np.where(mask[r], heights + 1, 0)
        hs = heights.tolist() + [0]
        stack: list[int] = []
        for c, h in enumerate(hs):
            while stack and hs[stack[-1]] >= h:
                top = stack.pop()
                height = hs[top]
                left = stack[-1] + 1 if stack else 0
                area = height * (c - left)
                if area > best_area:
                    best_area = area
                    best = (r - height + 1, left, height, c - left)
            stack.append(c)
    return best


def bt601_luma(rgb: np.ndarray) -> np.ndarray:
    """ITU-R BT.601 luma of a uint8 RGB image, rounded half up, in integers."""
    a = np.asarray(rgb).astype(np.int64)
    y = 299 * a[..., 0] + 587 * a[..., 1] + 114 * a[..., 2]
    return ((y + 500) // 1000).astype(np.uint8)
