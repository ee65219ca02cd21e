"""Exit codes and one-line errors: no traceback reaches a user without --debug."""

from __future__ import annotations

import os

import pytest

from ozarc.cli import main as main_module
from ozarc.cli.main import EXIT_INTERRUPTED


def assert_one_line_error(err: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("ozarc: error: ")
    assert "Traceback" not in err


@pytest.mark.parametrize("argv", [
    ["c", "a.oz", "x", "--level", "10"],
    ["c", "a.oz", "x", "--codec", "no-such-codec"],
    ["c", "a.oz", "x", "-j", "0"],
    ["c", "a.oz"],
    ["frobnicate"],
    [],
    ["x", "a.oz", "--no-such-option"],
])
def test_bad_usage_exits_2_with_one_line(argv, run_cli):
    result = run_cli(*argv)
    assert result.rc == 2
    assert_one_line_error(result.err)


def test_help_exits_0(run_cli):
    result = run_cli("--help")
    assert result.rc == 0
    assert "COMMAND" in result.out


def test_create_help_says_which_model_each_level_uses(run_cli):
    result = run_cli("c", "--help")
    assert result.rc == 0
    text = " ".join(result.out.split())
    assert "7-8 add the learned codec with the 'default' model" in text
    assert "9 with the 'high' model" in text
    assert "each against zstd -19, bzip2 -9, xz -9e and store" in text


@pytest.mark.parametrize("verb", [["x"], ["t"], ["l"], ["l", "--json"], ["cat", "--", "m"]])
def test_missing_archive_exits_2(verb, tmp_path, run_cli):
    argv = [verb[0], str(tmp_path / "missing.oz")] + verb[1:]
    if verb[0] == "cat":
        argv = ["cat", str(tmp_path / "missing.oz"), "m"]
    result = run_cli(*argv)
    assert result.rc == 2
    assert_one_line_error(result.err)
    assert "missing.oz" in result.err


@pytest.mark.parametrize("verb", ["x", "t", "l", "cat"])
@pytest.mark.parametrize("garbage", [b"", b"not an archive at all\n" * 50, os.urandom(5000)])
def test_garbage_archive_exits_2_without_traceback(verb, garbage, tmp_path, monkeypatch,
                                                   run_cli):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "junk.oz").write_bytes(garbage)
    argv = {"x": ["x", "junk.oz", "-C", "."], "t": ["t", "junk.oz"], "l": ["l", "junk.oz"],
            "cat": ["cat", "junk.oz", "member"]}[verb]
    result = run_cli(*argv)
    assert result.rc == 2
    assert_one_line_error(result.err)
    assert "junk.oz" in result.err


def test_missing_input_path_is_an_error(tmp_path, monkeypatch, run_cli):
    monkeypatch.chdir(tmp_path)
    result = run_cli("c", "a.oz", "no-such-dir")
    assert result.rc in (1, 2)
    assert "no-such-dir" in result.err
    assert "Traceback" not in result.err


def test_debug_shows_the_traceback(tmp_path, run_cli):
    (tmp_path / "junk.oz").write_bytes(b"junk" * 100)
    result = run_cli("--debug", "t", str(tmp_path / "junk.oz"))
    assert result.rc == 2
    assert "Traceback" in result.err
    result = run_cli("t", "--debug", str(tmp_path / "junk.oz"))
    assert "Traceback" in result.err


def _raise(exc):
    def run(args):
        raise exc

    return run


def test_keyboard_interrupt_exits_130(monkeypatch, run_cli):
    monkeypatch.setattr(main_module.COMMANDS["l"], "run", _raise(KeyboardInterrupt()))
    result = run_cli("l", "a.oz")
    assert result.rc == EXIT_INTERRUPTED
    assert result.err.strip() == "ozarc: interrupted"


def test_unexpected_exception_is_one_line(monkeypatch, run_cli):
    monkeypatch.setattr(main_module.COMMANDS["l"], "run", _raise(RuntimeError("boom")))
    result = run_cli("l", "a.oz")
    assert result.rc == 2
    assert_one_line_error(result.err)
    assert "boom" in result.err
    result = run_cli("--debug", "l", "a.oz")
    assert "Traceback" in result.err


def test_broken_pipe_is_quiet(monkeypatch, run_cli):
    monkeypatch.setattr(main_module, "_silence_stdout", lambda: None)
    monkeypatch.setattr(main_module.COMMANDS["cat"], "run", _raise(BrokenPipeError()))
    result = run_cli("cat", "a.oz", "m")
    assert result.rc == 0
    assert result.err == ""
