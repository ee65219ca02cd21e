"""Transform recipes as explicit byte layouts, on top of the container's varint fields.

Recipes are stored in archives, so they are ULEB128 varints, single bytes and length-prefixed
blobs (``ozarc.container.varint``), never pickles.  Every length is checked against the bytes
at hand, and any damage surfaces as TransformError (the archive reader turns it into a
one-line error for that entry).
"""

from __future__ import annotations

from ozarc.container.varint import BodyReader, encode_blob, encode_uvarint
from ozarc.errors import CorruptDataError, TransformError


class RecipeWriter:
    """Appends fields to a recipe; ``getvalue()`` returns the bytes."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def u8(self, value: int) -> "RecipeWriter":
        self._parts.append(bytes([value]))
        return self

    def uint(self, value: int) -> "RecipeWriter":
        try:
            self._parts.append(encode_uvarint(value))
        except ValueError as exc:
            raise TransformError(f"recipe field out of range: {exc}") from None
        return self

    def blob(self, data: bytes) -> "RecipeWriter":
        self._parts.append(encode_blob(bytes(data)))
        return self

    def uints(self, values: list[int]) -> "RecipeWriter":
        self.uint(len(values))
        for v in values:
            self.uint(v)
        return self

    def getvalue(self) -> bytes:
        return b"".join(self._parts)


class RecipeReader:
    """Reads fields written by RecipeWriter, in the same order; raises TransformError on damage."""

    def __init__(self, data: bytes) -> None:
        self._body = BodyReader(bytes(data), "transform recipe")

    def _read(self, field, *args):
        try:
            return field(*args)
        except CorruptDataError as exc:
            raise TransformError(f"recipe is corrupt: {exc}") from None

    def u8(self) -> int:
        return self._read(self._body.u8)

    def uint(self) -> int:
        return self._read(self._body.uvarint)

    def blob(self) -> bytes:
        return self._read(self._body.blob, self._body.remaining())

    def uints(self) -> list[int]:
        n = self.uint()
        if n > self._body.remaining():  # each value takes at least one byte
            raise TransformError("recipe is corrupt: list longer than the recipe")
        return [self.uint() for _ in range(n)]

    def expect_version(self, supported: int | tuple[int, ...], what: str) -> int:
        """The recipe's version byte, which must be ``supported`` (or one of them)."""
        readable = supported if isinstance(supported, tuple) else (supported,)
        version = self.u8()
        if version not in readable:
            shown = " or ".join(map(str, readable))
            raise TransformError(f"{what} recipe version {version} is not supported "
                                 f"(this ozarc reads version {shown}); upgrade ozarc")
        return version

    def done(self) -> None:
        self._read(self._body.expect_end)
