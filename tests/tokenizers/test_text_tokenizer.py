"""Text pieces: every byte string round-trips; the shipped SentencePiece model is usable."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from ozarc.model.tokenizers.text import (TextTokenizer, TokenizerError, default_model_bytes,
                                         sequences_to_text, text_to_sequences, tokenizer_for)


@pytest.fixture(scope="module")
def tok():
    return tokenizer_for(default_model_bytes())


SPECIAL = [
    "", "hello world", "  two  spaces\tand tab", "line\r\nwindows\r\n", "nul\x00inside\x00",
    "\x01\x02\x7f control", "日本語のテキスト、中文文本", "emoji 😀👍🏽👨‍👩‍👧", "\u0301 lone combining",
    "e\u0301 vs \u00e9 (NFC/NFD kept apart)", "ﬁ ligature, ① circled, Ａ fullwidth", "the ▁ marker ▁▁",
    "trailing space ", " leading", "\n\n\n", "\ufeffBOM", "\u200b zero width",
]


@pytest.mark.parametrize("text", SPECIAL)
def test_special_strings_round_trip(tok, text):
    data = text.encode("utf-8")
    ids = tok.encode(data)
    assert ids.dtype == np.int64 and (ids >= 0).all() and (ids < tok.n_text).all()
    assert tok.decode(ids) == data


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_any_text_round_trips(tok, text):
    data = text.encode("utf-8", errors="surrogatepass")
    assert tok.decode(tok.encode(data)) == data


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_round_trip_including_invalid_utf8(tok, data):
    assert tok.decode(tok.encode(data)) == data


@settings(max_examples=50, deadline=None)
@given(text=st.text(max_size=3000), block=st.sampled_from([1, 5, 1024]))
def test_blocks_round_trip_and_respect_the_limit(tok, text, block):
    data = text.encode("utf-8", errors="surrogatepass")
    seqs = text_to_sequences(data, tok, block)
    assert all(1 <= len(s) <= block for s in seqs)
    assert sequences_to_text(seqs, tok) == data


def test_a_cut_utf8_character_round_trips(tok):
    data = "ключ".encode()[:-1]
    assert tok.decode(tok.encode(data)) == data


def test_ordinary_text_uses_pieces_not_bytes(tok):
    data = b"The quick brown fox jumps over the lazy dog. def main(argv):\n    return 0\n" * 4
    ids = tok.encode(data)
    assert len(ids) < 0.45 * len(data)


def test_shipped_model_is_small_lossless_and_4096_pieces():
    blob = default_model_bytes()
    assert len(blob) < 500_000
    assert TextTokenizer(blob).n_text == 4096


def test_model_without_byte_fallback_is_refused(tmp_path):
    import sentencepiece as spm

    corpus = tmp_path / "c.txt"
    corpus.write_text("abc abd abe\n" * 50)
    prefix = tmp_path / "m"
    spm.SentencePieceTrainer.train(input=str(corpus), model_prefix=str(prefix), vocab_size=12,
                                   model_type="bpe", minloglevel=2)
    with pytest.raises(TokenizerError):
        TextTokenizer((tmp_path / "m.model").read_bytes())
