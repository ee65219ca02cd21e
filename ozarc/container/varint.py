"""Little-endian base-128 varints (ULEB128) and a bounds-checked reader for record bodies.

Every variable-width integer in the format is a ULEB128 varint: small values take one byte
and any 64-bit value fits in at most 10 bytes, so sizes beyond 4 GiB need no special case.
Signed values (mtimes before 1970) are zigzag-mapped first.
"""

from __future__ import annotations

from ozarc.errors import CorruptDataError

MAX_VARINT_BYTES = 10
U64_MAX = (1 << 64) - 1


def encode_uvarint(value: int) -> bytes:
    if value < 0 or value > U64_MAX:
        raise ValueError(f"varint out of range: {value}")
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def zigzag(value: int) -> int:
    return (value << 1) if value >= 0 else ((-value) << 1) - 1


def unzigzag(value: int) -> int:
    return (value >> 1) if not value & 1 else -((value + 1) >> 1)


def encode_svarint(value: int) -> bytes:
    return encode_uvarint(zigzag(value))


def encode_blob(data: bytes) -> bytes:
    """A length-prefixed byte string."""
    return encode_uvarint(len(data)) + data


class BodyReader:
    """Reads fields from one record body; any overrun or bad varint is CorruptDataError."""

    def __init__(self, data: bytes | memoryview, what: str):
        self.data = memoryview(data)
        self.pos = 0
        self.what = what

    def _fail(self, reason: str) -> CorruptDataError:
        return CorruptDataError(f"{self.what}: {reason} at byte {self.pos}")

    def uvarint(self) -> int:
        value = shift = 0
        for i in range(MAX_VARINT_BYTES):
            if self.pos >= len(self.data):
                raise self._fail("truncated varint")
            byte = self.data[self.pos]
            self.pos += 1
            value |= (byte & 0x7F) << shift
            if not byte & 0x80:
                if value > U64_MAX:
                    raise self._fail("varint exceeds 64 bits")
                return value
            shift += 7
        raise self._fail("varint longer than 10 bytes")

    def svarint(self) -> int:
        return unzigzag(self.uvarint())

    def u8(self) -> int:
        return self.fixed(1)[0]

    def fixed(self, n: int) -> bytes:
        if n > len(self.data) - self.pos:
            raise self._fail(f"truncated field ({n} bytes wanted)")
        out = bytes(self.data[self.pos:self.pos + n])
        self.pos += n
        return out

    def blob(self, limit: int) -> bytes:
        n = self.uvarint()
        if n > limit:
            raise self._fail(f"field of {n} bytes exceeds the limit of {limit}")
        return self.fixed(n)

    def rest(self) -> memoryview:
        out = self.data[self.pos:]
        self.pos = len(self.data)
        return out

    def remaining(self) -> int:
        return len(self.data) - self.pos

    def expect_end(self) -> None:
        if self.pos != len(self.data):
            raise self._fail(f"{len(self.data) - self.pos} unexpected trailing bytes")
