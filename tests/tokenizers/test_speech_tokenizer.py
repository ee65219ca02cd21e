"""Speech windows: PCM bytes (low byte, high byte per sample) cut into windows, exactly, and
the same windows as a fixed predictor's zigzagged residual."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from ozarc.model.tokenizers.speech import (PREDICTOR_ORDERS, WINDOW, pcm_to_sequences,
                                           residual_window, restore_window, sequences_to_pcm,
                                           window_lengths)


@settings(max_examples=60, deadline=None)
@given(pcm=st.binary(max_size=5000), window=st.sampled_from([1, 7, 256, WINDOW]))
def test_round_trip(pcm, window):
    seqs = pcm_to_sequences(pcm, window)
    assert [len(s) for s in seqs] == window_lengths(len(pcm), window)
    assert all(len(s) <= window for s in seqs)
    assert sequences_to_pcm(seqs) == pcm


def test_samples_become_low_then_high_byte():
    samples = np.array([0x1234, -2], dtype="<i2")
    seq = pcm_to_sequences(samples.tobytes())[0]
    assert seq.tolist() == [0x34, 0x12, 0xFE, 0xFF]


def test_window_lengths_cover_the_bytes():
    assert window_lengths(2500, 1024) == [1024, 1024, 452]
    assert window_lengths(0, 1024) == []


# --- speech as a fixed predictor's residual (model config ``speech_predictor``) -------------


@settings(max_examples=80, deadline=None)
@given(pcm=st.binary(max_size=3000), window=st.sampled_from([1, 2, 7, 256, WINDOW]),
       order=st.sampled_from(list(PREDICTOR_ORDERS)))
def test_residual_round_trip(pcm, window, order):
    seqs = pcm_to_sequences(pcm, window, order)
    assert [len(s) for s in seqs] == window_lengths(len(pcm), window)
    assert all(s.dtype == np.uint8 for s in seqs)
    assert sequences_to_pcm(seqs, order) == pcm


@settings(max_examples=40, deadline=None)
@given(samples=st.lists(st.integers(-32768, 32767), min_size=3, max_size=300),
       order=st.integers(1, 4))
def test_residual_is_the_zigzagged_difference(samples, order):
    x = np.array(samples, dtype="<i2")
    got = residual_window(np.frombuffer(x.tobytes(), np.uint8), order).view("<u2").astype(np.int64)
    r = x.astype(np.int64)
    for _ in range(order):
        r = np.diff(r, prepend=0)
    r = (r + 32768) % 65536 - 32768
    assert np.array_equal(got, np.where(r >= 0, 2 * r, -2 * r - 1))
    assert np.array_equal(restore_window(residual_window(x.view(np.uint8), order), order),
                          x.view(np.uint8))


def test_a_predictable_signal_becomes_zeros():
    ramp = np.arange(-300, 300, 7, dtype="<i2")         # order 2 predicts a line exactly
    z = residual_window(ramp.view(np.uint8), 2).view("<u2")
    assert z[0] == 2 * 300 - 1 and z[1] == 2 * 307     # -300, then 7 - (-300), zigzagged
    assert not z[2:].any()
    # the raw line's low bytes are all over the place; the residual's are zeros past two samples
    assert len(set(ramp.view(np.uint8)[4::2].tolist())) > 10


def test_windows_are_independent_and_an_odd_byte_stays():
    pcm = np.arange(0, 2000, 3, dtype="<i2").tobytes() + b"\x7f"
    seqs = pcm_to_sequences(pcm, 256, 1)
    assert seqs[-1][-1] == 0x7f and len(seqs[-1]) % 2 == 1
    for k, s in enumerate(seqs):                        # each window decodes on its own
        assert restore_window(s, 1).tobytes() == pcm[256 * k:256 * (k + 1)]


def test_an_unknown_order_is_refused():
    with pytest.raises(ValueError, match="order"):
        pcm_to_sequences(b"\0\0", WINDOW, 5)
    with pytest.raises(ValueError, match="order"):
        sequences_to_pcm([np.zeros(2, np.uint8)], -1)
