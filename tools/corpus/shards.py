"""Byte-stable shard files: .npz of arrays and UTF-8 text with a document separator.

``numpy.savez`` stamps the current time into its zip entries, so two builds of
the same corpus would differ; this writer fixes the timestamps and the deflate
level. The result is still an ordinary .npz that ``numpy.load`` reads.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from pathlib import Path

import numpy as np

DOC_SEPARATOR = "\x1e"  # ASCII record separator between documents in text shards
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_LEVEL = 6


def npy_bytes(array: np.ndarray) -> bytes:
    """The .npy serialisation of ``array``."""
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.ascontiguousarray(array), allow_pickle=False)
    return buf.getvalue()


def deflated_size(array: np.ndarray) -> int:
    """Bytes the array will take inside a shard (raw deflate payload + entry overhead)."""
    comp = zlib.compressobj(_LEVEL, zlib.DEFLATED, -15)
    data = npy_bytes(array)
    return len(comp.compress(data) + comp.flush()) + 100


def write_npz(path: Path, arrays: list[tuple[str, np.ndarray]]) -> int:
    """Write ``arrays`` (name, array) in the given order; returns the file size."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=_LEVEL) as zf:
        for name, array in arrays:
            info = zipfile.ZipInfo(name + ".npy", date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, npy_bytes(array), compresslevel=_LEVEL)
    return path.stat().st_size


def text_document(text: str) -> str:
    """A document ready for a shard: separators removed, ends with a newline."""
    text = text.replace(DOC_SEPARATOR, "")
    return text if text.endswith("\n") else text + "\n"


def write_text_shard(path: Path, documents: list[str]) -> int:
    """UTF-8 documents each followed by DOC_SEPARATOR; returns the file size."""
    data = "".join(text_document(d) + DOC_SEPARATOR for d in documents).encode("utf-8")
    path.write_bytes(data)
    return len(data)


def read_text_shard(path: Path) -> list[str]:
    """Documents of a shard written by ``write_text_shard``."""
    parts = path.read_bytes().decode("utf-8").split(DOC_SEPARATOR)  # no newline translation
    return parts[:-1]
