"""Extraction batches: workers get balanced runs of files, and a costly (learned) chunk is
never decoded by two workers, while a cheap shared chunk does not serialise the work."""

from hypothesis import given, settings, strategies as st

from ozarc.container.records import EntryKind, EntryRecord, Extent, StreamRef
from ozarc.fsio.extract import plan_batches

SHARED_RECIPES = 1000     # one late solid chunk holding every file's small recipe


def _file(i: int, chunks: list[int], shared: bool) -> EntryRecord:
    extents = [Extent(SHARED_RECIPES, 10 * i, 10)] if shared else []
    streams = (StreamRef(0, (), 10, tuple(extents)),) if shared else ()
    streams += (StreamRef(0, (), 100 * len(chunks),
                          tuple(Extent(c, 0, 100) for c in chunks)),)
    return EntryRecord(f"f{i}".encode(), EntryKind.FILE, 0o644, 0, size=100 * len(chunks),
                       transform_id=1 if shared else 0, streams=streams)


def test_a_cheap_shared_recipe_chunk_does_not_put_every_file_in_one_batch():
    files = [_file(i, [i], shared=True) for i in range(24)]
    strict = plan_batches(files, 8)
    assert len(strict) == 1                                   # the old rule: one worker
    batches = plan_batches(files, 8, costly=lambda n: n != SHARED_RECIPES)
    assert len(batches) == 8
    assert sorted(r.name for b in batches for r in b) == sorted(r.name for r in files)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 4), min_size=1, max_size=30), st.integers(1, 10),
       st.sets(st.integers(0, 60)))
def test_costly_chunks_never_span_two_batches(spans, n_batches, cheap):
    files, next_chunk = [], 0
    for i, span in enumerate(spans):
        # consecutive files share their boundary chunk (solid packing of small files)
        start = max(0, next_chunk - (i % 2))
        files.append(_file(i, list(range(start, start + span)), shared=i % 3 == 0))
        next_chunk = start + span
    batches = plan_batches(files, n_batches, costly=lambda n: n not in cheap
                           and n != SHARED_RECIPES)
    assert sorted(r.name for b in batches for r in b) == sorted(r.name for r in files)
    owner = {}
    for b, batch in enumerate(batches):
        for record in batch:
            for stream in record.streams:
                for extent in stream.extents:
                    if extent.chunk_no not in cheap and extent.chunk_no != SHARED_RECIPES:
                        assert owner.setdefault(extent.chunk_no, b) == b
