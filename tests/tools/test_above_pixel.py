"""The above-pixel experiment feeds each position the symbol one patch row above the one it
predicts (tools/experiments/above_pixel.py)."""

import torch
from hypothesis import given, settings, strategies as st

from ozarc.modality import Modality
from ozarc.model.vocab import PREFIX_TOKEN
from tools.experiments.above_pixel import NONE, ROW_TOKENS, AbovePixelNet, above_symbols
from tools.train.presets import preset


@settings(max_examples=30, deadline=None)
@given(modality=st.sampled_from([Modality.IMAGE_RGB, Modality.IMAGE_GRAY]),
       length=st.integers(1, 120), seed=st.integers(0, 2**31))
def test_position_t_sees_the_symbol_one_row_above_the_one_it_predicts(modality, length, seed):
    symbols = torch.randint(0, 256, (2, length), generator=torch.Generator().manual_seed(seed))
    prefix = torch.full((2, 1), PREFIX_TOKEN[modality])
    inputs = torch.cat([prefix, symbols[:, :-1]], dim=1)   # input t holds s_{t-1}
    above = above_symbols(inputs, modality)
    row = ROW_TOKENS[modality]
    for t in range(length):
        expected = symbols[:, t - row] if t >= row else torch.full((2,), NONE)
        assert torch.equal(above[:, t], expected)


def test_the_experiment_network_runs_on_images_and_text():
    net = AbovePixelNet(preset("tiny", 16))
    torch.nn.init.normal_(net.head.weight)   # zero at init, which would stop every gradient
    tokens = torch.cat([torch.full((1, 1), PREFIX_TOKEN[Modality.IMAGE_RGB]),
                        torch.randint(0, 256, (1, 100))], dim=1)
    logits, _ = net(tokens, Modality.IMAGE_RGB)
    assert logits.shape == (1, 101, 256)
    logits.sum().backward()
    assert net.emb_above.weight.grad.abs().sum() > 0
    net.zero_grad()
    text = torch.cat([torch.full((1, 1), PREFIX_TOKEN[Modality.TEXT]),
                      torch.randint(264, 280, (1, 50))], dim=1)
    logits, _ = net(text, Modality.TEXT)
    assert logits.shape == (1, 51, 16)
    logits.sum().backward()
    assert net.emb_above.weight.grad is None or net.emb_above.weight.grad.abs().sum() == 0


def test_both_arms_train_and_are_measured_on_a_folder(tmp_path):
    """A two-step run of each arm on a synthetic image folder, then --measure on another:
    both arms report bits per sub-pixel, and the arms differ (the above arm has its input)."""
    import json

    import numpy as np
    from PIL import Image

    from tools.experiments.above_pixel import main

    rng = np.random.default_rng(0)
    data = tmp_path / "data"
    data.mkdir()
    images = {f"{i:05d}": rng.integers(0, 256, (40, 40, 3), dtype=np.uint8) for i in range(4)}
    np.savez(data / "rgb_train.npz", **images)
    np.savez(data / "rgb_heldout.npz", x=rng.integers(0, 256, (32, 32, 3), dtype=np.uint8))
    photos = tmp_path / "photos"
    photos.mkdir()
    y, x = np.mgrid[0:48, 0:48]
    Image.fromarray(np.stack([x * 5, y * 5, x + y], -1).astype(np.uint8)).save(photos / "a.ppm")
    out = tmp_path / "runs"
    assert main(["--data", str(data), "--steps", "2", "--config", "tiny", "--out", str(out)]) == 0
    assert set(json.loads((out / "results.json").read_text())) == {"plain", "above"}
    # the experiment's network is never exported for the engine, and leaks into no other run
    assert (out / "plain" / "model_float.pt").exists()
    assert not (out / "above" / "model_float.pt").exists()
    from ozarc.model.network import OzNet
    from tools.train import loop
    assert loop.OzNet is OzNet
    from tools.experiments.above_pixel import measure
    figures = measure(photos, ["plain", "above"], out, every=1)
    assert set(figures) == {"plain", "above"}
    assert all(0 < bits < 9 for bits in figures.values())
    assert figures["plain"] != figures["above"]
