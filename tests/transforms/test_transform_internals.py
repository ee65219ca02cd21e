"""Recipe records, PNG row filters and the zlib-setting search, tested on their own."""

from __future__ import annotations

import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ozarc.errors import TransformError
from ozarc.transforms.png_deflate import (KIND_STORED, KIND_ZLIB, candidate_params,
                                          find_zlib_recipe, rebuild_zlib)
from ozarc.transforms import png_filters
from ozarc.transforms.png_filters import filter_rows, unfilter_rows
from ozarc.transforms.recipe import RecipeReader, RecipeWriter


@settings(max_examples=50, deadline=None)
@given(values=st.lists(st.integers(0, 2**63), max_size=8), blob=st.binary(max_size=40),
       byte=st.integers(0, 255))
def test_recipe_fields_round_trip(values, blob, byte):
    data = RecipeWriter().u8(byte).uints(values).blob(blob).uint(values[0] if values else 7).getvalue()
    r = RecipeReader(data)
    assert (r.u8(), r.uints(), r.blob()) == (byte, values, blob)
    assert r.uint() == (values[0] if values else 7)
    r.done()


def test_truncated_or_oversized_recipe_raises():
    data = RecipeWriter().blob(b"abcdef").getvalue()
    with pytest.raises(TransformError):
        RecipeReader(data[:-1]).blob()
    with pytest.raises(TransformError):
        RecipeReader(b"\xff" * 12).uint()
    with pytest.raises(TransformError):
        RecipeReader(RecipeWriter().uint(10 ** 9).getvalue()).uints()
    with pytest.raises(TransformError, match="upgrade"):
        RecipeReader(b"\x07").expect_version(1, "PNG")


@settings(max_examples=50, deadline=None)
@given(h=st.integers(1, 8), row_bytes=st.integers(1, 20), bpp=st.sampled_from([1, 2, 3, 4, 6, 8]),
       seed=st.integers(0, 999))
def test_unfilter_inverts_filter(h, row_bytes, bpp, seed):
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, (h, row_bytes)).astype(np.uint8)
    types = rng.integers(0, 5, h).astype(np.uint8)
    raw = filter_rows(pixels, types, bpp)
    back, back_types = unfilter_rows(raw, h, row_bytes, bpp)
    assert np.array_equal(back, pixels) and np.array_equal(back_types, types)


def test_filtering_in_small_blocks_gives_the_same_bytes(monkeypatch):
    rng = np.random.default_rng(5)
    pixels = rng.integers(0, 256, (37, 30)).astype(np.uint8)
    types = rng.integers(0, 5, 37).astype(np.uint8)
    whole = filter_rows(pixels, types, 3)
    monkeypatch.setattr(png_filters, "BLOCK_BYTES", 64)  # two rows per block
    assert filter_rows(pixels, types, 3) == whole
    assert np.array_equal(unfilter_rows(whole, 37, 30, 3)[0], pixels)


def test_filter_types_must_be_known():
    with pytest.raises(TransformError):
        filter_rows(np.zeros((2, 3), np.uint8), np.array([0, 5], np.uint8), 1)
    with pytest.raises(TransformError):
        unfilter_rows(b"\x07\x00", 1, 1, 1)


def test_candidates_put_library_defaults_first():
    header = zlib.compress(b"x", 6)[:2]
    first = candidate_params(header)[0]
    assert (first.level, first.wbits, first.mem_level, first.strategy) == (6, 15, 8, 0)
    level9 = candidate_params(zlib.compress(b"x", 9)[:2])
    assert {p.level for p in level9[:54]} == {7, 8, 9}  # header's level field first...
    assert {p.level for p in level9} == set(range(1, 10))  # ...then the rest (rewritten headers)


@settings(max_examples=30, deadline=None)
@given(level=st.integers(0, 9), mem=st.integers(1, 9), wbits=st.integers(9, 15),
       strategy=st.sampled_from([0, 1, 2, 3, 4]), tail=st.binary(max_size=3),
       raw=st.binary(max_size=3000).map(lambda b: b * 3))
def test_search_rebuilds_any_zlib_stream(level, mem, wbits, strategy, tail, raw):
    comp = zlib.compressobj(level, zlib.DEFLATED, wbits, mem, strategy)
    target = comp.compress(raw) + comp.flush() + tail
    recipe = find_zlib_recipe(raw, target)
    assert rebuild_zlib(raw, recipe) == target
    if level == 0:
        assert recipe.kind == KIND_STORED


def test_search_gives_up_on_foreign_streams_within_budget():
    raw = bytes(range(256)) * 64
    target = zlib.compress(raw, 6)
    forged = target[:2] + bytes([target[2] ^ 0x04]) + target[3:]  # same header, other body
    with pytest.raises(TransformError):
        find_zlib_recipe(raw, forged, budget=len(raw) * 4)
    assert find_zlib_recipe(raw, target).kind == KIND_ZLIB
