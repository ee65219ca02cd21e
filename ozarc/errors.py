"""ozarc's exception types.

Every error a user can meet is one of these: it carries a message the user can act on and
the exit code the CLI returns for it (borg ``helpers/errors.py``).  The CLI prints
``str(error)`` on one line; a traceback is shown only with ``--debug``.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_ENTRY_FAILED = 1   # some entries failed, the rest were done
EXIT_FATAL = 2          # usage error or unreadable archive


class OzarcError(Exception):
    """Base of all ozarc errors; ``exit_code`` is what the CLI returns."""

    exit_code = EXIT_FATAL


class UsageError(OzarcError):
    """Bad command-line arguments or API options."""


class ArchiveError(OzarcError):
    """The archive as a whole cannot be read (not an ozarc archive, lost index, bad footer)."""


class FormatVersionError(ArchiveError):
    """The archive was written by a newer, incompatible format version."""


class EntryError(OzarcError):
    """One entry failed (corrupt chunk, hash mismatch, unsafe path); others still extract."""

    exit_code = EXIT_ENTRY_FAILED

    def __init__(self, name: str, reason: str):
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason


class CorruptDataError(OzarcError):
    """A checksum or structural check failed on some bytes of the archive."""

    exit_code = EXIT_ENTRY_FAILED


class UnsafePathError(EntryError):
    """An entry would be written outside the extraction directory."""


class CodecError(OzarcError):
    """A codec could not decode its payload (corrupt or truncated data)."""

    exit_code = EXIT_ENTRY_FAILED


class ModelNotFoundError(OzarcError):
    """A chunk needs a model that is not installed."""


class TransformError(OzarcError):
    """A modality transform could not split or join a file (the writer falls back)."""
