"""Damage every region of a real archive: errors name entries, the rest still extracts."""

import os
import random

import pytest

import ozarc
from ozarc.codecs import codec_by_name
from ozarc.container.framing import FILE_HEADER_SIZE, FOOTER_SIZE, parse_frame_header
from ozarc.errors import ArchiveError

FILES = {
    "d/alpha.txt": b"alpha line\n" * 40,
    "d/beta.txt": b"beta beta\n" * 30,
    "big.bin": bytes(random.Random(1).randbytes(70_000)),
    "big.txt": b"".join(b"row %d of the big text\n" % i for i in range(4000)),
    "empty": b"",
}


@pytest.fixture(scope="module", params=["zstd", "bzip2", "xz"])
def archive(tmp_path_factory, request):
    """One real archive per classical codec (raw LZMA2 has no check of its own: the record
    frame's and the chunk's checks must catch its damage)."""
    root = tmp_path_factory.mktemp("corrupt")
    src = root / "src"
    for name, data in FILES.items():
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        (src / name).write_bytes(data)
    cwd = os.getcwd()
    os.chdir(src)
    try:
        ozarc.create(root / "good.oz", sorted(FILES), jobs=1, codec=request.param)
    finally:
        os.chdir(cwd)
    data = (root / "good.oz").read_bytes()
    with ozarc.open(root / "good.oz") as reader:
        index = reader._reader.index
    assert codec_by_name(request.param).codec_id in {c.codec_id for c in index.chunks}
    return data, index


def damaged(tmp_path, data, offset, bit=0x10):
    out = bytearray(data)
    out[offset] ^= bit
    path = tmp_path / "bad.oz"
    path.write_bytes(bytes(out))
    return path


def check_extraction(path, dest, recover=False):
    """Extract everything; every file that extracts is exact; return the failed names."""
    with ozarc.open(path, recover=recover) as reader:
        report = reader.extractall(dest, jobs=1)
    for name in report.extracted:
        if name in FILES:
            assert (dest / name).read_bytes() == FILES[name]
    assert not list(dest.rglob("*ozarc-part*"))
    for name, message in report.failed:
        assert message.startswith(f"{name}: ") and "\n" not in message
        assert not (dest / name).exists() or (dest / name).is_dir()
    return {name for name, _ in report.failed}


def test_chunk_payload_damage_names_the_entry(tmp_path, archive):
    data, index = archive
    record = next(e for e in index.entries if e.name == b"big.txt")
    location = index.chunks[record.streams[0].extents[0].chunk_no]
    path = damaged(tmp_path, data, location.offset + location.frame_len - 10)
    with ozarc.open(path) as reader:
        report = reader.verify()
        assert [name for name, _ in report.failed] == ["big.txt"]
        assert "corrupt" in report.failed[0][1] or "mismatch" in report.failed[0][1]
        assert len(report.ok) == len(FILES) - 1
    assert check_extraction(path, tmp_path / "out") == {"big.txt"}


def test_chunk_header_damage_names_the_entry(tmp_path, archive):
    data, index = archive
    record = next(e for e in index.entries if e.name == b"big.bin")
    location = index.chunks[record.streams[0].extents[0].chunk_no]
    for offset in range(location.offset, location.offset + 12):
        path = damaged(tmp_path, data, offset)
        with ozarc.open(path) as reader:
            assert [name for name, _ in reader.verify().failed] == ["big.bin"]


def test_solid_chunk_damage_fails_every_sharer(tmp_path, archive):
    data, index = archive
    record = next(e for e in index.entries if e.name == b"d/alpha.txt")
    location = index.chunks[record.streams[0].extents[0].chunk_no]
    path = damaged(tmp_path, data, location.offset + location.frame_len // 2)
    assert check_extraction(path, tmp_path / "out") == {"d/alpha.txt", "d/beta.txt"}


def test_local_header_damage_is_reported_by_verify(tmp_path, archive):
    data, index = archive
    number = next(i for i, e in enumerate(index.entries) if e.name == b"d/beta.txt")
    offset = index.entry_offsets[number]
    sharing = {e.name.decode() for e, o in zip(index.entries, index.entry_offsets) if o == offset}
    path = damaged(tmp_path, data, offset + 8)
    with ozarc.open(path) as reader:
        failed = reader.verify().failed
    assert {name for name, _ in failed} == sharing and "d/beta.txt" in sharing
    assert all("local header" in message for _, message in failed)
    assert check_extraction(path, tmp_path / "out") == set()  # the index copy is intact


@pytest.mark.parametrize("region", ["header", "index", "footer"])
def test_archive_level_damage_needs_recover(tmp_path, archive, region):
    data, _ = archive
    offset = {"header": 9, "index": len(data) - FOOTER_SIZE - 20,
              "footer": len(data) - 12}[region]
    path = damaged(tmp_path, data, offset)
    with pytest.raises(ArchiveError, match="recover"):
        ozarc.open(path)
    with ozarc.open(path, recover=True) as reader:
        assert reader.warnings
        assert sorted(n for n in reader.names() if n in FILES) == sorted(FILES)
    assert check_extraction(path, tmp_path / "out", recover=True) == set()


def test_every_region_sampled_flip_is_detected(tmp_path, archive):
    data, index = archive
    names = {e.name.decode() for e in index.entries} | {"<archive>"}
    starts = [c.offset for c in index.chunks] + index.entry_offsets
    offsets = set(range(0, len(data), max(1, len(data) // 250))) | set(range(16))
    offsets |= set(range(len(data) - 48, len(data))) | {s + i for s in starts for i in range(14)}
    for offset in sorted(offsets):
        path = damaged(tmp_path, data, offset, bit=1 << (offset % 8))
        try:
            reader = ozarc.open(path)
        except ArchiveError as exc:
            assert "\n" not in str(exc)
            continue
        with reader:
            failed = reader.verify().failed
        assert failed, f"flip at byte {offset} went unnoticed"
        assert {name for name, _ in failed} <= names


def test_truncation_at_many_offsets(tmp_path, archive):
    data, index = archive
    complete = {}
    for record, offset in zip(index.entries, index.entry_offsets):
        ends = [index.chunks[e.chunk_no].offset + index.chunks[e.chunk_no].frame_len
                for s in record.streams for e in s.extents]
        group_end = offset + parse_frame_header(data[offset:offset + 16], "t").frame_len
        complete[record.name.decode()] = max(ends + [group_end])
    cuts = sorted(set(range(0, len(data), max(1, len(data) // 40))) | {len(data) - 1})
    for cut in cuts:
        path = tmp_path / "cut.oz"
        path.write_bytes(data[:cut])
        with pytest.raises(ArchiveError):
            ozarc.open(path)
        if cut < FILE_HEADER_SIZE:
            continue
        dest = tmp_path / f"out{cut}"
        failed = check_extraction(path, dest, recover=True)
        for name, end in complete.items():
            if end <= cut and name in FILES:  # wholly before the cut: must be recovered
                assert name not in failed and (dest / name).read_bytes() == FILES[name]
