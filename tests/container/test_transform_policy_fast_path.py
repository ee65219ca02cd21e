"""Without a learned codec the container skips the transforms' split entirely, and the result
is what running them and dropping them would give."""

from pathlib import Path

import pytest

from ozarc.container import hooks
from ozarc.container.entry_choice import whole_file_split
from ozarc.modality import Modality
from ozarc.transforms import split_for_archive

MEDIA = Path(__file__).resolve().parents[2] / "fixtures" / "media"


@pytest.mark.parametrize("path", sorted(MEDIA.iterdir()), ids=lambda p: p.name)
def test_no_learned_codec_gives_the_file_whole_as_before(path, monkeypatch):
    data = path.read_bytes()
    calls = []
    monkeypatch.setattr(hooks, "default_split_hook", lambda: calls.append(1) or split_for_archive)
    split = hooks.LearnedOnlySplit()(data)
    assert not calls                                   # no transform ran
    full = split_for_archive(data)
    main = full.streams[0].modality if full.streams else Modality.OTHER
    expected = whole_file_split(data, main)
    assert split == expected
    assert split.streams[0].modality in (Modality.TEXT, Modality.OTHER)
