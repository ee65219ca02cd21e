"""Image patches: exact inverse for any shape, patch order and edge patches without padding."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from ozarc.model.tokenizers.image import (PATCH, image_to_sequences, patch_lengths,
                                          sequences_to_image)


@st.composite
def images(draw):
    height = draw(st.integers(1, 40))
    width = draw(st.integers(1, 40))
    channels = draw(st.sampled_from([1, 3]))
    seed = draw(st.integers(0, 2**32 - 1))
    pixels = np.random.default_rng(seed).integers(0, 256, height * width * channels, dtype=np.uint8)
    return pixels.tobytes(), height, width, channels


@settings(max_examples=80, deadline=None)
@given(images())
def test_round_trip_any_shape(image):
    pixels, h, w, c = image
    seqs = image_to_sequences(pixels, h, w, c)
    assert [len(s) for s in seqs] == patch_lengths(h, w, c)
    assert sequences_to_image(seqs, h, w, c) == pixels


@pytest.mark.parametrize("h, w, c", [(1, 1, 1), (1, 1, 3), (17, 33, 3), (17, 33, 1), (32, 16, 3)])
def test_patches_match_a_naive_raster_cut(h, w, c):
    pixels = np.random.default_rng(h * w * c).integers(0, 256, (h, w, c), dtype=np.uint8)
    naive = [pixels[y:y + PATCH, x:x + PATCH].reshape(-1)            # rows, then pixels R,G,B
             for y in range(0, h, PATCH) for x in range(0, w, PATCH)]
    seqs = image_to_sequences(pixels.tobytes(), h, w, c)
    assert len(seqs) == len(naive)
    for got, want in zip(seqs, naive):
        np.testing.assert_array_equal(got, want)


def test_full_patch_is_768_subpixels_and_edges_are_unpadded():
    assert patch_lengths(16, 16, 3) == [768]
    assert patch_lengths(16, 16, 1) == [256]
    assert patch_lengths(17, 33, 3) == [768, 768, 48, 48, 48, 3]
    assert sum(patch_lengths(17, 33, 3)) == 17 * 33 * 3


def test_first_sequence_starts_with_r_g_b_of_the_top_left_pixel():
    pixels = bytes([10, 20, 30]) + bytes(3 * 15)
    assert image_to_sequences(pixels, 1, 16, 3)[0][:3].tolist() == [10, 20, 30]


def test_bad_geometry_is_rejected():
    with pytest.raises(ValueError):
        image_to_sequences(b"\0" * 10, 3, 3, 1)
    with pytest.raises(ValueError):
        sequences_to_image([np.zeros(5, np.uint8)], 3, 3, 1)
