import os
import stat

from ozarc.fsio.metadata import restore_fd


def test_setuid_and_setgid_are_not_restored(tmp_path):
    path = tmp_path / "f"
    path.write_text("x")
    fd = os.open(path, os.O_RDONLY)
    try:
        restore_fd(fd, 0o6755, 1_234_567_890_123_456_789)
    finally:
        os.close(fd)
    st_ = os.stat(path)
    assert stat.S_IMODE(st_.st_mode) == 0o755
    assert st_.st_mtime_ns == 1_234_567_890_123_456_789
    dfd = os.open(tmp_path, os.O_RDONLY)
    try:
        restore_fd(dfd, 0o1777, 5)
    finally:
        os.close(dfd)
    assert stat.S_IMODE(os.stat(tmp_path).st_mode) == 0o1777
