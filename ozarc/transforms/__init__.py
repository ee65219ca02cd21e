"""Byte-exact modality transforms: split files into model-friendly streams and join them back.

Entry points for the container: ``split_for_archive`` (never raises on bad input),
``join_from_archive``, ``detect`` and the registry lookups.  Transform ids on disk: 0 identity,
1 png, 2 bmp, 3 pnm, 4 tiff, 5 wav, 6 text.
"""

from ozarc.transforms.base import Split, Stream, Transform
from ozarc.transforms.detect import detect
from ozarc.transforms.registry import (join_from_archive, split_for_archive, transform_by_id,
                                       transform_name)

__all__ = ["Split", "Stream", "Transform", "detect", "join_from_archive", "split_for_archive",
           "transform_by_id", "transform_name"]
