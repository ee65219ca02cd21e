"""tools/model_eval.py: the model-only code length matches what the neural codec writes."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile
from PIL import Image

from ozarc.codecs import ChunkHint, codec_by_name
from ozarc.modality import Modality
from ozarc.model import registry
from ozarc.model.exact.testing import small_model_bytes
from ozarc.model.registry import install_model, load_model
from tools import model_eval


@pytest.fixture(params=[False, True], ids=["plain", "above-pixel"])
def tiny_model(tmp_path, monkeypatch, request):
    monkeypatch.setenv(registry.PATH_ENV, str(tmp_path / "models"))
    monkeypatch.setattr(registry, "_cache", {})
    switches = {"above_pixel": True} if request.param else {}
    return install_model(small_model_bytes(0, **switches), "tiny", tmp_path / "models")


def test_image_bits_match_the_neural_codec_payload(tmp_path, tiny_model):
    """(the image is 35 wide: its right-edge patches have 3-pixel rows)"""
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (20, 35, 3), dtype=np.uint8)
    Image.fromarray(pixels, "RGB").save(tmp_path / "a.png")
    _, bits, raw = model_eval.file_bits((str(tmp_path / "a.png"), "image", "tiny"))
    assert raw == pixels.size
    hint = ChunkHint(modality=Modality.IMAGE_RGB, level=7, geometry=(20, 35, 3), model=tiny_model)
    payload = codec_by_name("neural").encode(pixels.tobytes(), hint)
    # the estimate leaves out only the payload header and the coder's rounding (< 1 byte/lane)
    assert abs(len(payload) - bits / 8) < 16 + len(model_eval.sequences_of(
        str(tmp_path / "a.png"), "image", load_model("tiny"))[1])


def test_stereo_speech_is_measured_channel_after_channel(tmp_path, tiny_model):
    frames = (np.arange(600).reshape(300, 2) * [3, -5]).astype(np.int16)
    soundfile.write(tmp_path / "s.wav", frames, 16000, subtype="PCM_16")
    modality, seqs, raw, rows = model_eval.sequences_of(str(tmp_path / "s.wav"), "speech",
                                                        load_model("tiny"))
    assert rows is None
    assert modality is Modality.SPEECH and raw == frames.size * 2
    joined = np.concatenate(seqs).astype(np.uint8).tobytes()
    assert joined == np.ascontiguousarray(frames.T).astype("<i2").tobytes()
