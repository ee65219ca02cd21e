import pytest
from hypothesis import given, settings, strategies as st

from ozarc.container.varint import (
    BodyReader, encode_blob, encode_svarint, encode_uvarint, unzigzag, zigzag,
)
from ozarc.errors import CorruptDataError


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2**64 - 1))
def test_uvarint_round_trip(value):
    encoded = encode_uvarint(value)
    reader = BodyReader(encoded, "t")
    assert reader.uvarint() == value
    reader.expect_end()
    assert len(encoded) <= 10


@settings(max_examples=200, deadline=None)
@given(st.integers(-(2**63), 2**63 - 1))
def test_svarint_round_trip(value):
    assert BodyReader(encode_svarint(value), "t").svarint() == value
    assert unzigzag(zigzag(value)) == value


def test_small_values_take_one_byte():
    assert len(encode_uvarint(127)) == 1
    assert len(encode_uvarint(128)) == 2


def test_sizes_beyond_4_gib():
    for value in (2**32, 5 * 2**30, 2**40 + 7, 2**64 - 1):
        assert BodyReader(encode_uvarint(value), "t").uvarint() == value


def test_out_of_range_refused():
    with pytest.raises(ValueError):
        encode_uvarint(-1)
    with pytest.raises(ValueError):
        encode_uvarint(2**64)


def test_truncated_and_overlong_varints_are_corrupt():
    with pytest.raises(CorruptDataError):
        BodyReader(b"\x80\x80", "t").uvarint()
    with pytest.raises(CorruptDataError):
        BodyReader(b"\xff" * 11, "t").uvarint()
    with pytest.raises(CorruptDataError):  # 10 bytes whose value exceeds 64 bits
        BodyReader(b"\xff" * 9 + b"\x7f", "t").uvarint()


def test_blob_limits():
    reader = BodyReader(encode_blob(b"abc"), "t")
    assert reader.blob(3) == b"abc"
    with pytest.raises(CorruptDataError):
        BodyReader(encode_blob(b"abcd"), "t").blob(3)
    with pytest.raises(CorruptDataError):
        BodyReader(encode_uvarint(10) + b"abc", "t").blob(100)
