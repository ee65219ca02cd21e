"""The central index: model table, chunk table and every entry, written once at the end.

A reader needs only the footer and this record to list, read and extract; the records
before it are consulted by chunk number through the chunk table.  Entries are encoded with
the same body as their local ENTRY record (plus the content hash), length-prefixed so later
versions can append fields a current reader skips.  The whole body is packed (zstd).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ozarc.container.packed import pack, unpack
from ozarc.container.records import MODEL_HASH_SIZE, EntryRecord, ModelRecord
from ozarc.container.varint import BodyReader, encode_blob, encode_svarint, encode_uvarint

MAX_ENTRY_BODY = 1 << 24
#: The most bytes an unpacked index may claim (readers lower it for small archives).
MAX_INDEX_RAW = 1 << 30


@dataclass(frozen=True)
class ChunkLocation:
    """Where chunk ``n`` lies (frame start and length) and what it holds, for listings."""

    offset: int
    frame_len: int
    codec_id: int
    raw_len: int
    payload_len: int


@dataclass
class ArchiveIndex:
    """Everything a reader needs: ``chunks[n]`` locates chunk number n."""

    models: list[ModelRecord] = field(default_factory=list)
    chunks: list[ChunkLocation] = field(default_factory=list)
    entries: list[EntryRecord] = field(default_factory=list)
    entry_offsets: list[int] = field(default_factory=list)

    def encode_body(self) -> bytes:
        parts = [encode_uvarint(len(self.models))]
        for model in self.models:
            parts += [encode_blob(model.name.encode("utf-8")), model.sha256]
        parts.append(encode_uvarint(len(self.chunks)))
        previous = 0
        for chunk in self.chunks:
            parts += [encode_uvarint(chunk.offset - previous), encode_uvarint(chunk.frame_len),
                      encode_uvarint(chunk.codec_id), encode_uvarint(chunk.raw_len),
                      encode_uvarint(chunk.payload_len)]
            previous = chunk.offset
        parts.append(encode_uvarint(len(self.entries)))
        previous = 0
        for entry, offset in zip(self.entries, self.entry_offsets, strict=True):
            parts += [encode_svarint(offset - previous), encode_blob(entry.encode_body())]
            previous = offset
        return pack(b"".join(parts))

    @classmethod
    def decode_body(cls, body: bytes | memoryview, what: str = "index",
                    limit: int = MAX_INDEX_RAW) -> "ArchiveIndex":
        reader = BodyReader(unpack(BodyReader(body, what), limit), what)
        index = cls()
        for table_index in range(reader.uvarint()):
            name = reader.blob(1024).decode("utf-8", "replace")
            index.models.append(ModelRecord(table_index, name, reader.fixed(MODEL_HASH_SIZE)))
        offset = 0
        for _ in range(reader.uvarint()):
            offset += reader.uvarint()
            index.chunks.append(ChunkLocation(offset, *(reader.uvarint() for _ in range(4))))
        offset = 0
        for number in range(reader.uvarint()):
            offset += reader.svarint()
            body_bytes = reader.blob(MAX_ENTRY_BODY)
            index.entries.append(EntryRecord.decode_body(body_bytes, f"{what} entry {number}"))
            index.entry_offsets.append(offset)
        reader.expect_end()
        return index
