"""Text files: decide what is text, and normalise what the text model should not see.

A text file is valid UTF-8 (ASCII included) with few control bytes.  The stream is the UTF-8
text without a byte-order mark and with CRLF line ends turned into LF when *every* line end is
CRLF (the model sees one convention); the recipe holds two flags to put both back.
"""

from __future__ import annotations

from collections.abc import Sequence

from ozarc.errors import TransformError
from ozarc.modality import Modality
from ozarc.transforms.base import Split, Stream, Transform
from ozarc.transforms.recipe import RecipeReader, RecipeWriter

RECIPE_VERSION = 1
UTF8_BOM = b"\xef\xbb\xbf"
FLAG_BOM = 1
FLAG_CRLF = 2
ALLOWED_CONTROLS = frozenset(b"\t\n\r\f")
MAX_CONTROL_SHARE = 0.01
_CONTROL_TABLE = bytes(0 if (b >= 0x20 or b in ALLOWED_CONTROLS) else 1 for b in range(256))
_DROP_NON_CONTROLS = bytes(b for b in range(256) if not _CONTROL_TABLE[b])


def is_text(data: bytes) -> bool:
    """Valid UTF-8 (BOM allowed) with at most 1% control bytes other than tab/CR/LF/FF."""
    body = data[3:] if data.startswith(UTF8_BOM) else data
    if not body:
        return bool(data)
    controls = len(body.translate(None, _DROP_NON_CONTROLS))
    if controls > MAX_CONTROL_SHARE * len(body):
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def normalise(data: bytes) -> tuple[int, bytes]:
    """(flags, stream bytes) for a text file; the inverse is ``denormalise``."""
    flags = 0
    body = data
    if body.startswith(UTF8_BOM):
        flags |= FLAG_BOM
        body = body[3:]
    if b"\r\n" in body:
        lf = body.replace(b"\r\n", b"\n")
        if lf.replace(b"\n", b"\r\n") == body:
            flags |= FLAG_CRLF
            body = lf
    return flags, body


def denormalise(flags: int, body: bytes) -> bytes:
    if flags & ~(FLAG_BOM | FLAG_CRLF):
        raise TransformError(f"text recipe has unknown flags {flags:#x}")
    if flags & FLAG_CRLF:
        body = body.replace(b"\n", b"\r\n")
    if flags & FLAG_BOM:
        body = UTF8_BOM + body
    return body


class TextTransform(Transform):
    """Used only when there is something to undo (a BOM or CRLF); plain text needs no recipe."""

    transform_id = 6
    name = "text"

    def sniff(self, head: bytes) -> bool:
        return True

    def probe(self, data: bytes) -> Modality:
        if not is_text(data):
            raise TransformError("not UTF-8 text")
        return Modality.TEXT

    def split(self, data: bytes) -> Split:
        data = bytes(data)
        if not is_text(data):
            raise TransformError("not UTF-8 text")
        flags, body = normalise(data)
        if not flags:
            raise TransformError("plain text needs no transform")
        recipe = RecipeWriter().u8(RECIPE_VERSION).u8(flags).getvalue()
        return Split(self.transform_id, recipe, (Stream(Modality.TEXT, body),))

    def join(self, recipe: bytes, streams: Sequence[bytes]) -> bytes:
        r = RecipeReader(recipe)
        r.expect_version(RECIPE_VERSION, "text")
        flags = r.u8()
        r.done()
        if len(streams) != 1:
            raise TransformError("text join needs exactly one stream")
        return denormalise(flags, bytes(streams[0]))
