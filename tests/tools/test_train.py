"""The training script: data from a folder by modality, a tiny run that checkpoints and
resumes, the schedule, staged freezing, the float export the engine reads."""

import json
from dataclasses import replace

import numpy as np
import pytest
import soundfile
import torch
from PIL import Image

from ozarc.errors import UsageError
from ozarc.modality import Modality
from ozarc.model.config import ModelConfig
from ozarc.model.network import OzNet
from ozarc.model.tokenizers.text import default_model_bytes, tokenizer_for
from ozarc.model.above import ABOVE_NONE
from ozarc.model.vocab import PREFIX_TOKEN, TEXT_BASE
from tools.train.__main__ import main
from tools.train.data import load_corpus, model_inputs, pad_batch, read_items
from tools.train.loop import TrainSettings, frozen_part, lr_at, train

TOKENIZER = tokenizer_for(default_model_bytes())


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (20, 33, 3), dtype=np.uint8)).save(root / "a.png")
    Image.fromarray(rng.integers(0, 256, (16, 16), dtype=np.uint8)).save(root / "g.png")
    (root / "heldout").mkdir()
    Image.fromarray(rng.integers(0, 256, (16, 32, 3), dtype=np.uint8)).save(root / "heldout" / "b.png")
    wave = (3000 * np.sin(np.arange(3000) / 7)).astype(np.int16)
    soundfile.write(root / "s.wav", wave, 16000, subtype="PCM_16")
    (root / "notes.md").write_bytes("# Notes\nhéllo wörld, numbers 123 \U0001F600\n".encode() * 20)
    (root / "code.py").write_text("def f(x):\n    return x + 1\n" * 30)
    np.savez(root / "gray_heldout.npz", a=rng.integers(0, 256, (16, 20), dtype=np.uint8))
    return root


def test_files_are_read_by_modality(data_dir):
    kinds = {p.name: [m for m, _ in read_items(p)] for p in data_dir.rglob("*") if p.is_file()}
    assert kinds["a.png"] == [Modality.IMAGE_RGB]
    assert kinds["g.png"] == [Modality.IMAGE_GRAY]
    assert kinds["s.wav"] == [Modality.SPEECH]
    assert kinds["notes.md"] == [Modality.TEXT]
    assert kinds["gray_heldout.npz"] == [Modality.IMAGE_GRAY]


def test_corpus_cuts_items_like_the_codec_and_counts_original_bytes(data_dir):
    corpus = load_corpus(data_dir, TOKENIZER, text_block=64)
    rgb = corpus.train[Modality.IMAGE_RGB]
    rows, cols = (16, 4), (16, 16, 1)                       # a.png is 20x33: edge patches short
    assert sorted(len(s) for s in rgb.sequences) == sorted(h * w * 3 for h in rows for w in cols)
    assert sum(rgb.n_bytes) == 20 * 33 * 3                   # every pixel byte, once
    assert len(corpus.heldout[Modality.IMAGE_RGB]) == 2      # b.png: two 16x16 patches
    assert sum(corpus.heldout[Modality.IMAGE_GRAY].n_bytes) == 16 * 20
    speech = corpus.train[Modality.SPEECH].n_bytes + corpus.heldout[Modality.SPEECH].n_bytes
    assert sum(speech) == 3000 * 2
    text = corpus.train[Modality.TEXT].sequences + corpus.heldout[Modality.TEXT].sequences
    assert max(len(s) for s in text) <= 64
    text_bytes = sum(corpus.train[Modality.TEXT].n_bytes + corpus.heldout[Modality.TEXT].n_bytes)
    assert text_bytes == sum(len((data_dir / n).read_bytes()) for n in ("code.py", "notes.md"))


def test_inputs_are_prefix_then_shifted_global_ids():
    symbols = np.array([5, 0, 7])
    assert model_inputs(Modality.TEXT, symbols).tolist() == [PREFIX_TOKEN[Modality.TEXT], TEXT_BASE + 5, TEXT_BASE]
    assert model_inputs(Modality.SPEECH, symbols).tolist() == [PREFIX_TOKEN[Modality.SPEECH], 5, 0]
    inputs, targets, mask, above = pad_batch(Modality.IMAGE_GRAY, [symbols, symbols[:1]])
    assert mask.tolist() == [[True] * 3, [True, False, False]]
    assert targets[1, 0] == 5 and inputs[1, 0] == PREFIX_TOKEN[Modality.IMAGE_GRAY]
    assert (above == ABOVE_NONE).all()                  # rows of 16: nothing above yet
    assert pad_batch(Modality.IMAGE_GRAY, [symbols], [2]).above.tolist() == \
        [[ABOVE_NONE, ABOVE_NONE, 5]]
    assert pad_batch(Modality.SPEECH, [symbols]).above is None


def test_corpus_records_each_patch_row_for_the_pixel_above(data_dir):
    corpus = load_corpus(data_dir, TOKENIZER, text_block=64)
    rgb = corpus.train[Modality.IMAGE_RGB]                 # a.png, 20x33: right edge 1 wide
    assert rgb.rows == [48, 48, 3, 48, 48, 3]
    assert set(corpus.train[Modality.TEXT].rows) == {0}


def test_schedule_warms_up_then_decays_to_the_floor():
    s = TrainSettings(steps=100, lr=1.0, warmup=10, lr_min_ratio=0.1)
    lrs = [lr_at(i, s) for i in range(100)]
    assert lrs[0] == pytest.approx(0.1) and lrs[9] == pytest.approx(1.0)
    assert all(a >= b for a, b in zip(lrs[9:], lrs[10:]))
    assert lrs[-1] == pytest.approx(0.1, abs=1e-3)
    staged = TrainSettings(steps=10, stage_steps=(2, 3))
    assert [frozen_part(i, staged) for i in range(6)] == ["ffn", "ffn", "att", "att", "att", None]


def test_cli_runs_checkpoints_resumes_and_exports(data_dir, tmp_path):
    out = tmp_path / "run"
    common = ["--config", "tiny", "--data", str(data_dir), "--out", str(out), "--batch", "2",
              "--max-len", "40", "--eval-seqs", "2", "--text-block", "64", "--warmup", "2"]
    assert main(common + ["--steps", "5"]) == 0
    ckpt = torch.load(out / "checkpoint.pt", weights_only=False)
    assert ckpt["step"] == 5 and ckpt["optimizer"]["state"]
    lines = [json.loads(x) for x in (out / "log.jsonl").read_text().splitlines()]
    assert [x["step"] for x in lines] == [1, 2, 3, 4, 5]
    held = lines[-1]["heldout_bits_per_byte"]
    assert {"image-rgb", "image-gray"} <= set(held) and all(0 < v < 16 for v in held.values())
    assert main(common + ["--steps", "7"]) == 2                # refuses to overwrite
    assert main(common + ["--steps", "7", "--resume"]) == 0
    assert torch.load(out / "checkpoint.pt", weights_only=False)["step"] == 7
    export = torch.load(out / "model_float.pt", weights_only=False)
    cfg = ModelConfig.from_dict(export["config"])
    assert cfg.n_text == TOKENIZER.n_text
    merged = OzNet(cfg)
    merged.merge_hira()
    assert set(export["state_dict"]) == set(merged.state_dict())
    assert export["tokenizer_sha256"] == TOKENIZER.sha256


def test_init_from_adds_the_above_pixel_input_to_a_trained_model(data_dir, tmp_path):
    """--init-from --above-pixel starts from the source weights with a zero table: before
    any step the new model computes exactly what the source did."""
    from tools.train.data import sample_batch
    from tools.train.loop import load_initial_weights, sequence_loss

    common = ["--config", "tiny", "--data", str(data_dir), "--batch", "2", "--max-len", "40",
              "--eval-seqs", "2", "--text-block", "64", "--warmup", "2"]
    assert main(common + ["--steps", "2", "--out", str(tmp_path / "src")]) == 0
    source = tmp_path / "src" / "checkpoint.pt"
    cfg = ModelConfig.from_dict(torch.load(source, weights_only=False)["config"])
    plain, above = OzNet(cfg), OzNet(replace(cfg, above_pixel=True))
    load_initial_weights(plain, source)
    load_initial_weights(above, source)
    corpus = load_corpus(data_dir, TOKENIZER, text_block=64)
    batch = sample_batch(corpus.train[Modality.IMAGE_RGB], Modality.IMAGE_RGB, 2, 40,
                         np.random.default_rng(0))
    with torch.no_grad():
        assert float(sequence_loss(plain, Modality.IMAGE_RGB, batch, "cpu")[0]) == \
            float(sequence_loss(above, Modality.IMAGE_RGB, batch, "cpu")[0])
    assert main(common + ["--steps", "3", "--out", str(tmp_path / "new"), "--above-pixel",
                          "--init-from", str(source)]) == 0
    export = torch.load(tmp_path / "new" / "model_float.pt", weights_only=False)
    assert export["config"]["above_pixel"] is True
    assert export["state_dict"]["above.weight"].abs().sum() > 0     # it trained
    wider = replace(cfg, width=64, head_size=16)
    with pytest.raises(UsageError, match="width"):
        load_initial_weights(OzNet(wider), source)


def test_corpus_codes_speech_as_the_models_predictor_residual(data_dir):
    from ozarc.model.tokenizers.speech import residual_window

    raw = load_corpus(data_dir, TOKENIZER, text_block=64)
    residual = load_corpus(data_dir, TOKENIZER, text_block=64, speech_predictor=2)
    for part in ("train", "heldout"):
        a, b = getattr(raw, part)[Modality.SPEECH], getattr(residual, part)[Modality.SPEECH]
        assert a.n_bytes == b.n_bytes
        assert all(np.array_equal(residual_window(x, 2), y)
                   for x, y in zip(a.sequences, b.sequences, strict=True))
    seqs = residual.train[Modality.SPEECH].sequences + residual.heldout[Modality.SPEECH].sequences
    assert max(int(s[5::2].max()) for s in seqs) == 0    # a slow sine: past two samples, small
    assert raw.train[Modality.IMAGE_RGB].sequences[0].tolist() == \
        residual.train[Modality.IMAGE_RGB].sequences[0].tolist()


def test_corpus_codes_speech_as_the_adaptive_predictors_residual(data_dir):
    """An adaptive predictor runs over each utterance before it is cut into windows, as the
    codec runs it over a chunk."""
    from ozarc.model.tokenizers.speech import WINDOW, pcm_to_sequences
    from tools.train.data import item_sequences, read_items

    raw = load_corpus(data_dir, TOKENIZER, text_block=64)
    adaptive = load_corpus(data_dir, TOKENIZER, text_block=64, speech_predictor=16)
    changed = []
    for part in ("train", "heldout"):
        a, b = getattr(raw, part)[Modality.SPEECH], getattr(adaptive, part)[Modality.SPEECH]
        assert a.n_bytes == b.n_bytes
        assert [len(s) for s in a.sequences] == [len(s) for s in b.sequences]
        changed += [not np.array_equal(x, y) for x, y in zip(a.sequences, b.sequences)]
    assert changed and all(changed)
    path = next(p for p in sorted(data_dir.rglob("*")) if read_items(p) and
                read_items(p)[0][0] == Modality.SPEECH)
    modality, item = read_items(path)[0]
    pcm = np.ascontiguousarray(item, dtype="<i2").tobytes()
    got = [s for s, _, _ in item_sequences(modality, item, TOKENIZER, 64, speech_predictor=16)]
    want = pcm_to_sequences(pcm, WINDOW, 16)
    assert len(got) == len(want) and all(np.array_equal(x, y) for x, y in zip(got, want))


def test_cli_speech_predictor_fine_tunes_a_raw_pcm_model(data_dir, tmp_path):
    """--speech-predictor with --init-from: the same tensors, the switch in the exported
    config, and the held-out speech measured on residual windows (no longer the raw figure)."""
    common = ["--config", "tiny", "--data", str(data_dir), "--batch", "2", "--max-len", "40",
              "--eval-seqs", "2", "--text-block", "64", "--warmup", "2"]
    assert main(common + ["--steps", "2", "--out", str(tmp_path / "src")]) == 0
    assert main(common + ["--steps", "2", "--out", str(tmp_path / "new"), "--speech-predictor",
                          "2", "--init-from", str(tmp_path / "src" / "checkpoint.pt")]) == 0
    export = torch.load(tmp_path / "new" / "model_float.pt", weights_only=False)
    assert export["config"]["speech_predictor"] == 2
    assert ModelConfig.from_dict(export["config"]).speech_predictor == 2
    with pytest.raises(SystemExit):
        main(common + ["--steps", "2", "--out", str(tmp_path / "bad"), "--speech-predictor", "9"])


def test_bench_folder_is_refused(tmp_path):
    assert main(["--data", "/work/shared/bench", "--steps", "1", "--out", str(tmp_path)]) == 2


def _tiny_run(corpus, out, steps, resume=False, stage_steps=(0, 0)):
    cfg = ModelConfig(n_text=TOKENIZER.n_text, width=32, n_layers=1, hira_factor=1)
    settings = TrainSettings(steps=steps, batch_per_modality=2, max_len=24, warmup=0,
                             lr_min_ratio=1.0, eval_every=100, eval_seqs=1, checkpoint_every=1,
                             stage_steps=stage_steps)
    train(cfg, corpus, settings, out, resume=resume)
    return torch.load(out / "checkpoint.pt", weights_only=False)["model"]


def test_resumed_run_equals_an_uninterrupted_one(data_dir, tmp_path):
    corpus = load_corpus(data_dir, TOKENIZER, text_block=64)
    straight = _tiny_run(corpus, tmp_path / "a", 4)
    _tiny_run(corpus, tmp_path / "b", 2)
    resumed = _tiny_run(corpus, tmp_path / "b", 4, resume=True)
    for key, value in straight.items():
        torch.testing.assert_close(resumed[key], value, rtol=0, atol=0)


def test_staged_schedule_keeps_frozen_experts_fixed(data_dir, tmp_path):
    corpus = load_corpus(data_dir, TOKENIZER, text_block=64)
    start = _tiny_run(corpus, tmp_path / "c", 1, stage_steps=(10, 0))
    later = _tiny_run(corpus, tmp_path / "c", 3, resume=True, stage_steps=(10, 0))
    ffn = [k for k in start if ".ffn.experts." in k or ".ffn.router." in k]
    assert ffn and all(torch.equal(start[k], later[k]) for k in ffn)
    assert not torch.equal(start["blocks.0.att.receptance.weight"], later["blocks.0.att.receptance.weight"])


def test_bf16_autocast_loss_is_close_to_float32():
    from tools.train.loop import sequence_loss
    torch.manual_seed(0)
    net = OzNet(ModelConfig(n_text=64, width=32, n_layers=1))
    for p in net.parameters():
        if p.ndim > 1:                                     # open the zero-initialised matrices
            torch.nn.init.normal_(p, std=0.2)
    batch = pad_batch(Modality.SPEECH, [np.arange(50) % 256, np.arange(30) * 3 % 256])
    with torch.no_grad():
        full, _, n = sequence_loss(net, Modality.SPEECH, batch, "cpu")
        half, _, n_half = sequence_loss(net, Modality.SPEECH, batch, "cpu", bf16=True)
    assert n == n_half == 80
    assert abs(float(full) - float(half)) < 0.05 * float(full)
