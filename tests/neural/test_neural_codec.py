"""The neural codec with a toy model of the engine's API: round trips, corruption, batching."""

import sys
import types

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from ozarc.codecs import ChunkHint, codec_by_id, codec_by_name
from ozarc.errors import CodecError
from ozarc.modality import Modality
from ozarc.model.tokenizers.text import default_model_bytes

from toy_model import ToyModel

CODEC = codec_by_name("neural")


@pytest.fixture(scope="module")
def model():
    return ToyModel(default_model_bytes())


def image_hint(model, h, w, c):
    modality = Modality.IMAGE_RGB if c == 3 else Modality.IMAGE_GRAY
    return ChunkHint(modality, geometry=(h, w, c), model=model)


def smooth_image(h, w, c, seed):
    rng = np.random.default_rng(seed)
    base = np.add.outer(np.arange(h), np.arange(w))[:, :, None] * rng.integers(1, 4, c)
    return ((base + rng.integers(0, 3, (h, w, c))) % 256).astype(np.uint8).tobytes()


def round_trip(data, hint, model):
    payload = CODEC.encode(data, hint)
    assert CODEC.decode(payload, len(data), model) == data
    return payload


def test_registered_as_id_2_and_uses_a_model():
    assert codec_by_id(2) is CODEC and CODEC.uses_model


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(h=st.integers(1, 35), w=st.integers(1, 35), c=st.sampled_from([1, 3]),
       seed=st.integers(0, 2**32 - 1), noisy=st.booleans())
def test_images_round_trip(model, h, w, c, seed, noisy):
    data = (np.random.default_rng(seed).integers(0, 256, h * w * c, dtype=np.uint8).tobytes()
            if noisy else smooth_image(h, w, c, seed))
    round_trip(data, image_hint(model, h, w, c), model)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=400))
def test_text_round_trips(model, text):
    data = text.encode("utf-8", errors="surrogatepass")
    round_trip(data, ChunkHint(Modality.TEXT, model=model), model)


@pytest.mark.parametrize("text", ["emoji 😀👍🏽 and CJK 日本語 中文", "ctl \x00\x01\x1b[0m\r\n\t",
                                  "▁ marker and a lone \u0301", ""])
def test_special_text_round_trips(model, text):
    round_trip(text.encode(), ChunkHint(Modality.TEXT, model=model), model)


def test_text_longer_than_one_block_and_invalid_utf8(model):
    data = ("ozarc keeps every byte; " * 250).encode() + b"\xff\xfe" + "ключ".encode()[:-1]
    payload = round_trip(data, ChunkHint(Modality.TEXT, model=model), model)
    assert len(payload) < len(data) // 2


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.integers(0, 3000), channels=st.sampled_from([1, 2]), seed=st.integers(0, 2**32 - 1))
def test_pcm_round_trips(model, n, channels, seed):
    rng = np.random.default_rng(seed)
    pcm = (np.cumsum(rng.integers(-40, 41, n)) % 30000).astype("<i2").tobytes()
    round_trip(pcm, ChunkHint(Modality.SPEECH, geometry=(channels,), model=model), model)


def test_odd_length_pcm_round_trips(model):
    round_trip(b"\x01\x02\x03", ChunkHint(Modality.SPEECH, geometry=(1,), model=model), model)


@settings(max_examples=10, deadline=None)
@given(n=st.integers(0, 2000), order=st.sampled_from([1, 2, 3, 4, 8, 16, 32]),
       seed=st.integers(0, 2**32 - 1))
def test_pcm_round_trips_as_a_predictor_residual(n, order, seed):
    model = ToyModel(default_model_bytes(), speech_predictor=order)
    rng = np.random.default_rng(seed)
    pcm = rng.integers(0, 256, n, dtype=np.uint8).tobytes()
    round_trip(pcm, ChunkHint(Modality.SPEECH, geometry=(1,), model=model), model)


@pytest.mark.parametrize("order", [2, 16])
def test_a_predictor_model_codes_the_residual_windows(order):
    """A model whose config names a speech predictor (fixed or adaptive) is handed the residual
    (so smooth speech becomes small symbols a simple adaptive model codes well) and decodes
    back to the PCM."""
    from ozarc.codecs.neural import tokenize
    from ozarc.model.tokenizers.speech import WINDOW, pcm_to_sequences

    t = np.arange(20000)
    pcm = (np.sin(t / 15.0) * 6000 + np.sin(t / 4.0) * 300).astype("<i2").tobytes()
    raw, residual = ToyModel(default_model_bytes()), ToyModel(default_model_bytes(),
                                                               speech_predictor=order)
    hint = ChunkHint(Modality.SPEECH, geometry=(1,), model=residual)
    _, seqs = tokenize(pcm, hint, residual)
    expected = pcm_to_sequences(pcm, WINDOW, order)
    assert all(np.array_equal(a, b) for a, b in zip(seqs, expected, strict=True))
    by_residual = round_trip(pcm, hint, residual)
    by_raw = round_trip(pcm, ChunkHint(Modality.SPEECH, geometry=(1,), model=raw), raw)
    assert len(by_residual) < 0.8 * len(by_raw)
    # the payload only decodes right with the model it was coded for
    assert CODEC.decode(by_residual, len(pcm), raw) != pcm


@pytest.mark.parametrize("h, w, c, step", [(4, 5, 1, 1), (9, 20, 3, 37)])
def test_truncation_raises_codec_error(model, h, w, c, step):
    data = smooth_image(h, w, c, 1)
    payload = CODEC.encode(data, image_hint(model, h, w, c))
    for cut in range(0, len(payload), step):
        with pytest.raises(CodecError):
            CODEC.decode(payload[:cut], len(data), model)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(position=st.integers(0, 10_000), value=st.integers(1, 255))
def test_corrupted_payload_raises_or_is_still_exact(model, position, value):
    data = b"Some text, some more text.\n" * 20
    payload = bytearray(CODEC.encode(data, ChunkHint(Modality.TEXT, model=model)))
    payload[position % len(payload)] ^= value
    try:
        assert CODEC.decode(bytes(payload), len(data), model) == data
    except CodecError:
        pass


def test_wrong_raw_length_raises(model):
    data = smooth_image(4, 4, 1, 0)
    payload = CODEC.encode(data, image_hint(model, 4, 4, 1))
    for wrong in (0, 15, 17, 10**9):
        with pytest.raises(CodecError):
            CODEC.decode(payload, wrong, model)


def test_decode_many_batches_modalities_and_isolates_a_corrupt_chunk(model):
    chunks = [
        (smooth_image(20, 18, 3, 1), image_hint(model, 20, 18, 3)),
        (b"first text chunk\n" * 30, ChunkHint(Modality.TEXT, model=model)),
        (smooth_image(16, 40, 3, 2), image_hint(model, 16, 40, 3)),
        (b"second text chunk\n" * 30, ChunkHint(Modality.TEXT, model=model)),
    ]
    payloads = [CODEC.encode(d, h) for d, h in chunks]
    payloads[2] = payloads[2][:-4]
    model.freqs_calls = 0
    results = CODEC.decode_many(payloads, [len(d) for d, _ in chunks], model)
    assert [results[i] for i in (0, 1, 3)] == [chunks[i][0] for i in (0, 1, 3)]
    assert isinstance(results[2], CodecError)
    longest_image, longest_text = 768, max(len(p) for p in payloads)
    assert model.freqs_calls <= longest_image + longest_text  # one model call per step per modality


def test_applies_only_to_learned_modalities_with_a_model(model):
    assert CODEC.applies_to(image_hint(model, 4, 4, 3))
    assert CODEC.applies_to(ChunkHint(Modality.TEXT, model=model))
    assert CODEC.applies_to(ChunkHint(Modality.SPEECH, geometry=(2,), model=model))
    assert not CODEC.applies_to(ChunkHint(Modality.TEXT))
    assert not CODEC.applies_to(ChunkHint(Modality.OTHER, model=model))
    assert not CODEC.applies_to(ChunkHint(Modality.IMAGE_RGB, geometry=(4, 4, 1), model=model))
    assert CODEC.applies_to(ChunkHint(Modality.IMAGE_GRAY, model=model))  # modality-level probe
    with pytest.raises(CodecError):
        CODEC.encode(b"x", ChunkHint(Modality.OTHER, model=model))
    with pytest.raises(CodecError):
        CODEC.encode(b"x", ChunkHint(Modality.IMAGE_GRAY, model=model))  # no geometry to code


class DriftingModel(ToyModel):
    """Encoder and decoder tables differ (what a non-exact engine would do)."""

    def sequence_freqs(self, modality, symbols):
        tables = super().sequence_freqs(modality, symbols)
        tables[..., -1] += 1
        np.put_along_axis(tables, tables[..., :-1].argmax(axis=-1)[..., None],
                          np.take_along_axis(tables, tables[..., :-1].argmax(axis=-1)[..., None],
                                             axis=-1) - 1, axis=-1)
        return tables


def test_verification_rejects_a_model_that_drifts_between_encode_and_decode():
    data = smooth_image(16, 16, 3, 5)
    with pytest.raises(CodecError):
        CODEC.encode(data, image_hint(DriftingModel(), 16, 16, 3))


class BrokenTableModel(ToyModel):
    def freqs(self, state):
        return np.zeros_like(super().freqs(state))


def test_invalid_model_tables_raise_codec_error():
    payload = CODEC.encode(b"\x01\x02", ChunkHint(Modality.SPEECH, model=ToyModel()))
    with pytest.raises(CodecError):
        CODEC.decode(payload, 2, BrokenTableModel())


def test_text_needs_a_matching_tokenizer(model):
    with pytest.raises(CodecError):
        CODEC.encode(b"abc", ChunkHint(Modality.TEXT, model=ToyModel(b"")))
    with pytest.raises(CodecError):
        CODEC.encode(b"abc", ChunkHint(Modality.TEXT, model=ToyModel(b"not a sentencepiece model")))
    with pytest.raises(CodecError):
        CODEC.encode(b"abc", ChunkHint(Modality.TEXT, model=ToyModel(default_model_bytes(), n_text=100)))


def test_a_model_reference_is_resolved_through_the_registry(monkeypatch, model):
    seen = []
    fake = types.ModuleType("ozarc.model.registry")
    fake.load_model = lambda ref: seen.append(ref) or model
    monkeypatch.setitem(sys.modules, "ozarc.model.registry", fake)
    data = smooth_image(5, 5, 3, 9)
    payload = CODEC.encode(data, ChunkHint(Modality.IMAGE_RGB, geometry=(5, 5, 3), model="ref"))
    assert CODEC.decode(payload, len(data), "ref") == data
    assert seen and set(seen) == {"ref"}


def test_no_model_raises_codec_error():
    with pytest.raises(CodecError):
        CODEC.decode(b"\x01\x02\x01\x01\x01", 3, None)


def test_a_header_promising_more_lanes_than_the_payload_holds_fails_before_decoding(model):
    data = b"x" * 5000
    payload = CODEC.encode(data, ChunkHint(Modality.SPEECH, model=model))
    header_and_one_state = payload[:8]  # 5 header bytes + 3 of the 5 lanes x 4 state bytes
    model.freqs_calls = 0
    with pytest.raises(CodecError, match="truncated"):
        CODEC.decode(header_and_one_state, len(data), model)
    assert model.freqs_calls == 0
