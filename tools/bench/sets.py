"""Benchmark sets: a folder of files of one kind, and the decoded form codecs compare against.

A set's kind decides which baselines apply and how bits/Byte is counted: ``image`` sets count
per byte of the decoded raw pixels (sub-pixel bytes) as well as per byte of the files as given;
``speech`` and ``text`` sets count per file byte.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, field
from pathlib import Path

IMAGE_SUFFIXES = {".png", ".bmp", ".ppm", ".pgm", ".tif", ".tiff", ".webp"}
SPEECH_SUFFIXES = {".wav", ".flac"}

DEFAULT_SETS = (
    "/work/shared/bench/images/kodak",
    "/work/shared/bench/text",
    "/work/shared/bench/speech/librispeech",
)


@dataclass(frozen=True)
class BenchSet:
    """A named folder of files (sorted, recursive) and its kind: image, speech or text."""

    name: str
    kind: str
    root: str
    files: tuple[str, ...]

    def to_json(self) -> dict:
        return {"name": self.name, "kind": self.kind, "root": self.root,
                "files": list(self.files)}

    @classmethod
    def from_json(cls, record: dict) -> "BenchSet":
        return cls(record["name"], record["kind"], record["root"], tuple(record["files"]))


def list_files(root: str | os.PathLike) -> list[str]:
    """Regular files under ``root`` (not following symlinks), sorted for stable runs."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            if os.path.isfile(path) and not os.path.islink(path):
                found.append(path)
    return found


def kind_of(files: list[str]) -> str:
    """``image`` or ``speech`` when most files have such suffixes, else ``text``."""
    suffixes = [Path(f).suffix.lower() for f in files]
    for kind, known in (("image", IMAGE_SUFFIXES), ("speech", SPEECH_SUFFIXES)):
        if suffixes and sum(s in known for s in suffixes) * 2 > len(suffixes):
            return kind
    return "text"


def discover(folder: str | os.PathLike, kind: str | None = None) -> BenchSet:
    root = os.path.abspath(folder)
    files = list_files(root)
    if not files:
        raise ValueError(f"benchmark folder {root} holds no files")
    if kind is None:
        kind = kind_of(files)
    if kind == "image":
        # Only files the image codecs can read; other files would break the pixel count.
        files = [f for f in files if Path(f).suffix.lower() in IMAGE_SUFFIXES]
    elif kind == "speech":
        files = [f for f in files if Path(f).suffix.lower() in SPEECH_SUFFIXES]
    return BenchSet(Path(root).name, kind, root, tuple(files))


@dataclass
class Sample:
    """One file of a set: its bytes, and for images/speech the decoded raw content."""

    path: str
    data: bytes
    pixels: object = None         # numpy uint8 array (H, W[, C]) for images
    image_mode: str = ""
    pcm: object = None            # numpy int16 array (frames[, channels]) for speech
    samplerate: int = 0
    extra: dict = field(default_factory=dict)

    @property
    def raw_bytes(self) -> int:
        """Bytes of the decoded content (sub-pixels for images); file bytes otherwise."""
        if self.pixels is not None:
            return int(self.pixels.nbytes)
        return len(self.data)


def decode_image(data: bytes):
    """(pixels, mode) of an image file; palette and 16-bit images are not expected here."""
    import numpy as np
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        if image.mode not in ("RGB", "L", "RGBA"):
            image = image.convert("RGB")
        return np.asarray(image).copy(), image.mode


def decode_speech(data: bytes):
    """(int16 samples, sample rate) of a WAV/FLAC file."""
    import soundfile

    samples, rate = soundfile.read(io.BytesIO(data), dtype="int16", always_2d=False)
    return samples, rate


def load_samples(bench_set: BenchSet) -> list[Sample]:
    samples = []
    for path in bench_set.files:
        with open(path, "rb") as f:
            sample = Sample(path, f.read())
        if bench_set.kind == "image":
            sample.pixels, sample.image_mode = decode_image(sample.data)
        elif bench_set.kind == "speech":
            sample.pcm, sample.samplerate = decode_speech(sample.data)
        samples.append(sample)
    return samples
