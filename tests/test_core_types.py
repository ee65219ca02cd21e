"""Modality tags, vocabulary layout and model config: the numbers archives depend on."""

import pytest

from ozarc.modality import Modality
from ozarc.model.config import ModelConfig
from ozarc.model.vocab import PREFIX_TOKEN, TEXT_BASE, symbol_range, vocab_size


def test_modality_tags_round_trip_and_unknown_code_is_other():
    for m in Modality:
        assert Modality.from_tag(m.tag) is m
    assert Modality.from_code(99) is Modality.OTHER
    with pytest.raises(ValueError):
        Modality.from_tag("video")


def test_symbol_ranges_do_not_overlap_text_and_prefixes():
    n_text = 1000
    img = symbol_range(Modality.IMAGE_RGB, n_text)
    txt = symbol_range(Modality.TEXT, n_text)
    prefixes = set(PREFIX_TOKEN.values())
    assert img[1] <= min(prefixes) and max(prefixes) < txt[0] == TEXT_BASE
    assert txt[1] == vocab_size(n_text)
    assert len(prefixes) == len(PREFIX_TOKEN)


def test_config_round_trip_and_validation():
    cfg = ModelConfig(width=96, n_layers=3, n_text=512)
    assert ModelConfig.from_dict(cfg.to_dict()) == cfg
    assert cfg.n_heads == 6 and cfg.vocab_size == TEXT_BASE + 512
    with pytest.raises(ValueError):
        ModelConfig(width=100)
    with pytest.raises(ValueError):
        ModelConfig(top_k=5)
