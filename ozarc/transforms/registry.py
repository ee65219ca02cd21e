"""The transform table (ids are on disk forever) and the archive-facing entry points.

``split_for_archive`` is the only place that decides which transform codes a file: it tries the
transform whose magic matches, checks ``join(split(x)) == x`` and otherwise falls back to the
identity transform, so a malformed or unusual file is stored as it is and never fails a pack.
"""

from __future__ import annotations

from collections.abc import Sequence

from ozarc.errors import TransformError
from ozarc.modality import Modality
from ozarc.transforms.base import Split, Stream, Transform
from ozarc.transforms.bmp import BmpTransform
from ozarc.transforms.png import PngTransform
from ozarc.transforms.pnm import PnmTransform
from ozarc.transforms.text import TextTransform, is_text
from ozarc.transforms.tiff import TiffTransform
from ozarc.transforms.wav import WavTransform

IDENTITY_ID = 0
SNIFF_BYTES = 64


class IdentityTransform(Transform):
    """The file as one stream; TEXT when it is text, else OTHER.  Needs no recipe."""

    transform_id = IDENTITY_ID
    name = "identity"

    def sniff(self, head: bytes) -> bool:
        return True

    def split(self, data: bytes) -> Split:
        data = bytes(data)
        modality = Modality.TEXT if is_text(data) else Modality.OTHER
        return Split(IDENTITY_ID, b"", (Stream(modality, data),))

    def join(self, recipe: bytes, streams: Sequence[bytes]) -> bytes:
        if recipe or len(streams) != 1:
            raise TransformError("identity join needs exactly one stream and no recipe")
        return bytes(streams[0])


_TRANSFORMS: dict[int, Transform] = {
    t.transform_id: t
    for t in (IdentityTransform(), PngTransform(), BmpTransform(), PnmTransform(),
              TiffTransform(), WavTransform(), TextTransform())
}
#: Format transforms in the order their magic is checked; text (which has no magic) comes last.
FORMAT_ORDER = (1, 2, 3, 4, 5)
TEXT_ID = 6


def transform_by_id(tid: int) -> Transform:
    """The transform with on-disk id ``tid``; TransformError names an unknown id."""
    try:
        return _TRANSFORMS[tid]
    except KeyError:
        raise TransformError(f"unknown transform id {tid}: the archive was written by a newer "
                             "ozarc; upgrade to extract this entry") from None


def transform_name(tid: int) -> str:
    return transform_by_id(tid).name


def candidates(data: bytes) -> list[Transform]:
    """Transforms worth trying for ``data``: the format whose magic matches, then text."""
    head = bytes(data[:SNIFF_BYTES])
    found = [_TRANSFORMS[i] for i in FORMAT_ORDER if _TRANSFORMS[i].sniff(head)]
    return found + [_TRANSFORMS[TEXT_ID]]


def _verified_split(transform: Transform, data: bytes) -> Split | None:
    try:
        split = transform.split(data)
        rebuilt = transform.join(split.recipe, [s.data for s in split.streams])
    except Exception:  # noqa: BLE001 - any parse failure on user data means "store as is"
        return None
    return split if rebuilt == data else None


def split_for_archive(data: bytes) -> Split:
    """The best verified split of ``data``; the identity split when nothing else round-trips.

    Never raises for bad input: malformed, truncated or lying files fall back to identity.
    """
    data = bytes(data)
    for transform in candidates(data):
        split = _verified_split(transform, data)
        if split is not None:
            return split
    return _TRANSFORMS[IDENTITY_ID].split(data)


def join_from_archive(transform_id: int, recipe: bytes, streams: list[bytes]) -> bytes:
    """Rebuild a file from its stored transform id, recipe and decoded streams.

    Raises TransformError (never another exception type) when the pieces do not fit.
    """
    transform = transform_by_id(transform_id)
    try:
        return transform.join(bytes(recipe), [bytes(s) for s in streams])
    except TransformError:
        raise
    except Exception as exc:  # noqa: BLE001 - corrupt archive data must not leak a traceback
        raise TransformError(f"{transform.name} data is corrupt: {exc}") from None
