"""What kind of content a file holds, judged by its bytes, never by its name.

A format counts only when its magic matches *and* its headers parse (a file that merely
starts with "BM" is not a bitmap).  Detection does not decode pixels or search zlib settings,
so a PNG that ``split_for_archive`` later stores as-is is still reported as an image.
"""

from __future__ import annotations

from ozarc.modality import Modality
from ozarc.transforms.registry import candidates
from ozarc.transforms.text import is_text


def detect(data: bytes) -> Modality:
    """The modality of ``data``'s main content: image, speech, text or other."""
    data = bytes(data)
    for transform in candidates(data):
        try:
            return transform.probe(data)
        except Exception:  # noqa: BLE001 - TransformError, or struct.error on a short header
            continue
    return Modality.TEXT if is_text(data) else Modality.OTHER
