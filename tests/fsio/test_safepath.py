import os

import pytest

from ozarc.errors import UnsafePathError
from ozarc.fsio.atomic import atomic_output
from ozarc.fsio.safepath import check_symlink_target, open_dir_chain, safe_parts


def test_safe_parts():
    assert safe_parts("a/./b//c") == ["a", "b", "c"]
    assert safe_parts("with space/\n/é") == ["with space", "\n", "é"]
    for bad in ("/etc/passwd", "../x", "a/../../x", "a/..", "", ".", "a\x00b"):
        with pytest.raises(UnsafePathError):
            safe_parts(bad)


def test_symlink_targets():
    check_symlink_target("a/b/link", "../c")
    check_symlink_target("a/link", "..")
    check_symlink_target("link", "x/y/../z")
    for name, target in (("link", "/etc"), ("link", ".."), ("a/link", "../../x"), ("l", "")):
        with pytest.raises(UnsafePathError):
            check_symlink_target(name, target)


def test_open_dir_chain_creates_and_refuses_symlinks(tmp_path):
    root = os.open(tmp_path, os.O_RDONLY)
    try:
        os.close(open_dir_chain(root, ["a", "b"], "a/b/f"))
        assert (tmp_path / "a" / "b").is_dir()
        os.symlink(tmp_path / "a", tmp_path / "s")
        with pytest.raises(UnsafePathError, match="symlink"):
            open_dir_chain(root, ["s", "x"], "s/x/f")
        (tmp_path / "file").write_text("x")
        with pytest.raises(UnsafePathError):
            open_dir_chain(root, ["file"], "file/f")
        with pytest.raises(FileNotFoundError):
            open_dir_chain(root, ["missing"], "missing", create=False)
    finally:
        os.close(root)
    assert not (tmp_path / "a" / "x").exists()


def test_atomic_output(tmp_path):
    target = tmp_path / "out.bin"
    with atomic_output(target) as f:
        f.write(b"data")
        assert not target.exists()
    assert target.read_bytes() == b"data"
    with pytest.raises(RuntimeError):
        with atomic_output(target) as f:
            f.write(b"partial")
            raise RuntimeError("boom")
    assert target.read_bytes() == b"data" and os.listdir(tmp_path) == ["out.bin"]
