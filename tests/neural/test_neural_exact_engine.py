"""The neural codec on the real exact engine (a tiny random-weight model): same code, no toy."""

import numpy as np
import pytest

from ozarc.codecs import ChunkHint, codec_by_name
from ozarc.modality import Modality
from ozarc.model.tokenizers.text import default_model_bytes

testing = pytest.importorskip("ozarc.model.exact.testing")
CODEC = codec_by_name("neural")


@pytest.fixture(scope="module")
def text_model():
    from ozarc.model.exact import ExactModel, random_float_weights
    from ozarc.model.export import export_model
    from ozarc.model.ozm import write_ozm

    config = testing.small_config(n_text=4096, width=16, n_layers=1)
    ozm = export_model(random_float_weights(config, 1), config, "tiny-text",
                       tokenizer_blob=default_model_bytes())
    return ExactModel.from_bytes(write_ozm(ozm))


@pytest.mark.parametrize("h, w, c", [(1, 1, 3), (17, 20, 3), (9, 16, 1)])
def test_image_round_trip_on_the_exact_engine(h, w, c):
    model = testing.small_model()
    data = np.random.default_rng(h * w).integers(0, 256, h * w * c, dtype=np.uint8).tobytes()
    modality = Modality.IMAGE_RGB if c == 3 else Modality.IMAGE_GRAY
    payload = CODEC.encode(data, ChunkHint(modality, geometry=(h, w, c), model=model))
    assert CODEC.decode(payload, len(data), model) == data


def _image(h: int, w: int, c: int) -> tuple[bytes, ChunkHint]:
    """A smooth image (vertical structure the pixel above predicts) with a little noise."""
    rng = np.random.default_rng(h * 131 + w)
    y, x = np.mgrid[0:h, 0:w]
    pixels = np.stack([(x * 7 + y * (k + 1) + rng.integers(0, 3, (h, w))) % 256
                       for k in range(c)], axis=-1).astype(np.uint8)
    modality = Modality.IMAGE_RGB if c == 3 else Modality.IMAGE_GRAY
    return pixels.tobytes(), ChunkHint(modality, geometry=(h, w, c),
                                       model=testing.small_model(0, above_pixel=True))


@pytest.mark.parametrize("h, w, c", [(1, 1, 3), (17, 20, 3), (33, 37, 1), (16, 16, 3)])
def test_image_round_trip_with_the_pixel_above(h, w, c):
    data, hint = _image(h, w, c)
    payload = CODEC.encode(data, hint)
    assert CODEC.decode(payload, len(data), hint.model) == data


def test_the_codec_gives_each_patch_its_own_row(monkeypatch):
    """The payload depends on the row strides the geometry gives (right-edge patches are
    narrower); coding without them gives other bytes, which decode to something else."""
    from ozarc.codecs import neural

    data, hint = _image(17, 20, 3)
    payload = CODEC.encode(data, hint)
    rows = neural.lane_rows(hint.model, neural.tokenize(data, hint, hint.model)[0])
    assert rows == [48, 12, 48, 12]
    monkeypatch.setattr(neural, "lane_rows", lambda model, header: None)
    blind = CODEC.encode_unchecked(data, hint)
    assert blind != payload
    monkeypatch.undo()
    assert CODEC.decode_many([blind], [len(data)], hint.model)[0] != data


def test_decode_many_batches_images_of_different_widths_with_the_pixel_above():
    chunks = [_image(17, 20, 3), _image(20, 40, 3), _image(5, 3, 3)]
    model = chunks[0][1].model
    payloads = [CODEC.encode_unchecked(data, hint) for data, hint in chunks]
    decoded = CODEC.decode_many(payloads, [len(data) for data, _ in chunks], model)
    assert decoded == [data for data, _ in chunks]


def test_speech_round_trip_on_the_exact_engine():
    model = testing.small_model()
    pcm = (np.arange(200) * 37 % 2000).astype("<i2").tobytes()
    payload = CODEC.encode(pcm, ChunkHint(Modality.SPEECH, geometry=(1,), model=model))
    assert CODEC.decode(payload, len(pcm), model) == pcm


def test_speech_round_trip_as_a_residual_on_the_exact_engine():
    model = testing.small_model(speech_predictor=2)
    assert model.config.speech_predictor == 2
    pcm = (np.sin(np.arange(1500) / 7.0) * 9000).astype("<i2").tobytes() + b"\x05"
    payload = CODEC.encode(pcm, ChunkHint(Modality.SPEECH, geometry=(1,), model=model))
    assert CODEC.decode(payload, len(pcm), model) == pcm


def test_text_round_trip_on_the_exact_engine(text_model):
    data = "naïve café ☕ 東京\r\n\tdef f(): return 0\x00".encode()
    payload = CODEC.encode(data, ChunkHint(Modality.TEXT, model=text_model))
    assert CODEC.decode(payload, len(data), text_model) == data


def _speech(lanes: int) -> tuple[bytes, ChunkHint]:
    """``lanes`` speech windows (1024 bytes each) of a slow tone, 16-bit mono."""
    from ozarc.codecs import neural

    samples = lanes * 512
    pcm = (np.sin(np.arange(samples) / 9.0) * 2000).astype("<i2").tobytes()
    assert len(pcm) == lanes * 1024 and neural.PROBE_MIN_LANES <= lanes
    return pcm, ChunkHint(Modality.SPEECH, geometry=(1,), model=testing.small_model())


def test_a_probe_that_passes_gives_the_same_payload():
    """Lanes are coded independently, so coding a sample first changes nothing."""
    pcm, hint = _speech(70)
    plain = CODEC.encode_unchecked(pcm, hint)
    assert CODEC.encode_unchecked(pcm, hint, budget=10 * len(pcm)) == plain
    assert CODEC.decode(plain, len(pcm), hint.model) == pcm


def test_a_probe_gives_up_only_well_above_the_budget(monkeypatch):
    from ozarc.codecs import neural

    pcm, hint = _speech(70)
    size = len(CODEC.encode_unchecked(pcm, hint))
    coded = []
    real = hint.model.sequence_intervals
    monkeypatch.setattr(hint.model, "sequence_intervals",
                        lambda m, s: coded.append(len(s)) or real(m, s))
    assert CODEC.encode_unchecked(pcm, hint, budget=size // 2) is None
    assert coded == [9]                      # the probe: lanes 0, 8, ..., 64; nothing more
    coded.clear()
    # an estimate within the margin: everything is coded (the writer then compares sizes)
    budget = size * 100 // (100 + neural.PROBE_MARGIN // 2)
    assert CODEC.encode_unchecked(pcm, hint, budget=budget) is not None
    assert coded == [9, 61]
