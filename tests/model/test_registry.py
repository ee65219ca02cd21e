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


def test_a_model_defers_modalities_to_another(model_dir, monkeypatch):
    monkeypatch.setattr(registry, "FILES_DIR", model_dir / "none")
    install_model(small_model_bytes(0), "default", model_dir)
    install_model(small_model_bytes(1), "high", model_dir, defer={"speech": "default"})
    assert registry.deferrals("high") == {"speech": "default"}
    assert registry.deferrals("default") == {} and registry.deferrals("absent") == {}
    # shipping a new file under the name starts afresh: its figures decide anew
    install_model(small_model_bytes(2), "high", model_dir)
    assert registry.deferrals("high") == {}


def test_a_malformed_deferral_is_ignored(model_dir, monkeypatch):
    monkeypatch.setattr(registry, "FILES_DIR", model_dir / "none")
    ref = install_model(small_model_bytes(0), "high", model_dir)
    (model_dir / registry.MANIFEST).write_text(
        f'{{"high": {{"file": "high-{ref.short}.ozm", "sha256": "{ref.sha256}", "defer": 3}}}}')
    assert "high" in shipped_models() and registry.deferrals("high") == {}


def test_ship_records_a_deferral_and_refuses_a_bad_one(model_dir, tmp_path):
    import torch

    from ozarc.model.config import ModelConfig
    from ozarc.model.network import OzNet
    from ozarc.model.tokenizers.text import default_model_bytes, tokenizer_for
    from tools.ship.__main__ import main as ship

    cfg = ModelConfig(n_text=tokenizer_for(default_model_bytes()).n_text, width=32, n_layers=1,
                      hira_factor=0)
    checkpoint = tmp_path / "model_float.pt"
    torch.save({"config": cfg.to_dict(), "model": OzNet(cfg).state_dict()}, checkpoint)
    out = tmp_path / "files"
    assert ship([str(checkpoint), "--name", "high", "--dir", str(out),
                 "--defer", "speech=default"]) == 0
    assert '"defer": {\n      "speech": "default"' in (out / registry.MANIFEST).read_text()
    for bad in ("speech", "sound=default"):
        with pytest.raises(SystemExit):
            ship([str(checkpoint), "--name", "high", "--dir", str(out), "--defer", bad])
