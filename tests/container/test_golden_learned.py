"""Archives coded by the shipped learned models stay readable.

One small golden archive per model file ever shipped (``learned-<name>-<sha256[:12]>.oz``:
``default`` written at level 7, ``high`` at level 9) pins the whole learned path of a real
archive: a future change to the tokenizers, the engine's integers, the coder or the container
that would leave old archives undecodable fails here.  A new version of a shipped model does
not replace the file the old archives name; its golden archive is added beside the old ones,
and every old one must still decode.

``OZARC_REGEN_GOLDEN=1 python -m pytest tests/container/test_golden_learned.py`` writes the
archives of the shipped models that have none yet (existing ones are never rewritten).
"""

import hashlib
import io
import json
import os
from pathlib import Path

import numpy as np
import pytest
import soundfile

import ozarc
from ozarc.model.registry import deferrals, shipped_models

pytestmark = pytest.mark.learned

GOLDEN = Path(__file__).resolve().parents[2] / "fixtures" / "golden"
MEDIA = GOLDEN.parent / "media"
MTIME = 1_700_000_000_000_000_000
#: shipped model name -> the level that selects it
LEVELS = {"default": 7, "high": 9}
ARCHIVES = sorted(p.stem for p in GOLDEN.glob("learned-*.oz"))
NOTES = """\
Field notes, second week. The river rose overnight after the storm in the hills, and by
morning the lower path was under a foot of brown water. We moved the instruments to the
old mill, which stands on a ledge of granite and has kept dry through worse floods than
this one. Maria counted forty-two herons on the far bank before breakfast; last year the
colony never passed thirty. The recorder by the weir failed again: moisture in the battery
housing, the same fault as in April. Tomorrow we will seal it with wax and try once more.
Supplies are fine, although the coffee will not last past Thursday, and nobody wants to
walk the six miles to the village in this mud. In the evening Jonas read aloud from an
almanac he found in the loft, printed in 1887, with tables of sunrise, moon phases and
advice on planting turnips. It predicted a wet autumn. So far it is right.
"""
REGEN = os.environ.get("OZARC_REGEN_GOLDEN") == "1"


def _build_source(root: Path) -> None:
    """Two images (the media fixtures), a voice-like WAV and prose."""
    tree = root / "mix"
    tree.mkdir()
    rng = np.random.default_rng(11)
    for name in ("pillow_rgb.bmp", "pillow_l.pgm"):
        (tree / name).write_bytes((MEDIA / name).read_bytes())
    t = np.arange(6000) / 16000
    voice = 3000 * np.sin(2 * np.pi * 180 * t) * np.sin(2 * np.pi * 3 * t) + rng.normal(0, 150, t.size)
    buffer = io.BytesIO()
    soundfile.write(buffer, voice.astype(np.int16), 16000, subtype="PCM_16", format="WAV")
    (tree / "voice.wav").write_bytes(buffer.getvalue())
    (tree / "notes.txt").write_text(NOTES)
    for path in [*tree.iterdir(), tree]:
        os.utime(path, ns=(MTIME, MTIME))


def _contents(archive: Path) -> dict[str, str]:
    with ozarc.open(archive) as reader:
        return {e.name: hashlib.sha256(reader.read(e.name)).hexdigest()
                for e in reader.entries() if e.kind == "file"}


def _stem(model: str, sha256: str) -> str:
    return f"learned-{model}-{sha256[:12]}"


def _models(archive: Path) -> dict[str, str]:
    with ozarc.open(archive) as reader:
        return {m.name: m.sha256.hex() for m in reader._reader.index.models}


@pytest.mark.skipif(not REGEN, reason="set OZARC_REGEN_GOLDEN=1")
def test_regenerate_learned_golden(tmp_path, monkeypatch):
    _build_source(tmp_path)
    monkeypatch.chdir(tmp_path)
    shipped = shipped_models()
    for model, level in LEVELS.items():
        if model not in shipped:
            continue
        stem = _stem(model, shipped[model].sha256)
        archive = GOLDEN / f"{stem}.oz"
        if archive.exists():
            continue
        ozarc.create(archive, ["mix"], jobs=1, level=level)
        expected = {"model": model, "sha256": shipped[model].sha256,
                    "files": {name: hashlib.sha256((tmp_path / name).read_bytes()).hexdigest()
                              for name in sorted(_contents(archive))}}
        (GOLDEN / f"{stem}.json").write_text(json.dumps(expected, indent=1) + "\n")


def test_every_shipped_model_has_a_golden_archive():
    shipped = shipped_models()
    assert shipped, "no shipped model installed"
    for model, ref in shipped.items():
        assert _stem(model, ref.sha256) in ARCHIVES, \
            f"shipped model {model} ({ref.sha256[:12]}) has no golden archive: run the regeneration"


@pytest.mark.parametrize("stem", ARCHIVES)
def test_learned_golden_archive_still_decodes(stem, tmp_path):
    archive = GOLDEN / f"{stem}.oz"
    expected = json.loads((GOLDEN / f"{stem}.json").read_text())
    assert stem == _stem(expected["model"], expected["sha256"])
    assert _models(archive) == {expected["model"]: expected["sha256"]}
    with ozarc.open(archive) as reader:
        assert any("neural" in e.codecs for e in reader.entries()), "the model coded nothing"
        assert reader.verify().failed == []
        assert reader.extractall(tmp_path, jobs=1).failed == []
    for name, digest in expected["files"].items():
        assert hashlib.sha256((tmp_path / name).read_bytes()).hexdigest() == digest
    assert _contents(archive) == expected["files"]


@pytest.mark.parametrize("model", sorted(LEVELS))
def test_level_selects_its_shipped_model(model, tmp_path, monkeypatch):
    level = LEVELS[model]
    shipped = shipped_models()
    if model not in shipped:
        pytest.skip(f"the {model} model is not installed")
    _build_source(tmp_path)
    monkeypatch.chdir(tmp_path)
    ozarc.create("out.oz", ["mix"], jobs=1, level=level)
    used = _models(tmp_path / "out.oz")
    # the level's model, and those it defers a modality to (level 9: speech to default)
    assert used[model] == shipped[model].sha256
    assert set(used) <= {model, *deferrals(model).values()}
    assert all(used[name] == shipped[name].sha256 for name in used)
