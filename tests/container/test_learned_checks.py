"""A learned chunk is decoded as a check before it is kept -- but only when it wins, and for a
transformed entry all of its chunks in one batch; a chunk that fails its check keeps zstd."""

from __future__ import annotations

import hashlib
import io
import wave

import pytest

import ozarc
from ozarc.codecs import codec_by_id
from ozarc.codecs.base import Codec
from ozarc.container import hooks
from ozarc.container.compress import CompressJob, compress_chunk, settle_checks
from ozarc.errors import CodecError
from ozarc.modality import Modality
from ozarc.model.registry import ModelRef


REF = ModelRef("fake-speech", hashlib.sha256(b"fake speech model").hexdigest())


class RunCodec(Codec):
    """A "learned" codec for speech chunks of one repeated byte: 2-byte payloads.  Records
    its checks; ``failing`` chunks (by first byte) fail them."""

    codec_id = 251
    name = "test-run"
    uses_model = True

    def __init__(self):
        self.checks: list[int] = []         # chunks per check_many call
        self.failing: set[int] = set()

    def applies_to(self, hint):
        return hint.modality == Modality.SPEECH

    def encode(self, data, hint):
        payload = self.encode_unchecked(data, hint)
        problem = self.check_many([data], [payload], hint.model)[0]
        if problem:
            raise CodecError(problem)
        return payload

    def encode_unchecked(self, data, hint, budget=None):
        if len(set(data)) > 1:
            return bytes(data) + b"....."     # loses to zstd and store
        return b"R" + data[:1]

    def check_many(self, chunks, payloads, model=None):
        self.checks.append(len(chunks))
        return ["fails on purpose" if c[:1] and c[0] in self.failing else None for c in chunks]

    def decode(self, payload, raw_length, model=None):
        if payload[:1] != b"R":
            raise CodecError("not a run")
        return payload[1:2] * raw_length


@pytest.fixture
def run_codec(monkeypatch, register_learned):
    monkeypatch.setattr(hooks, "load_model", lambda sha256_hex, name: "loaded fake")
    return register_learned(RunCodec(), REF)


def job(data: bytes) -> CompressJob:
    return CompressJob(0, data, int(Modality.SPEECH), (1,), 7, "test-run", REF)


def test_a_losing_learned_payload_is_never_checked(run_codec):
    result = compress_chunk(job(bytes(range(256)) * 40))
    assert codec_by_id(result.codec_id).name != "test-run"
    assert run_codec.checks == []


def test_a_winning_learned_payload_is_checked_once_and_kept(run_codec):
    result = compress_chunk(job(b"\x07" * 50_000))
    assert codec_by_id(result.codec_id).name == "test-run"
    assert run_codec.checks == [1]
    assert result.fallback is None and result.failures == ()


def test_a_winner_that_fails_its_check_keeps_the_classical_coding(run_codec):
    run_codec.failing.add(7)
    result = compress_chunk(job(b"\x07" * 50_000))
    assert codec_by_id(result.codec_id).name == "zstd"
    assert result.model is None
    assert result.failures == ("test-run: fails on purpose",)


def test_unchecked_results_are_settled_in_one_batch(run_codec):
    run_codec.failing.add(2)
    jobs = [job(bytes([b]) * 30_000) for b in (1, 2, 3)] + [job(bytes(range(256)) * 40)]
    results = [compress_chunk(j, check=False) for j in jobs]
    assert run_codec.checks == []
    assert [r.fallback is not None for r in results] == [True, True, True, False]
    settled = settle_checks(jobs, results)
    assert run_codec.checks == [3]                      # one call for the three candidates
    names = [codec_by_id(r.codec_id).name for r in settled]
    assert names[0] == names[2] == "test-run" and names[1] == "zstd"
    assert settled[1].payload == results[1].fallback[1]
    assert settled[1].failures == ("test-run: fails on purpose",)
    assert all(r.fallback is None for r in settled)
    assert settled[3] == results[3]


def silent_wav(seconds: float, rate: int = 16000) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\x00\x00" * int(seconds * rate))
    return out.getvalue()


def test_a_transformed_entry_checks_all_its_chunks_together(run_codec, tmp_path, monkeypatch):
    """A WAV of 2.5 MiB of samples: three speech chunks, checked in one call, then stored."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a").mkdir()
    data = silent_wav(82)                               # 2.6 MB of samples
    (tmp_path / "a" / "quiet.wav").write_bytes(data)
    ozarc.create("q.oz", ["a"], jobs=1, level=7, codec="test-run")
    assert run_codec.checks == [3]
    with ozarc.open("q.oz") as archive:
        info = archive.getentry("a/quiet.wav")
        assert info.modality == "speech" and "test-run" in info.codecs
        assert archive.read("a/quiet.wav") == data


def pack_clips(tmp_path, monkeypatch, count: int, seconds: float) -> dict[str, bytes]:
    """``count`` silent clips of different rates under v/, packed into v.oz with the fake
    codec, one process (so they are prepared in one batch); returns name -> bytes."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "v").mkdir()
    clips = {f"v/clip{i}.wav": silent_wav(seconds, 8000 + 500 * i) for i in range(count)}
    for name, data in clips.items():
        (tmp_path / name).write_bytes(data)
    ozarc.create("v.oz", ["v"], jobs=1, level=7, codec="test-run")
    return clips


def test_a_batch_of_small_files_checks_all_their_chunks_together(run_codec, tmp_path,
                                                                 monkeypatch):
    """Five short silent recordings (one speech chunk each) are prepared in one batch: one
    check call for the five, and everything extracts exactly."""
    clips = pack_clips(tmp_path, monkeypatch, count=5, seconds=3)
    assert run_codec.checks == [5]
    with ozarc.open("v.oz") as archive:
        for name, data in clips.items():
            assert "test-run" in archive.getentry(name).codecs
            assert archive.read(name) == data


def test_a_failed_check_in_a_batch_keeps_only_that_file_whole(run_codec, tmp_path,
                                                               monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "v").mkdir()
    quiet, hum = silent_wav(3), silent_wav(3)
    hum = hum[:44] + b"\x05" * (len(hum) - 44)          # a constant non-zero sample run
    (tmp_path / "v" / "quiet.wav").write_bytes(quiet)
    (tmp_path / "v" / "hum.wav").write_bytes(hum)
    run_codec.failing.add(5)
    ozarc.create("h.oz", ["v"], jobs=1, level=7, codec="test-run")
    assert run_codec.checks == [2]
    with ozarc.open("h.oz") as archive:
        assert "test-run" in archive.getentry("v/quiet.wav").codecs
        assert "test-run" not in archive.getentry("v/hum.wav").codecs
        assert archive.read("v/hum.wav") == hum and archive.read("v/quiet.wav") == quiet


def test_a_hook_failing_on_one_file_of_a_batch_spares_the_others():
    from ozarc.container.prepare import checked_splits

    class Hook:
        def __call__(self, data):
            if data == b"bad":
                raise RuntimeError("transform bug")
            return identity_split_of(data)

        def split_many(self, datas):
            return [self(d) for d in datas]

    splits = checked_splits(Hook(), [b"good", b"bad", b"fine"])
    assert [s.streams[0].data for s in splits] == [b"good", b"bad", b"fine"]
    assert all(s.transform_id == 0 for s in splits)


def identity_split_of(data):
    from ozarc.container.hooks import identity_split

    return identity_split(data)


def test_learned_levels_prepare_smaller_batches_so_both_workers_get_some():
    """700 KB of small files: one batch without a model, three with one."""
    from ozarc.container import create
    from ozarc.container.records import EntryKind
    from ozarc.fsio.walk import Member

    members = [Member(f"f{i}", f"/x/f{i}", EntryKind.FILE, 0o644, 0, 24_000) for i in range(30)]
    assert len(list(create._batches(members))) == 1
    learned = list(create._batches(members, create.LEARNED_BATCH_BYTES))
    assert len(learned) == 3 and sum(map(len, learned)) == 30


def test_extraction_decodes_the_learned_chunks_of_many_files_together(run_codec, tmp_path,
                                                                      monkeypatch):
    calls = []

    def decode_many(payloads, raw_lengths, model=None):
        calls.append(len(payloads))
        return [run_codec.decode(p, n, model) for p, n in zip(payloads, raw_lengths)]

    monkeypatch.setattr(run_codec, "decode_many", decode_many, raising=False)
    clips = pack_clips(tmp_path, monkeypatch, count=6, seconds=2)
    with ozarc.open("v.oz") as archive:
        archive.extractall(tmp_path / "out", jobs=1)
    assert calls == [6]
    for name, data in clips.items():
        assert (tmp_path / "out" / name).read_bytes() == data
