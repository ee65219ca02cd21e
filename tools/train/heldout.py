"""Held-out bits/Byte of training checkpoints: the float network and its int8-weight form.

    python -m tools.train.heldout --data /work/corpus runs/high2/checkpoint.pt runs/x.pt

Why: the training log has the held-out figures of one run at its own steps; comparing runs
(a quantisation-aware phase against none, two checkpoints of one run) needs the same figures
for any checkpoint, and the int8-weight column says what rounding the weights to the
exporter's int8 rows costs before any model file is written.  One JSON line per checkpoint.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

from ozarc.model.tokenizers.text import default_model_bytes, tokenizer_for
from tools.train.data import load_corpus
from tools.train.loop import evaluate, merged_net


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.train.heldout",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("checkpoints", nargs="+", type=Path)
    parser.add_argument("--data", required=True, type=Path, help="the training corpus folder")
    parser.add_argument("--text-block", type=int, default=1024)
    parser.add_argument("--eval-seqs", type=int, default=32)
    args = parser.parse_args(argv)
    corpora = {}  # speech predictor -> the corpus as that model sees it
    for path in args.checkpoints:
        checkpoint = torch.load(path, map_location="cpu", weights_only=False)
        net = merged_net(checkpoint)
        predictor = net.config.speech_predictor
        if predictor not in corpora:
            corpora[predictor] = load_corpus(args.data, tokenizer_for(default_model_bytes()),
                                             args.text_block, speech_predictor=predictor)
        corpus = corpora[predictor]
        record = {"checkpoint": str(path), "step": checkpoint.get("step"),
                  "float": evaluate(net, corpus.heldout, args.eval_seqs, "cpu"),
                  "int8_weights": evaluate(net, corpus.heldout, args.eval_seqs, "cpu",
                                           quantised=True)}
        print(json.dumps(record), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
