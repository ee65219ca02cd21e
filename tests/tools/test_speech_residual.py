"""The speech residual A/B experiment (tools/experiments/speech_residual.py): every arm is a
bijection of each window, the ``z`` arms are exactly what the codec hands a model with
``speech_predictor``, only speech changes, and the arms train and are measured on WAVs."""

import json

import numpy as np
from hypothesis import given, strategies as st

from ozarc.modality import Modality
from ozarc.model.tokenizers.speech import pcm_to_sequences, sequences_to_pcm
from tools.experiments.speech_residual import ARMS, arm_corpus, arm_window, main, measure
from tools.train.data import Corpus, Pool


@given(data=st.binary(max_size=200), arm=st.sampled_from(list(ARMS)))
def test_every_arm_is_a_bijection_of_the_window(data, arm):
    seq = np.frombuffer(data, dtype=np.uint8)
    out = arm_window(seq, arm)
    assert len(out) == len(seq)
    order, zigzag = ARMS[arm]
    if zigzag or order == 0:                       # the codec's own tokens
        codec = pcm_to_sequences(data, max(len(data), 1), order)
        assert out.tobytes() == b"".join(s.tobytes() for s in codec)
        assert sequences_to_pcm([out], order) == data
    else:                                          # the plain residual: its int16 values
        even = len(seq) - len(seq) % 2
        r = seq[:even].view("<i2").astype(np.int64)
        for _ in range(order):
            r = np.diff(r, prepend=0)
        assert np.array_equal(out[:even].view("<i2"), ((r + 32768) % 65536 - 32768))


def test_only_speech_changes():
    speech, image = Pool(), Pool()
    speech.add(np.array([10, 0, 12, 0], np.uint8), 4)
    image.add(np.array([1, 2, 3, 4], np.uint8), 4, 48)
    corpus = Corpus({Modality.SPEECH: speech, Modality.IMAGE_RGB: image},
                    {Modality.SPEECH: Pool(), Modality.IMAGE_RGB: Pool()})
    d1 = arm_corpus(corpus, "d1")
    assert d1.train[Modality.SPEECH].sequences[0].tolist() == [10, 0, 2, 0]
    assert arm_corpus(corpus, "d1z").train[Modality.SPEECH].sequences[0].tolist() == [20, 0, 4, 0]
    assert d1.train[Modality.SPEECH].n_bytes == [4]
    assert d1.train[Modality.IMAGE_RGB] is image


def test_arms_train_and_are_measured_on_wavs(tmp_path, speech_folders):
    data, wavs = speech_folders
    out = tmp_path / "runs"
    assert main(["--data", str(data), "--steps", "2", "--config", "tiny", "--out", str(out),
                 "--arms", "le,d2z"]) == 0
    assert set(json.loads((out / "results.json").read_text())) == {"le", "d2z"}
    figures = measure(wavs, ["le", "d2z"], out, every=2)
    assert set(figures) == {"le", "d2z"}
    assert all(0 < bits < 9 for bits in figures.values())
    assert figures["le"] != figures["d2z"]
