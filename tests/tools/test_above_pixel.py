"""The above-pixel A/B experiment (tools/experiments/above_pixel.py): both arms train the
real network, the second with the ``above_pixel`` switch, and are measured on a folder."""

import json

import numpy as np
import torch
from PIL import Image

from ozarc.model.config import ModelConfig
from tools.experiments.above_pixel import arm_config, main, measure
from tools.train.presets import preset


def test_arms_differ_only_in_the_switch():
    cfg = preset("tiny", 16)
    assert arm_config(cfg, "plain") == cfg
    assert arm_config(cfg, "above") == ModelConfig(**{**cfg.to_dict(), "above_pixel": True})


def test_both_arms_train_and_are_measured_on_a_folder(tmp_path):
    """A two-step run of each arm on a synthetic image folder, then --measure on another
    (with a narrow right-edge patch): both arms report bits per sub-pixel, and they differ
    (the above arm has its input)."""
    rng = np.random.default_rng(0)
    data = tmp_path / "data"
    data.mkdir()
    images = {f"{i:05d}": rng.integers(0, 256, (40, 40, 3), dtype=np.uint8) for i in range(4)}
    np.savez(data / "rgb_train.npz", **images)
    np.savez(data / "rgb_heldout.npz", x=rng.integers(0, 256, (32, 32, 3), dtype=np.uint8))
    photos = tmp_path / "photos"
    photos.mkdir()
    y, x = np.mgrid[0:48, 0:40]
    Image.fromarray(np.stack([x * 5, y * 5, x + y], -1).astype(np.uint8)).save(photos / "a.ppm")
    out = tmp_path / "runs"
    assert main(["--data", str(data), "--steps", "2", "--config", "tiny", "--out", str(out)]) == 0
    assert set(json.loads((out / "results.json").read_text())) == {"plain", "above"}
    exported = {arm: json.dumps(torch.load(out / arm / "model_float.pt",
                                           weights_only=False)["config"])
                for arm in ("plain", "above")}
    assert "above_pixel" in exported["above"] and "above_pixel" not in exported["plain"]
    figures = measure(photos, ["plain", "above"], out, every=1)
    assert set(figures) == {"plain", "above"}
    assert all(0 < bits < 9 for bits in figures.values())
    assert figures["plain"] != figures["above"]
