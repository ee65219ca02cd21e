"""WAV (RIFF/WAVE, 16-bit PCM) <-> int16 samples + recipe, byte-exact.

The samples go to the speech model as one stream with geometry (channels,), the channels one
after the other (all of channel 0, then all of channel 1, ...), not interleaved as the file
holds them: measured with the shipped model on stereo made from LibriSpeech clips
(tools/wav_layout.py, 5 pairs of 4 s), separate channels code in 4.53 bits/Byte where
interleaved frames take 5.66 (correlated pairs 4.38-4.55 vs 5.23-5.58) -- each 1024-byte
window then sees twice the history of one channel, and the byte model never has to jump
between channels.  The recipe is the file minus the sample bytes: every header and chunk
before ``data`` and everything after it (pad byte, LIST/fact chunks, trailing junk)
verbatim.  Other sample formats raise TransformError.

Recipe version 1 (archives from before this choice) held the stream interleaved; join still
reads it.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

import numpy as np

from ozarc.errors import TransformError
from ozarc.modality import Modality
from ozarc.transforms.base import Split, Stream, Transform
from ozarc.transforms.recipe import RecipeReader, RecipeWriter

RECIPE_VERSION = 2               # 2: channels one after the other; 1: interleaved frames
READABLE_VERSIONS = (1, 2)
WAVE_FORMAT_PCM = 1
WAVE_FORMAT_EXTENSIBLE = 0xFFFE
PCM_SUBFORMAT_TAIL = bytes.fromhex("000000001000800000aa00389b71")


def parse_wav(data: bytes) -> tuple[int, int, int]:
    """(channels, offset of the samples, their byte length) of a 16-bit PCM WAV."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise TransformError("not a RIFF/WAVE file")
    pos = 12
    channels = None
    while pos + 8 <= len(data):
        kind, size = struct.unpack_from("<4sI", data, pos)
        body = pos + 8
        if kind == b"fmt ":
            if size < 16 or body + size > len(data):
                raise TransformError("WAV fmt chunk is truncated")
            tag, channels, _rate, _byte_rate, align, bits = struct.unpack_from("<HHIIHH", data, body)
            if tag == WAVE_FORMAT_EXTENSIBLE:
                if size < 40 or data[body + 26:body + 40] != PCM_SUBFORMAT_TAIL \
                        or struct.unpack_from("<H", data, body + 24)[0] != WAVE_FORMAT_PCM:
                    raise TransformError("WAV extensible format is not PCM")
            elif tag != WAVE_FORMAT_PCM:
                raise TransformError(f"WAV format tag {tag} is not PCM")
            if bits != 16 or channels < 1 or align != 2 * channels:
                raise TransformError("WAV is not 16-bit PCM")
        elif kind == b"data":
            if channels is None:
                raise TransformError("WAV data chunk comes before fmt")
            if body + size > len(data):
                raise TransformError("WAV data chunk runs past the end of the file")
            if size % (2 * channels):
                raise TransformError("WAV data size is not a whole number of frames")
            return channels, body, size
        pos = body + size + (size & 1)
    raise TransformError("WAV has no data chunk")


class WavTransform(Transform):
    transform_id = 5
    name = "wav"

    def sniff(self, head: bytes) -> bool:
        return head[:4] == b"RIFF" and head[8:12] == b"WAVE"

    def probe(self, data: bytes) -> Modality:
        parse_wav(data)
        return Modality.SPEECH

    def split(self, data: bytes) -> Split:
        data = bytes(data)
        channels, start, size = parse_wav(data)
        recipe = (RecipeWriter().u8(RECIPE_VERSION).uint(channels)
                  .blob(data[:start]).blob(data[start + size:]).getvalue())
        stream = Stream(Modality.SPEECH, deinterleave(data[start:start + size], channels),
                        (channels,))
        return Split(self.transform_id, recipe, (stream,))

    def join(self, recipe: bytes, streams: Sequence[bytes]) -> bytes:
        r = RecipeReader(recipe)
        version = r.expect_version(READABLE_VERSIONS, "WAV")
        channels = r.uint()
        head, tail = r.blob(), r.blob()
        r.done()
        if len(streams) != 1 or channels < 1 or len(streams[0]) % (2 * channels):
            raise TransformError("WAV join needs one stream of whole frames")
        samples = bytes(streams[0])
        if version >= 2:
            samples = interleave(samples, channels)
        return head + samples + tail


def deinterleave(frames: bytes, channels: int) -> bytes:
    """Interleaved 16-bit frames -> each channel's samples in turn (bytes kept as they are)."""
    if channels == 1:
        return bytes(frames)
    pairs = np.frombuffer(frames, dtype=np.uint16).reshape(-1, channels)
    return np.ascontiguousarray(pairs.T).tobytes()


def interleave(planar: bytes, channels: int) -> bytes:
    """Inverse of :func:`deinterleave`."""
    if channels == 1:
        return bytes(planar)
    planes = np.frombuffer(planar, dtype=np.uint16).reshape(channels, -1)
    return np.ascontiguousarray(planes.T).tobytes()
