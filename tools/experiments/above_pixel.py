"""Does the network code photographs better when it is told the pixel above?

Why: in a 16x16 patch in raster order (R, G, B interleaved) the pixel above the one being
coded is 48 tokens back, and the position-cost measurement (MODELS.md, "Where the bits go")
found the interior barely improving down the patch: the recurrent state keeps little of it.
The model's ``above_pixel`` switch (ozarc.model.above) gives the network one more input, an
embedding of the same channel's value one patch row up.  This A/B trains the same network
twice on the corpus's images only, same seed and batches -- plain, and with the switch -- and
reports held-out bits per byte; nothing from shared/bench is read.

    python -m tools.experiments.above_pixel --data /work/corpus/images --steps 400 --out runs/above
    python -m tools.experiments.above_pixel --measure /tmp/kodak-ppm --every 8 --out runs/above

``--measure`` codes every N-th patch of the images in a folder with both arms' trained
float networks (a measurement; the folder may be a benchmark set, it trains nothing).
(The figures in MODELS.md were measured with the first version of this experiment, which
added the embedding before LN0 and gave narrow edge patches a full-width row.)
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
from dataclasses import replace
from pathlib import Path

import torch

from ozarc.modality import Modality
from ozarc.model.config import ModelConfig
from ozarc.model.network import OzNet
from ozarc.model.tokenizers.text import default_model_bytes, tokenizer_for
from tools.experiments.images import folder_pixels
from tools.train import loop
from tools.train.data import load_corpus
from tools.train.presets import preset


def arm_config(cfg: ModelConfig, arm: str) -> ModelConfig:
    """The arm's network: ``plain`` as given, ``above`` with the above-pixel input."""
    return replace(cfg, above_pixel=arm == "above")


@torch.no_grad()
def measure(folder: Path, arms: list[str], out: Path, every: int) -> dict[str, float]:
    """Bits per sub-pixel of each arm's trained network on every ``every``-th patch of the
    images in ``folder`` (float network, no coder: the cross-entropy)."""
    from ozarc.model.above import patch_rows
    from ozarc.model.tokenizers.image import image_to_sequences
    from tools.train.data import pad_batch

    patches: dict[Modality, list] = {Modality.IMAGE_RGB: [], Modality.IMAGE_GRAY: []}
    for _, pixels in folder_pixels(folder):
        h, w, c = pixels.shape
        modality = Modality.IMAGE_GRAY if c == 1 else Modality.IMAGE_RGB
        pairs = list(zip(image_to_sequences(pixels.tobytes(), h, w, c), patch_rows(h, w, c)))
        patches[modality] += pairs[::every]
    result = {}
    for arm in arms:
        checkpoint = torch.load(out / arm / loop.CHECKPOINT, weights_only=False)
        net = OzNet(ModelConfig.from_dict(checkpoint["config"]))
        net.load_state_dict(checkpoint["model"])
        net.eval()
        bits = symbols = 0.0
        for modality, pairs in patches.items():
            for start in range(0, len(pairs), 16):
                chunk = pairs[start:start + 16]
                batch = pad_batch(modality, [s for s, _ in chunk], [r for _, r in chunk])
                ce, _, n = loop.sequence_loss(net, modality, batch, "cpu")
                bits += float(ce) * n / math.log(2)
                symbols += n
        result[arm] = bits / max(symbols, 1)
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, help="folder of training images")
    p.add_argument("--measure", type=Path, help="folder of images to code with trained arms")
    p.add_argument("--every", type=int, default=8)
    p.add_argument("--steps", type=int, default=400)
    p.add_argument("--config", default="small")
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--arms", default="plain,above")
    args = p.parse_args(argv)
    if args.measure:
        figures = measure(args.measure, args.arms.split(","), args.out, args.every)
        print(json.dumps({"folder": str(args.measure), "every": args.every,
                          "bits_per_subpixel": figures}))
        return 0
    if not args.data:
        p.error("--data or --measure is required")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    tokenizer = tokenizer_for(default_model_bytes())
    corpus = load_corpus(args.data, tokenizer)
    cfg = preset(args.config, tokenizer.n_text)
    settings = loop.TrainSettings(steps=args.steps, batch_per_modality=args.batch, max_len=769,
                                  lr=args.lr, eval_every=max(args.steps // 4, 1),
                                  checkpoint_every=args.steps)
    results = {}
    for arm in args.arms.split(","):
        results[arm] = loop.train(arm_config(cfg, arm), corpus, settings, args.out / arm)
        print(arm, json.dumps(results[arm]), flush=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
