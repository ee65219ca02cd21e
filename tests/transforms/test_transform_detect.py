"""detect() by content, and the transform registry."""

from __future__ import annotations

import pytest

from ozarc.errors import TransformError
from ozarc.modality import Modality
from ozarc.transforms import detect, transform_by_id, transform_name

from transform_samples import MEDIA

GRAY_IMAGES = {"pillow_l_l6.png", "pillow_l_l1.png", "pillow_la_l9.png", "pillow_p_l9.png",
               "pillow_i16_l6.png", "pngcrush_la.png", "pngcrush_brute_p.png",
               "system_git_favicon_2bit.png", "pillow_l.bmp", "pillow_l.pgm", "pillow_l.tif"}
EXPECTED_BY_SUFFIX = {".png": Modality.IMAGE_RGB, ".bmp": Modality.IMAGE_RGB,
                      ".ppm": Modality.IMAGE_RGB, ".tif": Modality.IMAGE_RGB,
                      ".wav": Modality.SPEECH, ".txt": Modality.TEXT, ".jpg": Modality.OTHER}


def _expected(name: str) -> Modality:
    if name in GRAY_IMAGES:
        return Modality.IMAGE_GRAY
    if name == "soundfile_mono24.wav":
        return Modality.OTHER  # only 16-bit PCM is speech for the model
    return EXPECTED_BY_SUFFIX["." + name.rsplit(".", 1)[1]]


@pytest.mark.parametrize("path", sorted(p for p in MEDIA.iterdir() if p.suffix != ".md"),
                         ids=lambda p: p.name)
def test_detect_classifies_fixtures(path):
    assert detect(path.read_bytes()) is _expected(path.name)


def test_detect_needs_a_parse_not_just_magic():
    assert detect(b"\x89PNG\r\n\x1a\n" + b"\0" * 40) is Modality.OTHER
    assert detect(b"BM" + b"\xff" * 60) is Modality.OTHER
    assert detect(b"RIFF\0\0\0\0WAVEjunk") is Modality.OTHER  # no fmt/data: not speech
    assert detect(b"") is Modality.OTHER


def test_detect_ignores_names_renamed_png_is_still_an_image():
    data = (MEDIA / "pillow_rgb_l6.png").read_bytes()
    assert detect(data) is Modality.IMAGE_RGB


def test_registry_ids_are_fixed():
    names = {tid: transform_name(tid) for tid in range(7)}
    assert names == {0: "identity", 1: "png", 2: "bmp", 3: "pnm", 4: "tiff", 5: "wav", 6: "text"}
    assert all(transform_by_id(tid).transform_id == tid for tid in range(7))
    with pytest.raises(TransformError, match="unknown transform id 99"):
        transform_by_id(99)
