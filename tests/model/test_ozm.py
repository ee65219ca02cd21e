"""The .ozm model file: round trip, canonical bytes (hash = identity), damage detection."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ozarc.errors import CorruptDataError
from ozarc.model.ozm import ALIGN, MAGIC, OzmFile, read_ozm, sha256_hex, write_ozm

DTYPES = ["int8", "uint8", "int16", "int32", "int64"]


def sample(order=None) -> OzmFile:
    tensors = {"b.weight": np.arange(-6, 6, dtype=np.int8).reshape(3, 4),
               "a.table": np.array([1, 2 ** 40, -3], dtype=np.int64),
               "scalar": np.array(7, dtype=np.int32)}
    if order:
        tensors = {k: tensors[k] for k in order}
    return OzmFile(name="t", config={"width": 4, "n_layers": 1}, engine={"arith": 1},
                   tensors=tensors, blobs={"tokenizer": b"spm\x00bytes"}, meta={"by": "test"})


@settings(max_examples=30, deadline=None)
@given(st.dictionaries(
    st.text("abcdefgh._0123", min_size=1, max_size=8),
    st.tuples(st.sampled_from(DTYPES), st.lists(st.integers(0, 3), max_size=3),
              st.integers(0, 2 ** 32)), max_size=5),
    st.binary(max_size=100))
def test_round_trip(specs, blob):
    tensors = {}
    for name, (dtype, shape, seed) in specs.items():
        info = np.iinfo(dtype)
        tensors[name] = np.random.default_rng(seed).integers(
            info.min, info.max, size=tuple(shape), dtype=dtype, endpoint=True)
    model = OzmFile("m", {"n_text": 3}, {"arith": 1}, tensors, {"tokenizer": blob} if blob else {})
    data = write_ozm(model)
    back = read_ozm(data)
    assert back.name == "m" and back.config == {"n_text": 3} and back.blobs == model.blobs
    assert back.tensors.keys() == tensors.keys()
    for name, arr in tensors.items():
        assert back.tensors[name].dtype == arr.dtype and np.array_equal(back.tensors[name], arr)
    assert write_ozm(back) == data


def test_layout_is_canonical_and_aligned():
    data = write_ozm(sample())
    assert data.startswith(MAGIC)
    assert write_ozm(sample(order=["scalar", "a.table", "b.weight"])) == data
    assert sha256_hex(data) == sha256_hex(write_ozm(read_ozm(data)))
    assert len(data) % ALIGN == 0


def test_content_change_changes_hash():
    changed = sample()
    changed.tensors["b.weight"] = changed.tensors["b.weight"].copy()
    changed.tensors["b.weight"][0, 0] += 1
    assert sha256_hex(write_ozm(changed)) != sha256_hex(write_ozm(sample()))


def test_damage_is_reported_with_the_label():
    data = write_ozm(sample())
    for bad in (b"", data[:10], b"NOTOZM!!" + data[8:], data[:-70], data[:20] + b"{" + data[21:]):
        with pytest.raises(CorruptDataError, match="mymodel"):
            read_ozm(bad, "mymodel")


def test_non_canonical_file_is_refused():
    data = bytearray(write_ozm(sample()))
    data[-1] = 1                              # a non-zero padding byte
    with pytest.raises(CorruptDataError, match="canonical"):
        read_ozm(bytes(data))


def test_newer_format_version_is_refused_with_advice():
    data = bytearray(write_ozm(sample()))
    data[8] = 99
    with pytest.raises(CorruptDataError, match="upgrade"):
        read_ozm(bytes(data))


def test_unsupported_dtype_is_refused_by_the_writer():
    bad = sample()
    bad.tensors["f"] = np.zeros(3, dtype=np.float32)
    with pytest.raises(ValueError):
        write_ozm(bad)


def test_a_speech_predictor_model_is_version_3_and_others_keep_their_bytes():
    from ozarc.model.config import ModelConfig
    from ozarc.model.exact.testing import small_model_bytes

    residual = small_model_bytes(0, speech_predictor=2)
    both = small_model_bytes(0, speech_predictor=1, above_pixel=True)
    plain = small_model_bytes(0)
    assert int.from_bytes(residual[8:12], "little") == 3
    assert int.from_bytes(both[8:12], "little") == 3
    assert read_ozm(residual).config["speech_predictor"] == 2
    # the switch off: no key, version 1, the very tensors of the plain file
    assert "speech_predictor" not in read_ozm(plain).config
    assert int.from_bytes(plain[8:12], "little") == 1
    assert ModelConfig.from_dict(read_ozm(plain).config).speech_predictor == 0
    assert read_ozm(residual).tensors.keys() == read_ozm(plain).tensors.keys()
    # a version-2 header on a predictor model is not canonical
    forged = bytearray(residual)
    forged[8:12] = (2).to_bytes(4, "little")
    with pytest.raises(CorruptDataError):
        read_ozm(bytes(forged))


def test_an_adaptive_speech_predictor_model_is_version_4():
    from ozarc.model.exact.testing import small_model_bytes

    adaptive = small_model_bytes(0, speech_predictor=16)
    assert int.from_bytes(adaptive[8:12], "little") == 4
    assert read_ozm(adaptive).config["speech_predictor"] == 16
    for older in (3, 1):                  # an older version number on it is not canonical
        forged = bytearray(adaptive)
        forged[8:12] = older.to_bytes(4, "little")
        with pytest.raises(CorruptDataError):
            read_ozm(bytes(forged))


def test_a_config_with_an_unknown_speech_predictor_is_refused():
    from ozarc.model.config import ModelConfig

    with pytest.raises(ValueError, match="speech_predictor"):
        ModelConfig(speech_predictor=7)
    with pytest.raises(ValueError, match="speech_predictor"):
        ModelConfig(speech_predictor=12)
