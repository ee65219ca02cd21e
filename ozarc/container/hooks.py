"""Late-bound links to the parts of ozarc written elsewhere: transforms and models.

The container works on its own with the identity transform and no models.  When
:mod:`ozarc.transforms` provides ``split_for_archive``/``join_from_archive`` and
:mod:`ozarc.model.registry` provides shipped models, the writer and reader pick them up here,
in one place, so the container never depends on them at import time.
"""

from __future__ import annotations

import functools
import importlib
from dataclasses import dataclass
from collections.abc import Callable, Sequence

from ozarc.errors import EntryError, OzarcError
from ozarc.modality import Modality
from ozarc.transforms.base import Split, Stream

SplitHook = Callable[[bytes], Split]


def identity_split(data: bytes) -> Split:
    """The transform every file can take: one stream, the file's bytes, modality OTHER."""
    return Split(transform_id=0, recipe=b"", streams=(Stream(Modality.OTHER, data),))


def _optional(module: str, attribute: str):
    try:
        return getattr(importlib.import_module(module), attribute)
    except (ImportError, AttributeError):
        return None


@functools.cache
def default_split_hook() -> SplitHook:
    """``ozarc.transforms.split_for_archive`` when it exists, else the identity split."""
    return _optional("ozarc.transforms", "split_for_archive") or identity_split


@dataclass(frozen=True)
class LearnedOnlySplit:
    """The transforms' split, kept only where a learned codec codes one of its streams and
    the result is smaller than the file kept whole (:mod:`entry_choice`).

    Without a model, a PNG's pixels under zstd come out 1.3-1.6x larger than the PNG itself
    (measured on the fixtures).  Picklable, so it travels to the worker processes.
    """

    learned: frozenset = frozenset()
    coding: object | None = None  # entry_choice.EntryCoding; None = no size trial

    def __call__(self, data: bytes) -> Split:
        return self.split_many([data])[0]

    def split_many(self, datas: Sequence[bytes]) -> list[Split]:
        """The split of each file; the learned chunks of all their size trials are checked
        together (entry_choice.settle_trials), so a batch of small recordings shares the
        decoder's steps instead of paying them file by file."""
        from ozarc.container.entry_choice import Trial, settle_trials, start_trial, \
            whole_file_split

        splits: list = []
        trials: list[tuple[int, Trial, Modality]] = []
        for data in datas:
            if not self.learned:
                # No learned codec will code any stream, so every transform would be dropped
                # below: skip the work (a PNG's zlib search costs ~0.4 s per photograph) and
                # keep what the drop would leave: the identity transform's split.
                splits.append(_identity_transform_split(data))
                continue
            split = default_split_hook()(data)
            main = split.streams[0].modality if split.streams else Modality.OTHER
            if split.transform_id == 0:
                splits.append(split)
            elif not any(s.modality in self.learned for s in split.streams):
                splits.append(whole_file_split(data, main))
            elif self.coding is None:
                splits.append(split)
            else:
                trial = start_trial(split, data, self.coding)
                if isinstance(trial, Trial):
                    trials.append((len(splits), trial, main))
                splits.append(trial or whole_file_split(data, main))
        for (i, _, main), settled in zip(trials, settle_trials([t for _, t, _ in trials])):
            splits[i] = settled or whole_file_split(datas[i], main)
        return splits


def _identity_transform_split(data: bytes) -> Split:
    """The transforms' identity split (it tells text from other), else ours."""
    transform_by_id = _optional("ozarc.transforms", "transform_by_id")
    return transform_by_id(0).split(data) if transform_by_id else identity_split(data)


def transform_name(transform_id: int) -> str:
    if transform_id == 0:
        return "identity"
    namer = _optional("ozarc.transforms", "transform_name")
    try:
        return str(namer(transform_id)) if namer else f"transform#{transform_id}"
    except Exception:  # an unknown id is shown, not fatal, in listings
        return f"transform#{transform_id}"


def join_streams(name: str, transform_id: int, recipe: bytes, streams: Sequence[bytes]) -> bytes:
    """Rebuild a transformed file; EntryError (for this entry only) if that is impossible."""
    join = _optional("ozarc.transforms", "join_from_archive")
    if join is None:
        raise EntryError(name, f"needs transform {transform_id}, which this ozarc does not have")
    try:
        return join(transform_id, recipe, list(streams))
    except OzarcError as exc:
        raise EntryError(name, f"transform {transform_name(transform_id)} failed: {exc}") from None
    except Exception as exc:  # a corrupt recipe must fail this entry, not the run
        raise EntryError(name, f"transform {transform_name(transform_id)} failed "
                               f"({type(exc).__name__}: {exc})") from None


def shipped_model_ref(name: str = "default"):
    """The reference of the shipped model ``name``, or None when it is not installed."""
    shipped = _optional("ozarc.model.registry", "shipped_models")
    try:
        return shipped().get(name) if shipped else None
    except Exception:
        return None


def model_deferrals(name: str) -> dict[str, str]:
    """{modality tag: model name} for the modalities the shipped model ``name`` leaves to
    another one (``ozarc.model.registry.deferrals``); empty when there are none."""
    deferrals = _optional("ozarc.model.registry", "deferrals")
    try:
        return deferrals(name) if deferrals else {}
    except Exception:
        return {}


def load_model(sha256_hex: str, name: str):
    """Load the model with this hash; ModelNotFoundError names it when it is missing."""
    from ozarc.errors import ModelNotFoundError

    loader = _optional("ozarc.model.registry", "load_model")
    if loader is None:
        raise ModelNotFoundError(f"model {name} ({sha256_hex[:12]}) is needed but this ozarc "
                                 "has no model registry")
    return loader(sha256_hex)
