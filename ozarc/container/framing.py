"""The fixed-layout parts of an archive: file header, record frames and footer.

Layout (FORMAT.md has the full story)::

    file header (16 bytes) | record* | INDEX record | footer (32 bytes)

Every record is framed as ``sync(4) type(1) body_len(varint) body check(4)`` where ``check``
is BLAKE2b with a 4-byte digest over type, length and body.  The sync bytes plus the check let
a scanner find intact records again after damage (``open(..., recover=True)``).
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass

from ozarc.container.varint import BodyReader, encode_uvarint
from ozarc.errors import ArchiveError, CorruptDataError, FormatVersionError

FILE_MAGIC = b"\x89OZA\r\n\x1a\n"
FORMAT_VERSION = 1
FILE_HEADER_SIZE = 16
RECORD_SYNC = b"\x8eOZ\x1e"
FOOTER_MAGIC = b"\x89OZE"
FOOTER_SIZE = 32
FRAME_CHECK_SIZE = 4
#: The most bytes a frame header (sync, type, body length) can take.
MAX_FRAME_HEADER = 4 + 1 + 10


class RecordType:
    """Record type codes; readers skip types they do not know (scan) or name them (index)."""

    CHUNK = 1
    ENTRY = 2
    MODEL = 3
    INDEX = 4


def check4(data: bytes | memoryview) -> bytes:
    return hashlib.blake2b(data, digest_size=4).digest()


def check8(data: bytes | memoryview) -> bytes:
    return hashlib.blake2b(data, digest_size=8).digest()


def encode_file_header(version: int = FORMAT_VERSION, flags: int = 0) -> bytes:
    head = FILE_MAGIC + struct.pack("<HH", version, flags)
    return head + check4(head)


def decode_file_header(data: bytes) -> int:
    """Return the format version; ArchiveError if this is not an intact ozarc header."""
    if len(data) < FILE_HEADER_SIZE or data[:8] != FILE_MAGIC:
        raise ArchiveError("not an ozarc archive (bad magic bytes)")
    if check4(data[:12]) != data[12:16]:
        raise ArchiveError("the archive's file header is damaged (try `ozarc x --recover`, or recover=True)")
    version, _flags = struct.unpack("<HH", data[8:12])
    if version > FORMAT_VERSION:
        raise FormatVersionError(
            f"archive format version {version} is newer than this ozarc supports "
            f"({FORMAT_VERSION}): upgrade ozarc")
    return version


def encode_frame(record_type: int, body: bytes) -> bytes:
    head = bytes([record_type]) + encode_uvarint(len(body))
    return b"".join((RECORD_SYNC, head, body, check4(head + body)))


@dataclass(frozen=True)
class FrameHeader:
    """Where a frame's body lies: ``body_offset`` is relative to the frame start."""

    record_type: int
    body_len: int
    body_offset: int

    @property
    def frame_len(self) -> int:
        return self.body_offset + self.body_len + FRAME_CHECK_SIZE


def parse_frame_header(data: bytes | memoryview, what: str) -> FrameHeader:
    """Parse sync, type and body length from the first bytes of a frame."""
    if bytes(data[:4]) != RECORD_SYNC:
        raise CorruptDataError(f"{what}: no record starts here (bad sync bytes)")
    reader = BodyReader(data, what)
    reader.pos = 4
    record_type = reader.u8()
    body_len = reader.uvarint()
    return FrameHeader(record_type, body_len, reader.pos)


def check_frame(frame: bytes | memoryview, header: FrameHeader, what: str) -> memoryview:
    """Verify a whole frame's check and return its body."""
    frame = memoryview(frame)
    if len(frame) < header.frame_len:
        raise CorruptDataError(f"{what}: record is cut short")
    end = header.body_offset + header.body_len
    if check4(frame[4:end]) != bytes(frame[end:end + FRAME_CHECK_SIZE]):
        raise CorruptDataError(f"{what}: record checksum mismatch")
    return frame[header.body_offset:end]


@dataclass(frozen=True)
class Footer:
    index_offset: int
    index_length: int
    index_check: bytes  # check8 of the whole INDEX frame

    def encode(self) -> bytes:
        head = struct.pack("<QQ", self.index_offset, self.index_length) + self.index_check
        return head + check4(head) + FOOTER_MAGIC

    @classmethod
    def decode(cls, data: bytes) -> "Footer":
        if len(data) != FOOTER_SIZE or data[28:32] != FOOTER_MAGIC:
            raise ArchiveError("the archive's footer is missing or damaged: the archive may be "
                               "truncated (try `ozarc x --recover`, or recover=True)")
        if check4(data[:24]) != data[24:28]:
            raise ArchiveError("the archive's footer is damaged (try `ozarc x --recover`, or recover=True)")
        offset, length = struct.unpack("<QQ", data[:16])
        return cls(offset, length, data[16:24])
