"""Fixtures for the CLI tests: run ``main`` in-process and capture its output."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from ozarc.cli.main import main


@dataclass
class CliResult:
    rc: int
    out: str
    err: str


@pytest.fixture
def run_cli(capsys):
    """Call ``main(argv)`` and return its exit code and captured stdout/stderr."""

    def run(*argv: str) -> CliResult:
        capsys.readouterr()
        rc = main([str(a) for a in argv])
        captured = capsys.readouterr()
        return CliResult(rc, captured.out, captured.err)

    return run
