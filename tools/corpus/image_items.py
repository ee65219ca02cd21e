"""Image candidates (RGB and grayscale) from the pinned packages.

Decodes each member, turns it into a clean 8-bit image (JPEGs downscaled until
no block grid is left, cut-outs reduced to their fully opaque rectangle,
palette images kept only when their palette is gray), drops bench copies and
exact duplicates, and yields candidates group by group in a fixed shuffled
order so the budget takes a spread of each source.
"""

from __future__ import annotations

import bz2
import io
import logging
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
from PIL import Image

from . import sources as S
from .candidates import Candidate, Collector, member_path, read_member
from .dedupe import content_hash
from .fetch import Fetched
from .imaging import (BLOCKINESS_LIMIT, JPEG_BLOCK, bt601_luma, blockiness_ratio, clean_jpeg_pixels,
                      factor_for_quantiser, largest_opaque_rect)
from .selection import shuffled
from .shards import deflated_size

log = logging.getLogger(__name__)

MIN_SIDE = 32
STAMP_MAX_FLAT = 0.3  # stamps with more identical neighbours are clip art, not photos
MIN_STD = 2.0  # flat crops (sky, fog) teach nothing
WALLPAPER_PHOTOS = ("BytheWater", "ColdRipple", "ColorfulCups", "DarkestHour", "EveningGlow", "FallenLeaf",
                    "Grey", "Kite", "OneStandsOut", "Path", "summer_1am")
SKIMAGE_PHOTOS = ("astronaut.png", "chelsea.png", "coffee.png", "motorcycle_left.png", "motorcycle_right.png",
                  "ihc.png", "hubble_deep_field.jpg", "retina.jpg", "rocket.jpg")
SKIMAGE_GRAY = ("camera.png", "moon.png", "coins.png", "page.png", "text.png", "brick.png", "grass.png",
                "gravel.png", "cell.png", "clock_motion.png", "microaneurysms.png")
STELLARIUM_LANDSCAPES = ("garching", "grossmugl", "guereins", "hurricane", "trees", "ocean", "mars", "moon")
_OVERLAY_WORDS = ("fog", "illum", "lgt")

def image_from_pil(im: Image.Image) -> tuple[np.ndarray, str] | str:
    """Clean uint8 pixels (HxW gray or HxWx3 RGB) and a note, or why it is skipped."""
    note = []
    if im.format == "JPEG":
        quant = getattr(im, "quantization", None) or {0: [50]}
        k = factor_for_quantiser(float(np.mean(quant[0])))
        arr = _collapse_gray(np.asarray(im.convert("L" if im.mode == "L" else "RGB")), note)
        cleaned = clean_jpeg_pixels(arr, k)
        if cleaned is None:
            return "JPEG grid left at k=8"
        arr, used, ratio = cleaned
        note.append(f"jpeg k={used} grid={ratio:.3f}")
    else:
        was_palette = im.mode == "P"
        arr = _png_pixels(im)
        if arr is None:
            return "no opaque rectangle >= 32 px or unsupported mode"
        arr = _collapse_gray(arr, note)
        if was_palette and arr.ndim == 3:
            return "colour palette (quantised colours)"
        if arr.ndim == 3 and arr.shape[0] * arr.shape[1] > 4096 and count_colours(arr) <= 256:
            return "<= 256 colours (quantised or drawn)"
        if blockiness_ratio(arr, JPEG_BLOCK) > BLOCKINESS_LIMIT:
            cleaned = clean_jpeg_pixels(arr, 2)
            if cleaned is None:
                return "JPEG grid left at k=8"
            arr, used, ratio = cleaned
            note.append(f"jpeg-origin k={used} grid={ratio:.3f}")
    if min(arr.shape[0], arr.shape[1]) < MIN_SIDE:
        return "smaller than 32 px"
    if float(arr.std()) < MIN_STD:
        return "flat"
    return np.ascontiguousarray(arr), " ".join(note)


def _collapse_gray(arr: np.ndarray, note: list[str]) -> np.ndarray:
    """An RGB image whose three channels are equal, as HxW gray."""
    if arr.ndim == 3 and np.array_equal(arr[..., 0], arr[..., 1]) and np.array_equal(arr[..., 1], arr[..., 2]):
        note.append("gray-in-rgb")
        return np.ascontiguousarray(arr[..., 0])
    return arr


def count_colours(rgb: np.ndarray) -> int:
    """Number of distinct RGB triples."""
    packed = rgb.astype(np.uint32) @ np.array([1 << 16, 1 << 8, 1], dtype=np.uint32)
    return int(np.unique(packed).size)


def flat_fraction(img: np.ndarray) -> float:
    """Share of horizontally adjacent pixel pairs that are identical (drawings score high)."""
    steps = np.diff(img.astype(np.int16), axis=1)
    same = steps == 0 if steps.ndim == 2 else (steps == 0).all(axis=-1)
    return float(same.mean()) if same.size else 1.0


def _png_pixels(im: Image.Image) -> np.ndarray | None:
    mode = im.mode
    if mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
        mode = im.mode
    if mode in ("RGBA", "LA"):
        a = np.asarray(im)
        top, left, h, w = largest_opaque_rect(a[..., -1])
        if h < MIN_SIDE or w < MIN_SIDE:
            return None
        return a[top:top + h, left:left + w, :-1].squeeze(-1) if mode == "LA" else a[top:top + h, left:left + w, :3]
    if mode in ("RGB", "L"):
        return np.asarray(im)
    return None


class ImageCollector(Collector):
    """Produces image candidates, remembering what it has seen to drop duplicates."""

    def _candidate(self, fetched: Fetched, path: Path, want_gray: bool,
                   loader: Callable[[bytes], np.ndarray] | None = None, max_flat: float = 1.0) -> Candidate | None:
        data, sha = read_member(path)
        if self.bench.is_bench_file(data):
            self._reject("bench file")
            return None
        try:
            decoded = Image.fromarray(loader(data)) if loader else Image.open(io.BytesIO(data))
            decoded.load()
            if self.bench.is_bench_content(np.asarray(decoded)):
                self._reject("bench content")
                return None
            prepared = image_from_pil(decoded)
        except (OSError, ValueError) as exc:
            log.warning("skipping %s: %s", path, exc)
            self._reject("undecodable")
            return None
        if isinstance(prepared, str):
            self._reject(prepared)
            return None
        arr, note = prepared
        if (arr.ndim == 2) != want_gray:
            return None
        if flat_fraction(arr) > max_flat:
            self._reject("drawing (many identical neighbours)")
            return None
        h = content_hash(arr)
        if h in self.seen or self.bench.is_bench_content(arr):
            self._reject("duplicate")
            return None
        self.seen.add(h)
        member = member_path(fetched, path)
        return Candidate(fetched, member, sha, arr, deflated_size(arr), note)

    def _stream(self, src: S.PackageSource, paths_of: Callable[[Path], list[Path]], want_gray: bool,
                loader=None, max_flat: float = 1.0) -> Iterator[Candidate]:
        fetched = self.fetch(src)
        paths = paths_of(fetched.root)
        by_member = {member_path(fetched, p): p for p in paths}
        for member in shuffled(by_member):
            cand = self._candidate(fetched, by_member[member], want_gray, loader, max_flat)
            if cand is not None:
                yield cand

    # ---- RGB -----------------------------------------------------------------
    def rgb_photos(self) -> Iterator[Candidate]:
        """Ordinary photographs: wallpapers, library sample photos, landscapes."""
        yield from self._stream(S.WALLPAPERS, _largest_wallpapers, want_gray=False)
        yield from self._stream(S.SKLEARN, lambda r: _glob(r, "sklearn/datasets/images/*.jpg"), False)
        yield from self._stream(S.MATPLOTLIB, lambda r: _glob(r, "matplotlib/mpl-data/sample_data/grace_hopper.jpg"), False)
        yield from self._stream(S.SKIMAGE, lambda r: _named(r / "skimage/data", SKIMAGE_PHOTOS), False)
        yield from self._stream(S.SCIPY, lambda r: _glob(r, "scipy/misc/face.dat"), False, loader=_scipy_face)
        yield from self._stream(S.STELLARIUM, _landscapes, want_gray=False)

    def rgb_stamps(self) -> Iterator[Candidate]:
        yield from self._stream(S.TUXPAINT, _stamp_photos, False, max_flat=STAMP_MAX_FLAT)

    def rgb_nebulae(self) -> Iterator[Candidate]:
        yield from self._stream(S.STELLARIUM, _nebulae, want_gray=False)

    # ---- gray ----------------------------------------------------------------
    def gray_photos(self) -> Iterator[Candidate]:
        """Real 8-bit grayscale photographs and scans."""
        yield from self._stream(S.SKIMAGE, lambda r: _named(r / "skimage/data", SKIMAGE_GRAY), True)
        yield from self._stream(S.PYWAVELETS, lambda r: _named(r / "pywt/data", ("camera.npz", "ascent.npz", "aero.npz")),
                                True, loader=_npz_data)
        yield from self._stream(S.WALLPAPERS, _largest_wallpapers, want_gray=True)
        yield from self._stream(S.STELLARIUM, _landscapes, want_gray=True)

    def gray_stamps(self) -> Iterator[Candidate]:
        yield from self._stream(S.TUXPAINT, _stamp_photos, True, max_flat=STAMP_MAX_FLAT)

    def gray_nebulae(self) -> Iterator[Candidate]:
        yield from self._stream(S.STELLARIUM, _nebulae, want_gray=True)

    def gray_luma(self, rgb: list[Candidate]) -> Iterator[Candidate]:
        """BT.601 luma of chosen RGB photos (same source member, so same split)."""
        for cand in rgb:
            y = bt601_luma(cand.payload)
            h = content_hash(y)
            if h in self.seen:
                continue
            self.seen.add(h)
            yield Candidate(cand.fetched, cand.member, cand.sha256, y, deflated_size(y),
                            (cand.note + " bt601-luma").strip())


def _glob(root: Path, pattern: str) -> list[Path]:
    return sorted(p for p in root.glob(pattern) if p.is_file())


def _named(folder: Path, names) -> list[Path]:
    return [folder / n for n in names if (folder / n).is_file()]


def _largest_wallpapers(root: Path) -> list[Path]:
    """The largest-resolution JPEG of each listed photo wallpaper."""
    out = []
    for name in WALLPAPER_PHOTOS:
        files = list((root / "usr/share/wallpapers" / name / "contents/images").glob("*x*.jpg"))
        if files:
            out.append(max(files, key=lambda p: (_pixels(p.stem), p.name)))
    return out


def _pixels(stem: str) -> int:
    w, _, h = stem.partition("x")
    return int(w) * int(h) if w.isdigit() and h.isdigit() else 0


def _landscapes(root: Path) -> list[Path]:
    base = root / "usr/share/stellarium/landscapes"
    files = []
    for name in STELLARIUM_LANDSCAPES:
        files += [p for p in _glob(base / name, "*.png") if not any(w in p.name for w in _OVERLAY_WORDS)]
    return files


def _stamp_photos(root: Path) -> list[Path]:
    """Tuxpaint stamp PNGs outside the ``cartoon`` folders (those are drawings)."""
    return [p for p in _glob(root, "usr/share/tuxpaint/stamps/**/*.png") if "cartoon" not in p.parts]


def _nebulae(root: Path) -> list[Path]:
    return _glob(root, "usr/share/stellarium/nebulae/default/*.png")


def _scipy_face(data: bytes) -> np.ndarray:
    """scipy 1.9.3's face.dat: bz2 of raw 768x1024x3 uint8 (no pickle)."""
    return np.frombuffer(bz2.decompress(data), dtype=np.uint8).reshape(768, 1024, 3).copy()


def _npz_data(data: bytes) -> np.ndarray:
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        arr = npz["data"]
    if arr.dtype != np.uint8 or arr.ndim != 2:
        raise ValueError("not an 8-bit grayscale image")
    return arr
