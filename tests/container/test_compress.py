import os

import pytest

from ozarc.codecs import ChunkHint, codec_by_id
from ozarc.container.compress import (
    CompressJob, candidates_for, check_codec_option, check_level, compress_chunk,
)
from ozarc.container.framing import check8
from ozarc.container.pool import WorkerError, ordered_map, resolve_jobs
from ozarc.errors import UsageError
from ozarc.modality import Modality


def test_candidates():
    hint = ChunkHint(Modality.TEXT)
    assert candidates_for(hint, "store") == []
    assert [c.name for c in candidates_for(hint, "zstd")] == ["zstd"]
    auto = [c.name for c in candidates_for(hint, "auto")]
    assert "zstd" in auto and "store" not in auto
    # learned codecs compete only when a model is at hand
    assert all(not c.uses_model for c in candidates_for(hint, "auto"))


def test_option_checks():
    check_codec_option("auto")
    check_codec_option("zstd")
    with pytest.raises(UsageError):
        check_codec_option("nope")
    for bad in (0, 10, "6", 2.5):
        with pytest.raises(UsageError):
            check_level(bad)
    with pytest.raises(UsageError):
        resolve_jobs(0)
    assert resolve_jobs(None) >= 1


def test_compress_chunk_keeps_the_smallest():
    data = b"abc" * 1000
    result = compress_chunk(CompressJob(4, data, Modality.OTHER, (), 6, "auto"))
    assert result.chunk_no == 4 and result.raw_len == len(data)
    assert codec_by_id(result.codec_id).name == "zstd" and len(result.payload) < 100
    assert result.raw_check == check8(data)
    incompressible = bytes(range(256))
    assert codec_by_id(compress_chunk(CompressJob(0, incompressible, 0, (), 6, "auto")).codec_id).name == "store"
    assert codec_by_id(compress_chunk(CompressJob(0, data, 0, (), 6, "store")).codec_id).name == "store"


def _square(x):
    return x * x


def _die(x):
    os._exit(3)


def test_a_dying_worker_is_an_ozarc_error():
    with pytest.raises(WorkerError, match="worker process"):
        list(ordered_map(_die, range(4), 2, job_of=lambda i: i))


@pytest.mark.parametrize("jobs", [1, 2])
def test_ordered_map_keeps_order(jobs):
    items = list(range(40))
    out = list(ordered_map(_square, items, jobs, job_of=lambda i: None if i % 5 == 0 else i))
    assert [item for item, _ in out] == items
    assert [r for _, r in out] == [None if i % 5 == 0 else i * i for i in items]
