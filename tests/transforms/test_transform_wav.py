"""WAV transform: byte-exact round trips, the right samples, and safe fallbacks."""

from __future__ import annotations

import io
import struct

import numpy as np
import pytest
import soundfile
from hypothesis import given, settings
from hypothesis import strategies as st

from ozarc.errors import TransformError
from ozarc.modality import Modality
from ozarc.transforms.wav import PCM_SUBFORMAT_TAIL, WavTransform

from transform_samples import assert_falls_back, media, round_trip

PCM16_FIXTURES = ["soundfile_mono16.wav", "soundfile_stereo16.wav", "wave_mono16.wav"]


@pytest.mark.parametrize("name", PCM16_FIXTURES)
def test_pcm16_fixture_round_trips_with_soundfile_samples(name):
    data = (media(name)[0]).read_bytes()
    split = round_trip(data)
    assert split.transform_id == WavTransform.transform_id
    (stream,) = split.streams
    expected, _ = soundfile.read(io.BytesIO(data), dtype="int16", always_2d=True)
    assert stream.modality is Modality.SPEECH and stream.geometry == (expected.shape[1],)
    # the channels one after the other (tools/wav_layout.py measured that layout smaller)
    planar = np.frombuffer(stream.data, "<i2").reshape(expected.shape[1], -1)
    assert np.array_equal(planar.T, expected)


def test_24_bit_wav_falls_back_to_identity():
    assert_falls_back(media("soundfile_mono24.wav")[0].read_bytes(), WavTransform())


@settings(max_examples=15, deadline=None)
@given(channels=st.integers(1, 4), frames=st.integers(0, 300),
       rate=st.sampled_from([8000, 16000, 44100]), seed=st.integers(0, 99))
def test_soundfile_wavs_round_trip_with_soundfile_samples(channels, frames, rate, seed):
    samples = np.random.default_rng(seed).integers(-32768, 32768, (frames, channels)).astype(np.int16)
    buf = io.BytesIO()
    soundfile.write(buf, samples, rate, subtype="PCM_16", format="WAV")
    data = buf.getvalue()
    split = round_trip(data)
    assert split.transform_id == WavTransform.transform_id
    planar = np.frombuffer(split.streams[0].data, "<i2").reshape(channels, -1)
    assert np.array_equal(planar.T, samples)


@settings(max_examples=20, deadline=None)
@given(channels=st.integers(1, 4), frames=st.integers(0, 50), seed=st.integers(0, 99))
def test_version_1_recipes_with_interleaved_streams_still_join(channels, frames, seed):
    """Archives written before the planar layout hold recipe version 1 and interleaved frames."""
    samples = np.random.default_rng(seed).integers(-32768, 32768, (frames, channels)).astype(np.int16)
    buf = io.BytesIO()
    soundfile.write(buf, samples, 16000, subtype="PCM_16", format="WAV")
    data = buf.getvalue()
    split = WavTransform().split(data)
    assert split.recipe[0] == 2
    old_recipe = bytes([1]) + split.recipe[1:]
    assert WavTransform().join(old_recipe, [samples.astype("<i2").tobytes()]) == data


def test_unknown_recipe_version_is_refused():
    data = media("soundfile_stereo16.wav")[0].read_bytes()
    split = WavTransform().split(data)
    with pytest.raises(TransformError, match="version 9"):
        WavTransform().join(bytes([9]) + split.recipe[1:], [s.data for s in split.streams])


def _chunk(kind: bytes, body: bytes) -> bytes:
    return kind + struct.pack("<I", len(body)) + body + (b"\0" if len(body) % 2 else b"")


def _fmt(channels: int, extensible: bool, bits: int = 16) -> bytes:
    align = channels * bits // 8
    base = struct.pack("<HHIIHH", 0xFFFE if extensible else 1, channels, 16000,
                       16000 * align, align, bits)
    if extensible:
        base += struct.pack("<HHIH", 22, bits, 0, 1) + PCM_SUBFORMAT_TAIL
    return base


def _wav(samples: bytes, channels: int, extensible: bool, before: list, after: list,
         junk: bytes, bits: int = 16) -> bytes:
    chunks = [_chunk(b"fmt ", _fmt(channels, extensible, bits))]
    chunks += [_chunk(k, b) for k, b in before]
    chunks.append(_chunk(b"data", samples))
    chunks += [_chunk(k, b) for k, b in after]
    body = b"WAVE" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body + junk


extra_chunks = st.lists(st.tuples(st.sampled_from([b"LIST", b"fact", b"cue ", b"junk"]),
                                  st.binary(max_size=9)), max_size=2)


@settings(max_examples=40, deadline=None)
@given(channels=st.integers(1, 3), frames=st.integers(0, 60), extensible=st.booleans(),
       before=extra_chunks, after=extra_chunks, junk=st.binary(max_size=5),
       seed=st.integers(0, 99))
def test_generated_wavs_round_trip_and_keep_samples(channels, frames, extensible, before, after,
                                                   junk, seed):
    samples = np.random.default_rng(seed).integers(-32768, 32768, (frames, channels)).astype("<i2")
    data = _wav(samples.tobytes(), channels, extensible, before, after, junk)
    split = round_trip(data)
    assert split.transform_id == WavTransform.transform_id
    assert split.streams[0].data == np.ascontiguousarray(samples.T).tobytes()
    assert split.streams[0].geometry == (channels,)


def _broken_wavs() -> dict[str, bytes]:
    good = _wav(b"\1\2" * 50, 1, False, [], [], b"")
    at = good.index(b"data") + 4
    lying = good[:at] + struct.pack("<I", 10 ** 6) + good[at + 4:]
    odd = good[:at] + struct.pack("<I", 99) + good[at + 4:]
    return {"lying_data_size": lying, "partial_frame": odd, "truncated": good[:30],
            "no_data_chunk": good[:good.index(b"data")],
            "8_bit": _wav(b"\1" * 10, 1, False, [], [], b"", bits=8),
            "extensible_float": _wav(b"\0" * 8, 1, True, [], [], b"").replace(
                PCM_SUBFORMAT_TAIL, b"\1" * 14)}


@pytest.mark.parametrize("name", sorted(_broken_wavs()))
def test_malformed_wav_falls_back_to_identity(name):
    assert_falls_back(_broken_wavs()[name], WavTransform())


def test_join_rejects_partial_frames():
    split = WavTransform().split(_wav(b"\0" * 8, 2, False, [], [], b""))
    with pytest.raises(TransformError):
        WavTransform().join(split.recipe, [b"\0" * 6])
