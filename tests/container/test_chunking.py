from hypothesis import given, settings, strategies as st

from ozarc.container.chunking import (
    CHUNK_TARGET, PATCH_ROWS, SOLID_LIMIT, SolidBuffer, chunk_geometry, cut_points, packs_solid,
)
from ozarc.container.records import MAX_CHUNK_RAW
from ozarc.modality import Modality


def pieces(data, cuts):
    start = 0
    for end in cuts:
        yield data[start:end]
        start = end


def test_empty_stream_has_no_chunks():
    assert cut_points(b"", Modality.OTHER) == []


def test_generic_cuts_every_target():
    data = bytes(2 * CHUNK_TARGET + 5)
    assert cut_points(data, Modality.OTHER) == [CHUNK_TARGET, 2 * CHUNK_TARGET, len(data)]


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=1, max_size=400), st.integers(1, 50))
def test_text_cuts_keep_characters_whole(text, target):
    data = text.encode("utf-8")
    cuts = cut_points(data, Modality.TEXT, (), target)
    assert cuts[-1] == len(data) and cuts == sorted(set(cuts))
    assert "".join(p.decode("utf-8") for p in pieces(data, cuts)) == text  # each piece decodes


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 80), st.integers(1, 50), st.sampled_from([1, 3]), st.integers(64, 40_000))
def test_image_bands_are_whole_patch_rows(height, width, channels, target):
    data = bytes(height * width * channels)
    modality = Modality.IMAGE_RGB if channels == 3 else Modality.IMAGE_GRAY
    cuts = cut_points(data, modality, (height, width, channels), target)
    row = width * channels
    start = 0
    for end in cuts:
        rows = (end - start) // row
        assert (end - start) % row == 0
        assert rows % PATCH_ROWS == 0 or end == len(data)
        assert chunk_geometry(modality, (height, width, channels), start, end, len(data)) == (
            rows, width, channels)
        start = end


def test_speech_cuts_at_whole_frames():
    data = bytes(3 * CHUNK_TARGET + 6)
    cuts = cut_points(data, Modality.SPEECH, (3,))
    assert all(c % 6 == 0 for c in cuts)
    assert chunk_geometry(Modality.SPEECH, (3,), 0, cuts[0], len(data)) == (3,)


def test_no_chunk_exceeds_the_limit():
    data = memoryview(bytearray(MAX_CHUNK_RAW + 10))
    cuts = cut_points(data, Modality.OTHER, (), target=10 * MAX_CHUNK_RAW)
    assert max(b - a for a, b in zip([0] + cuts, cuts)) <= MAX_CHUNK_RAW


def test_solid_packing_rules_and_buffer():
    assert packs_solid(Modality.TEXT, 10)
    assert not packs_solid(Modality.TEXT, SOLID_LIMIT)
    assert not packs_solid(Modality.IMAGE_RGB, 10)
    assert not packs_solid(Modality.OTHER, 0)
    buffer = SolidBuffer(Modality.TEXT)
    buffer.add("a", b"xx")
    buffer.add("b", b"yyy")
    assert not buffer.is_full()
    data, placed = buffer.take()
    assert data == b"xxyyy" and placed == [("a", 0, 2), ("b", 2, 3)]
    assert buffer.take() == (b"", [])
