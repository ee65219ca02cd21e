"""The training loop: balanced modality batches, AdamW, clipping, cosine LR, staged MoE
freezing, a final quantisation-aware phase, held-out bits/Byte, resumable checkpoints, and the
float export for the engine."""

from __future__ import annotations

import json
import logging
import math
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch.func import functional_call

from ozarc.errors import UsageError
from ozarc.modality import Modality
from ozarc.model.config import ModelConfig
from ozarc.model.network import OzNet
from tools.train.data import Corpus, Pool, pad_batch, sample_batch
from tools.train.qat import fake_quant_params

log = logging.getLogger("ozarc.train")
CHECKPOINT = "checkpoint.pt"
FLOAT_EXPORT = "model_float.pt"
#: config switches that change a network's inputs but none of the weights it starts from
INPUT_SWITCHES = ("above_pixel", "speech_predictor")


@dataclass
class TrainSettings:
    steps: int
    batch_per_modality: int = 8
    max_len: int | None = None       # crop training sequences (CPU runs); None = full length
    lr: float = 1e-3
    lr_min_ratio: float = 0.1
    warmup: int = 100
    weight_decay: float = 0.01
    grad_clip: float = 1.0
    stage_steps: tuple[int, int] = (0, 0)   # seeds' schedule: FFN-MoE frozen, then V-MoE frozen
    router_noise: float = 0.0
    eval_every: int = 500
    eval_seqs: int = 32
    checkpoint_every: int = 500
    seed: int = 0
    bf16: bool = False               # autocast matmuls to bfloat16 (GPU); the WKV stays float32
    qat_steps: int = 0               # the last N steps train the int8 model (tools.train.qat)


def lr_at(step: int, s: TrainSettings) -> float:
    """Linear warm-up, then cosine from lr down to lr·lr_min_ratio at the last step."""
    if step < s.warmup:
        return s.lr * (step + 1) / s.warmup
    progress = (step - s.warmup) / max(s.steps - s.warmup, 1)
    cosine = 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))
    return s.lr * (s.lr_min_ratio + (1 - s.lr_min_ratio) * cosine)


def frozen_part(step: int, s: TrainSettings) -> str | None:
    """Which routed part the staged schedule freezes at this step ('ffn', 'att' or None)."""
    a, b = s.stage_steps
    return "ffn" if step < a else "att" if step < a + b else None


def in_qat_phase(step: int, s: TrainSettings) -> bool:
    """True for the last ``qat_steps`` steps: HiRA merged, forward through int8 weights."""
    return s.qat_steps > 0 and step >= s.steps - s.qat_steps


def make_optimizer(net: OzNet, s: TrainSettings) -> torch.optim.AdamW:
    """Weight decay on matrices only; vectors (mixes, decays, norms) are not decayed."""
    matrices = [p for p in net.parameters() if p.ndim >= 2]
    vectors = [p for p in net.parameters() if p.ndim < 2]
    return torch.optim.AdamW([{"params": matrices, "weight_decay": s.weight_decay},
                              {"params": vectors, "weight_decay": 0.0}],
                             lr=s.lr, betas=(0.9, 0.99), eps=1e-8)


def sequence_loss(net: OzNet, modality: Modality, batch, device, bf16: bool = False,
                  quantised: bool = False) -> tuple[torch.Tensor, torch.Tensor, int]:
    """(mean cross-entropy in nats over real positions, aux loss, number of positions);
    ``quantised``: the forward pass sees the exporter's int8 weights (straight-through)."""
    inputs, targets, mask = (torch.as_tensor(a, device=device) for a in batch[:3])
    above = getattr(batch, "above", None)      # a network without the input ignores it
    args = (inputs, modality, None if above is None else torch.as_tensor(above, device=device))
    with torch.autocast(torch.device(device).type, dtype=torch.bfloat16, enabled=bf16):
        if quantised:
            logits, aux = functional_call(net, fake_quant_params(net), args)
        else:
            logits, aux = net(*args)
    ce = F.cross_entropy(logits.float().flatten(0, 1), targets.flatten(), reduction="none")
    mask = mask.flatten()
    n = int(mask.sum())
    return (ce * mask).sum() / max(n, 1), aux, n


@torch.no_grad()
def sequence_bits(net: OzNet, modality: Modality, sequences: list, rows: list[int] | None,
                  device, batch: int = 8, quantised: bool = False) -> tuple[float, int]:
    """(bits, positions): the network's cross-entropy over ``sequences`` (each with its row
    stride in ``rows``), ``batch`` sequences per forward pass, no coder."""
    bits, positions = 0.0, 0
    for start in range(0, len(sequences), batch):
        padded = pad_batch(modality, sequences[start:start + batch],
                           None if rows is None else rows[start:start + batch])
        ce, _, n = sequence_loss(net, modality, padded, device, quantised=quantised)
        bits += float(ce) * n / math.log(2)
        positions += n
    return bits, positions


@torch.no_grad()
def evaluate(net: OzNet, heldout: dict[Modality, Pool], n_seqs: int, device,
             quantised: bool = False) -> dict[str, float]:
    """Held-out bits per original byte per modality (text: token bits / UTF-8 bytes), on a
    fixed, evenly spaced subset of full-length held-out sequences (``quantised``: of the
    int8-weight model, as in the QAT phase)."""
    was_training = net.training
    net.eval()
    result = {}
    for modality, pool in heldout.items():
        if not len(pool):
            continue
        picks = np.linspace(0, len(pool) - 1, min(n_seqs, len(pool))).round().astype(int)
        bits, _ = sequence_bits(net, modality, [pool.sequences[i] for i in picks],
                                [pool.rows[i] for i in picks], device, quantised=quantised)
        result[modality.tag] = bits / sum(pool.n_bytes[i] for i in picks)
    net.train(was_training)
    return result


def save_checkpoint(path: Path, net: OzNet, opt, step: int, settings: TrainSettings,
                    rng: np.random.Generator) -> None:
    """Atomic: written to a temporary name, then renamed over the old checkpoint."""
    tmp = path.with_suffix(".tmp")
    torch.save({"config": net.config.to_dict(), "model": net.state_dict(),
                "hira_merged": is_merged(net),
                "optimizer": opt.state_dict(), "step": step, "settings": asdict(settings),
                "rng": rng.bit_generator.state, "torch_rng": torch.get_rng_state()}, tmp)
    os.replace(tmp, path)


def is_merged(net: OzNet) -> bool:
    """True once the HiRA branches are folded in (the QAT phase runs merged)."""
    return not has_hira(dict(net.named_parameters()))


def merge_keeping_moments(net: OzNet, opt, settings: TrainSettings):
    """Fold HiRA into the weights and return a new optimizer for the merged net that keeps
    the Adam moments of every surviving parameter (the merged matrix is the same Parameter,
    and its gradient is the gradient of the effective weight the moments already track)."""
    net.merge_hira()
    fresh = make_optimizer(net, settings)
    for p in net.parameters():
        if p in opt.state:
            fresh.state[p] = opt.state[p]
    return fresh


def has_hira(state_dict: dict) -> bool:
    """True for a state dict with HiRA branches (training before the QAT phase)."""
    return any("hira_" in key for key in state_dict)


def merged_net(checkpoint: dict) -> OzNet:
    """The HiRA-merged float network of a training checkpoint ({"model": ...}, merged or not:
    QAT checkpoints are) or of a float export ({"state_dict": ...}, always merged)."""
    net = OzNet(ModelConfig.from_dict(checkpoint["config"]))
    state = checkpoint["state_dict"] if "state_dict" in checkpoint else checkpoint["model"]
    if has_hira(state):
        net.load_state_dict(state)
        net.merge_hira()
    else:
        net.merge_hira()
        net.load_state_dict(state)
    return net


def load_initial_weights(net: OzNet, path: Path) -> None:
    """Start a fresh run from another run's weights (``--init-from``): the same network, or
    one that adds inputs (``above_pixel``), whose new table keeps its zero init so the run
    starts as the model it came from, or one that sees speech as a predictor's residual
    (``speech_predictor``: the same tensors, other input symbols).  A merged source merges
    ``net`` first."""
    source = torch.load(path, map_location="cpu", weights_only=False)
    weights = source["state_dict"] if "state_dict" in source else source["model"]
    theirs = ModelConfig.from_dict(source["config"]).to_dict()
    ours = net.config.to_dict()
    differ = sorted(k for k in ours if k not in INPUT_SWITCHES and ours[k] != theirs.get(k))
    if differ:
        raise UsageError(f"{path}: another network shape ({', '.join(differ)} differ)")
    if not has_hira(weights) and not is_merged(net):
        net.merge_hira()
    missing, unexpected = net.load_state_dict(weights, strict=False)
    new_inputs = {"above.weight"}
    if unexpected or set(missing) - new_inputs:
        raise UsageError(f"{path}: weights do not fit this network "
                         f"(missing {sorted(set(missing) - new_inputs)}, unexpected {unexpected})")


def export_float(net: OzNet, path: Path, tokenizer_sha256: str) -> None:
    """The merged float weights the exporter (ozarc.model.export) reads: contract keys only."""
    merged = merged_net({"config": net.config.to_dict(), "model": net.state_dict()})
    torch.save({"config": net.config.to_dict(), "state_dict": merged.state_dict(),
                "tokenizer_sha256": tokenizer_sha256}, path)


def train(cfg: ModelConfig, corpus: Corpus, settings: TrainSettings, out: Path,
          device: str = "cpu", resume: bool = False, tokenizer_sha256: str = "",
          init_from: Path | None = None) -> dict:
    """Run (or continue) a training run in `out`; returns the last held-out figures.
    ``init_from``: a checkpoint whose weights a fresh run starts from
    (``load_initial_weights``)."""
    out.mkdir(parents=True, exist_ok=True)
    ckpt_path = out / CHECKPOINT
    if ckpt_path.exists() and not resume:
        raise UsageError(f"{ckpt_path} exists: pass --resume to continue it or choose another --out")
    modalities = [m for m, pool in corpus.train.items() if len(pool)]
    if not modalities:
        raise UsageError("no training data found (images, speech WAV/npz, or text files)")
    torch.manual_seed(settings.seed)
    rng = np.random.default_rng(settings.seed)
    net = OzNet(cfg).to(device)
    step = 0
    state = None
    if resume and ckpt_path.exists():
        state = torch.load(ckpt_path, map_location=device, weights_only=False)
        if ModelConfig.from_dict(state["config"]) != cfg:
            raise UsageError(f"{ckpt_path} was trained with another model config")
        if not has_hira(state["model"]):                # a checkpoint from the QAT phase
            net.merge_hira()
    elif init_from is not None:
        load_initial_weights(net, Path(init_from))
        log.info("started from the weights of %s", init_from)
    opt = make_optimizer(net, settings)
    if state is not None:
        net.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        step = state["step"]
        rng.bit_generator.state = state["rng"]
        torch.set_rng_state(state["torch_rng"])
        log.info("resumed from step %d", step)
    for module in net.modules():
        if hasattr(module, "noise"):
            module.noise = settings.router_noise
    net.train()
    figures: dict = {}
    log_file = (out / "log.jsonl").open("a", encoding="utf-8")
    started = time.perf_counter()
    while step < settings.steps:
        quantised = in_qat_phase(step, settings)
        if quantised and not is_merged(net):
            opt = merge_keeping_moments(net, opt, settings)
            log.info("step %d: HiRA merged, quantisation-aware phase begins", step)
        frozen = frozen_part(step, settings)
        for part in ("att", "ffn"):
            for p in net.moe_parameters(part):
                p.requires_grad_(part != frozen)
        for group in opt.param_groups:
            group["lr"] = lr_at(step, settings)
        opt.zero_grad(set_to_none=True)
        losses = {}
        for modality in modalities:
            batch = sample_batch(corpus.train[modality], modality, settings.batch_per_modality,
                                 settings.max_len, rng)
            ce, aux, _ = sequence_loss(net, modality, batch, device, settings.bf16, quantised)
            (ce + aux).backward()
            losses[modality.tag] = float(ce.detach()) / math.log(2)
        torch.nn.utils.clip_grad_norm_(net.parameters(), settings.grad_clip)
        opt.step()
        step += 1
        record = {"step": step, "lr": lr_at(step - 1, settings), "train_bits_per_symbol": losses,
                  "seconds": round(time.perf_counter() - started, 2)}
        if quantised:
            record["qat"] = True
        if step % settings.eval_every == 0 or step == settings.steps:
            figures = evaluate(net, corpus.heldout, settings.eval_seqs, device, quantised)
            record["heldout_bits_per_byte"] = figures
            log.info("step %d heldout bits/Byte %s", step, figures)
        log_file.write(json.dumps(record) + "\n")
        log_file.flush()
        if step % settings.checkpoint_every == 0 or step == settings.steps:
            save_checkpoint(ckpt_path, net, opt, step, settings, rng)
    log_file.close()
    export_float(net, out / FLOAT_EXPORT, tokenizer_sha256)
    return figures
