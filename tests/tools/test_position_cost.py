"""tools/position_cost.py: per-position code length of a checkpoint's float network."""

import math

import numpy as np
import torch
from PIL import Image

from ozarc.modality import Modality
from ozarc.model.config import ModelConfig
from ozarc.model.network import OzNet
from tools.position_cost import folder_sequences, load_float_net, main, position_bits, summary
from tools.train.data import pad_batch
from tools.train.loop import sequence_loss


def _checkpoint(path, merged: bool):
    torch.manual_seed(1)
    net = OzNet(ModelConfig(n_text=4096, width=32, n_layers=1))
    with torch.no_grad():
        for p in net.parameters():
            if p.ndim > 1:
                torch.nn.init.normal_(p, std=0.2)
    if merged:
        net.merge_hira()
    torch.save({"config": net.config.to_dict(), "model": net.state_dict()}, path)
    return net


def test_position_bits_average_to_the_training_loss(tmp_path):
    net = _checkpoint(tmp_path / "c.pt", merged=False)
    folder = tmp_path / "img"
    folder.mkdir()
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (32, 40, 3), dtype=np.uint8)).save(folder / "a.png")
    modality, seqs = folder_sequences(folder, every=1, limit=100)
    assert modality == Modality.IMAGE_RGB and len(seqs) == 4          # the full 16x16 patches
    loaded = load_float_net(tmp_path / "c.pt")
    bits = position_bits(loaded, modality, seqs, batch=3)
    with torch.no_grad():
        ce, _, n = sequence_loss(net, modality, pad_batch(modality, seqs), "cpu")
    assert n == bits.size * len(seqs)
    assert abs(bits.mean() - float(ce) / math.log(2)) < 1e-4


def test_summary_groups_patch_edges_and_spans():
    grid = np.full((16, 16, 3), 4.0)
    grid[0, :] = 6.0
    grid[:, 0] = 5.0
    grid[0, 0] = 8.0
    lines = summary(Modality.IMAGE_RGB, grid.reshape(-1))
    assert "first pixel 8.00; rest of first row 6.00; rest of first column 5.00; interior 4.000" in lines[1]
    speech = np.r_[np.full(16, 9.0), np.full(1008, 3.0)]
    lines = summary(Modality.SPEECH, speech)
    assert "positions 0-16: 9.000" in lines and "positions 512-1024: 3.000" in lines


def test_cli_reads_unknown_files_as_text(tmp_path, capsys):
    _checkpoint(tmp_path / "m.pt", merged=True)
    folder = tmp_path / "calgary"
    folder.mkdir()
    (folder / "paper1").write_text("The river rose overnight after the storm. " * 400)
    assert main([str(tmp_path / "m.pt"), str(folder), "--every", "1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("text: ") and "cold start" in out
