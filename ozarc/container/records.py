"""On-disk record bodies: chunks, entries (local headers) and model-table rows.

Each dataclass is exactly one record body; ``encode_body``/``decode_body`` are pure and
symmetric.  Decoding checks structure and hard limits (a chunk never claims more than
``MAX_CHUNK_RAW`` raw bytes) but not semantics such as unknown codec ids: those fail only the
entry that uses them, later.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from ozarc.container.packed import pack, unpack
from ozarc.container.varint import BodyReader, encode_blob, encode_svarint, encode_uvarint
from ozarc.errors import CorruptDataError

#: No chunk decodes to more than this: it bounds every allocation a reader makes per chunk.
MAX_CHUNK_RAW = 64 << 20
MAX_NAME_BYTES = 65535
MAX_GEOMETRY_DIMS = 8
RAW_CHECK_SIZE = 8
CONTENT_HASH_SIZE = 32
MODEL_HASH_SIZE = 32


class EntryKind(enum.IntEnum):
    FILE = 0
    DIR = 1
    SYMLINK = 2
    HARDLINK = 3

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class ChunkRecord:
    """One independently coded piece of a stream (or of several small files: a solid chunk).

    ``model_ref`` is 0 for codecs without a model, else 1 + the model-table index.
    ``raw_check`` is BLAKE2b-64 of the raw (decoded) bytes.
    """

    chunk_no: int
    codec_id: int
    model_ref: int
    raw_len: int
    raw_check: bytes
    payload: bytes | memoryview

    def encode_body(self) -> bytes:
        return b"".join((
            encode_uvarint(self.chunk_no), encode_uvarint(self.codec_id),
            encode_uvarint(self.model_ref), encode_uvarint(self.raw_len), self.raw_check,
            encode_uvarint(len(self.payload)), bytes(self.payload),
        ))

    @classmethod
    def decode_body(cls, body: bytes | memoryview, what: str = "chunk") -> "ChunkRecord":
        reader = BodyReader(body, what)
        chunk_no, codec_id, model_ref, raw_len = (reader.uvarint() for _ in range(4))
        if raw_len > MAX_CHUNK_RAW:
            raise CorruptDataError(f"{what}: claims {raw_len} raw bytes, over the "
                                   f"{MAX_CHUNK_RAW}-byte limit")
        raw_check = reader.fixed(RAW_CHECK_SIZE)
        payload_len = reader.uvarint()
        if payload_len != reader.remaining():
            raise CorruptDataError(f"{what}: payload length {payload_len} does not match the "
                                   f"record ({reader.remaining()} bytes)")
        return cls(chunk_no, codec_id, model_ref, raw_len, raw_check, reader.rest())


@dataclass(frozen=True)
class Extent:
    """``length`` bytes at ``offset`` in the raw bytes of chunk ``chunk_no``."""

    chunk_no: int
    offset: int
    length: int


@dataclass(frozen=True)
class StreamRef:
    """One stream of an entry: its modality code, geometry, length and where its bytes lie."""

    modality: int
    geometry: tuple[int, ...]
    length: int
    extents: tuple[Extent, ...]


@dataclass(frozen=True)
class EntryRecord:
    """One member: its local header (in an ENTRY group written after its data) and its index
    entry.  The local form leaves out ``content_hash``, which only the index carries.

    ``name`` and ``link_target`` are raw bytes (UTF-8 for names that are valid UTF-8; other
    names keep the file system's bytes).  For a hard link ``link_target`` is the name of the
    member it links to.  ``content_hash`` is BLAKE2b-256 of a file's content (files only).
    ``modality`` is the code of the entry's main stream; ``transform_id`` 0 is identity: one
    stream, the file's bytes.  Otherwise stream 0 is the transform's recipe.
    """

    name: bytes
    kind: int
    mode: int
    mtime_ns: int
    size: int = 0
    modality: int = 0
    transform_id: int = 0
    link_target: bytes = b""
    content_hash: bytes = b""
    streams: tuple[StreamRef, ...] = ()

    def encode_body(self, with_hash: bool = True) -> bytes:
        """The index form (``with_hash``) or the local form, which leaves the hash out."""
        parts = [
            bytes([self.kind]), encode_blob(self.name), encode_uvarint(self.mode),
            encode_svarint(self.mtime_ns), encode_uvarint(self.size),
            encode_uvarint(self.modality), encode_uvarint(self.transform_id),
            encode_blob(self.link_target),
        ]
        if self.kind == EntryKind.FILE and with_hash:
            parts.append(self.content_hash)
        parts.append(encode_uvarint(len(self.streams)))
        for stream in self.streams:
            parts += [encode_uvarint(stream.modality), encode_uvarint(len(stream.geometry))]
            parts += [encode_uvarint(g) for g in stream.geometry]
            parts += [encode_uvarint(stream.length), encode_uvarint(len(stream.extents))]
            previous = 0
            for extent in stream.extents:
                parts += [encode_svarint(extent.chunk_no - previous),
                          encode_uvarint(extent.offset), encode_uvarint(extent.length)]
                previous = extent.chunk_no
        return b"".join(parts)

    @classmethod
    def decode_body(cls, body: bytes | memoryview, what: str = "entry",
                    with_hash: bool = True) -> "EntryRecord":
        reader = BodyReader(body, what)
        kind = reader.u8()
        name = reader.blob(MAX_NAME_BYTES)
        mode, mtime_ns, size = reader.uvarint(), reader.svarint(), reader.uvarint()
        modality, transform_id = reader.uvarint(), reader.uvarint()
        link_target = reader.blob(MAX_NAME_BYTES)
        has_hash = with_hash and kind == EntryKind.FILE
        content_hash = reader.fixed(CONTENT_HASH_SIZE) if has_hash else b""
        streams = tuple(_decode_stream(reader) for _ in range(reader.uvarint()))
        # Trailing bytes are fields added by a later minor version: skipped, not an error.
        return cls(name, kind, mode, mtime_ns, size, modality, transform_id, link_target,
                   content_hash, streams)


def _decode_stream(reader: BodyReader) -> StreamRef:
    modality = reader.uvarint()
    n_dims = reader.uvarint()
    if n_dims > MAX_GEOMETRY_DIMS:
        raise CorruptDataError(f"{reader.what}: stream geometry has {n_dims} dimensions")
    geometry = tuple(reader.uvarint() for _ in range(n_dims))
    length, n_extents = reader.uvarint(), reader.uvarint()
    extents, chunk_no, total = [], 0, 0
    for _ in range(n_extents):
        chunk_no += reader.svarint()
        extent = Extent(chunk_no, reader.uvarint(), reader.uvarint())
        if chunk_no < 0 or extent.offset + extent.length > MAX_CHUNK_RAW:
            raise CorruptDataError(f"{reader.what}: extent outside any possible chunk")
        total += extent.length
        extents.append(extent)
    if total != length:
        raise CorruptDataError(f"{reader.what}: stream extents hold {total} bytes, "
                               f"the stream claims {length}")
    return StreamRef(modality, geometry, length, tuple(extents))


MAX_GROUP_RAW = 64 << 20


def encode_entry_group(records: list[EntryRecord]) -> bytes:
    """An ENTRY record body: the local headers of consecutive entries, packed together."""
    inner = b"".join(encode_blob(r.encode_body(with_hash=False)) for r in records)
    return encode_uvarint(len(records)) + pack(inner)


def decode_entry_group(body: bytes | memoryview, what: str = "entry group") -> list[EntryRecord]:
    reader = BodyReader(body, what)
    count = reader.uvarint()
    inner = BodyReader(unpack(reader, MAX_GROUP_RAW), what)
    records = [EntryRecord.decode_body(inner.blob(MAX_GROUP_RAW), f"{what} entry {i}",
                                       with_hash=False) for i in range(count)]
    inner.expect_end()
    return records


@dataclass(frozen=True)
class ModelRecord:
    """One model-table row: the model's name and the SHA-256 of its file."""

    table_index: int
    name: str
    sha256: bytes

    def encode_body(self) -> bytes:
        return (encode_uvarint(self.table_index) + encode_blob(self.name.encode("utf-8"))
                + self.sha256)

    @classmethod
    def decode_body(cls, body: bytes | memoryview, what: str = "model record") -> "ModelRecord":
        reader = BodyReader(body, what)
        table_index = reader.uvarint()
        name = reader.blob(1024).decode("utf-8", "replace")
        sha256 = reader.fixed(MODEL_HASH_SIZE)
        reader.expect_end()
        return cls(table_index, name, sha256)
