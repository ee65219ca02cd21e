"""Built-in codecs: exact round trips, bounded decode, smallest-wins selection, registry."""

import os

import pytest
from hypothesis import given, settings, strategies as st

from ozarc.codecs import ChunkHint, all_codecs, codec_by_id, codec_by_name, encode_smallest
from ozarc.errors import CodecError, UsageError


@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=4096), level=st.integers(1, 9), name=st.sampled_from(["store", "zstd"]))
def test_round_trip(data, level, name):
    codec = codec_by_name(name)
    payload = codec.encode(data, ChunkHint(level=level))
    assert codec.decode(payload, len(data)) == data


def test_zstd_refuses_output_longer_than_declared():
    codec = codec_by_name("zstd")
    payload = codec.encode(b"a" * 10_000, ChunkHint())
    with pytest.raises(CodecError):
        codec.decode(payload, 100)


@settings(max_examples=40, deadline=None)
@given(data=st.binary(min_size=1, max_size=2048), cut=st.integers(0, 64))
def test_zstd_corrupt_payload_raises_codec_error(data, cut):
    codec = codec_by_name("zstd")
    payload = codec.encode(data, ChunkHint())
    broken = payload[: max(0, len(payload) - 1 - cut)]
    try:
        out = codec.decode(broken, len(data))
    except CodecError:
        return
    # A cut that zstd cannot notice must at least not yield different bytes silently.
    assert out == data


def test_store_length_mismatch_raises():
    with pytest.raises(CodecError):
        codec_by_name("store").decode(b"abc", 4)


@settings(max_examples=40, deadline=None)
@given(data=st.one_of(st.binary(max_size=2048), st.just(b"x" * 5000)))
def test_encode_smallest_never_grows_beyond_store(data):
    codec, payload = encode_smallest(data, [codec_by_name("zstd")], ChunkHint())
    assert len(payload) <= len(data)
    assert codec.decode(payload, len(data)) == data


def test_encode_smallest_prefers_zstd_on_redundant_and_store_on_random():
    zstd = codec_by_name("zstd")
    assert encode_smallest(b"ab" * 4000, [zstd], ChunkHint())[0] is zstd
    assert encode_smallest(os.urandom(4000), [zstd], ChunkHint())[0].name == "store"


def test_registry_ids_unique_and_lookup_errors():
    ids = [c.codec_id for c in all_codecs()]
    assert len(ids) == len(set(ids))
    assert codec_by_id(1).name == "zstd"
    with pytest.raises(CodecError, match="unknown codec id"):
        codec_by_id(250)
    with pytest.raises(UsageError, match="unknown codec"):
        codec_by_name("nope")
