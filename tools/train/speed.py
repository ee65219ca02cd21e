"""Float-network throughput on this machine (not a test): python -m tools.train.speed

Whole-sequence forward (no grad), training step (forward + backward) and the one-token
recurrent step, in tokens/s, for the preset widths; plus chunked WKV against the per-token
loop at a training length."""

from __future__ import annotations

import argparse
import time

import torch

from ozarc.modality import Modality
from ozarc.model.config import ModelConfig
from ozarc.model.network import OzNet
from ozarc.model.wkv import wkv_chunked, wkv_sequential


def _rate(fn, tokens: int, repeat: int) -> float:
    fn()
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return tokens * repeat / (time.perf_counter() - start)


def measure(width: int, batch: int, length: int, repeat: int, device: str) -> dict:
    cfg = ModelConfig(width=width, n_layers=2)
    net = OzNet(cfg).to(device)
    tokens = torch.randint(0, 256, (batch, length), device=device)
    row = {"width": width, "params": net.count_params(),
           "params_no_emb": net.count_params(with_embedding=False),
           "params_training": net.count_params(with_hira=True)}
    with torch.no_grad():
        row["forward_tok_s"] = _rate(lambda: net(tokens, Modality.IMAGE_RGB), batch * length, repeat)

    def train_step():
        logits, aux = net(tokens, Modality.IMAGE_RGB)
        (logits.logsumexp(-1).mean() + aux).backward()
    row["train_tok_s"] = _rate(train_step, batch * length, repeat)
    net.merge_hira()
    state = net.initial_state(256)
    token = torch.randint(0, 256, (256,), device=device)
    with torch.no_grad():
        row["step_b256_tok_s"] = _rate(lambda: net.step(state, token, Modality.IMAGE_RGB), 256, 20)
    return row


def wkv_compare(length: int, device: str) -> dict:
    B, H, N = 8, 4, 16
    r, k, v, kappa = (torch.randn(B, length, H, N, device=device) for _ in range(4))
    alpha, lam = torch.rand(H, N, device=device), 0.6 + 0.4 * torch.rand(H, N, device=device)
    s = torch.zeros(B, H, N, N, device=device)
    return {"chunked_tok_s": _rate(lambda: wkv_chunked(s, r, k, v, kappa, alpha, lam), B * length, 3),
            "loop_tok_s": _rate(lambda: wkv_sequential(s, r, k, v, kappa, alpha, lam), B * length, 1)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--device", default="cpu")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--length", type=int, default=769)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--widths", default="64,96,128")
    args = p.parse_args()
    print(f"threads={torch.get_num_threads()} batch={args.batch} T={args.length}")
    for width in (int(w) for w in args.widths.split(",")):
        print(measure(width, args.batch, args.length, args.repeat, args.device))
    print("wkv (B=8, C=64):", wkv_compare(args.length, args.device))


if __name__ == "__main__":
    main()
