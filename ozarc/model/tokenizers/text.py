"""Text tokens: SentencePiece pieces, made lossless for any byte string.

SentencePiece alone is not byte-exact: a literal U+2581 ("▁", its space marker) would come
back as a space, and a chunk of a text file may be cut inside a UTF-8 character or hold
invalid bytes.  So ozarc owns both directions:

* decode is a table lookup: every piece id maps to fixed bytes (byte-fallback pieces to their
  byte, ordinary pieces to their surface with ▁ read as a space), joined;
* encode splits the input into plain text and "odd" spans (invalid UTF-8 bytes, U+2581),
  gives plain text to SentencePiece, codes odd spans as byte pieces, and checks every piece
  list against the decode table; a span that does not come back exactly (SentencePiece
  <unk>, any normalizer surprise) is recoded line by line and, failing that, as bytes.

So ``decode(encode(b)) == b`` holds for every ``bytes`` by construction.  Symbols are the
SentencePiece ids themselves (modality-local 0..n_text-1; token id = TEXT_BASE + symbol).
"""

from __future__ import annotations

import functools
import hashlib
import re
from importlib import resources

import numpy as np
import sentencepiece as spm

SPACE_MARK = "\u2581"
#: Bytes of a chunk that are not plain text for SentencePiece: lone surrogates stand for
#: invalid UTF-8 bytes (surrogateescape), and the space marker itself.
_ODD = re.compile("[\udc80-\udcff\u2581]+")
DEFAULT_MODEL_FILE = "text.spm.model"


class TokenizerError(ValueError):
    """The SentencePiece model is not usable losslessly (no byte-fallback pieces)."""


class TextTokenizer:
    """Lossless bytes <-> SentencePiece ids for one SentencePiece model file."""

    def __init__(self, model_bytes: bytes):
        self._sp = spm.SentencePieceProcessor(model_proto=model_bytes)
        self.n_text = self._sp.get_piece_size()
        self.sha256 = hashlib.sha256(model_bytes).hexdigest()
        byte_ids = [self._sp.piece_to_id(f"<0x{b:02X}>") for b in range(256)]
        if any(not self._sp.is_byte(i) for i in byte_ids):
            raise TokenizerError("SentencePiece model lacks byte-fallback pieces")
        self._byte_ids = np.asarray(byte_ids, dtype=np.int64)
        surfaces = []
        for i in range(self.n_text):
            if self._sp.is_byte(i):
                surfaces.append(bytes([int(self._sp.id_to_piece(i)[3:5], 16)]))
            elif self._sp.is_control(i) or self._sp.is_unknown(i):
                surfaces.append(b"")  # never produced by encode; a corrupt stream fails length checks
            else:
                surfaces.append(self._sp.id_to_piece(i).replace(SPACE_MARK, " ").encode("utf-8"))
        self._surfaces = surfaces

    # -- decode ------------------------------------------------------------------------------

    def decode(self, ids: np.ndarray) -> bytes:
        surfaces = self._surfaces
        return b"".join([surfaces[i] for i in np.asarray(ids).tolist()])

    # -- encode ------------------------------------------------------------------------------

    def bytes_to_ids(self, data: bytes) -> np.ndarray:
        """Byte-fallback ids for raw bytes (always exact)."""
        return self._byte_ids[np.frombuffer(data, dtype=np.uint8)]

    def encode(self, data: bytes) -> np.ndarray:
        """Piece ids whose decode is exactly ``data`` (any bytes, valid UTF-8 or not)."""
        text = bytes(data).decode("utf-8", errors="surrogateescape")
        spans: list[tuple[bool, str]] = []  # (is_plain, span)
        pos = 0
        for match in _ODD.finditer(text):
            if match.start() > pos:
                spans.append((True, text[pos:match.start()]))
            spans.append((False, match.group()))
            pos = match.end()
        if pos < len(text):
            spans.append((True, text[pos:]))
        plain = [s for is_plain, s in spans if is_plain]
        encoded = iter(self._sp.encode(plain) if plain else [])
        parts = []
        for is_plain, span in spans:
            raw = span.encode("utf-8", errors="surrogateescape")
            if is_plain:
                parts.append(self._checked(span, raw, next(encoded)))
            else:
                parts.append(self.bytes_to_ids(raw))
        if not parts:
            return np.zeros(0, dtype=np.int64)
        return np.concatenate(parts).astype(np.int64, copy=False)

    def _checked(self, span: str, raw: bytes, ids: list[int]) -> np.ndarray:
        if self.decode(ids) == raw:
            return np.asarray(ids, dtype=np.int64)
        lines = span.splitlines(keepends=True)
        if len(lines) > 1:
            return np.concatenate([
                self._checked(line, line.encode("utf-8"), self._sp.encode(line)) for line in lines
            ])
        return self.bytes_to_ids(raw)


def text_to_sequences(data: bytes, tokenizer: TextTokenizer, block_tokens: int = 1024) -> list[np.ndarray]:
    """Tokenize ``data`` and cut the ids into independent blocks of at most ``block_tokens``."""
    ids = tokenizer.encode(data)
    return [ids[i:i + block_tokens] for i in range(0, len(ids), block_tokens)]


def sequences_to_text(sequences: list[np.ndarray], tokenizer: TextTokenizer) -> bytes:
    """Inverse of :func:`text_to_sequences`."""
    return b"".join(tokenizer.decode(seq) for seq in sequences)


@functools.lru_cache(maxsize=8)
def tokenizer_for(model_bytes: bytes) -> TextTokenizer:
    """A cached tokenizer for SentencePiece model bytes (e.g. ``ExactModel.tokenizer_blob``)."""
    return TextTokenizer(model_bytes)


def default_model_bytes() -> bytes:
    """The SentencePiece model shipped in ``ozarc/model/files`` (what new models train with)."""
    return resources.files("ozarc.model").joinpath("files", DEFAULT_MODEL_FILE).read_bytes()
