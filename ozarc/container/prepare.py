"""Reading and splitting files, the per-file work that runs in the worker pool.

Transforms (a PNG's re-deflate search, text detection) can cost more than compressing, so
they run in workers too.  Files are handled in batches so that thousands of small files do
not each pay a round trip to a worker; results come back in order.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from ozarc.container.hooks import SplitHook, default_split_hook, identity_split
from ozarc.transforms.base import Split

#: Files up to this size are read whole and may be transformed; larger ones are streamed.
WHOLE_FILE_LIMIT = 64 << 20
#: A transform may not expand a file's streams beyond this (readers refuse more).
MAX_TRANSFORMED_STREAMS = 256 << 20
BATCH_BYTES = 1 << 20
BATCH_FILES = 256


@dataclass(frozen=True)
class PreparedFile:
    """A file read and split: ``split`` is None when it could not be read (``error`` says why)
    or grew past ``WHOLE_FILE_LIMIT`` (``too_big``) and must be streamed instead."""

    size: int = 0
    split: Split | None = None
    content_hash: bytes = b""
    error: str | None = None
    too_big: bool = False


def checked_split(split_hook: SplitHook, data: bytes) -> Split:
    """The hook's split, or the identity split if the hook fails or breaks the contract."""
    try:
        split = split_hook(data)
    except Exception:  # a transform must never fail the archive: store the bytes as they are
        return identity_split(data)
    return _within_contract(split, data)


def _within_contract(split: Split, data: bytes) -> Split:
    if split.transform_id == 0:
        if len(split.streams) != 1 or split.streams[0].data != data:
            return identity_split(data)
    elif sum(len(s.data) for s in split.streams) + len(split.recipe) > MAX_TRANSFORMED_STREAMS:
        return identity_split(data)
    return split


def checked_splits(split_hook: SplitHook, datas: list[bytes]) -> list[Split]:
    """``checked_split`` of each file; through the hook's ``split_many`` when it has one (it
    checks the learned chunks of all the files in one batch), file by file if that fails."""
    many = getattr(split_hook, "split_many", None)
    if many is not None and len(datas) > 1:
        try:
            splits = many(datas)
        except Exception:  # find the file that fails, and give it the identity split
            splits = None
        if splits is not None and len(splits) == len(datas):
            return [_within_contract(s, d) for s, d in zip(splits, datas)]
    return [checked_split(split_hook, data) for data in datas]


def read_file(path: str) -> bytes | PreparedFile:
    """The file's bytes, or the PreparedFile that says why it is not prepared here."""
    try:
        with open(path, "rb") as fileobj:
            data = fileobj.read(WHOLE_FILE_LIMIT + 1)
    except OSError as exc:
        return PreparedFile(error=f"skipped, cannot read ({exc.strerror})")
    if len(data) > WHOLE_FILE_LIMIT:
        return PreparedFile(too_big=True)
    return data


def prepare_file(path: str, split_hook: SplitHook | None = None) -> PreparedFile:
    return prepare_batch(((path,), split_hook))[0]


def prepare_batch(job: tuple[tuple[str, ...], SplitHook | None]) -> list[PreparedFile]:
    """Worker entry point: prepare several files, in order (their splits together)."""
    paths, split_hook = job
    read = [read_file(path) for path in paths]
    datas = [r for r in read if isinstance(r, bytes)]
    splits = iter(checked_splits(split_hook or default_split_hook(), datas))
    return [r if isinstance(r, PreparedFile) else
            PreparedFile(len(r), next(splits), hashlib.blake2b(r, digest_size=32).digest())
            for r in read]
