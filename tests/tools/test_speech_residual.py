"""The speech residual A/B experiment (tools/experiments/speech_residual.py): every arm is a
bijection of each window, the ``z`` arms are exactly what the codec hands a model with
``speech_predictor``, only speech changes, the adaptive arms are models with the switch
trained on the corpus as such a model codes it, and the arms train and are measured on WAVs."""

import json

import numpy as np
from hypothesis import given, strategies as st

from ozarc.modality import Modality
from ozarc.model.tokenizers.speech import pcm_to_sequences, sequences_to_pcm
from ozarc.model.config import ModelConfig
from ozarc.model.tokenizers.speech import ADAPTIVE_ORDERS
from tools.experiments.arms import load_arm
from tools.experiments.speech_residual import ARMS, arm_setup, arm_window, main, measure
from tools.train.data import Corpus, Pool


@given(data=st.binary(max_size=200), arm=st.sampled_from(list(ARMS)))
def test_every_arm_is_a_bijection_of_the_window(data, arm):
    seq = np.frombuffer(data, dtype=np.uint8)
    out = arm_window(seq, arm)
    assert len(out) == len(seq)
    order, zigzag = ARMS[arm]
    if order in ADAPTIVE_ORDERS:                   # cut from the utterance's residual already
        assert np.array_equal(out, seq)
    elif zigzag or order == 0:                       # the codec's own tokens
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
    cfg = ModelConfig()
    d1_cfg, d1 = arm_setup("d1", cfg, corpus)
    assert d1_cfg == cfg
    assert d1.train[Modality.SPEECH].sequences[0].tolist() == [10, 0, 2, 0]
    assert arm_setup("d1z", cfg, corpus)[1].train[Modality.SPEECH].sequences[0].tolist() == \
        [20, 0, 4, 0]
    a16_cfg, _ = arm_setup("a16", cfg, corpus)
    assert a16_cfg.speech_predictor == 16 and a16_cfg.width == cfg.width
    assert d1.train[Modality.SPEECH].n_bytes == [4]
    assert d1.train[Modality.IMAGE_RGB] is image


def test_arms_train_and_are_measured_on_wavs(tmp_path, speech_folders):
    data, wavs = speech_folders
    out = tmp_path / "runs"
    assert main(["--data", str(data), "--steps", "2", "--config", "tiny", "--out", str(out),
                 "--arms", "le,d2z,a16"]) == 0
    assert set(json.loads((out / "results.json").read_text())) == {"le", "d2z", "a16"}
    assert load_arm(out, "a16").config.speech_predictor == 16
    assert load_arm(out, "d2z").config.speech_predictor == 0      # the view does it
    figures = measure(wavs, ["le", "d2z", "a16"], out, every=2)
    assert set(figures) == {"le", "d2z", "a16"}
    assert all(0 < bits < 9 for bits in figures.values())
    assert len(set(figures.values())) == 3
