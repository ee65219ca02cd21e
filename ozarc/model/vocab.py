"""The unified token vocabulary shared by every modality.

Layout (fixed: ids are part of the model file's meaning):

    0 .. 255                byte symbols: 8-bit pixel values, PCM bytes
    256 .. 263              modality prefix tokens (one starts every sequence)
    264 .. 264+n_text-1     text pieces: SentencePiece id i is token TEXT_BASE + i

Pixel/byte symbols never share ids with text pieces (the papers' numerals bug).  Before the
probabilities, logits outside the active modality's symbol range are masked: an image step
yields a frequency table over exactly 256 symbols, a text step over exactly n_text.
"""

from __future__ import annotations

from ozarc.modality import Modality

N_BYTE_SYMBOLS = 256
PREFIX_BASE = 256
N_PREFIX = 8
TEXT_BASE = PREFIX_BASE + N_PREFIX  # 264

PREFIX_TOKEN = {
    Modality.IMAGE_RGB: PREFIX_BASE + 0,
    Modality.IMAGE_GRAY: PREFIX_BASE + 1,
    Modality.TEXT: PREFIX_BASE + 2,
    Modality.SPEECH: PREFIX_BASE + 3,
    Modality.OTHER: PREFIX_BASE + 4,
}


def vocab_size(n_text: int) -> int:
    return TEXT_BASE + n_text


def symbol_range(modality: Modality, n_text: int) -> tuple[int, int]:
    """[start, stop) of the token ids a sequence of this modality can contain after its prefix."""
    if modality == Modality.TEXT:
        return TEXT_BASE, TEXT_BASE + n_text
    return 0, N_BYTE_SYMBOLS
