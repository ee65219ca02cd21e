"""Speech candidates: real human recordings as mono int16 at 16 kHz.

Tuxpaint stamp descriptions (44.1 kHz Vorbis, many languages; English first)
and pyannote's 16 kHz conversation are wideband. Asterisk IVR prompts are
8 kHz, so everything above 4 kHz is missing: they are upsampled 2x to 16 kHz
and kept in a separate narrowband shard so training can weight them down.
"""

from __future__ import annotations

import io
import logging
from math import gcd
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import soundfile as sf

from . import sources as S
from .candidates import Candidate, Collector, member_path, read_member
from .dedupe import content_hash
from .fetch import Fetched
from .resample import resample_int16, to_mono_int16
from .selection import shuffled
from .shards import deflated_size

log = logging.getLogger(__name__)

TARGET_RATE = 16000
MIN_SAMPLES = TARGET_RATE // 4  # drop clips shorter than 0.25 s

def decode_int16(data: bytes) -> tuple[np.ndarray, int]:
    """Decoded frames (int16, frames x channels or 1-D) and the sample rate."""
    frames, rate = sf.read(io.BytesIO(data), dtype="int16", always_2d=False)
    return frames, rate


def to_16k_mono(frames: np.ndarray, rate: int) -> np.ndarray:
    """Mono int16 at 16 kHz via the exact polyphase resampler."""
    mono = to_mono_int16(frames)
    if rate == TARGET_RATE:
        return mono
    g = gcd(TARGET_RATE, rate)
    return resample_int16(mono, TARGET_RATE // g, rate // g)


class SpeechCollector(Collector):
    """Produces speech candidates, dropping bench copies and duplicates."""

    def _stream(self, src: S.PackageSource, paths_of: Callable[[Path], list[Path]], note: str,
                narrowband: bool = False) -> Iterator[Candidate]:
        """Clips of ``src`` whose source rate is below 16 kHz exactly when ``narrowband``."""
        fetched = self.fetch(src)
        by_member = {member_path(fetched, p): p for p in paths_of(fetched.root)}
        for member in shuffled(by_member):
            data, sha = read_member(by_member[member])
            if self.bench.is_bench_file(data):
                self._reject("bench file")
                continue
            try:
                if (sf.info(io.BytesIO(data)).samplerate < TARGET_RATE) != narrowband:
                    continue
                frames, rate = decode_int16(data)
            except (RuntimeError, ValueError, sf.LibsndfileError) as exc:
                log.warning("skipping %s: %s", member, exc)
                self._reject("undecodable")
                continue
            if self.bench.is_bench_content(frames) or self.bench.is_bench_content(to_mono_int16(frames)):
                self._reject("bench content")
                continue
            audio = to_16k_mono(frames, rate)
            h = content_hash(audio)
            if audio.size < MIN_SAMPLES or not np.any(audio) or h in self.seen:
                self._reject("too short, silent or duplicate")
                continue
            self.seen.add(h)
            tag = f"{note} {rate}Hz->16k" if rate != TARGET_RATE else note
            yield Candidate(fetched, member, sha, audio, deflated_size(audio), tag.strip())

    def pyannote(self):
        return self._stream(S.PYANNOTE, lambda r: sorted(r.glob("pyannote/audio/sample/*.wav")), "conversation")

    def tuxpaint_english(self):
        return self._stream(S.TUXPAINT, lambda r: sorted(r.glob("usr/share/tuxpaint/stamps/**/*_desc.ogg")),
                            "vorbis en")

    def tuxpaint_narrowband(self):
        """The few tuxpaint descriptions recorded at 8 kHz."""
        return self._stream(S.TUXPAINT, lambda r: sorted(r.glob("usr/share/tuxpaint/stamps/**/*_desc*.ogg")),
                            "vorbis narrowband", narrowband=True)

    def tuxpaint_other(self):
        return self._stream(S.TUXPAINT, lambda r: sorted(r.glob("usr/share/tuxpaint/stamps/**/*_desc_*.ogg")),
                            "vorbis multilingual")

    def asterisk(self, src: S.PackageSource):
        return self._stream(src, lambda r: sorted(r.glob("usr/share/asterisk/sounds/**/*.wav")), "narrowband",
                            narrowband=True)
