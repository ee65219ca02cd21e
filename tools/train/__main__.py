"""Command line: python -m tools.train --config small --data DIR --steps N --device cpu --out runs/X"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from ozarc.errors import OzarcError, UsageError
from ozarc.model.tokenizers.speech import PREDICTOR_ORDERS
from ozarc.model.tokenizers.text import default_model_bytes, tokenizer_for
from tools.train.data import load_corpus
from tools.train.loop import TrainSettings, train
from tools.train.presets import PRESETS, preset

FORBIDDEN_DATA = Path("/work/shared/bench")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m tools.train", description=__doc__)
    p.add_argument("--config", default="small", choices=sorted(PRESETS))
    p.add_argument("--data", required=True, type=Path, help="folder of training files")
    p.add_argument("--steps", required=True, type=int)
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--resume", action="store_true", help="continue the checkpoint in --out")
    p.add_argument("--init-from", type=Path, default=None,
                   help="start a fresh run from this checkpoint's weights")
    p.add_argument("--above-pixel", action="store_true",
                   help="image inputs also see the sub-pixel one row up (ozarc.model.above)")
    p.add_argument("--speech-predictor", type=int, choices=PREDICTOR_ORDERS, default=None,
                   help="speech as a predictor's residual: 1-4 FLAC's fixed predictor of this "
                        "order per window, 8/16/32 the adaptive linear predictor of this order "
                        "per chunk (ozarc.model.tokenizers.speech; default: the preset's, 0)")
    p.add_argument("--batch", type=int, default=8, help="sequences per modality per step")
    p.add_argument("--max-len", type=int, default=None, help="crop training sequences")
    p.add_argument("--text-block", type=int, default=1024, help="text tokens per sequence")
    p.add_argument("--max-items", type=int, default=None, help="items per modality (smoke runs)")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--warmup", type=int, default=100)
    p.add_argument("--lr-min-ratio", type=float, default=0.1)
    p.add_argument("--weight-decay", type=float, default=0.01)
    p.add_argument("--grad-clip", type=float, default=1.0)
    p.add_argument("--stage-steps", default="0,0",
                   help="A,B: first A steps FFN experts frozen, next B value experts frozen")
    p.add_argument("--router-noise", type=float, default=0.0)
    p.add_argument("--qat-steps", type=int, default=0,
                   help="the last N steps train the int8 weights the exporter writes")
    p.add_argument("--eval-every", type=int, default=500)
    p.add_argument("--eval-seqs", type=int, default=32)
    p.add_argument("--checkpoint-every", type=int, default=500)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--bf16", action="store_true", help="bfloat16 autocast (GPU runs)")
    p.add_argument("--layers", type=int, default=None)
    p.add_argument("--hira-factor", type=int, default=None)
    p.add_argument("--dense-ffn", action="store_true", help="ablation: no MoE in the FFN")
    p.add_argument("--dense-v", action="store_true", help="ablation: no MoE in the value")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    try:
        data = args.data.resolve()
        if data == FORBIDDEN_DATA or FORBIDDEN_DATA in data.parents:
            raise UsageError("the benchmark set is never training data; pick another --data")
        try:
            stage_steps = tuple(int(x) for x in args.stage_steps.split(","))
            assert len(stage_steps) == 2
        except (ValueError, AssertionError):
            raise UsageError("--stage-steps takes two integers, e.g. 1000,1000") from None
        tokenizer = tokenizer_for(default_model_bytes())
        cfg = preset(args.config, tokenizer.n_text, n_layers=args.layers,
                     hira_factor=args.hira_factor,
                     moe_ffn=False if args.dense_ffn else None,
                     moe_v=False if args.dense_v else None,
                     above_pixel=True if args.above_pixel else None,
                     speech_predictor=args.speech_predictor)
        corpus = load_corpus(data, tokenizer, args.text_block, args.max_items,
                             speech_predictor=cfg.speech_predictor)
        settings = TrainSettings(
            steps=args.steps, batch_per_modality=args.batch, max_len=args.max_len, lr=args.lr,
            lr_min_ratio=args.lr_min_ratio, warmup=args.warmup, weight_decay=args.weight_decay,
            grad_clip=args.grad_clip, stage_steps=stage_steps, router_noise=args.router_noise,
            eval_every=args.eval_every, eval_seqs=args.eval_seqs,
            checkpoint_every=args.checkpoint_every, seed=args.seed, bf16=args.bf16,
            qat_steps=args.qat_steps)
        figures = train(cfg, corpus, settings, args.out, args.device, args.resume,
                        tokenizer.sha256, init_from=args.init_from)
    except OzarcError as error:
        print(f"ozarc train: {error}", file=sys.stderr)
        return error.exit_code
    print(" ".join(f"{tag}={bpb:.3f}" for tag, bpb in figures.items()) + " bits/Byte held out")
    return 0


if __name__ == "__main__":
    sys.exit(main())
