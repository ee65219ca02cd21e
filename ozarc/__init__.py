"""ozarc: an archiver for mixed data whose chunks are coded by a small learned model.

Usage is shaped like :mod:`tarfile`::

    import ozarc
    ozarc.create("backup.oz", ["photos/", "notes/"])
    with ozarc.open("backup.oz") as archive:
        data = archive.read("notes/todo.txt")
"""

__version__ = "0.1.0"

from ozarc.api import (  # noqa: E402  (after the version, so submodules can read it)
    ArchiveReader,
    CreateReport,
    EntryInfo,
    ExtractReport,
    ModalityStats,
    ProgressSink,
    VerifyReport,
    create,
    open,
)
from ozarc.errors import (  # noqa: E402
    ArchiveError,
    CodecError,
    CorruptDataError,
    EntryError,
    FormatVersionError,
    ModelNotFoundError,
    OzarcError,
    UnsafePathError,
    UsageError,
)

__all__ = [
    "ArchiveReader", "CreateReport", "EntryInfo", "ExtractReport", "ModalityStats",
    "ProgressSink", "VerifyReport", "create", "open",
    "ArchiveError", "CodecError", "CorruptDataError", "EntryError", "FormatVersionError",
    "ModelNotFoundError", "OzarcError", "UnsafePathError", "UsageError",
]
