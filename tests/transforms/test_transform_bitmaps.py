"""BMP, PGM/PPM and TIFF transforms: byte-exact round trips, Pillow's pixels, safe fallbacks."""

from __future__ import annotations

import io
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from ozarc.errors import TransformError
from ozarc.modality import Modality
from ozarc.transforms import join_from_archive
from ozarc.transforms.bmp import BmpTransform
from ozarc.transforms.pnm import PnmTransform
from ozarc.transforms.tiff import TiffTransform

from transform_samples import encode, media, round_trip, sample_image

TRANSFORM_FOR = {".bmp": BmpTransform, ".ppm": PnmTransform, ".pgm": PnmTransform,
                 ".tif": TiffTransform}
FORMAT_FOR = {".bmp": "BMP", ".ppm": "PPM", ".pgm": "PPM", ".tif": "TIFF"}


def _check_pixels(data: bytes, split) -> None:
    with Image.open(io.BytesIO(data)) as im:
        arr = np.asarray(im)
    if arr.ndim == 2:
        arr = arr[..., None]
    main = split.streams[0]
    h, w, c = main.geometry
    assert (h, w) == arr.shape[:2]
    assert main.modality is (Modality.IMAGE_RGB if c == 3 else Modality.IMAGE_GRAY)
    assert np.array_equal(np.frombuffer(main.data, np.uint8).reshape(h, w, c), arr[..., :c])
    if arr.shape[2] == 4:
        alpha = np.frombuffer(split.streams[1].data, np.uint8).reshape(h, w)
        assert np.array_equal(alpha, arr[..., 3])


@pytest.mark.parametrize("path", media("*.bmp") + media("*.p?m") + media("*.tif"),
                         ids=lambda p: p.name)
def test_bitmap_fixture_round_trips_with_pillow_pixels(path):
    data = path.read_bytes()
    split = round_trip(data)
    assert split.transform_id == TRANSFORM_FOR[path.suffix].transform_id
    _check_pixels(data, split)


@settings(max_examples=40, deadline=None)
@given(suffix=st.sampled_from([".bmp", ".ppm", ".tif"]),
       mode=st.sampled_from(["L", "RGB", "RGBA"]), h=st.integers(1, 20), w=st.integers(1, 23),
       seed=st.integers(0, 99))
def test_generated_bitmaps_round_trip(suffix, mode, h, w, seed):
    if mode == "RGBA" and suffix != ".bmp":
        mode = "RGB"
    data = encode(sample_image(mode, h, w, seed), FORMAT_FOR[suffix])
    split = round_trip(data)
    assert split.transform_id == TRANSFORM_FOR[suffix].transform_id
    _check_pixels(data, split)


def test_top_down_bmp_and_trailing_bytes_round_trip():
    data = bytearray(encode(sample_image("RGB", 5, 7, 1), "BMP"))
    height = struct.unpack_from("<i", data, 22)[0]
    struct.pack_into("<i", data, 22, -height)  # same rows, now read top-down
    data = bytes(data) + b"extra"
    split = round_trip(data)
    assert split.transform_id == BmpTransform.transform_id
    rows = np.frombuffer(split.streams[0].data, np.uint8).reshape(5, 7, 3)
    with Image.open(io.BytesIO(data)) as im:
        assert np.array_equal(rows, np.asarray(im))


def test_colour_palette_bmp_keeps_indices():
    im = sample_image("RGB", 6, 9, 4).convert("P", palette=Image.Palette.ADAPTIVE, colors=12)
    data = encode(im, "BMP")
    split = round_trip(data)
    assert split.transform_id == BmpTransform.transform_id
    _check_pixels(data, split)  # Pillow's mode P array holds the indices too


def _pnm_with_comment() -> bytes:
    px = np.arange(2 * 3 * 3, dtype=np.uint8).tobytes()
    return b"P6\n# made by hand\n3 2\n255\n" + px + b"P5 1 1 255\n\x07"


def test_pnm_comments_and_second_image_round_trip():
    data = _pnm_with_comment()
    split = round_trip(data)
    assert split.transform_id == PnmTransform.transform_id
    assert split.streams[0].data == np.arange(18, dtype=np.uint8).tobytes()


def _bad_bitmaps() -> dict[str, bytes]:
    bmp = encode(sample_image("RGB", 6, 5, 2), "BMP")
    lying_bmp = bytearray(bmp)
    struct.pack_into("<i", lying_bmp, 18, 100000)  # width far beyond the file
    rle_bmp = bytearray(bmp)
    struct.pack_into("<I", rle_bmp, 30, 1)  # BI_RLE8
    tif = encode(sample_image("RGB", 6, 5, 2), "TIFF")
    return {"bmp_lying_width": bytes(lying_bmp), "bmp_compressed": bytes(rle_bmp),
            "bmp_truncated": bmp[:40], "ppm_ascii": b"P3\n1 1\n255\n1 2 3\n",
            "ppm_16bit": b"P5 1 1 65535\n\0\1", "ppm_truncated": b"P6 4 4 255\n\0\0",
            "tiff_truncated": tif[:len(tif) // 2], "tiff_bad_ifd": tif[:4] + b"\xff" * 4 + tif[8:]}


@pytest.mark.parametrize("name", sorted(_bad_bitmaps()))
def test_malformed_bitmaps_fall_back_to_identity(name):
    data = _bad_bitmaps()[name]
    split = round_trip(data)
    assert split.transform_id == 0 and split.recipe == b""


def test_wrong_stream_sizes_raise_transform_error():
    for path in media("pillow_rgba.bmp") + media("pillow_l.pgm") + media("pillow_rgb.tif"):
        split = round_trip(path.read_bytes())
        streams = [s.data for s in split.streams]
        streams[0] = streams[0][:-1]
        with pytest.raises(TransformError):
            join_from_archive(split.transform_id, split.recipe, streams)
