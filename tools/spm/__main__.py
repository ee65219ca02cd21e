"""python -m tools.spm {corpus,train,measure}: build the corpus, train the shipped model, compare sizes.

    python -m tools.spm corpus --out /tmp/spm
    python -m tools.spm train --corpus /tmp/spm --vocab 4096 --out ozarc/model/files/text.spm.model
    python -m tools.spm measure --corpus /tmp/spm --vocab 1024 2048 4096 8192 16384
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tools.spm.corpus import build
from tools.spm.train import tokens_per_byte, train


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tools.spm")
    sub = parser.add_subparsers(dest="command", required=True)
    p_corpus = sub.add_parser("corpus", help="collect train.txt / heldout.txt")
    p_corpus.add_argument("--out", type=Path, required=True)
    p_train = sub.add_parser("train", help="train one model")
    p_train.add_argument("--corpus", type=Path, required=True)
    p_train.add_argument("--vocab", type=int, default=4096)
    p_train.add_argument("--no-split-digits", action="store_true")
    p_train.add_argument("--out", type=Path, required=True)
    p_measure = sub.add_parser("measure", help="tokens/byte on held-out text per vocabulary size")
    p_measure.add_argument("--corpus", type=Path, required=True)
    p_measure.add_argument("--vocab", type=int, nargs="+", default=[1024, 2048, 4096, 8192, 16384])
    args = parser.parse_args(argv)

    if args.command == "corpus":
        print(build(args.out))
    elif args.command == "train":
        model = train(args.corpus / "train.txt", args.vocab, split_digits=not args.no_split_digits)
        args.out.write_bytes(model)
        print(f"{args.out}: {len(model)} bytes, "
              f"{tokens_per_byte(model, args.corpus / 'heldout.txt'):.4f} tokens/byte held-out")
    else:
        print("vocab  split_digits  model_bytes  tokens/byte")
        for vocab in args.vocab:
            for split in (True, False):
                model = train(args.corpus / "train.txt", vocab, split_digits=split)
                tpb = tokens_per_byte(model, args.corpus / "heldout.txt")
                print(f"{vocab:5d}  {split!s:12}  {len(model):11d}  {tpb:.4f}", flush=True)


if __name__ == "__main__":
    main()
