"""The public API end to end: round trips, options, reports, atomicity, determinism."""

import os
import stat
import tempfile

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import ozarc
from ozarc.container.pool import make_executor
from ozarc.errors import ArchiveError, EntryError, UsageError


# -- generated trees and their snapshots --------------------------------------------------
NAME_CHARS = st.sampled_from(list("abcXYZ019 _-.é☃\n\t日"))
NAMES = st.text(NAME_CHARS, min_size=1, max_size=6).filter(lambda n: n not in (".", ".."))
MODES = st.sampled_from([0o644, 0o600, 0o755, 0o700, 0o444, 0o640, 0o777])
MTIMES = st.integers(10**15, 4 * 10**18)
CONTENT = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=300).map(lambda t: t.encode("utf-8")),
    st.integers(0, 200_000).map(lambda n: (b"line %d\n" % n) * (n // 8)),
)


@st.composite
def trees(draw, max_nodes=10):
    """A list of (relative path, spec) in creation order; parents come first."""
    nodes, dirs, files = [], [""], []
    for _ in range(draw(st.integers(0, max_nodes))):
        parent = draw(st.sampled_from(dirs))
        name = draw(NAMES)
        path = f"{parent}/{name}" if parent else name
        if any(p == path for p, _ in nodes):
            continue
        kind = draw(st.sampled_from(["file", "file", "dir", "symlink", "hardlink"]))
        if kind == "hardlink" and not files:
            kind = "file"
        mtime = draw(MTIMES)
        if kind == "dir":
            spec = ("dir", draw(st.sampled_from([0o755, 0o700, 0o750, 0o1777])), mtime)
            dirs.append(path)
        elif kind == "file":
            spec = ("file", draw(MODES), mtime, draw(CONTENT))
            files.append(path)
        elif kind == "symlink":
            spec = ("symlink", draw(st.sampled_from(["x", "../y", "a b/c", "é"])), mtime)
        else:
            spec = ("hardlink", draw(st.sampled_from(files)))
        nodes.append((path, spec))
    return nodes


def build_tree(root: str, nodes) -> None:
    os.makedirs(root, exist_ok=True)
    dir_times = []
    for path, spec in nodes:
        full = os.path.join(root, path)
        if spec[0] == "dir":
            os.mkdir(full)
            dir_times.append((full, spec[1], spec[2]))
        elif spec[0] == "file":
            with open(full, "wb") as f:
                f.write(spec[3])
            os.chmod(full, spec[1])
            os.utime(full, ns=(spec[2], spec[2]))
        elif spec[0] == "symlink":
            os.symlink(spec[1], full)
            os.utime(full, ns=(spec[2], spec[2]), follow_symlinks=False)
        else:
            os.link(os.path.join(root, spec[1]), full)
    for full, mode, mtime in reversed(dir_times):
        os.chmod(full, mode)
        os.utime(full, ns=(mtime, mtime))


def snapshot(root: str) -> dict:
    """name -> (kind, mode, mtime_ns, content or target, hard-link group)."""
    out, inodes = {}, {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, root)
            st_ = os.lstat(full)
            if stat.S_ISLNK(st_.st_mode):
                out[rel] = ("symlink", None, st_.st_mtime_ns, os.readlink(full), None)
            elif stat.S_ISDIR(st_.st_mode):
                out[rel] = ("dir", stat.S_IMODE(st_.st_mode), st_.st_mtime_ns, None, None)
            else:
                with open(full, "rb") as f:
                    content = f.read()
                inodes.setdefault(st_.st_ino, []).append(rel)
                out[rel] = ("file", stat.S_IMODE(st_.st_mode), st_.st_mtime_ns, content,
                            st_.st_ino)
    groups = {ino: tuple(sorted(paths)) for ino, paths in inodes.items()}
    return {rel: v[:4] + ((groups[v[4]] if len(groups[v[4]]) > 1 else None),) if v[0] == "file"
            else v for rel, v in out.items()}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trees())
def test_round_trip_generated_trees(nodes):
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "src")
        build_tree(src, nodes)
        archive = os.path.join(tmp, "a.oz")
        cwd = os.getcwd()
        os.chdir(tmp)
        try:
            report = ozarc.create(archive, ["src"], jobs=1, level=3)
        finally:
            os.chdir(cwd)
        assert report.warnings == []
        with ozarc.open(archive) as reader:
            assert reader.verify().failed == []
            result = reader.extractall(os.path.join(tmp, "out"), jobs=1)
        assert result.failed == []
        assert snapshot(os.path.join(tmp, "out", "src")) == snapshot(src)


def _tree(tmp_path):
    src = tmp_path / "src"
    (src / "docs").mkdir(parents=True)
    (src / "empty").mkdir()
    (src / "docs" / "a.txt").write_text("alpha\n" * 50)
    (src / "docs" / "b.md").write_text("beta\n" * 20)
    (src / "bin.dat").write_bytes(os.urandom(3000) * 3)
    (src / "big.txt").write_bytes(b"".join(b"%08d\n" % i for i in range(300_000)))
    os.symlink("docs/a.txt", src / "link")
    os.link(src / "docs" / "a.txt", src / "docs" / "hard")
    return src


@pytest.fixture
def tree(tmp_path, monkeypatch):
    src = _tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    return src


def test_listing_and_reading(tree, tmp_path):
    report = ozarc.create("t.oz", ["src"], jobs=1)
    assert report.entries == 9 and report.bytes_out == os.path.getsize("t.oz")
    assert report.bytes_in == sum(p.stat().st_size for p in tree.rglob("*")
                                  if p.is_file() and not p.is_symlink() and p.name != "hard")
    assert sum(s.files for s in report.by_modality.values()) == 4
    with ozarc.open("t.oz") as reader:
        names = reader.names()
        assert names[0] == "src" and "src/empty" in names and "src/docs/hard" in names
        info = reader.getentry("src/big.txt")
        assert info.kind == "file" and info.size == (tree / "big.txt").stat().st_size
        assert 0 < info.stored_size < info.size and info.codecs
        assert reader.getentry("src/link").link_target == "docs/a.txt"
        assert reader.getentry("src/docs/hard").kind == "hardlink"
        assert reader.read("src/docs/hard") == (tree / "docs" / "a.txt").read_bytes()
        with reader.extractfile("src/big.txt") as stream:
            first = stream.read(10)
            rest = stream.read()
        assert first + rest == (tree / "big.txt").read_bytes()
        with pytest.raises(EntryError):
            reader.getentry("nope")
        with pytest.raises(EntryError):
            reader.read("src/docs")


def test_members_globs_and_overwrite(tree, tmp_path):
    ozarc.create("t.oz", ["src"], jobs=1)
    out = tmp_path / "out"
    with ozarc.open("t.oz") as reader:
        report = reader.extractall(out, members=["src/docs/*.txt", "src/empty", "missing"])
        assert sorted(report.extracted) == ["src/docs/a.txt", "src/empty"]
        assert report.failed == [("missing", "missing: no such member in the archive")]
        (out / "src" / "docs" / "a.txt").write_text("changed")
        again = reader.extractall(out, members=["src/docs/a.txt"])
        assert again.extracted == [] and "already exists" in again.failed[0][1]
        assert (out / "src" / "docs" / "a.txt").read_text() == "changed"
        with pytest.raises(EntryError, match="already exists"):
            reader.extract("src/docs/a.txt", out)
        reader.extract("src/docs/a.txt", out, overwrite=True)
        assert (out / "src" / "docs" / "a.txt").read_bytes() == (tree / "docs" / "a.txt").read_bytes()
        reader.extractall(out, members=["src/docs"], overwrite=True)
        assert (out / "src" / "docs" / "hard").read_bytes() == (tree / "docs" / "a.txt").read_bytes()
    assert not [p for p in out.rglob("*ozarc-part*")]


def test_jobs_do_not_change_the_archive(tree, tmp_path, monkeypatch):
    from ozarc.fsio import extract

    ozarc.create("one.oz", ["src"], jobs=1, level=4)
    ozarc.create("two.oz", ["src"], jobs=2, level=4)
    assert (tmp_path / "one.oz").read_bytes() == (tmp_path / "two.oz").read_bytes()
    pools = []
    monkeypatch.setattr(extract, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(extract, "PARALLEL_MIN_FILE_SIZE", 0)
    monkeypatch.setattr(extract, "make_executor", lambda jobs: pools.append(jobs) or make_executor(jobs))
    with ozarc.open("two.oz") as reader:
        report = reader.extractall(tmp_path / "out", jobs=2)
    assert report.failed == [] and pools == [2]
    assert snapshot(str(tmp_path / "out" / "src")) == snapshot(str(tree))


def test_member_names_like_tar(tree, tmp_path):
    ozarc.create("a.oz", ["./src/docs/", str(tree / "bin.dat")], jobs=1)
    with ozarc.open("a.oz") as reader:
        names = reader.names()
    assert names[0] == "src/docs" and str(tree / "bin.dat").lstrip("/") in names
    with pytest.raises(UsageError, match=r"\.\."):
        ozarc.create("b.oz", ["src/../src"])
    with pytest.raises(UsageError):
        ozarc.create("b.oz", ["does-not-exist"])
    assert not (tmp_path / "b.oz").exists()


def test_exclude(tree):
    ozarc.create("a.oz", ["src"], jobs=1, exclude=["*.md", "src/docs/hard", "empty"])
    with ozarc.open("a.oz") as reader:
        names = reader.names()
    assert "src/docs/b.md" not in names and "src/docs/hard" not in names
    assert "src/empty" not in names and "src/docs/a.txt" in names


def test_codec_and_level_options(tree, tmp_path):
    ozarc.create("store.oz", ["src"], codec="store", jobs=1)
    ozarc.create("z9.oz", ["src"], codec="zstd", level=9, jobs=1)
    ozarc.create("z1.oz", ["src"], codec="zstd", level=1, jobs=1)
    with ozarc.open("store.oz") as reader:
        assert {c for e in reader.entries() for c in e.codecs} == {"store"}
    assert os.path.getsize("z9.oz") < os.path.getsize("z1.oz") < os.path.getsize("store.oz")
    for bad in ({"codec": "nope"}, {"level": 0}, {"jobs": 0}):
        with pytest.raises(UsageError):
            ozarc.create("bad.oz", ["src"], **bad)
    assert not (tmp_path / "bad.oz").exists()


def test_special_files_are_skipped_with_a_warning(tree):
    os.mkfifo(tree / "fifo")
    report = ozarc.create("a.oz", ["src"], jobs=1)
    assert any("src/fifo" in w and "fifo" in w for w in report.warnings)
    with ozarc.open("a.oz") as reader:
        assert "src/fifo" not in reader.names()


def test_archive_inside_its_own_input_is_not_archived(tree):
    ozarc.create("src/self.oz", ["src"], jobs=1)
    report = ozarc.create("src/self.oz", ["src"], jobs=1)
    assert any("self.oz" in w for w in report.warnings)
    with ozarc.open("src/self.oz") as reader:
        assert "src/self.oz" not in reader.names()


class Boom(Exception):
    pass


def test_create_is_atomic(tree, tmp_path, monkeypatch):
    from ozarc.container import writer

    calls = {"n": 0}
    original = writer.ArchiveWriter.write_entries

    def failing(self, records):
        calls["n"] += 1
        if calls["n"] == 2:
            raise Boom()
        return original(self, records)

    monkeypatch.setattr(writer.ArchiveWriter, "write_entries", failing)
    with pytest.raises(Boom):
        ozarc.create("a.oz", ["src"], jobs=2)
    monkeypatch.setattr(writer.ArchiveWriter, "write_entries", lambda *a: (_ for _ in ()).throw(KeyboardInterrupt()))
    (tmp_path / "old.oz").write_bytes(b"previous")
    with pytest.raises(KeyboardInterrupt):
        ozarc.create("old.oz", ["src"], jobs=1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.oz", "src"]
    assert (tmp_path / "old.oz").read_bytes() == b"previous"


class Recorder:
    def __init__(self):
        self.events = []

    def start(self, total):
        self.events.append(("start", total))

    def advance(self, n, current):
        self.events.append(("advance", n, current))

    def finish(self):
        self.events.append(("finish",))


def test_progress_sink(tree, tmp_path):
    sink = Recorder()
    ozarc.create("a.oz", ["src"], jobs=1, progress=sink)
    assert sink.events[0][0] == "start" and sink.events[-1] == ("finish",)
    assert sum(e[1] for e in sink.events if e[0] == "advance") == sink.events[0][1]
    assert isinstance(sink, ozarc.ProgressSink)
    for action in ("extract", "verify"):
        sink = Recorder()
        with ozarc.open("a.oz") as reader:
            if action == "extract":
                reader.extractall(tmp_path / "out", progress=sink, jobs=1)
            else:
                reader.verify(progress=sink)
        assert sink.events[0][0] == "start" and sink.events[-1] == ("finish",)
        assert sum(e[1] for e in sink.events if e[0] == "advance") == sink.events[0][1]


def test_unusable_destinations(tree, tmp_path):
    ozarc.create("a.oz", ["src"], jobs=1)
    (tmp_path / "plain").write_text("x")
    with ozarc.open("a.oz") as reader:
        with pytest.raises(UsageError, match="cannot extract"):
            reader.extractall(tmp_path / "plain" / "sub")
    with pytest.raises(ArchiveError, match="cannot write"):
        ozarc.create(tmp_path / "missing-dir" / "a.oz", ["src"], jobs=1)
    with pytest.raises(ArchiveError, match="cannot write"):
        ozarc.create(tmp_path / "src", ["src/docs"], jobs=1)


def test_not_an_archive(tmp_path):
    (tmp_path / "junk").write_bytes(b"hello world" * 10)
    with pytest.raises(ArchiveError):
        ozarc.open(tmp_path / "junk")
    with pytest.raises(ArchiveError):
        ozarc.open(tmp_path / "missing.oz")
    with pytest.raises(ArchiveError):
        ozarc.open(tmp_path / "junk", recover=True)


def test_many_small_files_share_solid_chunks(tmp_path, monkeypatch):
    src = tmp_path / "many"
    src.mkdir()
    for i in range(300):
        (src / f"f{i:03d}.txt").write_text(f"small file number {i}\n" * 3)
    monkeypatch.chdir(tmp_path)
    ozarc.create("m.oz", ["many"], jobs=2)
    with ozarc.open("m.oz") as reader:
        assert len(reader._reader.index.chunks) <= 2
        report = reader.extractall(tmp_path / "out", jobs=2)
    assert report.failed == [] and len(report.extracted) == 301
    assert snapshot(str(tmp_path / "out" / "many")) == snapshot(str(src))
