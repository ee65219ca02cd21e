"""Modality tags: what kind of content a stream holds.

The numeric codes are written into archives, so they never change meaning; new modalities get
new codes.  Readers treat an unknown code as ``OTHER`` for display but still decode by codec id.
"""

from __future__ import annotations

import enum


class Modality(enum.IntEnum):
    OTHER = 0
    TEXT = 1
    IMAGE_RGB = 2
    IMAGE_GRAY = 3
    SPEECH = 4

    @property
    def tag(self) -> str:
        return _TAGS[self]

    @classmethod
    def from_tag(cls, tag: str) -> "Modality":
        for member, name in _TAGS.items():
            if name == tag:
                return member
        raise ValueError(f"unknown modality tag {tag!r}")

    @classmethod
    def from_code(cls, code: int) -> "Modality":
        try:
            return cls(code)
        except ValueError:
            return cls.OTHER


_TAGS = {
    Modality.OTHER: "other",
    Modality.TEXT: "text",
    Modality.IMAGE_RGB: "image-rgb",
    Modality.IMAGE_GRAY: "image-gray",
    Modality.SPEECH: "speech",
}
