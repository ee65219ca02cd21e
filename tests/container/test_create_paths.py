"""Writer paths that ordinary trees do not reach: streamed big files, duplicates, odd splits."""

import os

import ozarc
from ozarc.container import create, prepare
from ozarc.container.layout import LayoutPlanner
from ozarc.container.prepare import checked_split
from ozarc.container.records import EntryKind, EntryRecord
from ozarc.modality import Modality
from ozarc.transforms.base import Split, Stream


def test_big_files_are_streamed(tmp_path, monkeypatch):
    monkeypatch.setattr(create, "WHOLE_FILE_LIMIT", 100_000)
    monkeypatch.setattr(prepare, "WHOLE_FILE_LIMIT", 100_000)
    monkeypatch.setattr(create, "CHUNK_TARGET", 64_000)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t").mkdir()
    data = b"".join(b"%d\n" % i for i in range(60_000))
    (tmp_path / "t" / "big.txt").write_bytes(data)
    report = ozarc.create("a.oz", ["t"], jobs=2)
    with ozarc.open("a.oz") as reader:
        info = reader.getentry("t/big.txt")
        assert info.transform == "identity" and info.modality == "other"
        assert len(reader._reader.index.entries[1].streams[0].extents) == -(-len(data) // 64_000)
        assert reader.read("t/big.txt") == data
    assert report.bytes_in == len(data)


def test_identical_files_are_stored_once(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t").mkdir()
    blob = os.urandom(200_000)
    small = b"the same small file\n" * 10
    for name in ("a.bin", "b.bin", "c.bin"):
        (tmp_path / "t" / name).write_bytes(blob)
    for name in ("x.txt", "y.txt"):
        (tmp_path / "t" / name).write_bytes(small)
    ozarc.create("a.oz", ["t"], jobs=1)
    assert os.path.getsize("a.oz") < 210_000
    with ozarc.open("a.oz") as reader:
        index = reader._reader.index
        streams = {e.name: e.streams for e in index.entries}
        assert streams[b"t/a.bin"] == streams[b"t/b.bin"] == streams[b"t/c.bin"]
        assert streams[b"t/x.txt"] == streams[b"t/y.txt"]
        assert reader.read("t/c.bin") == blob and reader.read("t/y.txt") == small
        assert reader.verify().failed == []


def test_split_contract_violations_fall_back_to_identity():
    data = b"some bytes"
    assert checked_split(lambda d: 1 / 0, data).streams[0].data == data
    lying = Split(0, b"", (Stream(Modality.TEXT, b"other bytes"),))
    assert checked_split(lambda d: lying, data).streams == (Stream(Modality.OTHER, data),)
    good = Split(0, b"", (Stream(Modality.TEXT, data),))
    assert checked_split(lambda d: good, data) is good


def test_transformed_entries_store_recipe_first():
    planner = LayoutPlanner(level=3, codec_option="zstd")
    split = Split(5, b"recipe", (Stream(Modality.SPEECH, bytes(40_000), (2,)),))
    record = EntryRecord(b"x.wav", EntryKind.FILE, 0o644, 0, 123, transform_id=5,
                         content_hash=bytes(32))
    actions = list(planner.add_file(record, split)) + list(planner.finish())
    entry = [a for a in actions if a.job is None][0].record
    assert [s.modality for s in entry.streams] == [Modality.OTHER, Modality.SPEECH]
    assert [s.length for s in entry.streams] == [6, 40_000]
    speech_jobs = [a.job for a in actions if a.job is not None and a.job.modality == Modality.SPEECH]
    assert speech_jobs and all(job.geometry == (2,) for job in speech_jobs)
