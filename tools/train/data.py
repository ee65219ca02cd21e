"""Training data: a folder of files, by modality, turned into the codec's own sequences.

Reads what `python -m tools.corpus build` writes (images/*.npz, speech/*.npz of int16 arrays,
text/*.txt with U+001E between documents) and plain files (PNG/JPEG via Pillow, WAV/FLAC via
soundfile, .txt/.md/.py/... text).  Every item is cut exactly as the neural codec cuts it
(ozarc.model.tokenizers: 16x16 patches, PCM byte windows, SentencePiece blocks), so the model
trains on the sequences it will code.  A file whose name contains "heldout" (or that lies
under a folder named heldout/valid/test) is held out; in a modality with no such file about
one item in 20 is held out (chosen by a hash of its position, so the split is repeatable).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ozarc.modality import Modality
from ozarc.model.above import above_symbols, full_patch_row, patch_rows, uses_above
from ozarc.model.tokenizers.image import image_to_sequences
from ozarc.model.tokenizers.speech import WINDOW, pcm_to_sequences
from ozarc.model.tokenizers.text import TextTokenizer, text_to_sequences

IMAGE_EXT = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp"}
AUDIO_EXT = {".wav", ".flac"}
TEXT_EXT = {".txt", ".md", ".rst", ".py", ".c", ".h", ".rb", ".pl", ".pm", ".pod", ".html",
            ".xml", ".json", ".toml", ".yaml", ".yml", ".cfg", ".ini", ".sh", ".tex", ".csv"}
DOC_SEPARATOR = "\x1e"
HELDOUT_DIRS = {"heldout", "valid", "test"}
HELDOUT_EVERY = 20
TRAINED = (Modality.IMAGE_RGB, Modality.IMAGE_GRAY, Modality.TEXT, Modality.SPEECH)


@dataclass
class Pool:
    """One modality's sequences (modality-local symbols), the original bytes each covers and
    each one's row stride in tokens (image patches: width x channels, else 0)."""

    sequences: list[np.ndarray] = field(default_factory=list)
    n_bytes: list[int] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)

    def add(self, seq: np.ndarray, n_bytes: int, row: int = 0) -> None:
        if len(seq):
            seq = np.asarray(seq)
            self.sequences.append(seq if seq.dtype == np.uint8 else seq.astype(np.int32))
            self.n_bytes.append(n_bytes)
            self.rows.append(row)

    def __len__(self) -> int:
        return len(self.sequences)


@dataclass
class Corpus:
    train: dict[Modality, Pool]
    heldout: dict[Modality, Pool]


def _is_heldout(path: Path, root: Path) -> bool:
    rel = path.relative_to(root)
    return "heldout" in path.name or any(p in HELDOUT_DIRS for p in rel.parts[:-1])


def _image_items(array: np.ndarray):
    if array.dtype != np.uint8 or array.ndim not in (2, 3):
        return []
    if array.ndim == 2 or array.shape[2] == 1:
        return [(Modality.IMAGE_GRAY, array.reshape(array.shape[0], array.shape[1], 1))]
    if array.shape[2] == 3:
        return [(Modality.IMAGE_RGB, array)]
    return []


def read_items(path: Path) -> list[tuple[Modality, object]]:
    """(modality, item) pairs of one file: images as HxWxC uint8, speech as int16 arrays
    (samples x channels interleaved), text as bytes (one per document)."""
    ext = path.suffix.lower()
    if ext == ".npz" or ext == ".npy":
        with np.load(path, allow_pickle=False) as data:
            arrays = [data[k] for k in sorted(data.files)] if ext == ".npz" else [data]
        items = []
        for a in arrays:
            items += [(Modality.SPEECH, a)] if a.dtype == np.int16 else _image_items(a)
        return items
    if ext in IMAGE_EXT:
        from PIL import Image
        with Image.open(path) as im:
            im = im.convert("L" if im.mode in ("L", "I;16", "I") else "RGB")
            return _image_items(np.asarray(im))
    if ext in AUDIO_EXT:
        import soundfile
        return [(Modality.SPEECH, soundfile.read(str(path), dtype="int16", always_2d=True)[0])]
    if ext in TEXT_EXT:
        docs = path.read_bytes().split(DOC_SEPARATOR.encode())
        return [(Modality.TEXT, d) for d in docs if d]
    return []


def item_sequences(modality: Modality, item, tokenizer: TextTokenizer, text_block: int,
                   speech_window: int = WINDOW, speech_predictor: int = 0
                   ) -> list[tuple[np.ndarray, int, int]]:
    """The codec's sequences of one item, each with the number of original bytes it covers
    and its row stride (``ozarc.model.above``: image patches only, else 0); speech windows as
    the order-``speech_predictor`` residual (the model config's switch)."""
    if modality in (Modality.IMAGE_RGB, Modality.IMAGE_GRAY):
        h, w, c = item.shape
        return [(s, len(s), row) for s, row in zip(image_to_sequences(item.tobytes(), h, w, c),
                                                   patch_rows(h, w, c))]
    if modality == Modality.SPEECH:
        pcm = np.ascontiguousarray(item, dtype="<i2").tobytes()
        return [(s, len(s), 0) for s in pcm_to_sequences(pcm, speech_window, speech_predictor)]
    return [(s, len(tokenizer.decode(s)), 0)
            for s in text_to_sequences(item, tokenizer, text_block)]


def load_corpus(root: Path, tokenizer: TextTokenizer, text_block: int = 1024,
                max_items: int | None = None, speech_predictor: int = 0) -> Corpus:
    """Every supported file under `root`, sorted, split into train and held-out pools, in the
    sequences a model with ``speech_predictor`` (its config's switch) codes."""
    root = Path(root)
    train = {m: Pool() for m in TRAINED}
    heldout = {m: Pool() for m in TRAINED}
    explicit = set()
    counts = {m: 0 for m in TRAINED}
    pending = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        held = _is_heldout(path, root)
        for modality, item in read_items(path):
            if max_items is not None and counts[modality] >= max_items:
                continue
            counts[modality] += 1
            if held:
                explicit.add(modality)
            pending.append((modality, item, held))
    for index, (modality, item, held) in enumerate(pending):
        if modality not in explicit:
            held = zlib.crc32(str(index).encode()) % HELDOUT_EVERY == 0
        pool = (heldout if held else train)[modality]
        for seq, n_bytes, row in item_sequences(modality, item, tokenizer, text_block,
                                                speech_predictor=speech_predictor):
            pool.add(seq, n_bytes, row)
    return Corpus(train, heldout)


def model_inputs(modality: Modality, symbols: np.ndarray) -> np.ndarray:
    """Network input ids for modality-local symbols: [prefix, s0, ..., s_{n-2}]."""
    from ozarc.model.vocab import PREFIX_TOKEN, symbol_range
    offset = symbol_range(modality, 0)[0]
    body = np.asarray(symbols[:-1], dtype=np.int64) + offset
    return np.concatenate([[PREFIX_TOKEN[modality]], body]).astype(np.int64)


def sample_batch(pool: Pool, modality: Modality, batch: int, max_len: int | None,
                 rng: np.random.Generator):
    """`batch` random sequences (random crops to `max_len`), padded (a ``Batch``).
    A crop keeps its sequence start, so every training sequence starts at its prefix."""
    picks = rng.integers(0, len(pool), size=batch)
    seqs = [pool.sequences[i][:max_len] for i in picks]
    return pad_batch(modality, seqs, [pool.rows[i] for i in picks])


class Batch(NamedTuple):
    """Padded sequences: network inputs, targets (modality-local), real-position mask, and
    for images the above-pixel symbols (``ozarc.model.above``; None otherwise)."""

    inputs: np.ndarray
    targets: np.ndarray
    mask: np.ndarray
    above: np.ndarray | None = None


def pad_batch(modality: Modality, seqs: list[np.ndarray], rows: list[int] | None = None) -> Batch:
    """Pad ``seqs`` into one batch; ``rows``: each image sequence's row stride (default: a
    full-width patch's)."""
    T = max(len(s) for s in seqs)
    inputs = np.zeros((len(seqs), T), dtype=np.int64)
    targets = np.zeros((len(seqs), T), dtype=np.int64)
    mask = np.zeros((len(seqs), T), dtype=bool)
    for row, s in enumerate(seqs):
        inputs[row, :len(s)] = model_inputs(modality, s)
        targets[row, :len(s)] = s
        mask[row, :len(s)] = True
    above = None
    if uses_above(modality):
        strides = [full_patch_row(modality)] * len(seqs) if rows is None else rows
        above = above_symbols(targets, strides)
    return Batch(inputs, targets, mask, above)
