"""The real entry point, ``python -m ozarc``, in a child process."""

from __future__ import annotations

import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def ozarc(*argv, cwd):
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-m", "ozarc", *map(str, argv)], cwd=cwd, env=env,
                          capture_output=True, timeout=300)


def test_python_m_ozarc_round_trip_and_errors(tmp_path):
    (tmp_path / "src").mkdir()
    data = os.urandom(2000) + b"text " * 300
    (tmp_path / "src/f.bin").write_bytes(data)
    assert ozarc("c", "a.oz", "src", cwd=tmp_path).returncode == 0
    done = ozarc("cat", "a.oz", "src/f.bin", cwd=tmp_path)
    assert done.returncode == 0
    assert done.stdout == data
    (tmp_path / "junk.oz").write_bytes(b"\x00garbage" * 64)
    done = ozarc("x", "junk.oz", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.decode().startswith("ozarc: error: ")
    assert b"Traceback" not in done.stderr
    done = ozarc("c", "--level", "99", "b.oz", "src", cwd=tmp_path)
    assert done.returncode == 2
    assert b"Traceback" not in done.stderr
