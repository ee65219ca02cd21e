"""The model registry: names and hashes to installed files, clean errors when absent."""

from __future__ import annotations

import pytest

from ozarc.errors import ModelNotFoundError
from ozarc.model import registry
from ozarc.model.exact.testing import small_model_bytes
from ozarc.model.ozm import sha256_hex
from ozarc.model.registry import ModelRef, install_model, load_model, model_ref, shipped_models


@pytest.fixture
def model_dir(tmp_path, monkeypatch):
    monkeypatch.setenv(registry.PATH_ENV, str(tmp_path))
    monkeypatch.setattr(registry, "_cache", {})
    return tmp_path


def test_install_then_find_by_name_ref_and_hash(model_dir):
    data = small_model_bytes(0)
    ref = install_model(data, "tiny", model_dir)
    assert ref == ModelRef("tiny", sha256_hex(data))
    assert (model_dir / f"tiny-{ref.short}.ozm").read_bytes() == data
    assert shipped_models()["tiny"] == ref
    model = load_model(ref)
    assert model.sha256 == ref.sha256 and model.name == "small-0"
    assert load_model(ref.sha256) is model                     # cached
    assert load_model("tiny") is model
    assert load_model(model) is model


def test_file_found_by_content_even_when_renamed(model_dir):
    data = small_model_bytes(0)
    (model_dir / "whatever.ozm").write_bytes(data)
    assert load_model(sha256_hex(data)).sha256 == sha256_hex(data)


def test_missing_model_names_the_model_and_what_to_install(model_dir):
    ref = ModelRef("high", "ab" * 32)
    with pytest.raises(ModelNotFoundError) as info:
        load_model(ref)
    message = str(info.value)
    assert "high" in message and "abababababab" in message and ".ozm" in message
    assert registry.PATH_ENV in message


def test_reserved_names_absent_is_a_clean_error(model_dir, monkeypatch):
    monkeypatch.setattr(registry, "FILES_DIR", model_dir / "none")
    assert set(registry.RESERVED_NAMES) == {"default", "high"}
    for name in registry.RESERVED_NAMES:
        assert name not in shipped_models()
        with pytest.raises(ModelNotFoundError, match=name):
            model_ref(name)


def test_file_with_wrong_content_is_not_taken_for_the_model(model_dir):
    data = small_model_bytes(0)
    ref = ModelRef("tiny", sha256_hex(data))
    (model_dir / f"tiny-{ref.short}.ozm").write_bytes(small_model_bytes(1))
    with pytest.raises(ModelNotFoundError):
        load_model(ref)


def test_manifest_entry_without_file_is_ignored(model_dir, monkeypatch):
    monkeypatch.setattr(registry, "FILES_DIR", model_dir / "none")   # hide the shipped models
    (model_dir / registry.MANIFEST).write_text('{"default": {"file": "gone.ozm", "sha256": "x"}}')
    assert "default" not in shipped_models()
