"""Learned codecs through the container: model table, model references, missing models."""

import hashlib
from dataclasses import dataclass

import pytest

import ozarc
from ozarc.codecs.base import Codec
from ozarc.container import hooks
from ozarc.errors import CodecError, ModelNotFoundError
from ozarc.modality import Modality


@dataclass(frozen=True)
class FakeRef:
    name: str
    sha256: str


REF = FakeRef("fake-text", hashlib.sha256(b"fake model").hexdigest())


class XorCodec(Codec):
    """A "learned" codec for text with a period of 6 bytes: the payload is one period."""

    codec_id = 250
    name = "test-xor"
    uses_model = True

    def applies_to(self, hint):
        return hint.modality == Modality.TEXT

    def encode(self, data, hint):
        assert hint.model == REF
        if (data[:6] * (len(data) // 6 + 1))[:len(data)] != data:
            raise CodecError("not periodic")  # the container then keeps zstd or store
        return b"X" + bytes(b ^ 0x5A for b in data[:6])

    def decode(self, payload, raw_length, model=None):
        if model != "loaded fake":
            raise CodecError("wrong model")
        period = bytes(b ^ 0x5A for b in payload[1:])
        return (period * (raw_length // 6 + 1))[:raw_length]


@pytest.fixture
def fake_learned(monkeypatch, register_learned):
    register_learned(XorCodec(), REF)
    loads = []

    def load(sha256_hex, name):
        loads.append((sha256_hex, name))
        if sha256_hex != REF.sha256:
            raise ModelNotFoundError(f"model {name} ({sha256_hex[:12]}) is not installed")
        return "loaded fake"

    monkeypatch.setattr(hooks, "load_model", load)
    return loads


def test_model_table_and_references(tmp_path, monkeypatch, fake_learned):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t").mkdir()
    text = b"abcdef" * 5000
    (tmp_path / "t" / "doubled.txt").write_bytes(text)
    (tmp_path / "t" / "data.bin").write_bytes(bytes(range(256)) * 400)
    ozarc.create("m.oz", ["t"], jobs=1, codec="auto", level=7)
    with ozarc.open("m.oz") as reader:
        index = reader._reader.index
        assert [(m.name, m.sha256.hex()) for m in index.models] == [(REF.name, REF.sha256)]
        info = reader.getentry("t/doubled.txt")
        assert info.modality == "text"
        assert info.codecs == ("test-xor",)
        assert reader.read("t/doubled.txt") == text
        assert reader.getentry("t/data.bin").codecs != ("test-xor",)
    assert fake_learned == [(REF.sha256, REF.name)]


def test_missing_model_fails_only_its_entries(tmp_path, monkeypatch, fake_learned):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "doubled.txt").write_bytes(b"xyzxyz" * 5000)
    (tmp_path / "t" / "other.bin").write_bytes(bytes(range(256)) * 4)
    ozarc.create("m.oz", ["t"], jobs=1, level=7)
    monkeypatch.setattr(hooks, "load_model", lambda sha, name: (_ for _ in ()).throw(
        ModelNotFoundError(f"model {name} ({sha[:12]}) is not installed")))
    with ozarc.open("m.oz") as reader:
        assert reader.getentry("t/doubled.txt").codecs == ("test-xor",)
        report = reader.verify()
    assert [name for name, _ in report.failed] == ["t/doubled.txt"]
    assert "fake-text" in report.failed[0][1] and "not installed" in report.failed[0][1]
    assert "t/other.bin" in report.ok


def test_learned_chunks_are_decoded_in_batches(tmp_path, monkeypatch, fake_learned):
    calls = []

    def decode_many(self, payloads, raw_lengths, model=None):
        calls.append(len(payloads))
        return [self.decode(p, n, model) for p, n in zip(payloads, raw_lengths)]

    monkeypatch.setattr(XorCodec, "decode_many", decode_many, raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t").mkdir()
    text = b"abcdef" * 500_000  # 3 MB: three 1 MiB chunks
    (tmp_path / "t" / "long.txt").write_bytes(text)
    ozarc.create("m.oz", ["t"], jobs=1, level=7)
    with ozarc.open("m.oz") as reader:
        assert reader.getentry("t/long.txt").codecs == ("test-xor",)
        assert reader.read("t/long.txt") == text
    assert calls == [3]


@pytest.mark.parametrize("codec, level, learned", [
    ("auto", 6, False), ("auto", 7, True), ("auto", 9, True), ("zstd", 9, False),
    ("store", 9, False), ("bzip2", 9, False), ("xz", 9, False), ("test-xor", 1, True),
])
def test_levels_and_codec_options_decide_when_models_are_used(fake_learned, codec, level, learned):
    from ozarc.container.create import _model_chooser

    chooser = _model_chooser(codec, level)
    assert (chooser(Modality.TEXT) == REF) is learned
    assert chooser(Modality.OTHER) is None


def test_level_9_codes_a_deferred_modality_with_the_other_model(monkeypatch):
    """Level 9 takes ``high``, except for a modality its manifest leaves to another model."""
    from ozarc.container.create import _model_chooser

    refs = {"default": FakeRef("default", "d" * 64), "high": FakeRef("high", "e" * 64)}

    class AnyLearned(XorCodec):
        def applies_to(self, hint):
            return hint.modality != Modality.OTHER

    from ozarc.codecs import registry
    monkeypatch.setitem(registry._BY_ID, AnyLearned.codec_id, AnyLearned())
    monkeypatch.setitem(registry._BY_NAME, AnyLearned.name, AnyLearned())
    monkeypatch.setattr(hooks, "shipped_model_ref", lambda name="default": refs.get(name))
    monkeypatch.setattr(hooks, "model_deferrals",
                        lambda name: {"speech": "default"} if name == "high" else {})
    nine, seven = _model_chooser("auto", 9), _model_chooser("auto", 7)
    assert nine(Modality.SPEECH) == refs["default"]
    assert nine(Modality.TEXT) == nine(Modality.IMAGE_RGB) == refs["high"]
    assert all(seven(m) == refs["default"] for m in (Modality.SPEECH, Modality.TEXT))
    assert nine(Modality.OTHER) is None
    # a deferral to a model that is not installed keeps the level's own model
    monkeypatch.setattr(hooks, "model_deferrals", lambda name: {"speech": "gone"})
    assert _model_chooser("auto", 9)(Modality.SPEECH) == refs["high"]
