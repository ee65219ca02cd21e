"""The ``.ozm`` model file: config, integer tensors, lookup tables and opaque blobs.

Why: a model is named by the SHA-256 of its file, and archives record that hash, so the
writer must be canonical (the same content always gives the same bytes) and the reader must
refuse anything else.  The layout (docs/ozm-format.md):

    magic      8 bytes   b"\\x89OZM\\r\\n\\x1a\\n"
    version    u32 LE    1; 2 for a model that reads the pixel above (config above_pixel);
                         3 for one that codes speech as a predictor's residual (speech_predictor);
                         4 for one whose speech predictor is the adaptive one (order 8 or more)
    hlen       u32 LE    length of the JSON header
    header     hlen bytes of UTF-8 JSON (sorted keys, no spaces, ASCII only)
    padding    zeros up to a multiple of 64 bytes; the data section starts here
    data       each tensor, then each blob, in sorted name order, each starting on a
               64-byte boundary (zero padding between), little-endian, C order

The header holds ``name``, ``config`` (ModelConfig fields), ``engine`` (the fixed-point
constants the engine was exported for), ``meta`` (free-form provenance), ``tensors``
({name: {dtype, shape, offset, nbytes}}) and ``blobs`` ({name: {offset, nbytes}}); offsets
are relative to the start of the data section.
"""

from __future__ import annotations

import hashlib
import json
import struct
from dataclasses import dataclass, field

import numpy as np

from ozarc.errors import CorruptDataError
from ozarc.model.tokenizers.speech import ADAPTIVE_ORDERS

MAGIC = b"\x89OZM\r\n\x1a\n"
FORMAT_VERSION = 4           # the newest version this ozarc reads and writes
ALIGN = 64
DTYPES = ("int8", "uint8", "int16", "int32", "int64")
_PREAMBLE = struct.Struct("<8sII")


@dataclass
class OzmFile:
    """The decoded content of one model file."""

    name: str
    config: dict
    engine: dict
    tensors: dict[str, np.ndarray]
    blobs: dict[str, bytes] = field(default_factory=dict)
    meta: dict = field(default_factory=dict)


def file_version(config: dict) -> int:
    """The lowest version that can hold this model: 4 once speech is coded as the adaptive
    predictor's residual (an ozarc that knows only the fixed predictors would refuse the order
    with a less helpful message), 3 once speech is coded as a fixed predictor's residual, 2
    once the network reads the pixel above (an older ozarc would otherwise ignore the switch
    and decode wrongly; now it says "upgrade ozarc"), else 1, so older models keep their bytes
    and hashes."""
    if config.get("speech_predictor", 0) in ADAPTIVE_ORDERS:
        return 4
    if config.get("speech_predictor"):
        return 3
    return 2 if config.get("above_pixel") else 1


def _pad(n: int) -> int:
    return -n % ALIGN


def _canonical_json(obj) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def write_ozm(model: OzmFile) -> bytes:
    """Serialise canonically: equal content gives equal bytes (hence an equal SHA-256)."""
    directory, blob_dir, parts, offset = {}, {}, [], 0
    for name in sorted(model.tensors):
        arr = np.asarray(model.tensors[name])
        if arr.dtype.name not in DTYPES:
            raise ValueError(f"tensor {name}: dtype {arr.dtype} not allowed in .ozm")
        raw = arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes(order="C")
        directory[name] = {"dtype": arr.dtype.name, "shape": list(arr.shape),
                           "offset": offset, "nbytes": len(raw)}
        parts.append(raw + b"\0" * _pad(len(raw)))
        offset += len(raw) + _pad(len(raw))
    for name in sorted(model.blobs):
        raw = bytes(model.blobs[name])
        blob_dir[name] = {"offset": offset, "nbytes": len(raw)}
        parts.append(raw + b"\0" * _pad(len(raw)))
        offset += len(raw) + _pad(len(raw))
    header = _canonical_json({"name": model.name, "config": model.config,
                              "engine": model.engine, "meta": model.meta,
                              "tensors": directory, "blobs": blob_dir})
    head = _PREAMBLE.pack(MAGIC, file_version(model.config), len(header)) + header
    return head + b"\0" * _pad(len(head)) + b"".join(parts)


def read_ozm(data: bytes, label: str = "model file") -> OzmFile:
    """Parse and validate; raise CorruptDataError naming ``label`` on any defect, including
    a file that is not in canonical form (its hash would not identify its content)."""
    try:
        model = _parse(bytes(data))
    except CorruptDataError:
        raise
    except (ValueError, KeyError, TypeError, struct.error, UnicodeDecodeError) as exc:
        raise CorruptDataError(f"{label}: damaged .ozm file ({exc})") from None
    if write_ozm(model) != bytes(data):
        raise CorruptDataError(f"{label}: .ozm file is not in canonical form")
    return model


def _parse(data: bytes) -> OzmFile:
    if len(data) < _PREAMBLE.size:
        raise ValueError("file too short")
    magic, version, hlen = _PREAMBLE.unpack_from(data)
    if magic != MAGIC:
        raise ValueError("not an .ozm model file")
    if not 1 <= version <= FORMAT_VERSION:
        raise CorruptDataError(f".ozm format version {version} is not supported "
                               f"(this ozarc reads versions 1 to {FORMAT_VERSION}); upgrade ozarc")
    header = json.loads(data[_PREAMBLE.size:_PREAMBLE.size + hlen].decode("ascii"))
    base = _PREAMBLE.size + hlen
    base += _pad(base)
    tensors = {}
    for name, entry in header["tensors"].items():
        if entry["dtype"] not in DTYPES:
            raise ValueError(f"tensor {name}: bad dtype")
        start, nbytes = base + int(entry["offset"]), int(entry["nbytes"])
        dtype = np.dtype(entry["dtype"]).newbyteorder("<")
        shape = tuple(int(s) for s in entry["shape"])
        if start + nbytes > len(data) or nbytes != int(np.prod(shape)) * dtype.itemsize:
            raise ValueError(f"tensor {name}: out of bounds")
        arr = np.frombuffer(data, dtype=dtype, count=nbytes // dtype.itemsize, offset=start)
        tensors[name] = arr.reshape(shape).astype(dtype.newbyteorder("="))
    blobs = {}
    for name, entry in header["blobs"].items():
        start, nbytes = base + int(entry["offset"]), int(entry["nbytes"])
        if start + nbytes > len(data):
            raise ValueError(f"blob {name}: out of bounds")
        blobs[name] = data[start:start + nbytes]
    return OzmFile(name=header["name"], config=header["config"], engine=header["engine"],
                   tensors=tensors, blobs=blobs, meta=header["meta"])


def sha256_hex(data: bytes) -> str:
    """The model's identity: SHA-256 of its canonical file bytes."""
    return hashlib.sha256(data).hexdigest()
