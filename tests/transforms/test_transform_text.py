"""Text detection and the BOM/CRLF text transform."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ozarc.errors import TransformError
from ozarc.modality import Modality
from ozarc.transforms import join_from_archive
from ozarc.transforms.text import TextTransform, is_text

from transform_samples import media, round_trip


def test_bom_and_crlf_go_to_the_recipe():
    data = b"\xef\xbb\xbfline one\r\nline two\r\n"
    split = round_trip(data)
    assert split.transform_id == TextTransform.transform_id
    assert split.streams[0].modality is Modality.TEXT
    assert split.streams[0].data == b"line one\nline two\n"


def test_fixture_texts_are_normalised():
    bom = round_trip(media("utf8_bom.txt")[0].read_bytes())
    assert not bom.streams[0].data.startswith(b"\xef\xbb\xbf")
    crlf = round_trip(media("crlf.txt")[0].read_bytes())
    assert b"\r" not in crlf.streams[0].data and crlf.transform_id == TextTransform.transform_id


def test_plain_text_uses_identity_with_a_text_stream():
    split = round_trip(media("plain_code.py.txt")[0].read_bytes())
    assert split.transform_id == 0 and split.streams[0].modality is Modality.TEXT


def test_mixed_line_ends_stay_as_they_are():
    data = b"a\r\nb\nc\r\n"
    split = round_trip(data)
    assert split.streams[0].data == data


@pytest.mark.parametrize("data, expected", [
    (b"hello\tworld\n", True),
    ("caf\u00e9 \u2713\n".encode(), True),
    (b"caf\xe9\n", False),                      # Latin-1, not UTF-8
    (b"a" * 98 + b"\x00\x01", False),           # 2% control bytes
    (b"a" * 199 + b"\x1b", True),               # 0.5% control bytes
    (b"\xef\xbb\xbf", True),
    (b"", False),
])
def test_is_text(data, expected):
    assert is_text(data) is expected


def test_binary_goes_to_identity_other():
    data = bytes(range(256)) * 4
    split = round_trip(data)
    assert split.transform_id == 0 and split.streams[0].modality is Modality.OTHER


@settings(max_examples=60, deadline=None)
@given(text=st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60),
       bom=st.booleans(), crlf=st.booleans())
def test_any_text_round_trips(text, bom, crlf):
    body = text.replace("\r\n", "\n")
    if crlf:
        body = body.replace("\n", "\r\n")
    data = (b"\xef\xbb\xbf" if bom else b"") + body.encode()
    round_trip(data)


@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=80))
def test_any_bytes_round_trip(data):
    round_trip(data)


def test_text_join_rejects_unknown_flags():
    with pytest.raises(TransformError):
        join_from_archive(TextTransform.transform_id, b"\x01\x80", [b"x"])
