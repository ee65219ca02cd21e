"""``ozarc l`` (table and --json) and ``ozarc cat`` (exact bytes on stdout)."""

from __future__ import annotations

import json
import os

import pytest

from cli_testutil import make_sample_tree
from ozarc.cli.main import main


@pytest.fixture
def archive(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    files = make_sample_tree(tmp_path / "tree")
    assert main(["c", "-q", "-j", "1", "a.oz", "tree"]) == 0
    return tmp_path / "a.oz", {f"tree/{rel}": data for rel, data in files.items()}


def test_list_json_parses_and_matches_the_tree(archive, run_cli):
    path, files = archive
    result = run_cli("l", "--json", path)
    assert result.rc == 0, result.err
    document = json.loads(result.out)
    entries = {e["name"]: e for e in document["entries"]}
    for name, data in files.items():
        assert entries[name]["kind"] == "file"
        assert entries[name]["size"] == len(data)
    assert entries["tree/empty_dir"]["kind"] == "dir"
    assert entries["tree/link_to_readme"]["kind"] == "symlink"
    assert entries["tree/link_to_readme"]["link_target"] == "notes/readme.txt"
    totals = document["totals"]
    assert totals["entries"] == len(document["entries"])
    assert totals["files"] == len(files)
    assert totals["size"] == sum(len(d) for d in files.values())
    assert totals["stored_size"] == sum(e["stored_size"] for e in document["entries"])
    assert totals["archive_bytes"] == os.path.getsize(path)


def test_list_table_has_a_row_per_entry_and_totals(archive, run_cli):
    path, files = archive
    result = run_cli("l", path)
    assert result.rc == 0, result.err
    lines = result.out.splitlines()
    assert lines[0].split()[:2] == ["type", "size"]
    for name, data in files.items():
        row = next(line for line in lines if line.endswith(name))
        assert row.split()[0] == "file"
        assert row.split()[1] == str(len(data))
    assert any("-> notes/readme.txt" in line for line in lines)
    assert lines[-1].startswith(f"{len(lines) - 2} entries ({len(files)} files)")


def test_cat_writes_exact_bytes(archive, capsysbinary):
    path, files = archive
    for name in ("tree/data/random.bin", "tree/data/empty", "tree/notes/deep/more.md"):
        capsysbinary.readouterr()
        assert main(["cat", str(path), name]) == 0
        assert capsysbinary.readouterr().out == files[name]


def test_cat_unknown_member_is_one_line_error(archive, run_cli):
    path, _ = archive
    result = run_cli("cat", path, "tree/no/such/file")
    assert result.rc in (1, 2)
    assert result.err.startswith("ozarc: error: ")
    assert "tree/no/such/file" in result.err
    assert "Traceback" not in result.err
