"""The classical-predictor bound of tools/experiments/predictor_entropy.py."""

import numpy as np
from hypothesis import given, settings, strategies as st

from tools.experiments.predictor_entropy import bits_per_subpixel, med_residuals, order0_bits


@settings(max_examples=30, deadline=None)
@given(a=st.integers(0, 2), b=st.integers(0, 2), c=st.integers(0, 10), gray=st.booleans(),
       flip=st.booleans())
def test_planes_are_predicted_exactly(a, b, c, gray, flip):
    """MED predicts a plane whose slopes along the two axes do not share a sign (the
    above-left pixel lies between left and above) without error; with G's residual taken
    off, so are colour planes that share G's slopes."""
    y, x = np.mgrid[0:20, 0:30]
    g = 128 + (a * y - b * x if flip else -a * y + b * x)
    pixels = np.stack([g + c, g, g + 2 * c], axis=-1) if not gray else g[..., None]
    assert np.all(med_residuals(pixels.astype(np.uint8)) == 0)
    assert bits_per_subpixel(pixels.astype(np.uint8)) == 0.0


def test_med_takes_the_edge_side_and_green_difference():
    pixels = np.zeros((2, 2, 3), np.uint8)
    pixels[0, 1] = (50, 40, 30)           # above
    pixels[1, 0] = (10, 20, 30)           # left; above-left is 0 <= min -> prediction max
    pixels[1, 1] = (60, 45, 31)
    r = med_residuals(pixels)[0, 0]
    g = 45 - 40
    assert list(r) == [g, (60 - 50) - g, (31 - 30) - g]


def test_order0_bits():
    assert order0_bits(np.array([1, 1, 1, 1])) == 0.0
    assert order0_bits(np.array([0, 1, 2, 3] * 5)) == 2.0
    noise = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    assert 8.0 < bits_per_subpixel(noise) < 10.0   # differences of noise spread wider


def test_folder_pixels_reads_gray_and_rgb_and_skips_other_files(tmp_path):
    from PIL import Image

    from tools.experiments.images import folder_pixels

    Image.fromarray(np.full((4, 5), 7, np.uint8)).save(tmp_path / "a.pgm")
    Image.fromarray(np.full((3, 2, 3), 9, np.uint8)).save(tmp_path / "b.ppm")
    (tmp_path / "notes.txt").write_text("not an image")
    found = {path.name: pixels for path, pixels in folder_pixels(tmp_path)}
    assert set(found) == {"a.pgm", "b.ppm"}
    assert found["a.pgm"].shape == (4, 5, 1) and found["b.ppm"].shape == (3, 2, 3)
    assert found["a.pgm"].max() == 7 and found["b.ppm"].min() == 9
