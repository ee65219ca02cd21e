"""The speech byte-order A/B experiment (tools/experiments/speech_byte_order.py): the ``be``
arm sees every sample's high byte first, the ``le`` arm the codec's bytes, and both are
trained and measured on the same windows."""

import json

import numpy as np
from hypothesis import given, strategies as st

from ozarc.modality import Modality
from tools.experiments.speech_arms import wav_windows
from tools.experiments.speech_byte_order import arm_corpus, main, measure, swap_sample_bytes
from tools.train.data import Corpus, Pool


@given(st.binary(max_size=64))
def test_swapping_is_its_own_inverse_and_puts_the_high_byte_first(data):
    seq = np.frombuffer(data, dtype=np.uint8)
    swapped = swap_sample_bytes(seq)
    assert np.array_equal(swap_sample_bytes(swapped), seq)
    even = len(data) - len(data) % 2
    samples = np.frombuffer(data[:even], dtype="<i2")
    assert swapped[:even].tobytes() == samples.astype(">i2").tobytes()
    assert swapped[even:].tobytes() == data[even:]


def test_only_speech_is_swapped():
    speech, image = Pool(), Pool()
    speech.add(np.array([1, 2, 3, 4], np.uint8), 4)
    image.add(np.array([1, 2, 3, 4], np.uint8), 4, 48)
    corpus = Corpus({Modality.SPEECH: speech, Modality.IMAGE_RGB: image},
                    {Modality.SPEECH: Pool(), Modality.IMAGE_RGB: Pool()})
    le = arm_corpus(corpus, "le")
    assert all(le.train[m] is corpus.train[m] for m in corpus.train)
    be = arm_corpus(corpus, "be")
    assert be.train[Modality.SPEECH].sequences[0].tolist() == [2, 1, 4, 3]
    assert be.train[Modality.SPEECH].n_bytes == [4]
    assert be.train[Modality.IMAGE_RGB] is image


def test_both_arms_train_and_are_measured_on_wavs(tmp_path, speech_folders):
    """A two-step run of each arm on synthetic speech, then --measure on a WAV folder: both
    report bits per byte, and they differ (the arms see different byte orders)."""
    data, wavs = speech_folders
    assert len(wav_windows(wavs, 1)) == 16
    out = tmp_path / "runs"
    assert main(["--data", str(data), "--steps", "2", "--config", "tiny", "--out", str(out)]) == 0
    assert set(json.loads((out / "results.json").read_text())) == {"le", "be"}
    figures = measure(wavs, ["le", "be"], out, every=2)
    assert set(figures) == {"le", "be"}
    assert all(0 < bits < 9 for bits in figures.values())
    assert figures["le"] != figures["be"]
