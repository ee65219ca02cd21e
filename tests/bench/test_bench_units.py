"""The harness's pure parts: set kinds, row arithmetic, folding runs, skipping, small files."""

from __future__ import annotations

import os

import pytest

from tools.bench import measure, published, sets, tree
from tools.bench.baselines import ALL_BASELINES, Baseline, baselines_for
from tools.bench.measure import Config, Result, fold


def test_kind_of_follows_the_majority_suffix():
    assert sets.kind_of(["a.png", "b.PNG", "c.txt"]) == "image"
    assert sets.kind_of(["a.wav", "b.flac"]) == "speech"
    assert sets.kind_of(["a.txt", "b.png"]) == "text"
    assert sets.kind_of([]) == "text"


def test_discover_sorts_and_filters(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b/z.wav").write_bytes(b"x")
    (tmp_path / "a.wav").write_bytes(b"x")
    (tmp_path / "readme.txt").write_bytes(b"x")
    found = sets.discover(tmp_path)
    assert found.kind == "speech"
    assert [os.path.relpath(f, tmp_path) for f in found.files] == ["a.wav", "b/z.wav"]
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError):
        sets.discover(tmp_path / "empty")


def test_result_figures():
    row = Result("s", "image", "c", False, compressed_bytes=250, file_bytes=1000, raw_bytes=2000)
    assert row.bits_per_file_byte() == 2.0
    assert row.bits_per_raw_byte() == 1.0
    assert row.speed_kbs(0.5) == 2.0       # 1000 bytes = 1 KB in half a second
    assert row.speed_kbs(None) is None
    assert Result("s", "text", "c", False).bits_per_file_byte() is None


def _outcome(size, c, d, mem):
    return {"compressed_bytes": size, "file_bytes": 100, "raw_bytes": 100, "compress_s": c,
            "decompress_s": d, "roundtrip_ok": True, "peak_rss_mb": mem, "extra_rss_mb": mem}


def test_fold_takes_medians_and_the_largest_memory():
    bench_set = sets.BenchSet("s", "text", "/x", ("/x/a",))
    row = fold(bench_set, Config("baseline", "zstd -19"),
               [_outcome(10, 1.0, 5.0, 3), _outcome(10, 3.0, 1.0, 9), _outcome(10, 2.0, 2.0, 1)])
    assert (row.compress_s, row.decompress_s, row.extra_rss_mb, row.runs) == (2.0, 2.0, 9, 3)
    assert row.note == ""
    row = fold(bench_set, Config("baseline", "zstd -19"),
               [_outcome(10, 1, 1, 1), _outcome(11, 1, 1, 1), {"error": "boom"}])
    assert "sizes differ" in row.note and "boom" in row.note
    row = fold(bench_set, Config("baseline", "x"), [{"error": "timed out after 5 s"}])
    assert row.compressed_bytes is None and "timed out" in row.note


class _Missing(Baseline):
    name = "missing codec"

    def unavailable(self):
        return "binary not on PATH"

    def compress(self, sample):
        raise AssertionError("must not run")

    def decompress(self, blob, sample):
        raise AssertionError("must not run")


def test_unavailable_baseline_is_skipped_with_a_note(monkeypatch):
    monkeypatch.setattr("tools.bench.baselines.ALL_BASELINES", ALL_BASELINES + (_Missing(),))
    bench_set = sets.BenchSet("s", "text", "/x", ("/x/a",))
    row = measure.measure(bench_set, Config("baseline", "missing codec"), runs=2, timeout_s=5)
    assert row.note == "skipped: binary not on PATH"
    assert row.runs == 0


def test_baselines_per_kind():
    assert "FLAC -8" in {b.name for b in baselines_for("speech")}
    assert "FLAC -8" not in {b.name for b in baselines_for("text")}
    assert "PPMd H o6" in {b.name for b in baselines_for("text")}
    assert "WebP lossless -m 6" in {b.name for b in baselines_for("image")}


def test_published_figures_are_labelled_per_set():
    assert published.published_for("kodak") == "L 2.925"
    assert published.published_for("librispeech") == "S 4.155 / L 3.810"
    assert published.published_for("text").startswith("n/a")
    assert published.published_for("mine") == "n/a"


def test_make_small_files(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "one").write_bytes(b"1")
    (src / "big").write_bytes(b"x" * (tree.SMALL_FILE_MAX_BYTES + 1))
    dest = tree.make_small_files(str(tmp_path / "small"), 150, source=str(src))
    files = sets.list_files(dest)
    assert len(files) == 150
    assert {open(f, "rb").read() for f in files} == {b"1"}   # the big file is never used
    assert len({os.path.dirname(f) for f in files}) == 2     # 100 to a folder
    fallback = tree.make_small_files(str(tmp_path / "gen"), 3, source=str(tmp_path / "none"))
    assert len(sets.list_files(fallback)) == 3


def test_trees_equal_notices_a_changed_byte(tmp_path):
    for name in ("a", "b"):
        (tmp_path / name / "d").mkdir(parents=True)
        (tmp_path / name / "d/f").write_bytes(b"same")
    assert tree.trees_equal(str(tmp_path / "a"), str(tmp_path / "b"))
    (tmp_path / "b/d/f").write_bytes(b"sane")
    assert not tree.trees_equal(str(tmp_path / "a"), str(tmp_path / "b"))
