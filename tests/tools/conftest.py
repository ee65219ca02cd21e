"""Shared data for the tools' tests."""

import numpy as np
import pytest
import soundfile as sf


@pytest.fixture
def speech_folders(tmp_path):
    """(training folder, WAV folder): noisy synthetic tones as the corpus stores speech
    (``wideband_{train,heldout}.npz``) and one 16-bit WAV of 8000 samples (16 windows)."""
    rng = np.random.default_rng(0)
    t = np.arange(8000)

    def tone(f):
        return (3000 * np.sin(t * f) + rng.normal(0, 200, t.size)).astype(np.int16)

    data = tmp_path / "data"
    data.mkdir()
    np.savez(data / "wideband_train.npz", **{f"{i:05d}": tone(0.01 * (i + 1)) for i in range(3)})
    np.savez(data / "wideband_heldout.npz", x=tone(0.05))
    wavs = tmp_path / "wavs"
    wavs.mkdir()
    sf.write(wavs / "a.wav", tone(0.03), 16000, subtype="PCM_16")
    return data, wavs
