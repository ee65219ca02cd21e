"""Measure how multi-channel 16-bit PCM should be laid out for the speech model.

Why: issue 4 asks whether a stereo WAV codes better with its channels interleaved (the file's
own order: L R L R ..., what the WAV transform hands the model) or separately (all of L, then
all of R).  Interleaving lets the model see the other channel's sample of the same instant;
separating gives each channel twice the temporal context per window.  This tool measures
both with the shipped exact engine: the real code length, -sum log2(f / 2**16), of the byte
symbols in 1024-byte windows, exactly what the neural codec would write (less a few bytes of
coder flush per window).

There are no real multi-channel recordings on this machine, so stereo is built from mono
speech files: ``correlated`` puts the clip on both channels, the right one delayed and
attenuated like a spaced microphone pair; ``independent`` puts two different clips side by
side.  The input files are only measured, never trained on.

    python tools/wav_layout.py /work/shared/bench/speech/librispeech --files 2 --seconds 4
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ozarc.modality import Modality  # noqa: E402
from ozarc.model.registry import load_model  # noqa: E402
from ozarc.codecs.neural import speech_predictor  # noqa: E402
from ozarc.model.tokenizers.speech import WINDOW, pcm_to_sequences  # noqa: E402
from ozarc.transforms.wav import deinterleave  # noqa: E402
from tools.model_eval import code_length_bits  # noqa: E402

DELAY_SAMPLES = 7        # about 0.44 ms at 16 kHz: a 15 cm microphone spacing
RIGHT_GAIN = 0.7


def read_mono(path: Path, seconds: float) -> np.ndarray:
    import soundfile

    samples, rate = soundfile.read(str(path), dtype="int16", always_2d=True)
    return samples[: int(seconds * rate), 0]


def correlated_pair(clip: np.ndarray) -> np.ndarray:
    right = np.zeros_like(clip)
    right[DELAY_SAMPLES:] = np.round(clip[:-DELAY_SAMPLES] * RIGHT_GAIN).astype(np.int16)
    return np.stack([clip, right], axis=1)


def independent_pair(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    n = min(len(a), len(b))
    return np.stack([a[:n], b[:n]], axis=1)


def code_bits(model, pcm: bytes) -> float:
    """Exact code length in bits of ``pcm`` as 1024-byte windows of the speech model (no coder
    state counted: both layouts have the same number of windows)."""
    seqs = pcm_to_sequences(pcm, WINDOW, speech_predictor(model))
    return code_length_bits(model, Modality.SPEECH, seqs, state_bytes=0)


def layouts(frames: np.ndarray) -> dict[str, bytes]:
    """frames [n, channels] int16 -> the candidate byte layouts."""
    interleaved = frames.astype("<i2").tobytes()
    return {"interleaved": interleaved, "separate": deinterleave(interleaved, frames.shape[1])}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--files", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--model", default="default")
    args = parser.parse_args(argv)
    model = load_model(args.model)
    paths = sorted(args.folder.rglob("*.wav"))[: max(2, args.files)]
    clips = [read_mono(p, args.seconds) for p in paths]
    cases = [(f"correlated {p.name}", correlated_pair(c)) for p, c in zip(paths, clips)]
    cases += [(f"independent {paths[i].name}+{paths[i + 1].name}",
               independent_pair(clips[i], clips[i + 1])) for i in range(len(clips) - 1)]
    print(f"model {model.name} ({model.sha256[:12]}), windows of {WINDOW} bytes")
    print("| stereo case | bytes | interleaved bits/Byte | separate bits/Byte |")
    print("|---|---|---|---|")
    totals = {"interleaved": 0.0, "separate": 0.0}
    total_bytes = 0
    for name, frames in cases:
        row = {}
        for layout, pcm in layouts(frames).items():
            row[layout] = code_bits(model, pcm)
            totals[layout] += row[layout]
        n = frames.size * 2
        total_bytes += n
        print(f"| {name} | {n:,} | {row['interleaved'] / n:.3f} | {row['separate'] / n:.3f} |",
              flush=True)
    print(f"| all | {total_bytes:,} | {totals['interleaved'] / total_bytes:.3f} | "
          f"{totals['separate'] / total_bytes:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
