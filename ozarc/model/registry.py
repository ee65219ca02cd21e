"""Shipped model names -> ``.ozm`` files, and loading models by content hash.

Why: archives record the SHA-256 of the model each chunk was coded with, never a path or a
version string, so decoding finds the model by hash wherever it is installed.  Shipped
models live in ``ozarc/model/files/`` as ``<name>-<sha256[:12]>.ozm`` with a manifest
``models.json`` ({name: {"file": ..., "sha256": ..., "defer": {modality tag: name}}}, ``defer``
optional); more directories can be given in the ``OZARC_MODEL_PATH`` environment variable
(os.pathsep-separated).  The names ``default`` and
``high`` are reserved for the shipped models; either may be absent from a given install.
"""

from __future__ import annotations

import json
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path

from ozarc.errors import ModelNotFoundError
from ozarc.model.exact.backend import DEFAULT_BACKEND
from ozarc.model.exact.engine import ExactModel
from ozarc.model.ozm import read_ozm, sha256_hex

FILES_DIR = Path(__file__).resolve().parent / "files"
MANIFEST = "models.json"
RESERVED_NAMES = ("default", "high")
PATH_ENV = "OZARC_MODEL_PATH"
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class ModelRef:
    """A model as archives name it: a display name and the SHA-256 of its file."""

    name: str
    sha256: str

    @property
    def short(self) -> str:
        return self.sha256[:12]

    def __str__(self) -> str:
        return f"{self.name} ({self.short})"


def model_dirs() -> list[Path]:
    """Directories searched for model files: OZARC_MODEL_PATH entries, then the shipped ones."""
    extra = [Path(p) for p in os.environ.get(PATH_ENV, "").split(os.pathsep) if p]
    return extra + [FILES_DIR]


def _manifest_entries() -> dict[str, dict]:
    """name -> manifest entry, for the models of the model directories whose files exist."""
    found: dict[str, dict] = {}
    for directory in reversed(model_dirs()):           # OZARC_MODEL_PATH overrides
        try:
            manifest = json.loads((directory / MANIFEST).read_text())
        except (OSError, ValueError):
            continue
        for name, entry in manifest.items():
            if isinstance(entry, dict) and (directory / str(entry.get("file", ""))).is_file():
                found[name] = entry
    return found


def shipped_models() -> dict[str, ModelRef]:
    """The models named in the manifests of the model directories whose files exist."""
    return {name: ModelRef(name, str(entry.get("sha256", "")))
            for name, entry in _manifest_entries().items()}


def deferrals(name: str) -> dict[str, str]:
    """The modalities the installed model ``name`` leaves to another installed model, as
    {modality tag: that model's name} (its manifest entry's ``defer``).  Why: a level names one
    model, but a larger model is not better at everything -- a ``high`` file that codes speech
    worse than ``default`` says so, and level 9 codes speech with ``default``."""
    defer = _manifest_entries().get(name, {}).get("defer", {})
    if not isinstance(defer, dict):
        return {}
    return {str(tag): str(other) for tag, other in defer.items()}


def model_ref(name: str) -> ModelRef:
    """The installed model called ``name``; ModelNotFoundError if there is none."""
    models = shipped_models()
    if name not in models:
        known = ", ".join(sorted(models)) or "none"
        raise ModelNotFoundError(
            f"model '{name}' is not installed (installed: {known}); install its .ozm file "
            f"into {FILES_DIR} or a directory listed in ${PATH_ENV}")
    return models[name]


_cache: dict[tuple[str, str], ExactModel] = {}
_lock = threading.Lock()


def load_model(ref, backend: str = DEFAULT_BACKEND) -> ExactModel:
    """A loaded ExactModel for a ModelRef, a SHA-256 hex string, a model name, or an
    ExactModel (returned as is).  Cached per (hash, backend)."""
    if isinstance(ref, ExactModel):
        return ref
    if isinstance(ref, ModelRef):
        wanted = ref
    elif isinstance(ref, str) and _HEX64.match(ref.lower()):
        wanted = ModelRef(_name_for(ref.lower()), ref.lower())
    elif isinstance(ref, str):
        wanted = model_ref(ref)
    else:
        raise TypeError(f"cannot load a model from {type(ref).__name__}")
    key = (wanted.sha256, backend)
    with _lock:
        if key not in _cache:
            data = _find_file_bytes(wanted)
            _cache[key] = ExactModel(read_ozm(data, str(wanted)), wanted.sha256, backend)
        return _cache[key]


def _name_for(sha: str) -> str:
    for ref in shipped_models().values():
        if ref.sha256 == sha:
            return ref.name
    return "model"


def _find_file_bytes(ref: ModelRef) -> bytes:
    """The bytes of an installed file whose SHA-256 is ``ref.sha256``: files named with the
    hash prefix are tried first, then every other .ozm file in the model directories."""
    candidates: list[Path] = []
    for directory in model_dirs():
        if directory.is_dir():
            files = sorted(directory.glob("*.ozm"))
            candidates += [f for f in files if ref.short in f.name]
            candidates += [f for f in files if ref.short not in f.name]
    for path in candidates:
        try:
            data = path.read_bytes()
        except OSError:
            continue
        if sha256_hex(data) == ref.sha256:
            return data
    raise ModelNotFoundError(
        f"model {ref.name} ({ref.short}) is not installed: install the file "
        f"{ref.name}-{ref.short}.ozm (SHA-256 {ref.sha256}) into {FILES_DIR} or a directory "
        f"listed in ${PATH_ENV}")


def install_model(data: bytes, name: str, directory: Path | None = None,
                  defer: dict[str, str] | None = None) -> ModelRef:
    """Write a model file as ``<name>-<sha12>.ozm`` and record it under ``name`` in the
    directory's manifest (used by the training tools to ship a model), with the modalities
    it leaves to another model (:func:`deferrals`) when ``defer`` names any."""
    directory = Path(directory) if directory is not None else FILES_DIR
    read_ozm(data, name)                                 # refuse damaged files
    ref = ModelRef(name, sha256_hex(data))
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{name}-{ref.short}.ozm").write_bytes(data)
    path = directory / MANIFEST
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError):
        manifest = {}
    manifest[name] = {"file": f"{name}-{ref.short}.ozm", "sha256": ref.sha256}
    if defer:
        manifest[name]["defer"] = dict(sorted(defer.items()))
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return ref
