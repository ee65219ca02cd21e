"""Tests for tools.corpus: the pure pieces of the training-corpus builder, offline."""

from __future__ import annotations

import io
import zipfile
from fractions import Fraction
from math import ceil

import numpy as np
import pytest
import soundfile as sf
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from tools.corpus import __main__ as cli
from tools.corpus.dedupe import SHINGLE, BenchIndex, content_hash, load_bench_index, shingle_hashes
from tools.corpus.fetch import Fetched
from tools.corpus.image_items import _stamp_photos, flat_fraction, image_from_pil
from tools.corpus.imaging import (area_downscale, blockiness_ratio, bt601_luma, clean_jpeg_pixels,
                                  factor_for_quantiser, largest_opaque_rect)
from tools.corpus.manifest import ManifestRow, parse_manifest, render_manifest
from tools.corpus.resample import output_length, resample_int16, to_mono_int16
from tools.corpus.selection import HELDOUT, TRAIN, fill_in_order, shuffled, split_of
from tools.corpus.speech_items import SpeechCollector
from tools.corpus.shards import DOC_SEPARATOR, read_text_shard, write_npz, write_text_shard
from tools.corpus.text_items import split_parts

FAST = settings(max_examples=25, deadline=None)


# ---- imaging ------------------------------------------------------------------------------

def _naive_downscale(img: np.ndarray, k: int) -> np.ndarray:
    h, w = img.shape[0] // k, img.shape[1] // k
    out = np.zeros((h, w) + img.shape[2:], dtype=np.uint8)
    for y in range(h):
        for x in range(w):
            cell = img[y * k:(y + 1) * k, x * k:(x + 1) * k].reshape(k * k, -1)
            for c in range(cell.shape[1]):
                mean = Fraction(int(cell[:, c].astype(int).sum()), k * k)
                out.reshape(h, w, -1)[y, x, c] = int(mean + Fraction(1, 2))  # round half up
    return out


@FAST
@given(st.integers(1, 19), st.integers(1, 19), st.sampled_from([1, 2, 3, 4, 8]), st.sampled_from([None, 3]),
       st.integers(0, 2**32 - 1))
def test_area_downscale_matches_cell_means(h, w, k, channels, seed):
    shape = (h, w) if channels is None else (h, w, channels)
    img = np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)
    got = area_downscale(img, k)
    assert got.shape[:2] == (h // k, w // k)
    assert np.array_equal(got, _naive_downscale(img, k))


def _blocky(seed: int, size: int = 64) -> np.ndarray:
    rng = np.random.default_rng(seed)
    smooth = np.add.outer(np.arange(size), np.arange(size)).astype(float)
    offsets = np.kron(rng.integers(-12, 13, (size // 8, size // 8)), np.ones((8, 8)))
    return np.clip(smooth + 60 + offsets + rng.normal(0, 1, (size, size)), 0, 255).astype(np.uint8)


def test_blockiness_ratio_sees_an_8px_grid_and_not_noise():
    rng = np.random.default_rng(1)
    noise = rng.integers(0, 256, (64, 64), dtype=np.uint8)
    assert abs(blockiness_ratio(noise, 8) - 1.0) < 0.1
    assert blockiness_ratio(_blocky(2), 8) > 1.5
    assert blockiness_ratio(_blocky(2), 1) == 1.0


def test_clean_jpeg_pixels_escalates_until_the_grid_is_gone():
    small, k, ratio = clean_jpeg_pixels(_blocky(3), 2)
    assert k == 8 and small.shape == (8, 8) and ratio <= 1.05
    noise = np.random.default_rng(4).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    small, k, _ = clean_jpeg_pixels(noise, 2)
    assert k == 2 and small.shape == (32, 32, 3)


@pytest.mark.parametrize("quality,expected", [(99, 2), (90, 4), (75, 8), (50, 8)])
def test_factor_from_real_pillow_quantiser_tables(quality, expected):
    buf = io.BytesIO()
    Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(buf, "JPEG", quality=quality)
    quant = Image.open(io.BytesIO(buf.getvalue())).quantization[0]
    assert factor_for_quantiser(float(np.mean(quant))) == expected


def _brute_force_rect_area(mask: np.ndarray) -> int:
    best = 0
    rows, cols = mask.shape
    for t in range(rows):
        for b in range(t, rows):
            for left in range(cols):
                for r in range(left, cols):
                    if mask[t:b + 1, left:r + 1].all():
                        best = max(best, (b - t + 1) * (r - left + 1))
    return best


@FAST
@given(st.integers(1, 6), st.integers(1, 6), st.integers(0, 2**32 - 1))
def test_largest_opaque_rect_is_maximal_and_opaque(h, w, seed):
    alpha = np.random.default_rng(seed).choice([0, 128, 255, 255, 255], size=(h, w)).astype(np.uint8)
    top, left, rh, rw = largest_opaque_rect(alpha)
    assert rh * rw == _brute_force_rect_area(alpha == 255)
    if rh:
        assert (alpha[top:top + rh, left:left + rw] == 255).all()


def test_bt601_luma_keeps_gray_and_agrees_with_pillow():
    rng = np.random.default_rng(5)
    v = rng.integers(0, 256, (8, 8), dtype=np.uint8)
    assert np.array_equal(bt601_luma(np.stack([v, v, v], -1)), v)
    rgb = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
    pillow = np.asarray(Image.fromarray(rgb).convert("L")).astype(int)
    assert np.abs(bt601_luma(rgb).astype(int) - pillow).max() <= 1


def test_cutout_keeps_only_opaque_pixels_and_palette_colour_is_rejected():
    rgba = np.zeros((80, 90, 4), np.uint8)
    rgba[..., :3] = np.random.default_rng(6).integers(0, 256, (80, 90, 3))
    rgba[10:60, 20:70, 3] = 255
    arr, _ = image_from_pil(Image.fromarray(rgba, "RGBA"))
    assert np.array_equal(arr, rgba[10:60, 20:70, :3])
    pal = Image.fromarray(rgba[..., :3]).quantize(16)
    assert isinstance(image_from_pil(pal), str)


def test_drawings_and_quantised_images_are_told_from_photos(tmp_path):
    rng = np.random.default_rng(9)
    photo = np.clip(np.add.outer(np.arange(80), np.arange(80))[..., None] + rng.integers(0, 40, (80, 80, 3)), 0, 255)
    photo = photo.astype(np.uint8)
    drawing = np.zeros((80, 80, 3), np.uint8)
    drawing[20:60, 10:70] = (200, 30, 30)
    assert flat_fraction(photo) < 0.3 < flat_fraction(drawing)
    assert isinstance(image_from_pil(Image.fromarray(photo)), tuple)
    assert image_from_pil(Image.fromarray(photo // 64 * 64)) == "<= 256 colours (quantised or drawn)"
    for rel in ("usr/share/tuxpaint/stamps/food/apple.png", "usr/share/tuxpaint/stamps/food/cartoon/apple.png"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"")
    assert [p.parent.name for p in _stamp_photos(tmp_path)] == ["food"]


# ---- resampling ---------------------------------------------------------------------------

def _tone(freq: float, rate: int, seconds: float, amp: float) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return np.round(amp * np.sin(2 * np.pi * freq * t)).astype(np.int16)


@pytest.mark.parametrize("freq", [440.0, 1000.0, 3000.0, 6000.0])
def test_44k1_to_16k_keeps_frequency_and_amplitude(freq):
    x = _tone(freq, 44100, 0.5, 10000)
    y = resample_int16(x, 160, 441)
    assert y.size == ceil(x.size * 160 / 441)
    mid = y[1000:-1000].astype(float)
    spectrum = np.abs(np.fft.rfft(mid * np.hanning(mid.size)))
    peak_hz = np.argmax(spectrum) * 16000 / mid.size
    assert abs(peak_hz - freq) < 16000 / mid.size * 1.5
    amp = np.sqrt(2 * np.mean(mid ** 2))
    assert abs(amp - 10000) / 10000 < 0.01


def test_44k1_to_16k_removes_what_16k_cannot_hold():
    y = resample_int16(_tone(12000.0, 44100, 0.5, 10000), 160, 441)
    assert np.sqrt(np.mean(y[1000:-1000].astype(float) ** 2)) < 10000 * 0.01


def test_constant_signal_stays_exact_and_8k_upsamples():
    y = resample_int16(np.full(4410, 1234, np.int16), 160, 441)
    assert (y[200:-200] == 1234).all()
    x = _tone(1000.0, 8000, 0.5, 8000)
    up = resample_int16(x, 2, 1)
    assert up.size == 2 * x.size
    assert np.abs(up[400:-400:2].astype(int) - x[200:-200].astype(int)).max() <= 2


@FAST
@given(st.integers(0, 3000))
def test_resampled_length_is_exact(n):
    x = np.random.default_rng(n).integers(-3000, 3000, n).astype(np.int16)
    assert resample_int16(x, 160, 441).size == output_length(n, 160, 441) == -(-n * 160 // 441)


def test_to_mono_rounds_channel_mean():
    frames = np.array([[1, 2], [-1, -2], [100, 101], [-32768, -32768]], np.int16)
    assert to_mono_int16(frames).tolist() == [2, -1, 101, -32768]


def test_speech_collector_resamples_and_routes_8khz_clips_to_narrowband(tmp_path):
    stamps = tmp_path / "usr/share/tuxpaint/stamps/animals"
    stamps.mkdir(parents=True)
    wide = _tone(500.0, 44100, 0.5, 3000)
    for name, rate in (("cat_desc.ogg", 44100), ("dog_desc.ogg", 8000)):
        buf = io.BytesIO()
        sf.write(buf, np.stack([_tone(500.0, rate, 0.5, 3000)] * 2, -1), rate, format="WAV", subtype="PCM_16")
        (stamps / name).write_bytes(buf.getvalue())  # WAV bytes: libsndfile reads by content
    collector = SpeechCollector(lambda src: Fetched(src, tmp_path, "test", ""), BenchIndex())
    (en,) = list(collector.tuxpaint_english())
    assert en.member.endswith("cat_desc.ogg") and en.payload.size == output_length(wide.size, 160, 441)
    (nb,) = list(collector.tuxpaint_narrowband())
    assert nb.member.endswith("dog_desc.ogg") and nb.payload.size == 2 * 4000 and "narrowband" in nb.note


# ---- bench dedupe -------------------------------------------------------------------------

BENCH_PARAGRAPH = (b"Alice was beginning to get very tired of sitting by her sister on the\r\n"
                   b"bank, and of having nothing to do: once or twice she had peeped into the\r\n"
                   b"book her sister was reading, but it had no pictures or conversations in it.\r\n")


def test_shingle_hashes_equal_naive_polynomial_hash():
    data = bytes(range(200)) * 2
    base = 0x100000001B3
    naive = [sum(b * pow(base, j, 2**64) for j, b in enumerate(data[i:i + SHINGLE])) % 2**64
             for i in range(len(data) - SHINGLE + 1)]
    assert shingle_hashes(data).tolist() == naive
    assert shingle_hashes(b"short").size == 0


def test_a_file_containing_a_bench_paragraph_is_rejected():
    index = BenchIndex()
    index.add_text(b"header line\r\n" + BENCH_PARAGRAPH + b"---\r\n")
    lf_copy = BENCH_PARAGRAPH.replace(b"\r\n", b"\n")[20:150]
    assert index.shares_text(b"Some unrelated preface text.\n" + lf_copy + b"\nmore text after\n")
    assert not index.shares_text(b"A completely different paragraph about compression " * 5)


def test_low_diversity_runs_are_not_evidence_of_a_copy():
    index = BenchIndex()
    index.add_text(b"=" * 200 + b"\n" + b" " * 100)
    assert not index.shares_text(b"title\n" + b"=" * 300 + b"\n")


def test_load_bench_index_catches_bytes_pixels_and_samples(tmp_path):
    bench = tmp_path / "bench"
    for sub in ("text", "images", "speech"):
        (bench / sub).mkdir(parents=True)
    (bench / "text/alice.txt").write_bytes(BENCH_PARAGRAPH)
    pixels = np.random.default_rng(7).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(bench / "images/k.png")
    samples = np.random.default_rng(8).integers(-2000, 2000, 1600).astype(np.int16)
    sf.write(bench / "speech/s.wav", samples, 16000, subtype="PCM_16")
    rows = ["path\tbytes\tsha256"] + [f"{p}\t0\t{'0' * 64}" for p in ("text/alice.txt", "images/k.png", "speech/s.wav")]
    (bench / "MANIFEST.tsv").write_text("\n".join(rows) + "\n")
    index = load_bench_index(bench, lambda p: np.asarray(Image.open(p)),
                             lambda p: sf.read(p, dtype="int16")[0])
    assert index.is_bench_file(BENCH_PARAGRAPH)
    assert index.is_bench_content(pixels.copy()) and not index.is_bench_content(pixels[:8])
    assert index.is_bench_content(samples.copy())
    assert content_hash(pixels) != content_hash(pixels.astype(np.int16))


# ---- manifest, split, budget, shards ------------------------------------------------------

field_text = st.text(st.characters(blacklist_characters="\t\n\r", blacklist_categories=("Cs",)), max_size=20)


@FAST
@given(st.lists(st.builds(ManifestRow, field_text, field_text, field_text, field_text, field_text, field_text,
                          st.integers(0, 10**9), st.sampled_from([TRAIN, HELDOUT]), field_text), max_size=8))
def test_manifest_round_trips_and_is_order_independent(rows):
    text = render_manifest(rows)
    assert sorted(parse_manifest(text)) == sorted(rows)
    assert render_manifest(list(reversed(rows))) == text


def test_manifest_rejects_tabs():
    with pytest.raises(ValueError):
        ManifestRow("pkg", "1", "MIT", "a\tb", "0" * 64, "text", 1, TRAIN)


def test_split_is_deterministic_per_key_and_about_five_percent():
    keys = [f"pkg/file{i}.txt" for i in range(4000)]
    splits = [split_of(k) for k in keys]
    assert splits == [split_of(k) for k in keys]
    assert 0.035 < splits.count(HELDOUT) / len(keys) < 0.065
    assert shuffled(keys) == shuffled(list(reversed(keys))) != keys


def test_fill_in_order_respects_budget_and_passes_leftovers_on():
    def endless():
        while True:
            yield 5000
    got = fill_in_order([("small", 1, [2000, 2000]), ("big", 1, endless())], 40000, lambda x: x)
    assert got["small"] == [2000, 2000]
    assert sum(got["big"]) == 35000 and sum(got["small"]) + sum(got["big"]) <= 40000


def test_npz_shards_are_byte_stable_and_loadable(tmp_path):
    arrays = [("00000", np.arange(12, dtype=np.int16)), ("00001", np.ones((3, 4, 3), np.uint8))]
    write_npz(tmp_path / "a.npz", arrays)
    write_npz(tmp_path / "b.npz", arrays)
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
    with zipfile.ZipFile(tmp_path / "a.npz") as zf:
        assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    loaded = np.load(tmp_path / "a.npz")
    assert all(np.array_equal(loaded[n], a) for n, a in arrays)


@FAST
@given(st.lists(st.text(max_size=40).map(lambda s: s.replace(DOC_SEPARATOR, "") + "\n"), max_size=6))
def test_text_shard_round_trip(tmp_path_factory, docs):
    path = tmp_path_factory.mktemp("t") / "s.txt"
    write_text_shard(path, docs)
    assert read_text_shard(path) == docs


@FAST
@given(st.binary(max_size=400), st.integers(1, 50))
def test_split_parts_joins_back(data, part):
    parts = split_parts(data, part)
    assert b"".join(parts) == data and all(parts)


def test_cli_refuses_a_missing_bench_without_traceback(tmp_path, capsys):
    rc = cli.main(["build", "--out", str(tmp_path / "o"), "--bench", str(tmp_path / "nobench")])
    assert rc == 2 and "MANIFEST.tsv" in capsys.readouterr().err


@pytest.mark.parametrize("cmd, hint", [(["apt-get", "download", "perl-doc=9"], "apt-get update"),
                                       (["pip", "download", "x==1"], "pinned version")])
def test_a_failed_fetch_says_what_to_do(tmp_path, monkeypatch, cmd, hint):
    """A pinned Debian version missing from an old local index is fixed by apt-get update."""
    import subprocess

    from tools.corpus import fetch

    monkeypatch.setattr(subprocess, "run", lambda *a, **k: subprocess.CompletedProcess(
        a[0], 100, "", "E: Version '9' for 'perl-doc' was not found"))
    with pytest.raises(fetch.FetchError, match=hint):
        fetch._run(cmd, tmp_path)


def test_skip_unavailable_ends_a_group_where_its_package_is_gone():
    from tools.corpus import build
    from tools.corpus.fetch import FetchError

    def candidates():
        yield "a"
        yield "b"
        raise FetchError("apt-get download libruby3.1=3.1.7-1~deb12u2 failed")

    result = build.BuildResult()
    assert list(build._tolerant(candidates(), "code/ruby", result)) == ["a", "b"]
    assert "libruby3.1" in result.unavailable["code/ruby"]
    with pytest.raises(FetchError):                    # without the option the build stops
        list(candidates())
