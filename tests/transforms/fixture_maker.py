"""Writes the generated sample files in fixtures/media/ (run by hand, never by the tests).

    OZARC_REGEN_FIXTURES=1 python tests/transforms/fixture_maker.py

The pictures and sounds are synthetic (gradients, discs and noise; a chirp with noise) so that
no third-party content is needed; each file is written by the encoder named in its file name.
Files copied from the system (PNG icons) and made by optipng/pngcrush are listed in SOURCES.md.
"""

from __future__ import annotations

import io
import os
import sys
import wave
from pathlib import Path

import numpy as np
import soundfile
from PIL import Image

MEDIA = Path(__file__).resolve().parents[2] / "fixtures" / "media"


def picture(h: int, w: int, seed: int) -> np.ndarray:
    """A smooth RGB test picture with a few discs and mild noise (uint8, h x w x 3)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    img = np.stack([x / w * 200 + 30, y / h * 180 + 40, (x + y) / (h + w) * 120 + 60], -1)
    for _ in range(4):
        cy, cx, r = rng.uniform(0, h), rng.uniform(0, w), rng.uniform(4, min(h, w) / 2)
        img[(y - cy) ** 2 + (x - cx) ** 2 < r * r] = rng.uniform(0, 255, 3)
    img += rng.normal(0, 3, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def sound(seconds: float, rate: int, channels: int, seed: int) -> np.ndarray:
    """A chirp with noise as int16 frames (n x channels)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    base = 8000 * np.sin(2 * np.pi * (200 + 300 * t) * t) + rng.normal(0, 300, t.size)
    chans = [base * (0.6 + 0.4 * c) + rng.normal(0, 100, t.size) for c in range(channels)]
    return np.clip(np.stack(chans, -1), -32768, 32767).astype(np.int16)


def save_png(im: Image.Image, name: str, level: int) -> None:
    im.save(MEDIA / name, "PNG", compress_level=level)


def write_images() -> None:
    rgb = picture(48, 64, 1)
    im = Image.fromarray(rgb, "RGB")
    for level in (0, 1, 6, 9):
        save_png(im, f"pillow_rgb_l{level}.png", level)
    gray = im.convert("L")
    save_png(gray, "pillow_l_l6.png", 6)
    save_png(gray, "pillow_l_l1.png", 1)
    alpha = Image.fromarray(np.tile(np.linspace(0, 255, 64, dtype=np.uint8), (48, 1)), "L")
    save_png(Image.merge("LA", (gray, alpha)), "pillow_la_l9.png", 9)
    save_png(Image.merge("RGBA", (*im.split(), alpha)), "pillow_rgba_l6.png", 6)
    save_png(Image.merge("RGBA", (*im.split(), alpha)), "pillow_rgba_l0.png", 0)
    save_png(im.convert("P", palette=Image.Palette.ADAPTIVE, colors=32), "pillow_p_l9.png", 9)
    wide = (np.asarray(gray, dtype=np.uint16) * 257 + np.arange(64, dtype=np.uint16)).astype("<u2")
    save_png(Image.frombytes("I;16", (64, 48), wide.tobytes()), "pillow_i16_l6.png", 6)
    im.save(MEDIA / "pillow_rgb.bmp")
    gray.save(MEDIA / "pillow_l.bmp")
    Image.merge("RGBA", (*im.split(), alpha)).save(MEDIA / "pillow_rgba.bmp")
    im.crop((0, 0, 63, 47)).save(MEDIA / "pillow_rgb_odd.bmp")
    im.save(MEDIA / "pillow_rgb.ppm")
    gray.save(MEDIA / "pillow_l.pgm")
    im.save(MEDIA / "pillow_rgb.tif")
    gray.save(MEDIA / "pillow_l.tif")


def write_sounds() -> None:
    soundfile.write(MEDIA / "soundfile_mono16.wav", sound(0.25, 16000, 1, 2), 16000,
                    subtype="PCM_16")
    soundfile.write(MEDIA / "soundfile_stereo16.wav", sound(0.2, 16000, 2, 3), 16000,
                    subtype="PCM_16")
    soundfile.write(MEDIA / "soundfile_mono24.wav", sound(0.05, 16000, 1, 4).astype(np.int32)
                    << 8, 16000, subtype="PCM_24")
    with wave.open(str(MEDIA / "wave_mono16.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(sound(0.3, 8000, 1, 5).tobytes())


def write_texts() -> None:
    notes = "Notes\nCafé crème — 3 × 4 = 12\nTODO: résumé ✓\n" * 20
    (MEDIA / "utf8_bom.txt").write_bytes(b"\xef\xbb\xbf" + notes.encode())
    (MEDIA / "crlf.txt").write_bytes(notes.replace("\n", "\r\n").encode())
    code = "def add(a, b):\n    \"\"\"Add two numbers.\"\"\"\n    return a + b\n\n" * 30
    (MEDIA / "plain_code.py.txt").write_bytes(code.encode())
    buf = io.BytesIO()
    Image.fromarray(picture(16, 16, 6)).save(buf, "JPEG", quality=80)
    (MEDIA / "pillow.jpg").write_bytes(buf.getvalue())


if __name__ == "__main__":
    if os.environ.get("OZARC_REGEN_FIXTURES") != "1":
        sys.exit("set OZARC_REGEN_FIXTURES=1 to rewrite fixtures/media")
    MEDIA.mkdir(parents=True, exist_ok=True)
    write_images()
    write_sounds()
    write_texts()
