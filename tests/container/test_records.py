import hashlib
from dataclasses import replace

import pytest
from hypothesis import given, settings, strategies as st

from ozarc.container.framing import (
    FILE_HEADER_SIZE, Footer, FORMAT_VERSION, RecordType, check_frame, decode_file_header,
    encode_file_header, encode_frame, parse_frame_header,
)
from ozarc.container.index import ArchiveIndex, ChunkLocation
from ozarc.container.records import (
    MAX_CHUNK_RAW, ChunkRecord, EntryKind, EntryRecord, Extent, ModelRecord, StreamRef,
    decode_entry_group, encode_entry_group,
)
from ozarc.container.varint import encode_uvarint
from ozarc.errors import ArchiveError, CorruptDataError, FormatVersionError

U64 = st.integers(0, 2**64 - 1)
SIZE = st.integers(0, 2**50)


@st.composite
def streams(draw):
    extents = tuple(Extent(draw(st.integers(0, 2**40)), draw(st.integers(0, 2**20)),
                           draw(st.integers(0, 2**20)))
                    for _ in range(draw(st.integers(0, 4))))
    return StreamRef(draw(st.integers(0, 300)), tuple(draw(st.lists(U64, max_size=3))),
                     sum(e.length for e in extents), extents)


@st.composite
def entry_records(draw):
    kind = draw(st.sampled_from(list(EntryKind)))
    return EntryRecord(
        name=draw(st.binary(min_size=1, max_size=80)), kind=kind, mode=draw(st.integers(0, 0o7777)),
        mtime_ns=draw(st.integers(-(2**63), 2**63 - 1)), size=draw(SIZE),
        modality=draw(st.integers(0, 1000)), transform_id=draw(st.integers(0, 1000)),
        link_target=draw(st.binary(max_size=40)),
        content_hash=draw(st.binary(min_size=32, max_size=32)) if kind == EntryKind.FILE else b"",
        streams=tuple(draw(st.lists(streams(), max_size=3))))


@settings(max_examples=100, deadline=None)
@given(entry_records())
def test_entry_record_round_trip(record):
    assert EntryRecord.decode_body(record.encode_body()) == record


def test_entry_record_fields_beyond_4_gib():
    big = 5 * 2**30 + 3
    extent = Extent(70_000, 0, big)
    record = EntryRecord(b"huge.bin", EntryKind.FILE, 0o644, 2**62, size=big,
                         content_hash=bytes(32), streams=(StreamRef(0, (), big, (extent,)),))
    # Extents of more than MAX_CHUNK_RAW cannot be real chunks: decoding refuses them.
    with pytest.raises(CorruptDataError):
        EntryRecord.decode_body(record.encode_body())
    n = big // MAX_CHUNK_RAW + 1
    extents = tuple(Extent(i, 0, MAX_CHUNK_RAW) for i in range(n - 1))
    extents += (Extent(n - 1, 0, big - (n - 1) * MAX_CHUNK_RAW),)
    record = EntryRecord(b"huge.bin", EntryKind.FILE, 0o644, 2**62, size=big,
                         content_hash=bytes(32), streams=(StreamRef(0, (), big, extents),))
    decoded = EntryRecord.decode_body(record.encode_body())
    assert decoded.size == big and decoded.streams[0].length == big


def test_entry_stream_length_must_match_extents():
    record = EntryRecord(b"a", EntryKind.FILE, 0, 0, 3, content_hash=bytes(32),
                         streams=(StreamRef(0, (), 4, (Extent(0, 0, 3),)),))
    with pytest.raises(CorruptDataError):
        EntryRecord.decode_body(record.encode_body())


@settings(max_examples=30, deadline=None)
@given(st.lists(entry_records(), min_size=1, max_size=6))
def test_entry_group_round_trip_leaves_hashes_to_the_index(records):
    decoded = decode_entry_group(encode_entry_group(records))
    assert decoded == [replace(r, content_hash=b"") for r in records]


def test_entry_groups_are_compressed_and_bounded():
    records = [EntryRecord(f"dir/sub/file{i:04d}.txt".encode(), EntryKind.FILE, 0o644,
                           1_700_000_000_000_000_000 + i, 100, content_hash=bytes(32))
               for i in range(500)]
    body = encode_entry_group(records)
    assert len(body) < sum(len(r.encode_body(with_hash=False)) for r in records) / 3
    bomb = encode_uvarint(1) + bytes([1]) + encode_uvarint(1 << 40) + b"\x28\xb5\x2f\xfd"
    with pytest.raises(CorruptDataError, match="limit"):
        decode_entry_group(bomb)
    with pytest.raises(CorruptDataError):
        decode_entry_group(encode_uvarint(1) + bytes([7]) + encode_uvarint(0))


def test_entry_body_trailing_fields_are_skipped():
    record = EntryRecord(b"a", EntryKind.DIR, 0o755, 5)
    assert EntryRecord.decode_body(record.encode_body() + b"\x07future") == record


@settings(max_examples=50, deadline=None)
@given(U64, st.integers(0, 2**20), st.integers(0, 1000), st.integers(0, MAX_CHUNK_RAW),
       st.binary(max_size=64))
def test_chunk_record_round_trip(chunk_no, codec_id, model_ref, raw_len, payload):
    record = ChunkRecord(chunk_no, codec_id, model_ref, raw_len, b"12345678", payload)
    decoded = ChunkRecord.decode_body(record.encode_body())
    assert (decoded.chunk_no, decoded.codec_id, decoded.model_ref, decoded.raw_len,
            decoded.raw_check, bytes(decoded.payload)) == (chunk_no, codec_id, model_ref,
                                                           raw_len, b"12345678", payload)


def test_chunk_record_refuses_huge_raw_length():
    record = ChunkRecord(0, 1, 0, MAX_CHUNK_RAW + 1, bytes(8), b"x")
    with pytest.raises(CorruptDataError, match="limit"):
        ChunkRecord.decode_body(record.encode_body())


def test_chunk_record_payload_length_checked():
    body = ChunkRecord(0, 1, 0, 3, bytes(8), b"abc").encode_body()
    with pytest.raises(CorruptDataError):
        ChunkRecord.decode_body(body + b"x")


def test_chunk_record_header_is_small():
    body = ChunkRecord(12345, 1, 0, 1 << 20, bytes(8), b"").encode_body()
    assert len(body) <= 20


def test_model_record_round_trip():
    record = ModelRecord(3, "default", hashlib.sha256(b"m").digest())
    assert ModelRecord.decode_body(record.encode_body()) == record


@settings(max_examples=30, deadline=None)
@given(st.lists(entry_records(), max_size=5), st.lists(st.tuples(U64, U64, U64, U64), max_size=5))
def test_index_round_trip(entries, chunk_fields):
    index = ArchiveIndex()
    offset = 16
    for frame_len, codec_id, raw_len, payload_len in chunk_fields:
        index.chunks.append(ChunkLocation(offset, frame_len % 2**40, codec_id, raw_len, payload_len))
        offset += frame_len % 2**40
    index.models = [ModelRecord(0, "m", bytes(range(32)))]
    index.entries = entries
    index.entry_offsets = [1000 - 7 * i for i in range(len(entries))]
    assert ArchiveIndex.decode_body(index.encode_body()) == index
    with pytest.raises(CorruptDataError, match="limit"):
        ArchiveIndex.decode_body(index.encode_body(), limit=2)


def test_frame_round_trip_and_bit_flips_detected():
    frame = encode_frame(RecordType.ENTRY, b"hello body")
    header = parse_frame_header(frame, "t")
    assert header.frame_len == len(frame)
    assert bytes(check_frame(frame, header, "t")) == b"hello body"
    for i in range(4, len(frame)):
        for bit in (1, 128):
            damaged = bytearray(frame)
            damaged[i] ^= bit
            with pytest.raises(CorruptDataError):
                header = parse_frame_header(damaged, "t")
                check_frame(damaged, header, "t")


def test_file_header():
    header = encode_file_header()
    assert len(header) == FILE_HEADER_SIZE
    assert decode_file_header(header) == FORMAT_VERSION
    with pytest.raises(ArchiveError, match="not an ozarc"):
        decode_file_header(b"PK\x03\x04" + header[4:])
    damaged = bytearray(header)
    damaged[10] ^= 1
    with pytest.raises(ArchiveError, match="damaged"):
        decode_file_header(bytes(damaged))
    with pytest.raises(FormatVersionError):
        decode_file_header(encode_file_header(version=FORMAT_VERSION + 1))


def test_footer_round_trip_and_damage():
    footer = Footer(2**40 + 5, 123, b"abcdefgh")
    assert Footer.decode(footer.encode()) == footer
    encoded = footer.encode()
    for i in range(len(encoded)):
        damaged = bytearray(encoded)
        damaged[i] ^= 4
        with pytest.raises(ArchiveError):
            Footer.decode(bytes(damaged))


def test_unknown_kind_values_still_decode():
    body = bytearray(EntryRecord(b"x", EntryKind.DIR, 0, 0).encode_body())
    body[0] = 9
    assert EntryRecord.decode_body(bytes(body)).kind == 9
    assert encode_uvarint(0) == b"\x00"
