"""Ship a trained model: checkpoint -> merged float weights -> integer .ozm -> the package.

    python -m tools.ship runs/default-v1/checkpoint.pt --name default [--dir ozarc/model/files]
    python -m tools.ship runs/high/checkpoint.pt --name high --defer speech=default

Reads a training checkpoint (or a ``model_float.pt`` export), merges the HiRA branches,
quantises with :func:`ozarc.model.export.export_model`, embeds the text tokenizer the model
was trained with, and installs the file under its content hash with ``install_model``;
``--defer TAG=NAME`` records that the model's level codes that modality with another model
(``ozarc.model.registry.deferrals``), where held-out figures show the other one better.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

from ozarc.modality import Modality
from ozarc.model.config import ModelConfig
from ozarc.model.export import export_model
from ozarc.model.ozm import write_ozm
from ozarc.model.registry import FILES_DIR, install_model
from ozarc.model.tokenizers.text import default_model_bytes
from tools.train.loop import merged_net


def merged_state_dict(checkpoint: dict) -> tuple[ModelConfig, dict]:
    """The contract's state dict (HiRA merged) from a checkpoint or a float export."""
    net = merged_net(checkpoint)
    return net.config, {k: v.detach().double().cpu().numpy() for k, v in net.state_dict().items()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.ship", description=__doc__.split("\n")[0])
    parser.add_argument("checkpoint", type=Path)
    parser.add_argument("--name", default="default")
    parser.add_argument("--dir", type=Path, default=FILES_DIR)
    parser.add_argument("--defer", action="append", default=[], metavar="TAG=NAME",
                        help="code modality TAG with the model NAME at this model's level")
    args = parser.parse_args(argv)
    try:
        defer = dict(item.split("=", 1) for item in args.defer)
    except ValueError:
        parser.error("--defer takes TAG=NAME, e.g. speech=default")
    unknown = set(defer) - {m.tag for m in Modality}
    if unknown:
        parser.error(f"--defer: unknown modality {', '.join(sorted(unknown))}")
    checkpoint = torch.load(args.checkpoint, map_location="cpu", weights_only=False)
    config, state = merged_state_dict(checkpoint)
    meta = {"source": str(args.checkpoint.name), "step": int(checkpoint.get("step", -1))}
    data = write_ozm(export_model(state, config, args.name, default_model_bytes(), meta))
    ref = install_model(data, args.name, args.dir, defer)
    print(f"installed {ref.name} {ref.sha256} ({len(data)} bytes) in {args.dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
