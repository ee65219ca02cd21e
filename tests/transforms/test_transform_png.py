"""PNG transform: byte-exact round trips, the right pixels, and safe fallbacks."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ozarc.errors import TransformError
from ozarc.modality import Modality
from ozarc.transforms import join_from_archive, split_for_archive
from ozarc.transforms.png import PNG_SIGNATURE, PngTransform

from transform_samples import assert_falls_back, MODES, media, pillow_planes, png_bytes, round_trip, sample_image

FALLBACK_FIXTURES = {"system_adwaita_network_wired.png"}


def _planes(split) -> list[np.ndarray]:
    out = []
    for s in split.streams:
        arr = np.frombuffer(s.data, np.uint8)
        out.append(arr.reshape(s.geometry) if s.geometry else arr)
    return out


def _check_against_pillow(data: bytes, split) -> None:
    expected = pillow_planes(data)
    got = _planes(split)
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert np.array_equal(g.reshape(e.shape), e)


@pytest.mark.parametrize("path", media("*.png"), ids=lambda p: p.name)
def test_png_fixture_round_trips_and_carries_pillow_pixels(path):
    data = path.read_bytes()
    split = round_trip(data)
    if path.name in FALLBACK_FIXTURES:
        assert split.transform_id == 0 and split.streams[0].modality is Modality.OTHER
        return
    assert split.transform_id == PngTransform.transform_id
    _check_against_pillow(data, split)
    assert len(split.recipe) < 200 + len(data) // 10


@settings(max_examples=40, deadline=None)
@example(mode="RGB", h=1, w=1, level=9, seed=0)
@example(mode="P", h=3, w=17, level=6, seed=1)
@example(mode="I;16", h=2, w=1, level=0, seed=2)
@given(mode=st.sampled_from(MODES), h=st.integers(1, 24), w=st.integers(1, 33),
       level=st.integers(0, 9), seed=st.integers(0, 1000))
def test_pillow_pngs_at_any_level_are_coded_natively(mode, h, w, level, seed):
    data = png_bytes(sample_image(mode, h, w, seed), level)
    split = round_trip(data)
    assert split.transform_id == PngTransform.transform_id
    _check_against_pillow(data, split)
    main = split.streams[0]
    assert main.modality is (Modality.IMAGE_RGB if mode in ("RGB", "RGBA") else Modality.IMAGE_GRAY)
    assert main.geometry[:2] == (h, w)


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def _filtered(rows: np.ndarray, bpp: int, filters) -> bytes:
    """Filter packed rows the way the PNG spec describes, one pixel at a time (independent
    of ozarc's vectorised filters)."""
    out, prev = [], np.zeros(rows.shape[1], np.int32)
    for y in range(rows.shape[0]):
        cur = rows[y].astype(np.int32)
        left = np.concatenate([np.zeros(bpp, np.int32), cur[:-bpp]])[:cur.size]
        upleft = np.concatenate([np.zeros(bpp, np.int32), prev[:-bpp]])[:cur.size]
        f = filters[y % len(filters)]
        if f == 0:
            pred = np.zeros_like(cur)
        elif f == 1:
            pred = left
        elif f == 2:
            pred = prev
        elif f == 3:
            pred = (left + prev) // 2
        else:
            p = left + prev - upleft
            pa, pb, pc = abs(p - left), abs(p - prev), abs(p - upleft)
            pred = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, prev, upleft))
        out.append(bytes([f]) + ((cur - pred) % 256).astype(np.uint8).tobytes())
        prev = cur
    return b"".join(out)


ADAM7_PASSES = [(0, 0, 8, 8), (0, 4, 8, 8), (4, 0, 8, 4), (0, 2, 4, 4), (2, 0, 4, 2),
                (0, 1, 2, 2), (1, 0, 2, 1)]


def _handmade_png(grid: np.ndarray, depth: int, ctype: int, filters, zargs, split_at: int,
                  interlaced: bool = False, pad_seed: int | None = None) -> bytes:
    """A PNG written by this test (not by Pillow) from a grid of samples (h, w, channels):
    given row filters, zlib settings, IDAT split, optional Adam7 and junk row padding bits."""
    h, w, channels = grid.shape
    bpp = max(1, channels * depth // 8)
    passes = ADAM7_PASSES if interlaced else [(0, 0, 1, 1)]
    rng = np.random.default_rng(pad_seed)
    raw = []
    for y0, x0, dy, dx in passes:
        sub = grid[y0::dy, x0::dx]
        if sub.size == 0:
            continue
        if depth >= 8:
            rows = np.frombuffer(sub.astype(">u2" if depth == 16 else np.uint8).tobytes(),
                                 np.uint8).reshape(sub.shape[0], -1)
        else:
            bits_per_row = -(-sub.shape[1] * depth // 8) * 8
            bits = (rng.integers(0, 2, (sub.shape[0], bits_per_row)) if pad_seed is not None
                    else np.zeros((sub.shape[0], bits_per_row), int)).astype(np.uint8)
            shifts = np.arange(depth - 1, -1, -1)
            bits[:, :sub.shape[1] * depth] = ((sub[..., 0, None] >> shifts) & 1).reshape(sub.shape[0], -1)
            rows = np.packbits(bits, axis=1)
        raw.append(_filtered(rows, bpp, filters))
    comp = zlib.compressobj(*zargs)
    idat = comp.compress(b"".join(raw)) + comp.flush()
    ihdr = struct.pack(">IIBBBBB", w, h, depth, ctype, 0, 0, int(interlaced))
    parts = [PNG_SIGNATURE, _chunk(b"IHDR", ihdr), _chunk(b"tEXt", b"Comment\0handmade")]
    if ctype == 3:
        parts.append(_chunk(b"PLTE", bytes(range(3 * 2 ** depth)) if depth < 8 else bytes(768)))
    for i in range(0, len(idat), split_at):
        parts.append(_chunk(b"IDAT", idat[i:i + split_at]))
    parts += [_chunk(b"IEND", b""), b"trailing junk"]
    return b"".join(parts)


zlib_settings = st.tuples(st.integers(1, 9), st.just(zlib.DEFLATED), st.integers(9, 15),
                          st.integers(1, 9), st.sampled_from([0, 1, 4]))


@settings(max_examples=25, deadline=None)
@given(ctype=st.sampled_from([0, 2, 4, 6]), depth=st.sampled_from([8, 16]),
       h=st.integers(1, 12), w=st.integers(1, 13),
       filters=st.lists(st.integers(0, 4), min_size=1, max_size=5),
       zargs=zlib_settings, split_at=st.integers(1, 300), interlaced=st.booleans(),
       seed=st.integers(0, 99))
def test_other_encoders_16_bit_adam7_filters_and_idat_splits_round_trip(
        ctype, depth, h, w, filters, zargs, split_at, interlaced, seed):
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[ctype]
    rng = np.random.default_rng(seed)
    samples = rng.integers(0, 2 ** depth, (h, w, channels)).astype(np.uint16)
    data = _handmade_png(samples, depth, ctype, filters, zargs, split_at, interlaced)
    split = round_trip(data)
    assert split.transform_id == PngTransform.transform_id
    hi = samples >> 8 if depth == 16 else samples
    color = 3 if ctype in (2, 6) else 1
    got = _planes(split)
    assert np.array_equal(got[0].reshape(h, w, color), hi[..., :color].astype(np.uint8))
    if channels > color:
        assert np.array_equal(got[1].reshape(h, w), hi[..., color].astype(np.uint8))
    if depth == 16:
        assert split.streams[-1].modality is Modality.OTHER
        assert np.array_equal(got[-1].reshape(h, w, channels), (samples & 0xFF).astype(np.uint8))


@settings(max_examples=25, deadline=None)
@given(ctype=st.sampled_from([0, 3]), depth=st.sampled_from([1, 2, 4]), h=st.integers(1, 9),
       w=st.integers(1, 21), filters=st.lists(st.integers(0, 4), min_size=1, max_size=3),
       zargs=zlib_settings, junk_padding=st.booleans(), interlaced=st.booleans(),
       seed=st.integers(0, 99))
def test_packed_pixels_adam7_and_row_padding_round_trip(ctype, depth, h, w, filters, zargs,
                                                        junk_padding, interlaced, seed):
    rng = np.random.default_rng(seed)
    values = rng.integers(0, 2 ** depth, (h, w)).astype(np.uint8)
    data = _handmade_png(values[..., None], depth, ctype, filters, zargs, 50, interlaced,
                         pad_seed=seed if junk_padding else None)
    split = round_trip(data)
    assert split.transform_id == PngTransform.transform_id
    scale = 255 // (2 ** depth - 1) if ctype == 0 else 1
    (stream,) = split.streams
    assert stream.modality is Modality.IMAGE_GRAY and stream.geometry == (h, w, 1)
    assert np.array_equal(np.frombuffer(stream.data, np.uint8).reshape(h, w), values * scale)


def _good_png() -> bytes:
    return png_bytes(sample_image("RGB", 9, 11, 3), 6)


def _corruptions() -> dict[str, bytes]:
    data = _good_png()
    idat_at = data.index(b"IDAT")
    lying = bytearray(data)
    lying[idat_at - 4:idat_at] = struct.pack(">I", 10 ** 6)
    bad_crc = bytearray(data)
    bad_crc[idat_at + 6] ^= 0xFF
    huge = bytearray(data)  # IHDR claims 30000 x 30000 pixels, CRC fixed up
    huge[16:24] = struct.pack(">II", 30000, 30000)
    huge[29:33] = struct.pack(">I", zlib.crc32(bytes(huge[12:29])))
    return {"truncated": data[:len(data) // 2], "truncated_at_iend": data[:-6],
            "lying_length": bytes(lying), "bad_crc": bytes(bad_crc), "huge_ihdr": bytes(huge),
            "signature_only": PNG_SIGNATURE}


@pytest.mark.parametrize("name", sorted(_corruptions()))
def test_malformed_png_falls_back_to_identity(name):
    assert_falls_back(_corruptions()[name], PngTransform())


def test_non_consecutive_idat_falls_back():
    data = _good_png()
    pos = data.index(b"IDAT") - 4
    length = struct.unpack(">I", data[pos:pos + 4])[0]
    idat = data[pos + 8:pos + 8 + length]
    cut = len(idat) // 2
    text = _chunk(b"tEXt", b"k\0v")
    broken = data[:pos] + _chunk(b"IDAT", idat[:cut]) + text + _chunk(b"IDAT", idat[cut:]) \
        + data[pos + 12 + length:]
    assert split_for_archive(broken).transform_id == 0


def test_corrupt_recipe_or_streams_raise_transform_error():
    split = split_for_archive(_good_png())
    streams = [s.data for s in split.streams]
    with pytest.raises(TransformError):
        join_from_archive(1, split.recipe[:-3], streams)
    with pytest.raises(TransformError):
        join_from_archive(1, split.recipe, [streams[0][:-1]])
    with pytest.raises(TransformError):
        join_from_archive(1, b"\x09" + split.recipe[1:], streams)


def test_join_detects_a_zlib_that_deflates_differently():
    """The recipe keeps the IDAT CRC: a zlib producing other bytes is an error, not bad data."""
    split = split_for_archive(_good_png())
    recipe = bytearray(split.recipe)
    assert recipe[-4:-2] == bytes([6, 15])  # Pillow default: level 6, window 15
    recipe[-4] = 1  # as if this machine's zlib produced level-1 output
    with pytest.raises(TransformError, match="zlib"):
        join_from_archive(1, bytes(recipe), [s.data for s in split.streams])
