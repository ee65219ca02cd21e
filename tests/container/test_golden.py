"""Archives written by earlier versions stay readable.

``OZARC_REGEN_GOLDEN=1 python -m pytest tests/container/test_golden.py`` writes the archives of
``ARCHIVES`` missing from ``fixtures/golden`` and their expected contents (``*.json``) with this
version (one that exists is never rewritten: it pins what an earlier version wrote); every
other run reads them back and checks names, kinds, metadata and the SHA-256 of every file.
"""

import hashlib
import json
import os
from pathlib import Path

import pytest

import ozarc
from ozarc.codecs import codec_by_name

GOLDEN = Path(__file__).resolve().parents[2] / "fixtures" / "golden"
MTIME = 1_600_000_000_123_456_789
ARCHIVES = {"basic": {"codec": "auto", "level": 6}, "store": {"codec": "store", "level": 1},
            "zstd9": {"codec": "zstd", "level": 9}, "bzip2": {"codec": "bzip2", "level": 7},
            "xz": {"codec": "xz", "level": 7}}


def _build_source(root: Path) -> None:
    files = {
        "golden/readme.txt": b"ozarc golden fixture\n" * 20,
        "golden/empty.bin": b"",
        "golden/data.bin": bytes((i * 37 + 11) % 251 for i in range(60_000)),
        "golden/unicode \u00e9\u2603/name with\nnewline.txt": "h\u00e9llo \u2603\n".encode() * 5,
        "golden/many/" : None,
    }
    for i in range(40):
        files[f"golden/many/small{i:02d}.txt"] = f"small file {i}\n".encode() * (i + 1)
    for name, data in files.items():
        path = root / name
        if data is None:
            path.mkdir(parents=True, exist_ok=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    (root / "golden/empty dir").mkdir()
    os.symlink("readme.txt", root / "golden/link")
    os.link(root / "golden/readme.txt", root / "golden/many/hard")
    os.chmod(root / "golden/data.bin", 0o600)
    for path in sorted(root.rglob("*"), key=lambda p: -len(p.parts)):
        os.utime(path, ns=(MTIME, MTIME), follow_symlinks=False)
    os.utime(root / "golden", ns=(MTIME, MTIME))


def _expected(archive: Path) -> list[dict]:
    out = []
    with ozarc.open(archive) as reader:
        for entry in reader.entries():
            item = {"name": entry.name, "kind": entry.kind, "mode": entry.mode,
                    "mtime_ns": entry.mtime_ns, "size": entry.size,
                    "link_target": entry.link_target}
            if entry.kind in ("file", "hardlink"):
                item["sha256"] = hashlib.sha256(reader.read(entry.name)).hexdigest()
            out.append(item)
    return out


@pytest.mark.skipif(os.environ.get("OZARC_REGEN_GOLDEN") != "1", reason="set OZARC_REGEN_GOLDEN=1")
def test_regenerate_golden(tmp_path, monkeypatch):
    _build_source(tmp_path)
    monkeypatch.chdir(tmp_path)
    GOLDEN.mkdir(parents=True, exist_ok=True)
    for stem, options in ARCHIVES.items():
        archive = GOLDEN / f"{stem}.oz"
        if archive.exists():
            continue
        ozarc.create(archive, ["golden"], jobs=1, **options)
        expected = _expected(archive)
        # the expectation is derived from the source tree, not from the archive
        for item in expected:
            path = tmp_path / item["name"]
            if item["kind"] in ("file", "hardlink"):
                assert item["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
            assert item["mtime_ns"] == os.lstat(path).st_mtime_ns
        (GOLDEN / f"{stem}.json").write_text(json.dumps(expected, indent=1, ensure_ascii=False) + "\n")


@pytest.mark.parametrize("stem", sorted(ARCHIVES))
def test_golden_archives_still_read(stem, tmp_path):
    archive = GOLDEN / f"{stem}.oz"
    expected = json.loads((GOLDEN / f"{stem}.json").read_text())
    assert _expected(archive) == expected
    with ozarc.open(archive) as reader:
        assert reader.verify().failed == []
        report = reader.extractall(tmp_path, jobs=1)
    assert report.failed == []
    for item in expected:
        path = tmp_path / item["name"]
        assert os.lstat(path).st_mtime_ns == item["mtime_ns"]
        if item["kind"] in ("file", "hardlink"):
            assert hashlib.sha256(path.read_bytes()).hexdigest() == item["sha256"]
        elif item["kind"] == "symlink":
            assert os.readlink(path) == item["link_target"]


@pytest.mark.parametrize("stem", sorted(ARCHIVES))
def test_golden_archives_hold_their_codec(stem):
    """Each golden archive pins its codec's payload format only if it has chunks in it."""
    codec = ARCHIVES[stem]["codec"]
    with ozarc.open(GOLDEN / f"{stem}.oz") as reader:
        used = {chunk.codec_id for chunk in reader._reader.index.chunks}
    if codec == "auto":  # level 6: zstd and store only
        assert used <= {codec_by_name("store").codec_id, codec_by_name("zstd").codec_id}
    else:
        assert codec_by_name(codec).codec_id in used
