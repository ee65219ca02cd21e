"""bzip2 and xz: exact round trips, bounded and strict decoding, and where ``auto`` tries them."""

import random
import struct

import pytest
from hypothesis import given, settings, strategies as st

from ozarc.codecs import ChunkHint, codec_by_id, codec_by_name
from ozarc.codecs.xz import MAX_DICT_LOG, MIN_DICT_LOG, dict_log_for
from ozarc.container.compress import CompressJob, candidates_for, compress_chunk
from ozarc.container.entry_choice import EntryCoding, whole_file_cost
from ozarc.errors import CodecError
from ozarc.modality import Modality

NAMES = ["bzip2", "xz"]


def _prose(seed: int = 5, words: int = 12_000) -> bytes:
    """Words drawn from a fixed vocabulary: block sorting codes this best."""
    rng = random.Random(seed)
    letters = "etaoinshrdlucmfwypvbgkjqxz"
    vocabulary = ["".join(rng.choice(letters) for _ in range(rng.randint(1, 8)))
                  for _ in range(400)]
    return " ".join(rng.choice(vocabulary) for _ in range(words)).encode()


def _records(seed: int = 5, count: int = 20_000) -> bytes:
    """Fixed-size binary records: LZMA's position contexts code this best."""
    rng = random.Random(seed)
    return b"".join(struct.pack("<IHhB", i * 4, rng.randint(0, 60000) & 0xFF00,
                                rng.randint(-3, 3), 7) for i in range(count))


@settings(max_examples=60, deadline=None)
@given(data=st.one_of(st.binary(max_size=4096), st.just(b""), st.just(b"z" * 70_000)),
       level=st.integers(1, 9), name=st.sampled_from(NAMES))
def test_round_trip(data, level, name):
    codec = codec_by_name(name)
    payload = codec.encode(data, ChunkHint(level=level))
    assert codec.decode(payload, len(data)) == data
    assert codec_by_id(codec.codec_id) is codec


@pytest.mark.parametrize("name", NAMES)
def test_decode_refuses_a_length_other_than_the_record_s(name):
    codec = codec_by_name(name)
    data = _prose(words=3000)
    payload = codec.encode(data, ChunkHint(level=9))
    with pytest.raises(CodecError, match="decoded to"):
        codec.decode(payload, len(data) - 1)
    with pytest.raises(CodecError):
        codec.decode(payload, len(data) + 1)


@pytest.mark.parametrize("name", NAMES)
def test_truncated_or_padded_payload_is_refused(name):
    codec = codec_by_name(name)
    data = _records(count=2000)
    payload = codec.encode(data, ChunkHint(level=9))
    for broken in (payload[:-1], payload[: len(payload) // 2], payload + b"\0", payload + payload):
        with pytest.raises(CodecError):
            codec.decode(broken, len(data))


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(NAMES), data=st.binary(min_size=1, max_size=3000),
       position=st.integers(0, 10_000), mask=st.integers(1, 255))
def test_flipped_payload_byte_is_an_error_or_the_same_bytes(name, data, position, mask):
    codec = codec_by_name(name)
    payload = bytearray(codec.encode(data, ChunkHint(level=9)))
    payload[position % len(payload)] ^= mask
    try:
        out = codec.decode(bytes(payload), len(data))
    except CodecError:
        return
    if name == "bzip2":
        assert out == data  # its block and stream CRCs catch every other change
    else:
        # raw LZMA2 has no check, so a flip may decode to other bytes of the right length:
        # the chunk record's check8 catches those (see the archive test below)
        assert len(out) == len(data)


def test_xz_dictionary_byte_is_checked():
    codec = codec_by_name("xz")
    payload = codec.encode(b"hello " * 100, ChunkHint(level=9))
    for bad in (MIN_DICT_LOG - 1, MAX_DICT_LOG + 1, 255):
        with pytest.raises(CodecError, match="dictionary"):
            codec.decode(bytes([bad]) + payload[1:], 600)
    with pytest.raises(CodecError):
        codec.decode(b"", 0)


@settings(max_examples=100, deadline=None)
@given(length=st.integers(0, 1 << 28))
def test_xz_dictionary_is_the_least_power_of_two_holding_the_chunk(length):
    log = dict_log_for(length)
    assert MIN_DICT_LOG <= log <= MAX_DICT_LOG
    if length <= 1 << MAX_DICT_LOG:
        assert 1 << log >= length
        assert log == MIN_DICT_LOG or 1 << (log - 1) < length


def test_auto_tries_bzip2_and_xz_at_the_learned_levels_only():
    for level in range(1, 10):
        names = {c.name for c in candidates_for(ChunkHint(Modality.TEXT, level=level), "auto")}
        assert "zstd" in names
        assert ({"bzip2", "xz"} <= names) == (level >= 7)
        assert not ({"bzip2", "xz"} & names) or level >= 7
    # named explicitly, a codec is used at any level
    assert [c.name for c in candidates_for(ChunkHint(level=1), "bzip2")] == ["bzip2"]
    assert [c.name for c in candidates_for(ChunkHint(level=1), "xz")] == ["xz"]


@pytest.mark.parametrize("data, winner", [(_prose(), "bzip2"), (_records(), "xz")])
def test_each_chunk_keeps_the_smallest_classical_coding(data, winner):
    at9 = compress_chunk(CompressJob(0, data, int(Modality.OTHER), (), 9, "auto"))
    at6 = compress_chunk(CompressJob(0, data, int(Modality.OTHER), (), 6, "auto"))
    assert codec_by_id(at9.codec_id).name == winner
    assert codec_by_id(at6.codec_id).name == "zstd"
    sizes = {n: len(codec_by_name(n).encode(data, ChunkHint(level=9))) for n in ["zstd"] + NAMES}
    assert len(at9.payload) == min(sizes.values()) < sizes["zstd"]
    assert codec_by_id(at9.codec_id).decode(at9.payload, len(data)) == data


def test_whole_file_cost_counts_the_level_s_classical_codecs():
    """The entry trial weighs a transform against the file kept whole as the writer would
    code it: at level 9 that is bzip2 or xz where they win, not zstd alone."""
    data = _prose()
    zstd_only = len(codec_by_name("zstd").encode(data, ChunkHint(level=9)))
    assert whole_file_cost(data, EntryCoding(9, "auto")) == len(
        codec_by_name("bzip2").encode(data, ChunkHint(level=9))) < zstd_only
    assert whole_file_cost(data, EntryCoding(6, "auto")) == len(
        codec_by_name("zstd").encode(data, ChunkHint(level=6)))
    assert whole_file_cost(data, EntryCoding(9, "store")) == len(data)
