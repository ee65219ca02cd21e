"""Hand-crafted hostile archives: nothing is written outside the target, nothing explodes."""

import hashlib
import os

import pytest

import ozarc
from ozarc.container.compress import CompressJob, CompressResult
from ozarc.container.framing import check8
from ozarc.container.records import EntryKind, EntryRecord, Extent, StreamRef
from ozarc.container.writer import ArchiveWriter
from ozarc.errors import EntryError, UnsafePathError
from archive_craft import craft_archive, craft_raw

F, D, L, H = EntryKind.FILE, EntryKind.DIR, EntryKind.SYMLINK, EntryKind.HARDLINK


@pytest.fixture
def dirs(tmp_path):
    dest, outside = tmp_path / "dest", tmp_path / "outside"
    dest.mkdir()
    outside.mkdir()
    return tmp_path, dest, outside


def extract(path, dest, **kw):
    with ozarc.open(path) as reader:
        return reader.extractall(dest, jobs=1, **kw)


def failed_names(report):
    return {name for name, _ in report.failed}


def test_absolute_and_dotdot_names_are_refused(dirs):
    tmp, dest, outside = dirs
    evil = [("/" + str(outside / "abs.txt").lstrip("/"), F, b"x"),
            ("../outside/up.txt", F, b"x"), ("a/../../outside/mid.txt", F, b"x"),
            ("ok.txt", F, b"fine")]
    report = extract(craft_archive(tmp / "e.oz", evil), dest)
    assert report.extracted == ["ok.txt"] and len(report.failed) == 3
    assert all("refused" in message for _, message in report.failed)
    assert list(outside.iterdir()) == []
    with ozarc.open(tmp / "e.oz") as reader:
        with pytest.raises(UnsafePathError):
            reader.extract("../outside/up.txt", dest)


def test_symlink_then_file_through_it(dirs):
    tmp, dest, outside = dirs
    members = [("link", L, str(outside)), ("link/owned.txt", F, b"x"),
               ("rel", L, "../outside"), ("rel/owned2.txt", F, b"x"),
               ("inside", L, "sub"), ("inside/f.txt", F, b"y")]
    report = extract(craft_archive(tmp / "s.oz", members), dest)
    assert list(outside.iterdir()) == []
    assert {"link", "rel"} <= failed_names(report)
    # "inside/f.txt" went into a real directory; the symlink then could not replace it
    assert (dest / "inside").is_dir() and not (dest / "inside").is_symlink()
    assert "inside" in failed_names(report)


def test_pre_existing_symlink_in_target_is_not_followed(dirs):
    tmp, dest, outside = dirs
    os.symlink(outside, dest / "pre")
    report = extract(craft_archive(tmp / "p.oz", [("pre/f.txt", F, b"x")]), dest)
    assert failed_names(report) == {"pre/f.txt"} and "symlink" in report.failed[0][1]
    assert list(outside.iterdir()) == []


def test_symlink_chains_stay_inside(dirs):
    tmp, dest, outside = dirs
    members = [("l1", L, "l2"), ("l2", L, "d/.."), ("d", D, None), ("d/l3", L, "../l1"),
               ("d/l4", L, "../../outside"), ("l5", L, "d/l4/x"), ("l5/g.txt", F, b"z")]
    members = [(n, k, p if p is not None else b"") for n, k, p in members]
    report = extract(craft_archive(tmp / "c.oz", members), dest)
    assert "d/l4" in failed_names(report)
    assert os.readlink(dest / "d" / "l3") == "../l1"
    assert list(outside.iterdir()) == []
    assert not any(os.path.realpath(p).startswith(str(outside)) for p in dest.rglob("*")
                   if p.is_file())


def test_symlink_chain_escaping_only_through_another_link(dirs):
    tmp, dest, outside = dirs
    (dest / "d").mkdir()
    members = [("l5", L, "d/l4/../outside"), ("d/l4", L, ".."), ("fine", L, "d/l4")]
    report = extract(craft_archive(tmp / "chain.oz", members), dest)
    assert failed_names(report) == {"l5"} and "resolves outside" in dict(report.failed)["l5"]
    assert not os.path.lexists(dest / "l5") and os.readlink(dest / "fine") == "d/l4"


def test_hard_link_to_a_missing_or_unsafe_target(dirs):
    tmp, dest, outside = dirs
    (outside / "secret").write_text("s")
    members = [("h1", H, "../outside/secret"), ("h2", H, "nope")]
    report = extract(craft_archive(tmp / "h.oz", members), dest)
    assert failed_names(report) == {"h1", "h2"}
    assert list(dest.iterdir()) == []


def test_huge_declared_sizes_fail_fast(dirs):
    tmp, dest, _ = dirs
    payload = b"tiny"
    stream = StreamRef(0, (), 4, (Extent(0, 0, 4),))
    liar = EntryRecord(b"liar", F, 0o644, 0, size=1 << 40, content_hash=bytes(32), streams=(stream,))
    job = CompressJob(0, payload, 0, (), 3, "zstd")
    # a stream claiming 64 MiB from a 4-byte chunk, repeated: 16 Ki extents = 1 TiB
    many = tuple(Extent(0, 0, 64 << 20) for _ in range(16384))
    bomb = EntryRecord(b"bomb", F, 0o644, 0, size=(64 << 20) * 16384, content_hash=bytes(32),
                       streams=(StreamRef(0, (), (64 << 20) * 16384, many),))
    path = craft_raw(tmp / "huge.oz", [job, liar, bomb])
    report = extract(path, dest)
    assert failed_names(report) == {"liar", "bomb"}
    assert "recorded" in dict(report.failed)["liar"] and "shorter" in dict(report.failed)["bomb"]
    assert list(dest.iterdir()) == []


def test_chunk_claiming_a_huge_raw_length(dirs):
    tmp, dest, _ = dirs
    with open(tmp / "raw.oz", "wb") as f:
        writer = ArchiveWriter(f)
        writer.write_chunk(CompressResult(0, 0, None, 1 << 40, bytes(8), b"abc"))
        record = EntryRecord(b"x", F, 0o644, 0, size=3, content_hash=bytes(32),
                             streams=(StreamRef(0, (), 3, (Extent(0, 0, 3),)),))
        writer.finish([(record, writer.write_entries([record]))])
    report = extract(tmp / "raw.oz", dest)
    assert failed_names(report) == {"x"} and "limit" in report.failed[0][1]


def test_unknown_codec_transform_and_kind_fail_only_their_entry(dirs):
    tmp, dest, _ = dirs
    data = b"payload"
    digest = hashlib.blake2b(data, digest_size=32).digest()
    with open(tmp / "u.oz", "wb") as f:
        writer = ArchiveWriter(f)
        writer.write_chunk(CompressResult(0, 99, None, len(data), check8(data), data))
        writer.write_chunk(CompressResult(1, 0, None, len(data), check8(data), data))
        stream0 = StreamRef(0, (), len(data), (Extent(0, 0, len(data)),))
        stream1 = StreamRef(0, (), len(data), (Extent(1, 0, len(data)),))
        records = [
            EntryRecord(b"codec99", F, 0o644, 0, len(data), content_hash=digest, streams=(stream0,)),
            EntryRecord(b"transform77", F, 0o644, 0, len(data), transform_id=77,
                        content_hash=digest, streams=(stream1, stream1)),
            EntryRecord(b"kind9", 9, 0o644, 0),
            EntryRecord(b"good", F, 0o644, 0, len(data), content_hash=digest, streams=(stream1,)),
            EntryRecord(b"good", F, 0o644, 0, len(data), content_hash=digest, streams=(stream1,)),
        ]
        writer.finish([(r, writer.write_entries([r])) for r in records])
    report = extract(tmp / "u.oz", dest)
    messages = dict(report.failed)
    assert report.extracted == ["good"] and (dest / "good").read_bytes() == data
    assert "unknown codec id 99" in messages["codec99"]
    assert "transform" in messages["transform77"] and "kind9" in messages
    assert "already exists" in messages["good"]  # the duplicate does not overwrite
    with ozarc.open(tmp / "u.oz") as reader:
        assert {name for name, _ in reader.verify().failed} == {"codec99", "transform77", "kind9"}
        assert reader.getentry("kind9").kind == "unknown#9"
        with pytest.raises(EntryError, match="codec99"):
            reader.read("codec99")
