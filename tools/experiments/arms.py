"""What the A/B experiments here share: the arms' common command-line options, training the
arms alike (same preset, seed, batches and steps; each arm changes only its config or its
view of the corpus), and the float cross-entropy of an arm's trained network on sequences."""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from ozarc.modality import Modality
from ozarc.model.config import ModelConfig
from ozarc.model.network import OzNet
from ozarc.model.tokenizers.text import default_model_bytes, tokenizer_for
from tools.train import loop
from tools.train.data import Corpus, load_corpus
from tools.train.presets import preset

# (arm, the preset's config, the corpus) -> the arm's config and corpus
ArmSetup = Callable[[str, ModelConfig, Corpus], tuple[ModelConfig, Corpus]]


def add_arm_options(p: argparse.ArgumentParser, arms: str, steps: int, every: int) -> None:
    """The options every experiment takes besides its --data and --measure."""
    p.add_argument("--every", type=int, default=every)
    p.add_argument("--steps", type=int, default=steps)
    p.add_argument("--config", default="small")
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--arms", default=arms)


def train_arms(args: argparse.Namespace, setup: ArmSetup) -> dict:
    """Train each of ``args.arms`` on ``args.data`` into ``args.out / arm``; write and return
    every arm's last held-out figures.  An arm whose config codes speech with another
    predictor than the preset's is trained on the corpus as that model codes it."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    tokenizer = tokenizer_for(default_model_bytes())
    corpus = load_corpus(args.data, tokenizer)
    cfg = preset(args.config, tokenizer.n_text)
    settings = loop.TrainSettings(steps=args.steps, batch_per_modality=args.batch, max_len=769,
                                  lr=args.lr, eval_every=max(args.steps // 4, 1),
                                  checkpoint_every=args.steps)
    results = {}
    for arm in args.arms.split(","):
        arm_cfg, arm_corpus = setup(arm, cfg, corpus)
        if arm_cfg.speech_predictor != cfg.speech_predictor:
            arm_corpus = load_corpus(args.data, tokenizer,
                                     speech_predictor=arm_cfg.speech_predictor)
        results[arm] = loop.train(arm_cfg, arm_corpus, settings, args.out / arm)
        print(arm, json.dumps(results[arm]), flush=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    return results


def load_arm(out: Path, arm: str) -> OzNet:
    """The float network an arm's run left in ``out / arm``, in eval mode."""
    checkpoint = torch.load(out / arm / loop.CHECKPOINT, weights_only=False)
    net = OzNet(ModelConfig.from_dict(checkpoint["config"]))
    net.load_state_dict(checkpoint["model"])
    net.eval()
    return net


def float_bits(net: OzNet, modality: Modality, sequences: list[np.ndarray],
               rows: list[int] | None = None, batch: int = 16) -> tuple[float, int]:
    """(bits, symbols): the network's cross-entropy over ``sequences`` on the CPU
    (``loop.sequence_bits``), 16 sequences per pass as the experiments' figures were taken."""
    return loop.sequence_bits(net, modality, sequences, rows, "cpu", batch)
