"""Fetch pinned packages into a cache and unpack them (the network/disk edge).

Downloads go through the ordinary clients only, one at a time: ``apt-get
download NAME=VERSION`` + ``dpkg-deb -x`` for Debian, ``pip download --no-deps
NAME==VERSION`` + unzip for wheels. Unpacked trees are reused on later builds.
"""

from __future__ import annotations

import hashlib
import logging
import subprocess
import sysconfig
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ozarc.errors import OzarcError

from .sources import DEB, LOCAL, WHEEL, PackageSource

log = logging.getLogger(__name__)


class FetchError(OzarcError):
    """A pinned package could not be downloaded or unpacked."""


@dataclass(frozen=True)
class Fetched:
    """An unpacked package: where its files are and the archive it came from."""

    source: PackageSource
    root: Path
    archive: str
    archive_sha256: str


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _run(cmd: list[str], cwd: Path) -> None:
    log.info("running %s", " ".join(cmd))
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        hint = ("the local package index may predate the pinned version: run apt-get update"
                if cmd[:2] == ["apt-get", "download"] else
                "check the registry and the pinned version")
        raise FetchError(f"{' '.join(cmd)} failed: {tail[0]} ({hint})")


def _deb_archive(src: PackageSource, debs: Path) -> Path:
    upstream = src.version.split(":", 1)[-1]
    matches = sorted(debs.glob(f"{src.name}_*{upstream}_*.deb"))
    if not matches:
        _run(["apt-get", "download", f"{src.name}={src.version}"], debs)
        matches = sorted(debs.glob(f"{src.name}_*{upstream}_*.deb"))
    if not matches:
        raise FetchError(f"apt-get download left no .deb for {src.name}={src.version} in {debs}")
    return matches[0]


def _wheel_archive(src: PackageSource, wheels: Path) -> Path:
    stem = src.name.replace("-", "_")
    pattern = f"{stem}-{src.version}-*.whl"
    matches = sorted(p for p in wheels.glob("*.whl") if p.match(pattern) or p.name.lower().startswith(f"{stem}-{src.version}-".lower()))
    if not matches:
        _run(["pip", "download", "--no-deps", "-q", "-d", str(wheels), f"{src.name}=={src.version}"], wheels)
        matches = sorted(p for p in wheels.glob("*.whl") if p.name.lower().startswith(f"{stem}-{src.version}-".lower()))
    if not matches:
        raise FetchError(f"pip download left no wheel for {src.name}=={src.version} in {wheels}")
    return matches[0]


def fetch(src: PackageSource, cache: Path) -> Fetched:
    """Download (if not cached) and unpack ``src``; returns where it lies."""
    if src.channel == LOCAL:
        root = Path(sysconfig.get_paths()["stdlib"])
        return Fetched(src, root, "local interpreter", "")
    debs, wheels, unpacked = cache / "debs", cache / "wheels", cache / "x"
    for d in (debs, wheels, unpacked):
        d.mkdir(parents=True, exist_ok=True)
    if src.channel == DEB:
        archive = _deb_archive(src, debs)
    elif src.channel == WHEEL:
        archive = _wheel_archive(src, wheels)
    else:
        raise FetchError(f"unknown channel {src.channel!r} for {src.name}")
    root = unpacked / archive.name.rsplit(".", 1)[0]
    done = root / ".unpacked"
    if not done.exists():
        root.mkdir(parents=True, exist_ok=True)
        if src.channel == DEB:
            _run(["dpkg-deb", "-x", str(archive), str(root)], cache)
        else:
            with zipfile.ZipFile(archive) as zf:
                zf.extractall(root)
        done.touch()
    return Fetched(src, root, archive.name, file_sha256(archive))
