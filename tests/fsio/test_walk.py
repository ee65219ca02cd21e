import os

import pytest

from ozarc.container.records import EntryKind
from ozarc.errors import UsageError
from ozarc.fsio.walk import TreeWalker, is_excluded, member_name


def test_member_names_like_tar():
    assert member_name("/abs/path/") == "abs/path"
    assert member_name("./a/./b//c") == "a/b/c"
    assert member_name(".") == "" and member_name("/") == ""
    assert member_name("name with space/ünï\ncode") == "name with space/ünï\ncode"
    for bad in ("..", "a/../b", "../x"):
        with pytest.raises(UsageError):
            member_name(bad)


def test_exclude_matches_names_and_basenames():
    assert is_excluded("a/b/c.pyc", ("*.pyc",))
    assert is_excluded("a/b/cache", ("cache",))
    assert is_excluded("a/b", ("a/*",))
    assert not is_excluded("a/b/c.py", ("*.pyc", "b"))


def test_walk_order_kinds_and_links(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t" / "sub").mkdir(parents=True)
    (tmp_path / "t" / "b.txt").write_text("b")
    (tmp_path / "t" / "a.txt").write_text("a")
    os.link(tmp_path / "t" / "a.txt", tmp_path / "t" / "sub" / "z")
    os.symlink("nowhere", tmp_path / "t" / "link")
    os.mkfifo(tmp_path / "t" / "pipe")
    walker = TreeWalker()
    members = walker.walk(["t"])
    assert [m.name for m in members] == ["t", "t/a.txt", "t/b.txt", "t/link", "t/sub", "t/sub/z"]
    kinds = {m.name: m.kind for m in members}
    assert kinds["t/sub/z"] == EntryKind.HARDLINK and kinds["t/link"] == EntryKind.SYMLINK
    assert members[-1].link_target == "t/a.txt" and members[3].link_target == "nowhere"
    assert walker.warnings == ["t/pipe: skipped, a fifo is not archived"]
    assert [m.name for m in TreeWalker().walk(["t/sub", "t"])][:2] == ["t/sub", "t/sub/z"]


def test_walk_excludes_and_duplicates(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t" / "skip").mkdir(parents=True)
    (tmp_path / "t" / "skip" / "inner").write_text("x")
    (tmp_path / "t" / "keep").write_text("x")
    walker = TreeWalker(exclude=["skip"])
    assert [m.name for m in walker.walk(["t", "t/keep"])] == ["t", "t/keep"]
    assert walker.warnings == ["t/keep: given twice, archived once"]
