"""``ozarc x``: members by name and glob, -C, --overwrite, and corrupt entries (exit 1)."""

from __future__ import annotations

import os

import pytest

from cli_testutil import make_sample_tree, snapshot
from ozarc.container.chunking import SOLID_LIMIT


@pytest.fixture
def archive(tmp_path, monkeypatch, run_cli):
    monkeypatch.chdir(tmp_path)
    make_sample_tree(tmp_path / "tree")
    assert run_cli("c", "-q", "-j", "1", "a.oz", "tree").rc == 0
    os.mkdir(tmp_path / "out")
    return tmp_path / "a.oz"


def extracted_files(root) -> set[str]:
    return {rel for rel, state in snapshot(root).items() if state[0] != "dir"}


def test_extract_named_member_only(archive, tmp_path, run_cli):
    result = run_cli("x", "-q", archive, "tree/notes/readme.txt", "-C", tmp_path / "out")
    assert result.rc == 0, result.err
    assert extracted_files(tmp_path / "out") == {"tree/notes/readme.txt"}
    assert (tmp_path / "out/tree/notes/readme.txt").read_bytes() == \
        (tmp_path / "tree/notes/readme.txt").read_bytes()


def test_extract_glob_members_only(archive, tmp_path, run_cli):
    result = run_cli("x", "-q", archive, "*.txt", "tree/data/*", "-C", tmp_path / "out")
    assert result.rc == 0, result.err
    assert extracted_files(tmp_path / "out") == {
        "tree/notes/readme.txt", "tree/data/random.bin", "tree/data/empty"}


def test_existing_file_kept_without_overwrite_replaced_with_it(archive, tmp_path, run_cli):
    target = tmp_path / "out/tree/notes/readme.txt"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"mine")
    result = run_cli("x", "-q", archive, "tree/notes/readme.txt", "-C", tmp_path / "out")
    assert result.rc != 0
    assert target.read_bytes() == b"mine"
    assert "readme.txt" in result.err
    assert "Traceback" not in result.err
    result = run_cli("x", "-q", "--overwrite", archive, "tree/notes/readme.txt",
                     "-C", tmp_path / "out")
    assert result.rc == 0, result.err
    assert target.read_bytes() == (tmp_path / "tree/notes/readme.txt").read_bytes()


def test_verbose_extract_lists_members(archive, tmp_path, run_cli):
    result = run_cli("x", "-v", archive, "-C", tmp_path / "out")
    assert result.rc == 0, result.err
    assert "tree/notes/readme.txt" in result.out.splitlines()


def corrupt_member_bytes(archive_path, content: bytes) -> None:
    """Flip one byte inside ``content`` where it lies stored verbatim in the archive."""
    blob = bytearray(archive_path.read_bytes())
    at = blob.find(content)
    assert at >= 0, "stored content not found in archive"
    blob[at + len(content) // 2] ^= 0x55
    archive_path.write_bytes(bytes(blob))


@pytest.fixture
def corrupt_archive(tmp_path, monkeypatch, run_cli):
    """An archive (codec store) of two files, one of whose stored bytes is damaged."""
    monkeypatch.chdir(tmp_path)
    # Larger than the solid limit, so each file has its own chunk and damage stays in one.
    size = SOLID_LIMIT + 1000
    good, bad = os.urandom(size), os.urandom(size)
    (tmp_path / "src").mkdir()
    (tmp_path / "src/good.bin").write_bytes(good)
    (tmp_path / "src/bad.bin").write_bytes(bad)
    assert run_cli("c", "-q", "--codec", "store", "a.oz", "src").rc == 0
    corrupt_member_bytes(tmp_path / "a.oz", bad)
    return tmp_path / "a.oz", good


def test_corrupt_entry_named_and_the_rest_extracted(corrupt_archive, tmp_path, run_cli):
    archive, good = corrupt_archive
    os.mkdir(tmp_path / "out")
    result = run_cli("x", "-q", archive, "-C", tmp_path / "out")
    assert result.rc == 1
    assert "src/bad.bin" in result.err
    assert "Traceback" not in result.err
    assert (tmp_path / "out/src/good.bin").read_bytes() == good


def test_verify_names_the_corrupt_entry(corrupt_archive, run_cli):
    archive, _ = corrupt_archive
    result = run_cli("t", archive)
    assert result.rc == 1
    assert "src/bad.bin" in result.err
    assert "src/good.bin" not in result.err
    assert "Traceback" not in result.err


def test_verify_good_archive(archive, run_cli):
    result = run_cli("t", archive)
    assert result.rc == 0, result.err
    assert "OK" in result.out
    assert run_cli("t", "-q", archive).out == ""


def test_recover_extracts_an_archive_with_a_lost_footer(archive, tmp_path, run_cli):
    truncated = tmp_path / "t.oz"
    truncated.write_bytes(archive.read_bytes()[:-30])
    result = run_cli("x", "-q", truncated, "-C", tmp_path / "out")
    assert result.rc == 2
    assert "t.oz" in result.err and "Traceback" not in result.err
    result = run_cli("x", "-q", "--recover", truncated, "-C", tmp_path / "out")
    assert result.rc == 0, result.err
    assert snapshot(tmp_path / "out/tree") == snapshot(tmp_path / "tree")
    warnings = [line for line in result.err.splitlines() if "warning" in line]
    assert warnings and len(warnings) == len(set(warnings))
