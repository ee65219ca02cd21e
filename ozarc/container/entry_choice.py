"""Per entry, keep a transform only if it codes smaller than the file kept whole.

A PNG's pixels coded by a weak model, or by zstd, can take more room than the PNG itself.
So a transformed split is coded here exactly as the writer will code it (same cut points,
same candidates, same deterministic codecs) and compared with the file's own best classical
coding; the smaller wins.  This runs in the worker that prepared the file, and the chunks
it coded travel with the split (:class:`CodedSplit`) so the writer does not code them again.
"""

from __future__ import annotations

from dataclasses import dataclass

from ozarc.container.chunking import chunk_geometry, cut_points
from ozarc.container.compress import CompressJob, CompressResult, compress_chunk, settle_checks
from ozarc.modality import Modality
from ozarc.transforms.base import Split, Stream

#: modalities whose streams are worth the trial (text transforms only strip a BOM or CRs)
TRIAL_MODALITIES = frozenset({Modality.IMAGE_RGB, Modality.IMAGE_GRAY, Modality.SPEECH})


@dataclass(frozen=True)
class EntryCoding:
    """How the writer codes chunks: what the trial must reproduce."""

    level: int
    codec_option: str
    models: tuple = ()  # (modality, model reference) pairs for the learned codecs

    def model_for(self, modality: int):
        return dict(self.models).get(Modality(modality))


@dataclass(frozen=True)
class CodedSplit(Split):
    """A split whose streams were already coded by the trial: ``coded[i]`` holds, for stream
    ``i`` (in ``streams`` order), one (codec_id, model, payload) per chunk, or None."""

    coded: tuple = ()


def code_stream(data: bytes, modality: int, geometry: tuple[int, ...],
                coding: EntryCoding) -> tuple[list[CompressJob], list[CompressResult]]:
    """The writer's coding of one stream in chunks of its own, learned payloads not yet
    checked (``settle_checks``): (jobs, results), one per chunk."""
    jobs, start = [], 0
    for end in cut_points(data, modality, geometry):
        jobs.append(CompressJob(0, data[start:end], int(modality),
                                chunk_geometry(modality, geometry, start, end, len(data)),
                                coding.level, coding.codec_option, coding.model_for(modality)))
        start = end
    return jobs, [compress_chunk(job, check=False) for job in jobs]


def _cost(results: list[CompressResult]) -> int:
    return sum(len(r.payload) for r in results)


def whole_file_cost(data: bytes, coding: EntryCoding) -> int:
    """Payload bytes of the file kept whole: modality other, each chunk coded as the writer
    codes it (the classical candidates of the level, or store)."""
    total, start = 0, 0
    for end in cut_points(data, Modality.OTHER):
        job = CompressJob(0, data[start:end], int(Modality.OTHER), (), coding.level,
                          coding.codec_option)
        total += len(compress_chunk(job).payload)
        start = end
    return total


@dataclass
class Trial:
    """A transformed split whose streams are coded, the learned chunks not yet checked."""

    split: Split
    budget: int         # payload bytes of the file kept whole
    recipe_cost: int
    coded: list         # per stream: (jobs, results) of code_stream


def start_trial(split: Split, data: bytes, coding: EntryCoding) -> Split | Trial | None:
    """Code the split's streams as the writer would: the split itself when no trial is
    needed, None when it already codes larger than the file kept whole, else a Trial for
    ``settle_trials``."""
    if not any(s.modality in TRIAL_MODALITIES for s in split.streams):
        return split
    budget = whole_file_cost(data, coding)
    recipe_cost = _cost(code_stream(split.recipe, Modality.OTHER, (), coding)[1])
    cost = recipe_cost
    coded = []
    for stream in split.streams:
        if cost >= budget:
            return None
        jobs, results = code_stream(stream.data, stream.modality, stream.geometry, coding)
        coded.append((jobs, results))
        cost += _cost(results)
    if cost >= budget:
        return None
    return Trial(split, budget, recipe_cost, coded)


def settle_trials(trials: list[Trial]) -> list[Split | None]:
    """Check the learned chunks of all trials in one batch (the decoder's steps are shared
    by every lane of every chunk), then give each trial's CodedSplit, or None where a chunk
    failed its check and the split no longer codes smaller than the file kept whole."""
    jobs = [job for t in trials for stream_jobs, _ in t.coded for job in stream_jobs]
    settled = iter(settle_checks(jobs, [r for t in trials for _, rs in t.coded for r in rs]))
    out: list[Split | None] = []
    for t in trials:
        coded = [[next(settled) for _ in results] for _, results in t.coded]
        if t.recipe_cost + sum(_cost(results) for results in coded) >= t.budget:
            out.append(None)
            continue
        out.append(CodedSplit(t.split.transform_id, t.split.recipe, t.split.streams,
                              tuple(tuple((r.codec_id, r.model, r.payload) for r in results)
                                    for results in coded)))
    return out


def choose_split(split: Split, data: bytes, coding: EntryCoding) -> Split | None:
    """The split (as a CodedSplit when the trial coded it) if its streams plus its recipe code
    smaller than the whole file; None when the file should be kept whole.

    The learned chunks are checked (decoded) only once the split has won, all of the entry's
    chunks in one batch (``LearnedOnlySplit.split_many``: all entries of a batch of files);
    a chunk that fails falls back to zstd/store and the sizes are compared again."""
    trial = start_trial(split, data, coding)
    return settle_trials([trial])[0] if isinstance(trial, Trial) else trial


def transform_pays(split: Split, data: bytes, coding: EntryCoding) -> bool:
    return choose_split(split, data, coding) is not None


def whole_file_split(data: bytes, modality: Modality) -> Split:
    keep = modality if modality == Modality.TEXT else Modality.OTHER
    return Split(transform_id=0, recipe=b"", streams=(Stream(keep, data),))
