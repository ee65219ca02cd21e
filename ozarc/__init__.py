"""ozarc: an archiver for mixed data whose chunks are coded by a small learned model.

Usage is shaped like :mod:`tarfile`::

    import ozarc
    ozarc.create("backup.oz", ["photos/", "notes/"])
    with ozarc.open("backup.oz") as archive:
        data = archive.read("notes/todo.txt")
"""

__version__ = "0.1.0"
