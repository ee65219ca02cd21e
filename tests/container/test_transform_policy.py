"""Transforms are used only where a learned codec codes their streams (never worse than zstd)."""

import io

import numpy as np
import pytest
from PIL import Image

import ozarc
from ozarc.codecs import registry
from ozarc.codecs.base import Codec
from ozarc.container.compress import compress_chunk
from ozarc.container.entry_choice import CodedSplit, EntryCoding, transform_pays
from ozarc.container.layout import LayoutPlanner
from ozarc.container.records import EntryKind, EntryRecord
from ozarc.container.hooks import LearnedOnlySplit
from ozarc.errors import CodecError
from ozarc.modality import Modality


def _png_bytes(seed: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    base = np.cumsum(rng.integers(-3, 4, size=(48, 40, 3)), axis=1) % 256
    out = io.BytesIO()
    Image.fromarray(base.astype(np.uint8), "RGB").save(out, format="PNG", compress_level=9)
    return out.getvalue()


def test_png_kept_whole_without_learned_image_codec():
    png = _png_bytes()
    split = LearnedOnlySplit(frozenset())(png)
    assert split.transform_id == 0 and split.streams[0].data == png
    assert split.streams[0].modality == Modality.OTHER


def test_png_split_when_learned_image_codec_is_active():
    png = _png_bytes()
    split = LearnedOnlySplit(frozenset({Modality.IMAGE_RGB}))(png)
    assert split.transform_id != 0
    assert any(s.modality == Modality.IMAGE_RGB for s in split.streams)


def test_text_keeps_text_modality_without_model():
    text = "caf\u00e9 line\r\nnext\r\n".encode() * 50
    split = LearnedOnlySplit(frozenset())(b"\xef\xbb\xbf" + text)
    assert split.transform_id == 0 and split.streams[0].modality == Modality.TEXT


def test_zstd_archive_of_png_is_not_larger_than_the_png(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "p").mkdir()
    png = _png_bytes(1)
    (tmp_path / "p" / "a.png").write_bytes(png)
    ozarc.create("a.oz", ["p"], jobs=1, codec="zstd")
    with ozarc.open("a.oz") as reader:
        info = reader.getentry("p/a.png")
        assert info.transform == "identity"
        assert info.stored_size <= len(png)
        assert reader.read("p/a.png") == png


class _TinyImageCodec(Codec):
    """Pretends to code any image band in 5 bytes (only sizes matter to the trial)."""

    codec_id = 249
    name = "test-tiny-image"
    uses_model = True

    def applies_to(self, hint):
        return hint.modality in (Modality.IMAGE_RGB, Modality.IMAGE_GRAY)

    def encode(self, data, hint):
        return b"tiny!"

    def decode(self, payload, raw_length, model=None):
        raise CodecError("not a real codec")


@pytest.fixture
def tiny_image_codec(monkeypatch):
    codec = _TinyImageCodec()
    monkeypatch.setitem(registry._BY_ID, codec.codec_id, codec)
    monkeypatch.setitem(registry._BY_NAME, codec.name, codec)
    return codec


def _png_split(png):
    split = LearnedOnlySplit(frozenset({Modality.IMAGE_RGB}))(png)
    assert split.transform_id != 0
    return split


def test_transform_kept_when_the_learned_codec_wins(tiny_image_codec):
    png = _png_bytes(2)
    coding = EntryCoding(6, "auto", ((Modality.IMAGE_RGB, "model-ref"),))
    assert transform_pays(_png_split(png), png, coding)
    assert LearnedOnlySplit(frozenset({Modality.IMAGE_RGB}), coding)(png).transform_id != 0


def test_transform_dropped_when_pixels_code_larger_than_the_png():
    png = _png_bytes(3)
    # No learned codec registered for images: pixels get zstd, which loses to the PNG's deflate.
    coding = EntryCoding(6, "auto", ((Modality.IMAGE_RGB, "model-ref"),))
    assert not transform_pays(_png_split(png), png, coding)
    split = LearnedOnlySplit(frozenset({Modality.IMAGE_RGB}), coding)(png)
    assert split.transform_id == 0 and split.streams[0].data == png


def test_trial_coding_travels_to_the_writer(tiny_image_codec):
    """A kept transform's chunks are coded once, in the trial; the writer reuses them."""
    png = _png_bytes(4)
    coding = EntryCoding(6, "auto", ((Modality.IMAGE_RGB, "model-ref"),))
    split = LearnedOnlySplit(frozenset({Modality.IMAGE_RGB}), coding)(png)
    assert isinstance(split, CodedSplit)
    planner = LayoutPlanner(6, "auto", lambda modality: "model-ref")
    record = EntryRecord(b"a.png", EntryKind.FILE, 0o644, 0, size=len(png),
                         transform_id=split.transform_id, content_hash=b"h" * 32)
    actions = list(planner.add_file(record, split)) + list(planner.finish())
    image_jobs = [a.job for a in actions
                  if a.job is not None and a.job.modality == Modality.IMAGE_RGB]
    assert image_jobs and all(job.precoded is not None for job in image_jobs)
    results = [compress_chunk(job) for job in image_jobs]
    assert all(r.payload == b"tiny!" and r.codec_id == tiny_image_codec.codec_id for r in results)
