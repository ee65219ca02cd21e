"""Opening an archive for the read-side subcommands, with errors that name the archive."""

from __future__ import annotations

import os

import ozarc
from ozarc.errors import ArchiveError


def open_archive(path, *, recover: bool = False):
    """``ozarc.open`` whose ArchiveError messages always say which archive is meant."""
    try:
        return ozarc.open(path, recover=recover)
    except ArchiveError as exc:
        name = os.fspath(path)
        if name in str(exc):
            raise
        try:
            named = type(exc)(f"{name}: {exc}")
        except TypeError:  # a subclass with another constructor: keep its own message
            raise exc from None
        raise named from exc
