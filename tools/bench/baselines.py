"""The classical codecs ozarc is compared against, each behind one small interface.

A baseline codes one file (a :class:`~tools.bench.sets.Sample`) at a time: ``compress`` gives
the bytes it would store, ``decompress`` gives back what it decoded, and ``matches`` checks the
round trip (bytes for general-purpose codecs, pixels or samples for image and audio codecs).
``unavailable()`` says why a baseline cannot run here (module or binary missing); the harness
then skips it with that note.
"""

from __future__ import annotations

import bz2
import importlib.util
import io
import lzma
import os
import shutil
import subprocess
import tempfile
from abc import ABC, abstractmethod
from typing import ClassVar


class Baseline(ABC):
    name: ClassVar[str]
    kinds: ClassVar[frozenset[str]] = frozenset({"text", "image", "speech"})
    #: False when compress() only hands over bytes that already exist (PNG as given).
    timed_compress: ClassVar[bool] = True

    def unavailable(self) -> str | None:
        """None if this baseline can run here, else a note saying what is missing."""
        return None

    @abstractmethod
    def compress(self, sample) -> bytes: ...

    @abstractmethod
    def decompress(self, blob: bytes, sample) -> object: ...

    def matches(self, sample, decoded) -> bool:
        return decoded == sample.data


def _missing_module(module: str) -> str | None:
    return None if importlib.util.find_spec(module) else f"Python module {module!r} not installed"


# --- general-purpose byte codecs ---------------------------------------------------------

class Zstd19(Baseline):
    name = "zstd -19"
    long = False

    def _params(self, size: int):
        import zstandard

        extra = {"enable_ldm": True, "window_log": 27} if self.long else {}
        return zstandard.ZstdCompressionParameters.from_level(19, source_size=size, **extra)

    def compress(self, sample) -> bytes:
        import zstandard

        params = self._params(len(sample.data))
        return zstandard.ZstdCompressor(compression_params=params).compress(sample.data)

    def decompress(self, blob: bytes, sample) -> bytes:
        import zstandard

        return zstandard.ZstdDecompressor(max_window_size=1 << 27).decompress(blob)


class Zstd19Long(Zstd19):
    name = "zstd -19 --long"
    long = True


class Xz9e(Baseline):
    name = "xz -9e"

    def compress(self, sample) -> bytes:
        return lzma.compress(sample.data, preset=9 | lzma.PRESET_EXTREME)

    def decompress(self, blob: bytes, sample) -> bytes:
        return lzma.decompress(blob)


class Bzip2(Baseline):
    name = "bzip2 -9"

    def compress(self, sample) -> bytes:
        return bz2.compress(sample.data, 9)

    def decompress(self, blob: bytes, sample) -> bytes:
        return bz2.decompress(blob)


class Brotli(Baseline):
    name = "brotli -q 11"

    def unavailable(self) -> str | None:
        return _missing_module("brotli")

    def compress(self, sample) -> bytes:
        import brotli

        return brotli.compress(sample.data, quality=11, lgwin=24)

    def decompress(self, blob: bytes, sample) -> bytes:
        import brotli

        return brotli.decompress(blob)


class Ppmd(Baseline):
    """PPMd variant H, order 6, 16 MiB: 7-Zip's ``-m0=PPMd`` defaults."""

    name = "PPMd H o6"
    kinds = frozenset({"text"})
    ORDER, MEMORY = 6, 16 << 20

    def unavailable(self) -> str | None:
        return _missing_module("pyppmd")

    def compress(self, sample) -> bytes:
        import pyppmd

        encoder = pyppmd.Ppmd7Encoder(self.ORDER, self.MEMORY)
        return encoder.encode(sample.data) + encoder.flush(endmark=True)

    def decompress(self, blob: bytes, sample) -> bytes:
        import pyppmd

        return pyppmd.Ppmd7Decoder(self.ORDER, self.MEMORY).decode(blob, len(sample.data))


# --- image codecs (compared on decoded pixels) --------------------------------------------

class ImageBaseline(Baseline):
    kinds = frozenset({"image"})

    def matches(self, sample, decoded) -> bool:
        import numpy as np

        return decoded.shape == sample.pixels.shape and bool(np.array_equal(decoded, sample.pixels))


def _pixels_of(data: bytes, mode: str):
    import numpy as np
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert(mode)).copy()


class PngAsGiven(ImageBaseline):
    """The PNG file itself: its size is what a user already stores."""

    name = "PNG (as given)"
    timed_compress = False

    def compress(self, sample) -> bytes:
        return sample.data

    def decompress(self, blob: bytes, sample):
        return _pixels_of(blob, sample.image_mode)


class WebpLossless(ImageBaseline):
    name = "WebP lossless -m 6"

    def unavailable(self) -> str | None:
        from PIL import features

        return None if features.check("webp") else "Pillow was built without WebP"

    def compress(self, sample) -> bytes:
        from PIL import Image

        out = io.BytesIO()
        Image.fromarray(sample.pixels).save(out, "WEBP", lossless=True, quality=100, method=6,
                                            exact=True)
        return out.getvalue()

    def decompress(self, blob: bytes, sample):
        return _pixels_of(blob, sample.image_mode)


class JpegXl(ImageBaseline):
    """JPEG XL lossless (``-d 0``) through ``cjxl``/``djxl``, else ``imagecodecs``."""

    effort = 7
    name = "JPEG XL lossless e7 (default)"

    def unavailable(self) -> str | None:
        if shutil.which("cjxl") and shutil.which("djxl"):
            return None
        if importlib.util.find_spec("imagecodecs"):
            import imagecodecs

            if getattr(imagecodecs, "JPEGXL", None) and imagecodecs.JPEGXL.available:
                return None
        return "neither cjxl/djxl on PATH nor imagecodecs with JPEG XL"

    def compress(self, sample) -> bytes:
        if shutil.which("cjxl"):
            with tempfile.TemporaryDirectory() as tmp:
                src, dst = os.path.join(tmp, "in.png"), os.path.join(tmp, "out.jxl")
                _write_png(sample, src)
                subprocess.run(["cjxl", src, dst, "-d", "0", "-e", str(self.effort), "--quiet"],
                               check=True, capture_output=True)
                with open(dst, "rb") as f:
                    return f.read()
        import imagecodecs

        return bytes(imagecodecs.jpegxl_encode(sample.pixels, lossless=True, effort=self.effort))

    def decompress(self, blob: bytes, sample):
        if shutil.which("djxl"):
            with tempfile.TemporaryDirectory() as tmp:
                src, dst = os.path.join(tmp, "in.jxl"), os.path.join(tmp, "out.png")
                with open(src, "wb") as f:
                    f.write(blob)
                subprocess.run(["djxl", src, dst, "--quiet"], check=True, capture_output=True)
                with open(dst, "rb") as f:
                    return _pixels_of(f.read(), sample.image_mode)
        import imagecodecs

        return imagecodecs.jpegxl_decode(blob)


class JpegXlMax(JpegXl):
    effort = 9
    name = "JPEG XL lossless e9 (highest)"


def _write_png(sample, path: str) -> None:
    from PIL import Image

    Image.fromarray(sample.pixels).save(path, "PNG", compress_level=1)


# --- speech ---------------------------------------------------------------------------------

class Flac8(Baseline):
    """FLAC -8 through the ``flac`` binary if on PATH, else libsndfile (level 1.0 = 8)."""

    name = "FLAC -8"
    kinds = frozenset({"speech"})

    def compress(self, sample) -> bytes:
        if shutil.which("flac"):
            done = subprocess.run(["flac", "-8", "--silent", "--stdout", "-"], input=sample.data,
                                  check=True, capture_output=True)
            return done.stdout
        import soundfile

        out = io.BytesIO()
        soundfile.write(out, sample.pcm, sample.samplerate, subtype="PCM_16", format="FLAC",
                        compression_level=1.0)
        return out.getvalue()

    def decompress(self, blob: bytes, sample):
        import soundfile

        samples, _rate = soundfile.read(io.BytesIO(blob), dtype="int16", always_2d=False)
        return samples

    def matches(self, sample, decoded) -> bool:
        import numpy as np

        return decoded.shape == sample.pcm.shape and bool(np.array_equal(decoded, sample.pcm))


ALL_BASELINES: tuple[Baseline, ...] = (
    Zstd19(), Zstd19Long(), Xz9e(), Bzip2(), Brotli(), Ppmd(),
    PngAsGiven(), WebpLossless(), JpegXl(), JpegXlMax(), Flac8(),
)


def baseline_by_name(name: str) -> Baseline:
    for baseline in ALL_BASELINES:
        if baseline.name == name:
            return baseline
    raise KeyError(name)


def baselines_for(kind: str) -> list[Baseline]:
    return [b for b in ALL_BASELINES if kind in b.kinds]
