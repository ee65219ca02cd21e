"""The quantisation-aware phase trains exactly the int8 weights the exporter writes, and a run
that enters it checkpoints, resumes and ships like any other."""

import json

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

from ozarc.model.config import ModelConfig
from ozarc.model.exact.fixed import ROUTER_WEIGHT_MAX, WEIGHT_MAX, quantize_rows
from ozarc.model.export import export_model
from ozarc.model.network import OzNet
from tests.tools.test_train import TOKENIZER, data_dir  # noqa: F401  (fixture)
from tools.ship.__main__ import merged_state_dict
from tools.train.data import load_corpus
from tools.train.heldout import main as heldout_main
from tools.train.loop import TrainSettings, in_qat_phase, train
from tools.train.qat import dequantised_rows, fake_quant_params


def _dequantise(q, mult, shift) -> np.ndarray:
    return q.astype(np.float64) * (mult.astype(np.float64) / 2.0 ** shift.astype(np.float64))[:, None]


@settings(max_examples=40, deadline=None)
@given(rows=st.integers(1, 6), cols=st.integers(1, 9), seed=st.integers(0, 2 ** 31),
       log_scale=st.floats(-12, 3), router=st.booleans(), zero_row=st.booleans())
def test_dequantised_rows_match_the_exporter(rows, cols, seed, log_scale, router, zero_row):
    w = np.random.default_rng(seed).normal(size=(rows, cols)) * 2.0 ** log_scale
    if zero_row:
        w[0] = 0.0
    qmax = ROUTER_WEIGHT_MAX if router else WEIGHT_MAX
    expected = _dequantise(*quantize_rows(w, qmax))
    got = dequantised_rows(torch.from_numpy(w), qmax).numpy()
    assert np.array_equal(got, expected)


def _random_merged_net(config: ModelConfig, seed: int = 0) -> OzNet:
    torch.manual_seed(seed)
    net = OzNet(config)
    net.merge_hira()
    with torch.no_grad():
        for p in net.parameters():
            if p.ndim > 1:                                   # open the zero-initialised matrices
                torch.nn.init.normal_(p, std=0.2)
    return net


def _exported_weights(ozm, config: ModelConfig) -> dict[str, np.ndarray]:
    """The exporter's int8 matrices, dequantised, cut back into the network's parameters."""
    t = ozm.tensors

    def linear(name):
        return _dequantise(t[name + ".q"], t[name + ".mult"], t[name + ".shift"])

    out = {"head.weight": linear("head")}
    C, E = config.width, config.n_experts
    for i in range(config.n_layers):
        p = f"blocks.{i}."
        for proj in ("receptance", "key", "output"):
            out[p + f"att.{proj}.weight"] = linear(p + "att." + proj)
        for part in ("att.value", "ffn"):
            out[p + part + ".router.weight"] = linear(p + part + ".router")
        for e, rows in enumerate(np.split(linear(p + "att.value"), E, axis=0)):
            out[p + f"att.value.experts.{e}.weight"] = rows
        for e, rows in enumerate(np.split(linear(p + "ffn.key"), E, axis=0)):
            out[p + f"ffn.experts.{e}.key.weight"] = rows
        for e, cols in enumerate(np.split(linear(p + "ffn.value"), E, axis=1)):
            out[p + f"ffn.experts.{e}.value.weight"] = cols
    return out


def test_fake_quant_weights_are_the_exported_ones():
    config = ModelConfig(n_text=64, width=32, n_layers=2)
    net = _random_merged_net(config)
    swapped = fake_quant_params(net)
    matrices = {n for n, p in net.named_parameters()
                if p.ndim == 2 and n.endswith(".weight") and n != "emb.weight"}
    assert set(swapped) == matrices                  # every exported matrix, nothing else
    ozm = export_model(net.state_dict(), config, "t")
    exported = _exported_weights(ozm, config)
    assert set(exported) == matrices
    for name, value in swapped.items():
        # int8 weights times a 15-bit mantissa fit float32 exactly; router weights (12 bits)
        # are the exporter's value rounded once to float32
        want = torch.from_numpy(exported[name]).float()
        assert torch.equal(value.detach(), want), name


def test_fake_quant_passes_the_gradient_straight_through():
    config = ModelConfig(n_text=64, width=32, n_layers=1)
    net = _random_merged_net(config)
    swapped = fake_quant_params(net)
    loss = sum((w * (i + 1)).sum() for i, w in enumerate(swapped.values()))
    loss.backward()
    for i, name in enumerate(swapped):
        grad = dict(net.named_parameters())[name].grad
        assert torch.equal(grad, torch.full_like(grad, float(i + 1))), name


def test_fake_quant_refuses_an_unmerged_net():
    with pytest.raises(ValueError, match="merge"):
        fake_quant_params(OzNet(ModelConfig(n_text=64, width=32, n_layers=1)))


def test_phase_is_the_last_qat_steps():
    s = TrainSettings(steps=10, qat_steps=3)
    assert [in_qat_phase(i, s) for i in range(10)] == [False] * 7 + [True] * 3
    assert not any(in_qat_phase(i, TrainSettings(steps=10)) for i in range(10))


def _qat_run(corpus, out, steps, qat_steps, resume=False):
    cfg = ModelConfig(n_text=TOKENIZER.n_text, width=32, n_layers=1, hira_factor=1)
    s = TrainSettings(steps=steps, batch_per_modality=2, max_len=24, warmup=0, lr_min_ratio=1.0,
                      eval_every=100, eval_seqs=1, checkpoint_every=1, qat_steps=qat_steps)
    train(cfg, corpus, s, out, resume=resume)
    return torch.load(out / "checkpoint.pt", weights_only=False)


def test_qat_run_merges_trains_resumes_and_ships(data_dir, tmp_path):  # noqa: F811
    corpus = load_corpus(data_dir, TOKENIZER, text_block=64)
    before = _qat_run(corpus, tmp_path / "plain", 2, 0)
    straight = _qat_run(corpus, tmp_path / "a", 4, 2)
    assert straight["hira_merged"] and not any("hira_" in k for k in straight["model"])
    log = [json.loads(x) for x in (tmp_path / "a" / "log.jsonl").read_text().splitlines()]
    assert [x.get("qat", False) for x in log] == [False, False, True, True]
    assert "image-rgb" in log[-1]["heldout_bits_per_byte"]
    # the QAT steps moved the float weights (the gradient went through the int8 forward)
    merged = OzNet(ModelConfig.from_dict(before["config"]))
    merged.load_state_dict(before["model"])
    merged.merge_hira()
    w = "blocks.0.att.receptance.weight"
    assert not torch.equal(merged.state_dict()[w], straight["model"][w])
    # stopping inside the QAT phase and resuming gives the uninterrupted run, bit for bit
    _qat_run(corpus, tmp_path / "b", 3, 1)
    resumed = _qat_run(corpus, tmp_path / "b", 4, 2, resume=True)
    for key, value in straight["model"].items():
        torch.testing.assert_close(resumed["model"][key], value, rtol=0, atol=0)
    # the checkpoint and the float export both ship
    config, state = merged_state_dict(straight)
    export = torch.load(tmp_path / "a" / "model_float.pt", weights_only=False)
    _, from_export = merged_state_dict(export)
    assert set(state) == set(from_export)
    assert all(np.array_equal(state[k], from_export[k]) for k in state)


def test_heldout_tool_reports_the_logged_int8_figures(data_dir, tmp_path, capsys):  # noqa: F811
    corpus = load_corpus(data_dir, TOKENIZER, text_block=64)
    _qat_run(corpus, tmp_path / "q", 3, 1)
    logged = json.loads((tmp_path / "q" / "log.jsonl").read_text().splitlines()[-1])
    assert heldout_main([str(tmp_path / "q" / "checkpoint.pt"), "--data", str(data_dir),
                         "--text-block", "64", "--eval-seqs", "1"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["step"] == 3
    # the run's last held-out figures are of the int8-weight model (the QAT phase)
    assert record["int8_weights"] == pytest.approx(logged["heldout_bits_per_byte"], rel=1e-6)
    assert set(record["float"]) == set(record["int8_weights"])
