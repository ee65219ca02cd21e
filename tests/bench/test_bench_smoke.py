"""Smoke test: the harness runs end to end on a few kilobytes so it never rots.

Every baseline that exists on this machine runs once; missing ones must show up as skipped,
never as an error.  The full benchmark is never part of CI.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil

import numpy as np
import pytest
import soundfile
from PIL import Image

from tools.bench.__main__ import main as bench_main
from tools.bench.baselines import baselines_for


@pytest.fixture(scope="module")
def tiny_sets(tmp_path_factory):
    root = tmp_path_factory.mktemp("bench")
    rng = np.random.default_rng(1)
    (root / "text").mkdir()
    (root / "text/a.txt").write_text("the quick brown fox jumps over the lazy dog\n" * 40)
    (root / "text/b.c").write_text("int main(void) { return 0; }\n" * 20)
    (root / "images").mkdir()
    for i, shape in enumerate([(12, 16, 3), (9, 7, 3)]):
        pixels = (rng.integers(0, 40, shape) + np.arange(shape[1])[None, :, None] * 8)
        Image.fromarray(pixels.astype(np.uint8)).save(root / f"images/im{i}.png")
    (root / "speech").mkdir()
    tone = (np.sin(np.arange(1600) / 7.0) * 3000 + rng.integers(-50, 50, 1600)).astype(np.int16)
    soundfile.write(root / "speech/s.wav", tone, 16000, subtype="PCM_16")
    return root


def test_harness_runs_every_available_codec(tiny_sets, tmp_path, capsys):
    out_json = tmp_path / "bench.json"
    folders = [str(tiny_sets / name) for name in ("text", "images", "speech")]
    rc = bench_main(folders + ["--runs", "1", "--levels", "1", "--codecs", "auto", "-q",
                               "--json", str(out_json), "--plot", str(tmp_path / "p.png")])
    report = capsys.readouterr().out
    assert rc == 0, report
    results = json.loads(out_json.read_text())["results"]
    by_set = {}
    for row in results:
        by_set.setdefault(row["set"], {})[row["config"]] = row
    for set_name, kind in (("text", "text"), ("images", "image"), ("speech", "speech")):
        rows = by_set[set_name]
        expected = {b.name for b in baselines_for(kind)} | {"ozarc -l 1 --codec auto"}
        assert set(rows) == expected
        for name, row in rows.items():
            if row["note"].startswith("skipped"):
                assert row["compressed_bytes"] is None
                continue
            assert row["roundtrip_ok"] is True, (set_name, name, row["note"])
            assert row["compressed_bytes"] > 0
            assert row["bits_per_file_byte"] == pytest.approx(
                8 * row["compressed_bytes"] / row["file_bytes"])
            assert f"| {name} |" in report
    png_sizes = sum(os.path.getsize(tiny_sets / "images" / f) for f in ("im0.png", "im1.png"))
    png = by_set["images"]["PNG (as given)"]
    assert png["compressed_bytes"] == png_sizes
    assert png["raw_bytes"] == 12 * 16 * 3 + 9 * 7 * 3
    assert "OmniZip paper" in report
    if importlib.util.find_spec("matplotlib") is None:
        assert "plot skipped: matplotlib is not installed" in report
    else:
        assert (tmp_path / "p.png").stat().st_size > 0


@pytest.mark.skipif(not (shutil.which("tar") and shutil.which("zstd")),
                    reason="tar and zstd binaries needed")
def test_tree_mode_compares_archives(tiny_sets, tmp_path, capsys):
    out_json = tmp_path / "tree.json"
    rc = bench_main(["--tree", str(tiny_sets / "text"), "--small-files", "0", "--runs", "1",
                     "-q", "--json", str(out_json)])
    report = capsys.readouterr().out
    assert rc == 0, report
    trees = json.loads(out_json.read_text())["trees"]
    assert [t["method"] for t in trees] == ["tar c | zstd -19", "ozarc c -l 9 -j1",
                                           "ozarc c -l 9 -j2"]
    for row in trees:
        assert row["roundtrip_ok"] is True, row
        assert row["files"] == 2
    assert "files/s" in report


def test_ozarc_rows_say_when_they_ran_with_several_workers():
    """The report's speeds are single-process unless the row names its -j."""
    from tools.bench.measure import Config

    assert Config.ozarc(7, "auto").name == "ozarc -l 7 --codec auto"
    assert Config.ozarc(7, "auto", 2).name == "ozarc -l 7 --codec auto -j2"
