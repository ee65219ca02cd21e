"""Coding one chunk: candidate selection and the worker function run in the process pool.

Workers get plain, picklable jobs and return the chunk's fields; the main process numbers
chunks and writes them in order, so the archive does not depend on how many workers ran.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ozarc.codecs import ChunkHint, Codec, all_codecs, codec_by_id, codec_by_name, encode_smallest
from ozarc.container.framing import check8
from ozarc.errors import UsageError
from ozarc.modality import Modality

CODEC_OPTIONS_BUILTIN = ("auto",)


def candidates_for(hint: ChunkHint, codec_option: str) -> list[Codec]:
    """The codecs that compete for one chunk (``store`` always competes as well).

    "auto": every registered codec that applies to the chunk from its ``auto_from_level`` up
    (learned ones only when the hint carries a model); "store": none; a codec name: that
    codec where it applies, zstd elsewhere (so ``--codec <learned>`` still compresses the
    chunks it cannot code).
    """
    if codec_option == "store":
        return []
    if codec_option == "auto":
        return [c for c in all_codecs() if c.name != "store" and c.applies_to(hint)
                and hint.level >= c.auto_from_level
                and (not c.uses_model or hint.model is not None)]
    codec = codec_by_name(codec_option)
    if codec.applies_to(hint) and (not codec.uses_model or hint.model is not None):
        return [codec]
    return [codec_by_name("zstd")]


def check_codec_option(codec_option: str) -> None:
    """UsageError for an unknown ``codec`` option, before any work starts."""
    if codec_option not in CODEC_OPTIONS_BUILTIN:
        codec_by_name(codec_option)


def check_level(level: int) -> None:
    if not isinstance(level, int) or not 1 <= level <= 9:
        raise UsageError(f"level must be an integer from 1 to 9, not {level!r}")


@dataclass(frozen=True)
class CompressJob:
    chunk_no: int
    data: bytes
    modality: int
    geometry: tuple[int, ...]
    level: int
    codec_option: str
    model: object | None = None
    #: (codec_id, model, payload) already chosen by the entry trial (entry_choice): reused as is
    precoded: tuple | None = None


@dataclass(frozen=True)
class CompressResult:
    chunk_no: int
    codec_id: int
    model: object | None  # the model reference the codec used, None for classical codecs
    raw_len: int
    raw_check: bytes
    payload: bytes
    #: learned codecs that failed on this chunk ("name: reason"); the chunk kept another codec
    failures: tuple[str, ...] = ()
    #: compress_chunk(check=False) only: the learned payload still needs its decode check
    #: (``settle_checks``), and (codec_id, payload) is the classical coding to fall back to
    fallback: tuple | None = None


def compress_chunk(job: CompressJob, check: bool = True) -> CompressResult:
    """Keep the smallest of the candidates' outputs and store.

    Classical codecs compete first; each learned codec then competes on its own, so one that
    fails (CodecError when its self-check fails, or any bug) only loses this chunk, and the
    failure is reported rather than aborting the archive.  A learned payload is checked (by
    decoding it) only when it wins: most of the cost of the learned codec is that check.
    ``check=False`` leaves a winning learned payload unchecked, with the classical coding in
    ``fallback``, for a caller that checks many chunks in one batch (``settle_checks``).
    """
    if job.precoded is not None:
        codec_id, model, payload = job.precoded
        return CompressResult(job.chunk_no, codec_id, model, len(job.data), check8(job.data),
                              payload)
    hint = ChunkHint(modality=Modality.from_code(job.modality), level=job.level,
                     geometry=job.geometry, model=job.model)
    candidates = candidates_for(hint, job.codec_option)
    classical = [c for c in candidates if not c.uses_model]
    if not classical and job.codec_option != "store":
        classical = [codec_by_name("zstd")]
    codec, payload = encode_smallest(job.data, classical, hint)
    failures, fallback = [], None
    for learned in (c for c in candidates if c.uses_model):
        try:
            learned_payload = learned.encode_unchecked(job.data, hint, budget=len(payload))
        except Exception as exc:  # noqa: BLE001  (reported in the create report)
            failures.append(f"{learned.name}: {type(exc).__name__}: {exc}")
            continue
        if learned_payload is not None and len(learned_payload) < len(payload):
            fallback = fallback or (codec.codec_id, payload)
            codec, payload = learned, learned_payload
    result = CompressResult(job.chunk_no, codec.codec_id,
                            job.model if codec.uses_model else None, len(job.data),
                            check8(job.data), payload, tuple(failures),
                            fallback if codec.uses_model else None)
    return settle_checks([job], [result])[0] if check else result


def settle_checks(jobs: list[CompressJob], results: list[CompressResult]) -> list[CompressResult]:
    """Check the unchecked learned payloads of ``compress_chunk(job, check=False)`` results,
    all chunks of one codec and model in one batch; a chunk that fails takes its fallback.
    Returns the results with every payload checked (``fallback`` None)."""
    pending: dict[tuple, list[int]] = {}
    for i, result in enumerate(results):
        if result.fallback is not None:
            pending.setdefault((result.codec_id, result.model), []).append(i)
    settled = list(results)
    for (codec_id, model), indices in pending.items():
        codec = codec_by_id(codec_id)
        try:
            problems = codec.check_many([jobs[i].data for i in indices],
                                        [results[i].payload for i in indices], model)
        except Exception as exc:  # noqa: BLE001  (the chunks keep their classical coding)
            problems = [f"{type(exc).__name__}: {exc}"] * len(indices)
        for i, problem in zip(indices, problems):
            r = results[i]
            if problem is None:
                settled[i] = replace(r, fallback=None)
            else:
                fallback_id, fallback_payload = r.fallback
                settled[i] = replace(r, codec_id=fallback_id, model=None,
                                     payload=fallback_payload, fallback=None,
                                     failures=r.failures + (f"{codec.name}: {problem}",))
    return settled
