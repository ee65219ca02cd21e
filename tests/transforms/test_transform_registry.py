"""split_for_archive never raises and always round-trips, whatever the bytes."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ozarc.errors import TransformError
from ozarc.transforms import join_from_archive, split_for_archive

from transform_samples import MEDIA, round_trip

FIXTURES = sorted(p for p in MEDIA.iterdir() if p.suffix != ".md")


@settings(max_examples=80, deadline=None)
@given(index=st.integers(0, len(FIXTURES) - 1), cut=st.floats(0, 1), flip_at=st.floats(0, 1),
       flip=st.integers(1, 255), truncate=st.booleans())
def test_damaged_fixtures_split_safely_and_round_trip(index, cut, flip_at, flip, truncate):
    data = bytearray(FIXTURES[index].read_bytes())
    if truncate:
        data = data[:int(cut * len(data))]
    elif data:
        data[int(flip_at * (len(data) - 1))] ^= flip
    round_trip(bytes(data))


def test_every_stream_of_a_split_is_bytes_and_identity_has_no_recipe():
    for path in FIXTURES:
        split = split_for_archive(path.read_bytes())
        assert all(isinstance(s.data, bytes) for s in split.streams)
        assert (split.transform_id == 0) == (split.recipe == b"")


def test_join_wraps_unexpected_errors_in_transform_error():
    split = split_for_archive((MEDIA / "pillow_rgb_l6.png").read_bytes())
    for recipe in (b"", b"\x01", split.recipe[:20], split.recipe + b"\0"):
        try:
            join_from_archive(1, recipe, [s.data for s in split.streams])
        except TransformError:
            continue
        raise AssertionError("a damaged recipe was accepted")
