"""Progress sinks, the create summary, and codec choices taken from the registry."""

from __future__ import annotations

import io

import pytest

from ozarc.api import CreateReport, ModalityStats
from ozarc.cli import create as create_cmd
from ozarc.cli.main import build_parser
from ozarc.cli.progress import (FanOut, MemberLister, NullProgress, RichProgressBar,
                                make_progress, wants_bar)
from ozarc.cli.summary import (bits_per_byte, format_codec_counts, format_ratio,
                               format_size, render_create_summary, summary_rows)


class FakeTty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_bar_only_on_a_terminal_and_not_quiet():
    assert wants_bar(False, FakeTty())
    assert not wants_bar(True, FakeTty())
    assert not wants_bar(False, io.StringIO())


def test_make_progress_off_a_terminal(monkeypatch):
    monkeypatch.setattr("sys.stderr", io.StringIO())
    assert isinstance(make_progress("x", quiet=False, verbose=False), NullProgress)
    assert isinstance(make_progress("x", quiet=False, verbose=True), MemberLister)
    monkeypatch.setattr("sys.stderr", FakeTty())
    assert isinstance(make_progress("x", quiet=False, verbose=False), RichProgressBar)
    assert isinstance(make_progress("x", quiet=False, verbose=True), FanOut)
    assert isinstance(make_progress("x", quiet=True, verbose=False), NullProgress)


def test_member_lister_names_each_member_once():
    out = io.StringIO()
    lister = MemberLister(out)
    lister.start(10)
    for name in ["a", "a", "b", "", "a", "c"]:
        lister.advance(1, name)
    lister.finish()
    assert out.getvalue().splitlines() == ["a", "b", "c"]


def test_rich_bar_draws_the_current_member():
    stream = FakeTty()
    bar = RichProgressBar("packing", stream)
    bar.start(1000)
    bar.advance(500, "dir/some_file.txt")
    bar.advance(500, "dir/other.txt")
    bar.finish()
    assert "packing" in stream.getvalue()
    assert "other.txt" in stream.getvalue()


def test_figures():
    assert bits_per_byte(1, 8) == 1.0
    assert bits_per_byte(5, 0) is None
    assert format_ratio(1, 4) == "25.0%"
    assert format_ratio(0, 0) == "-"
    assert format_size(999) == "999 B"
    assert format_size(1500) == "1.5 kB"
    assert format_codec_counts({"store": 1, "zstd": 3}) == "zstd×3 store×1"
    assert format_codec_counts({}) == "-"


def sample_report() -> CreateReport:
    return CreateReport(
        entries=3, bytes_in=3000, bytes_out=1000, elapsed_s=0.5,
        by_modality={"text": ModalityStats(2, 2000, 500, {"zstd": 2}),
                     "other": ModalityStats(1, 1000, 500, {"store": 1})})


def test_summary_rows_per_modality_and_total():
    rows = summary_rows(sample_report())
    assert [row[0] for row in rows] == ["other", "text", "total"]
    assert rows[1][4] == "2.000"          # 8 * 500 / 2000
    assert rows[-1][1] == "3" and rows[-1][4] == f"{8 * 1000 / 3000:.3f}"


def test_render_summary_table():
    stream = io.StringIO()
    render_create_summary(sample_report(), stream)
    text = stream.getvalue()
    assert "text" in text and "bits/Byte" in text and "zstd×2" in text


class _FakeCodec:
    def __init__(self, name):
        self.name = name


def test_codec_choices_come_from_the_registry(monkeypatch):
    monkeypatch.setattr(create_cmd, "all_codecs",
                        lambda: [_FakeCodec("store"), _FakeCodec("zstd"), _FakeCodec("fancy")])
    assert create_cmd.codec_choices() == ["auto", "store", "zstd", "fancy"]
    args = build_parser().parse_args(["c", "--codec", "fancy", "a.oz", "x"])
    assert args.codec == "fancy"


@pytest.mark.parametrize("level", ["0", "10", "x"])
def test_level_outside_1_to_9_is_refused(level):
    from ozarc.errors import UsageError

    with pytest.raises(UsageError):
        build_parser().parse_args(["c", "-l", level, "a.oz", "x"])
