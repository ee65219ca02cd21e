"""The neural payload header: varints, round trips, derived lengths, refusal of bad input."""

import pytest
from hypothesis import given, settings, strategies as st

from ozarc.container.varint import encode_uvarint as write_varint
from ozarc.entropy.payload import FORMAT_VERSION, PayloadHeader, read_varint
from ozarc.errors import CodecError
from ozarc.modality import Modality


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2**64 - 1))
def test_varint_round_trip(value):
    data = write_varint(value) + b"tail"
    assert read_varint(data, 0) == (value, len(data) - 4)


def test_varint_truncated_and_overlong():
    with pytest.raises(CodecError):
        read_varint(b"\x80", 0)
    with pytest.raises(CodecError):
        read_varint(b"\xff" * 11, 0)


HEADERS = [
    PayloadHeader(Modality.IMAGE_RGB, (17, 33, 3)),
    PayloadHeader(Modality.IMAGE_GRAY, (1, 1, 1)),
    PayloadHeader(Modality.SPEECH, (2, 1024)),
    PayloadHeader(Modality.TEXT, (1024, 5000)),
]


@pytest.mark.parametrize("header", HEADERS)
def test_header_round_trip(header):
    data = header.to_bytes()
    assert len(data) <= 8
    assert PayloadHeader.parse(data + b"coded") == (header, len(data))


def test_lengths_follow_from_geometry():
    assert PayloadHeader(Modality.IMAGE_RGB, (17, 33, 3)).lane_lengths(17 * 33 * 3) == \
        [768, 768, 48, 48, 48, 3]
    assert PayloadHeader(Modality.SPEECH, (1, 1024)).lane_lengths(2100) == [1024, 1024, 52]
    assert PayloadHeader(Modality.TEXT, (1024, 2050)).lane_lengths(9000) == [1024, 1024, 2]


@pytest.mark.parametrize("header, raw_length", [
    (PayloadHeader(Modality.IMAGE_RGB, (4, 4, 3)), 47),     # geometry disagrees with length
    (PayloadHeader(Modality.IMAGE_RGB, (4, 4, 1)), 16),     # gray geometry in an RGB chunk
    (PayloadHeader(Modality.SPEECH, (1, 0)), 10),           # zero window
    (PayloadHeader(Modality.SPEECH, (1, 1)), 10**6),        # one lane (model state) per byte
    (PayloadHeader(Modality.TEXT, (1, 1000)), 10**6),       # one lane per token
    (PayloadHeader(Modality.TEXT, (1024, 11)), 10),         # more tokens than bytes
    (PayloadHeader(Modality.OTHER, (0, 0)), 10),
])
def test_impossible_geometry_raises(header, raw_length):
    with pytest.raises(CodecError):
        header.lane_lengths(raw_length)


def test_unknown_version_and_modality_raise():
    with pytest.raises(CodecError, match="version"):
        PayloadHeader.parse(write_varint(FORMAT_VERSION + 1) + b"\x01\x01\x01")
    with pytest.raises(CodecError, match="modality"):
        PayloadHeader.parse(write_varint(FORMAT_VERSION) + write_varint(99) + b"\x01\x01")
    for cut in range(len(HEADERS[0].to_bytes())):
        with pytest.raises(CodecError):
            PayloadHeader.parse(HEADERS[0].to_bytes()[:cut])
