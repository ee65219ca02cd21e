"""``ozarc c`` then ``ozarc x`` restores a tree byte-exact (bytes, names, modes, mtimes, links)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ozarc.cli.main import main
from cli_testutil import make_sample_tree, snapshot, write_file

NAME = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_-. \u00e9\u4e2d",
               min_size=1, max_size=12).filter(lambda s: s not in (".", "..") and s.strip())


def test_create_then_extract_restores_tree(tmp_path, monkeypatch, run_cli):
    monkeypatch.chdir(tmp_path)
    make_sample_tree(tmp_path / "tree")
    assert run_cli("c", "a.oz", "tree", "-q").rc == 0
    os.mkdir("out")
    result = run_cli("x", "a.oz", "-C", "out", "-q")
    assert result.rc == 0, result.err
    assert snapshot(tmp_path / "out" / "tree") == snapshot(tmp_path / "tree")


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(files=st.dictionaries(NAME, st.binary(max_size=2000), min_size=1, max_size=5),
       level=st.integers(1, 9), codec=st.sampled_from(["auto", "zstd", "store"]))
def test_roundtrip_any_names_and_bytes(tmp_path_factory, files, level, codec):
    base = tmp_path_factory.mktemp("rt")
    for name, data in files.items():
        write_file(os.path.join(base, "src", name), data)
    archive = os.path.join(base, "a.oz")
    cwd = os.getcwd()
    os.chdir(base)
    try:
        assert main(["c", "-q", "-l", str(level), "--codec", codec, "-j", "1", archive,
                     "src"]) == 0
        os.mkdir("out")
        assert main(["x", "-q", archive, "-C", "out"]) == 0
    finally:
        os.chdir(cwd)
    assert snapshot(os.path.join(base, "out", "src")) == snapshot(os.path.join(base, "src"))


def test_exclude_leaves_members_out(tmp_path, monkeypatch, run_cli):
    monkeypatch.chdir(tmp_path)
    make_sample_tree(tmp_path / "tree")
    assert run_cli("c", "-q", "--exclude", "*.bin", "--exclude", "deep", "a.oz", "tree").rc == 0
    listing = run_cli("l", "a.oz").out
    assert "tree/notes/readme.txt" in listing
    assert "random.bin" not in listing
    assert "more.md" not in listing


def test_verbose_lists_each_member_once(tmp_path, monkeypatch, run_cli):
    monkeypatch.chdir(tmp_path)
    files = make_sample_tree(tmp_path / "tree")
    result = run_cli("c", "-v", "-j", "1", "a.oz", "tree")
    assert result.rc == 0
    listed = result.out.splitlines()
    assert len(listed) == len(set(listed))
    for rel, data in files.items():
        if data:  # members with bytes report progress
            assert f"tree/{rel}" in listed
    # -v also prints the per-modality summary (stderr), even when not on a terminal
    assert "bits/Byte" in result.err


def test_create_is_silent_off_a_terminal(tmp_path, monkeypatch, run_cli):
    monkeypatch.chdir(tmp_path)
    make_sample_tree(tmp_path / "tree")
    result = run_cli("c", "a.oz", "tree")
    assert (result.rc, result.out, result.err) == (0, "", "")
