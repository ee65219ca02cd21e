"""The zstd level each ozarc level uses."""

import zstandard

from ozarc.codecs import ChunkHint, codec_by_name
from ozarc.modality import Modality


def _size(level: int, data: bytes) -> int:
    return len(codec_by_name("zstd").encode(data, ChunkHint(modality=Modality.OTHER, level=level)))


def test_learned_levels_let_zstd_compete_at_19():
    """Levels 7-9 bring in the model; zstd then runs at -19 so it never loses to a lower level."""
    data = b"".join(b"%d:%s;" % (i, bytes([65 + i * 7 % 26]) * (i % 13)) for i in range(20000))
    at19 = len(zstandard.ZstdCompressor(level=19).compress(data))
    for level in (7, 8, 9):
        assert abs(_size(level, data) - at19) <= 16          # same level, headers aside
    assert _size(6, data) > _size(7, data)
