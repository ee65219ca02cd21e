"""The above-pixel input (ozarc.model.above): what it reads, that the float network, the
float reference and the exact engine agree on it, that the engine's step form equals its
whole-sequence form with per-lane row strides, and what a model file with it looks like."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ozarc.errors import CorruptDataError
from ozarc.modality import Modality
from ozarc.model.above import ABOVE_NONE, above_symbols, full_patch_row, patch_rows
from ozarc.model.config import ModelConfig
from ozarc.model.exact import ExactModel, random_float_weights
from ozarc.model.exact.reference import float_logits
from ozarc.model.exact.testing import (small_config, small_model, small_model_bytes,
                                       step_tables, table_kl)
from ozarc.model.ozm import FORMAT_VERSION, read_ozm, write_ozm
from ozarc.model.tokenizers.image import image_to_sequences, patch_lengths

RGB, GRAY = Modality.IMAGE_RGB, Modality.IMAGE_GRAY


@pytest.fixture(scope="module")
def model() -> ExactModel:
    return small_model(0, above_pixel=True)


def test_above_symbols_reads_one_row_back_per_lane():
    symbols = np.arange(20).reshape(2, 10) + 100
    got = above_symbols(symbols, [3, 0])
    assert got[0].tolist() == [ABOVE_NONE] * 3 + list(range(100, 107))
    assert got[1].tolist() == [ABOVE_NONE] * 10            # row 0: nothing above
    assert above_symbols(symbols[:, :0], [3, 0]).shape == (2, 0)


@given(st.integers(1, 40), st.integers(1, 40), st.sampled_from([1, 3]))
@settings(max_examples=40, deadline=None)
def test_patch_rows_give_the_pixel_above_in_every_patch(height, width, channels):
    """For every patch (edge patches too) the symbol `row` back is the same channel of the
    pixel one image row up."""
    pixels = np.random.default_rng(height * 41 + width).integers(
        0, 256, (height, width, channels), dtype=np.uint8)
    seqs = image_to_sequences(pixels.tobytes(), height, width, channels)
    rows = patch_rows(height, width, channels)
    assert len(rows) == len(seqs) == len(patch_lengths(height, width, channels))
    # a copy of the image whose value at each position is its own pixel above (or NONE)
    up = np.full((height, width, channels), ABOVE_NONE, dtype=np.int64)
    up[1:] = pixels[:-1]
    # cut `up` into patches the way the tokenizer does, through a 16-bit carrier
    hi, lo = up // 256, up % 256
    want_hi = image_to_sequences(hi.astype(np.uint8).tobytes(), height, width, channels)
    want_lo = image_to_sequences(lo.astype(np.uint8).tobytes(), height, width, channels)
    for seq, row, whi, wlo in zip(seqs, rows, want_hi, want_lo):
        want = whi.astype(np.int64) * 256 + wlo
        got = above_symbols(seq[None, :], [row])[0]
        # a patch's first row sees NONE even where the image has a pixel above (the patch
        # before it in the image is a separate, independently coded sequence)
        first_row = np.arange(len(seq)) < row
        assert np.array_equal(got[~first_row], want[~first_row])
        assert (got[first_row] == ABOVE_NONE).all()


def test_full_patch_rows():
    assert full_patch_row(RGB) == 48 and full_patch_row(GRAY) == 16
    assert full_patch_row(Modality.SPEECH) == 0


@given(st.data())
@settings(max_examples=12, deadline=None)
def test_step_form_equals_sequence_form_with_lane_rows(model, data):
    modality = data.draw(st.sampled_from([RGB, GRAY]))
    batch = data.draw(st.integers(1, 5))
    length = data.draw(st.integers(1, 60))
    rows = data.draw(st.lists(st.integers(0, 48), min_size=batch, max_size=batch))
    symbols = np.random.default_rng(length).integers(0, 256, (batch, length))
    whole = model.sequence_freqs(modality, symbols, rows)
    assert np.array_equal(step_tables(model, modality, symbols, rows), whole)
    freq, start = model.sequence_intervals(modality, symbols, rows)
    picked = np.take_along_axis(whole, symbols[..., None], -1)[..., 0]
    assert np.array_equal(freq, picked)


def test_the_pixel_above_changes_the_tables(model):
    symbols = np.random.default_rng(3).integers(0, 256, (2, 40))
    with_rows = model.sequence_freqs(RGB, symbols, [12, 12])
    without = model.sequence_freqs(RGB, symbols)
    assert np.array_equal(with_rows[:, :12], without[:, :12])      # nothing above yet
    assert not np.array_equal(with_rows[:, 12:], without[:, 12:])
    # other modalities ignore rows; a model without the input ignores them too
    speech = np.random.default_rng(4).integers(0, 256, (2, 30))
    assert np.array_equal(model.sequence_freqs(Modality.SPEECH, speech, [5, 5]),
                          model.sequence_freqs(Modality.SPEECH, speech))
    plain = small_model(0)
    assert np.array_equal(plain.sequence_freqs(RGB, symbols, [12, 12]),
                          plain.sequence_freqs(RGB, symbols))


def test_threads_batch_and_windows_do_not_change_tables(model, monkeypatch):
    from ozarc.model.exact import engine

    rng = np.random.default_rng(9)
    symbols = rng.integers(0, 256, (150, 30))
    rows = rng.integers(0, 49, 150)
    expected = model.sequence_freqs(RGB, symbols, rows)
    threaded = ExactModel.from_bytes(small_model_bytes(0, above_pixel=True), threads=2)
    assert len(threaded._shards(150)) == 2
    assert np.array_equal(threaded.sequence_freqs(RGB, symbols, rows), expected)
    assert np.array_equal(step_tables(threaded, RGB, symbols, rows), expected)
    one = model.sequence_freqs(RGB, symbols[7:8], rows[7:8])
    assert np.array_equal(one[0], expected[7])
    monkeypatch.setattr(engine, "SEQUENCE_WINDOW", 500)        # windows of 3 tokens
    assert np.array_equal(model.sequence_freqs(RGB, symbols, rows), expected)


def test_bad_rows_are_refused(model):
    symbols = np.zeros((2, 5), dtype=np.int64)
    with pytest.raises(ValueError, match="row strides"):
        model.sequence_freqs(RGB, symbols, [1, 2, 3])
    with pytest.raises(ValueError, match="row strides"):
        model.start(RGB, 2, [-1, 3])


def test_engine_tracks_the_float_reference():
    config = small_config(moe_v=False, moe_ffn=False, above_pixel=True)
    weights = random_float_weights(config, 1)
    m = small_model(1, moe_v=False, moe_ffn=False, above_pixel=True)
    symbols = np.random.default_rng(6).integers(0, 256, (4, 40))
    rows = [6, 6, 9, 0]
    kl = table_kl(m.sequence_freqs(RGB, symbols, rows),
                  float_logits(weights, config, RGB, symbols, rows))
    assert kl.mean() < 0.005
    # and the reference itself uses the input: a wrong row gives other logits
    assert not np.allclose(float_logits(weights, config, RGB, symbols, rows),
                           float_logits(weights, config, RGB, symbols, [7, 7, 7, 7]))


def test_float_network_exports_with_the_table_and_tracks_the_engine():
    torch = pytest.importorskip("torch")
    from ozarc.model.export import export_model
    from ozarc.model.network import OzNet
    from ozarc.model.vocab import PREFIX_TOKEN

    config = small_config(hira_factor=1, above_pixel=True, moe_v=False, moe_ffn=False)
    torch.manual_seed(0)
    net = OzNet(config).double()
    assert not net.above.weight.any()          # zero init: starts as the model without it
    with torch.no_grad():
        for name, p in net.named_parameters():
            if "hira_B" not in name:
                p.add_(0.3 * torch.randn_like(p))
    net.merge_hira()
    m = ExactModel.from_bytes(write_ozm(export_model(net.state_dict(), config, "net")))
    symbols = np.random.default_rng(8).integers(0, 256, (3, 30))
    rows = [6, 3, 0]
    tokens = torch.tensor(np.concatenate([np.full((3, 1), PREFIX_TOKEN[RGB]), symbols[:, :-1]],
                                         axis=1))
    above = torch.tensor(above_symbols(symbols, rows))
    with torch.no_grad():
        logits = net(tokens, RGB, above)[0].numpy()
        with pytest.raises(ValueError, match="above"):
            net(tokens, RGB)
        # the recurrent form takes the same input one position at a time
        state, steps = net.initial_state(3), []
        for t in range(symbols.shape[1]):
            step_logits, state = net.step(state, tokens[:, t], RGB, above[:, t])
            steps.append(step_logits)
    assert np.allclose(torch.stack(steps, 1).numpy(), logits, atol=1e-8)
    kl = table_kl(m.sequence_freqs(RGB, symbols, rows), logits)
    assert np.median(kl) < 0.01


def test_model_file_version_and_config():
    with_input = read_ozm(small_model_bytes(0, above_pixel=True))
    plain_bytes = small_model_bytes(0)
    assert with_input.config["above_pixel"] is True
    assert with_input.tensors["above"].shape == (257, 32)
    assert int.from_bytes(small_model_bytes(0, above_pixel=True)[8:12], "little") == 2
    # a model without the input is written as before the switch existed: version 1, no key
    assert int.from_bytes(plain_bytes[8:12], "little") == 1
    assert "above_pixel" not in read_ozm(plain_bytes).config
    assert ModelConfig.from_dict(read_ozm(plain_bytes).config).above_pixel is False


def test_model_file_without_its_table_is_refused():
    ozm = read_ozm(small_model_bytes(0, above_pixel=True))
    del ozm.tensors["above"]
    with pytest.raises(CorruptDataError, match="above"):
        ExactModel.from_bytes(write_ozm(ozm))


def test_version_1_file_claiming_the_input_is_not_canonical():
    data = bytearray(small_model_bytes(0, above_pixel=True))
    data[8:12] = (1).to_bytes(4, "little")
    with pytest.raises(CorruptDataError, match="canonical"):
        read_ozm(bytes(data))
    data[8:12] = (FORMAT_VERSION + 1).to_bytes(4, "little")   # a version from the future
    with pytest.raises(CorruptDataError, match="upgrade ozarc"):
        read_ozm(bytes(data))
