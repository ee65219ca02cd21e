"""Speech windows: PCM bytes (low byte, high byte per sample) cut into windows, exactly."""

import numpy as np
from hypothesis import given, settings, strategies as st

from ozarc.model.tokenizers.speech import (WINDOW, pcm_to_sequences, sequences_to_pcm,
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
