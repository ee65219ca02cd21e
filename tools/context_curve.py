"""How much longer sequences help: the float model's bits per byte by position in a sequence.

    python tools/context_curve.py runs/X/checkpoint.pt --text FILE... --speech WAV... [--length 2048]

Text is coded in independent blocks and speech in independent windows (each restarts the
recurrent state).  A longer block compresses better only as far as later positions get cheaper;
shorter blocks decode in parallel.  This prints, for block lengths L, the mean bits/Byte a
block of L tokens would cost (average over positions < L), from one forward pass over long
sequences.  Measurement only; it never writes anything.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np
import soundfile
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ozarc.modality import Modality  # noqa: E402
from ozarc.model.vocab import PREFIX_TOKEN, TEXT_BASE, symbol_range  # noqa: E402
from ozarc.model.tokenizers.speech import pcm_to_sequences  # noqa: E402
from ozarc.model.tokenizers.text import default_model_bytes, tokenizer_for  # noqa: E402
from tools.ship.__main__ import merged_state_dict  # noqa: E402
from ozarc.model.network import OzNet  # noqa: E402


def position_bits(net: OzNet, symbols: np.ndarray, modality: Modality) -> np.ndarray:
    """Bits of each symbol of each row of ``symbols`` [B, T] (modality-local ids)."""
    base = symbol_range(modality, net.config.n_text)[0]
    prefix = np.full((symbols.shape[0], 1), PREFIX_TOKEN[modality])
    tokens = torch.as_tensor(np.concatenate([prefix, symbols[:, :-1] + base], axis=1))
    with torch.no_grad():
        logits, _ = net(tokens, modality)
    nll = F.cross_entropy(logits.transpose(1, 2), torch.as_tensor(symbols), reduction="none")
    return nll.numpy() / math.log(2)


def windows(seq: np.ndarray, length: int) -> np.ndarray:
    n = len(seq) // length
    return seq[: n * length].reshape(n, length)


def report(name: str, bits: np.ndarray, bytes_per_symbol: float, lengths: list[int]) -> None:
    mean_by_pos = bits.mean(axis=0)
    print(f"{name}: {bits.shape[0]} sequences of {bits.shape[1]}")
    for L in lengths:
        if L <= bits.shape[1]:
            print(f"  block {L:5d}: {mean_by_pos[:L].mean() / bytes_per_symbol:.3f} bits/Byte")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("checkpoint", type=Path)
    parser.add_argument("--text", nargs="*", default=[])
    parser.add_argument("--speech", nargs="*", default=[])
    parser.add_argument("--length", type=int, default=2048)
    args = parser.parse_args()
    torch.set_num_threads(1)
    config, state = merged_state_dict(torch.load(args.checkpoint, map_location="cpu",
                                                  weights_only=False))
    net = OzNet(config)
    net.merge_hira()
    net.load_state_dict({k: torch.as_tensor(v, dtype=torch.float32) for k, v in state.items()})
    net.eval()
    lengths = [128, 256, 512, 1024, 2048, 4096]
    if args.text:
        tok = tokenizer_for(default_model_bytes())
        rows, n_bytes, n_tokens = [], 0, 0
        for path in args.text:
            data = Path(path).read_bytes()
            ids = tok.encode(data)
            rows.append(windows(np.asarray(ids), args.length))
            n_bytes += len(data)
            n_tokens += len(ids)
        bits = position_bits(net, np.concatenate(rows), Modality.TEXT)
        report("text", bits, n_bytes / n_tokens, lengths)
    if args.speech:
        rows = []
        for path in args.speech:
            pcm = soundfile.read(path, dtype="int16")[0].astype("<i2").tobytes()
            # the symbols the model sees: each window as its speech predictor's residual
            seqs = pcm_to_sequences(pcm, args.length, net.config.speech_predictor)
            rows += [w.astype(np.int64) for w in seqs if len(w) == args.length]
        bits = position_bits(net, np.stack(rows), Modality.SPEECH)
        report("speech (PCM bytes)", bits, 1.0, lengths)
    return 0


if __name__ == "__main__":
    sys.exit(main())
