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
import sys
from dataclasses import replace
from pathlib import Path

from ozarc.modality import Modality
from ozarc.model.config import ModelConfig
from tools.experiments.arms import add_arm_options, float_bits, load_arm, train_arms
from tools.experiments.images import folder_pixels


def arm_config(cfg: ModelConfig, arm: str) -> ModelConfig:
    """The arm's network: ``plain`` as given, ``above`` with the above-pixel input."""
    return replace(cfg, above_pixel=arm == "above")


def measure(folder: Path, arms: list[str], out: Path, every: int) -> dict[str, float]:
    """Bits per sub-pixel of each arm's trained network on every ``every``-th patch of the
    images in ``folder`` (float network, no coder: the cross-entropy)."""
    from ozarc.model.above import patch_rows
    from ozarc.model.tokenizers.image import image_to_sequences

    patches: dict[Modality, list] = {Modality.IMAGE_RGB: [], Modality.IMAGE_GRAY: []}
    for _, pixels in folder_pixels(folder):
        h, w, c = pixels.shape
        modality = Modality.IMAGE_GRAY if c == 1 else Modality.IMAGE_RGB
        pairs = list(zip(image_to_sequences(pixels.tobytes(), h, w, c), patch_rows(h, w, c)))
        patches[modality] += pairs[::every]
    result = {}
    for arm in arms:
        net = load_arm(out, arm)
        bits = symbols = 0
        for modality, pairs in patches.items():
            b, n = float_bits(net, modality, [s for s, _ in pairs], [r for _, r in pairs])
            bits, symbols = bits + b, symbols + n
        result[arm] = bits / max(symbols, 1)
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, help="folder of training images")
    p.add_argument("--measure", type=Path, help="folder of images to code with trained arms")
    add_arm_options(p, arms="plain,above", steps=400, every=8)
    args = p.parse_args(argv)
    if args.measure:
        figures = measure(args.measure, args.arms.split(","), args.out, args.every)
        print(json.dumps({"folder": str(args.measure), "every": args.every,
                          "bits_per_subpixel": figures}))
        return 0
    if not args.data:
        p.error("--data or --measure is required")
    train_arms(args, lambda arm, cfg, corpus: (arm_config(cfg, arm), corpus))
    return 0


if __name__ == "__main__":
    sys.exit(main())
