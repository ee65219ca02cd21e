"""Train the text tokenizer's SentencePiece model (lossless settings) and measure it.

Settings that make every string round-trip: identity normalization (no NFKC), byte_fallback
(any character outside the vocabulary becomes its UTF-8 bytes), no dummy prefix, no
whitespace cleanup.  Only <unk> is a control piece (it never reaches a stream: the tokenizer
verifies every encoding), so ids 1..256 are the byte pieces and the rest are merges.
"""

from __future__ import annotations

import io
from pathlib import Path

import sentencepiece as spm

LOSSLESS_OPTIONS = dict(
    model_type="bpe",
    normalization_rule_name="identity",
    byte_fallback=True,
    add_dummy_prefix=False,
    remove_extra_whitespaces=False,
    allow_whitespace_only_pieces=True,
    split_by_whitespace=True,
    character_coverage=0.9995,
    unk_id=0, bos_id=-1, eos_id=-1, pad_id=-1,
    max_sentence_length=16384,
    input_sentence_size=400_000,
    shuffle_input_sentence=True,
    num_threads=2,
    minloglevel=2,
)


def train(corpus: Path, vocab_size: int, split_digits: bool = True) -> bytes:
    """Train on ``corpus`` (one sentence per line) and return the model file's bytes."""
    spm.set_random_generator_seed(20261123)
    out = io.BytesIO()
    spm.SentencePieceTrainer.train(
        input=str(corpus), model_writer=out, vocab_size=vocab_size,
        split_digits=split_digits, **LOSSLESS_OPTIONS,
    )
    return out.getvalue()


def tokens_per_byte(model_bytes: bytes, heldout: Path, max_bytes: int = 400_000) -> float:
    """Tokens per UTF-8 byte of held-out text, through ozarc's own tokenizer (fallbacks included)."""
    from ozarc.model.tokenizers.text import TextTokenizer

    data = heldout.read_bytes()[:max_bytes]
    tokenizer = TextTokenizer(model_bytes)
    return len(tokenizer.encode(data)) / len(data)
