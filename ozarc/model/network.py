"""The float network ozarc trains: a static-decay RWKV-7 with optional MoE value/FFN and HiRA.

This is the training side of the contract in docs/model-architecture.md: parameter names and
equations there are the names and equations here, so the exact integer engine can export
from `OzNet.state_dict()` after `merge_hira()`.  Two forms compute the same function:
`forward` (whole sequences from the zero state, chunked WKV for training) and `step`
(one token, the recurrent form an encoder/decoder uses).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ozarc.modality import Modality
from ozarc.model.above import N_ABOVE, uses_above
from ozarc.model.config import ModelConfig
from ozarc.model.layers import HiRALinear, MoELinear, MoEMLP, SquaredReLUMLP, TopKRouter
from ozarc.model.vocab import symbol_range
from ozarc.model.wkv import wkv_chunked, wkv_step

GROUP_NORM_EPS = 64e-5
LAYER_NORM_EPS = 1e-5


class NetState(NamedTuple):
    """Recurrent state: per layer the previous token's LN1 output and the WKV matrices."""

    shift: Tensor   # [n_layers, B, C]
    wkv: Tensor     # [n_layers, B, H, N, N]


class TimeMix(nn.Module):
    """RWKV-7 time mix with static decay, static in-context rate and the seeds' gate σ(z_r)."""

    def __init__(self, cfg: ModelConfig, layer_id: int):
        super().__init__()
        C, H, N = cfg.width, cfg.n_heads, cfg.head_size
        rank = cfg.hira_factor * C
        self.layer_id, self.n_heads, self.head_size = layer_id, H, N
        self.mu_r, self.mu_k, self.mu_v = (nn.Parameter(torch.empty(C)) for _ in range(3))
        self.receptance = HiRALinear(C, C, rank)
        self.key = HiRALinear(C, C, rank)
        self.value = (MoELinear(C, cfg.n_experts, cfg.top_k, rank) if cfg.moe_v
                      else HiRALinear(C, C, rank))
        self.decay = nn.Parameter(torch.empty(C))      # d:  ω = −softplus(−d) − 0.5
        self.v_mix = nn.Parameter(torch.empty(C))      # ν (unused in layer 0)
        self.a = nn.Parameter(torch.empty(C))          # α = σ(a)
        self.k_a = nn.Parameter(torch.empty(C))        # m_a
        self.k_m = nn.Parameter(torch.empty(C))        # m_k
        self.u = nn.Parameter(torch.empty(H, N))
        self.gn = nn.GroupNorm(H, C, eps=GROUP_NORM_EPS)
        self.output = nn.Linear(C, C, bias=False)

    def forward(self, z: Tensor, z_last: Tensor, wkv_state: Tensor, v_first: Tensor | None):
        """z [B,T,C] (LN1 output), z_last [B,C] (the token before z[:,0]), wkv_state
        [B,H,N,N].  -> (out [B,T,C], wkv_state, v_first, aux)."""
        B, T, C = z.shape
        H, N = self.n_heads, self.head_size
        delta = torch.cat([z_last.unsqueeze(1), z[:, :-1]], dim=1) - z
        z_r, z_k, z_v = z + delta * self.mu_r, z + delta * self.mu_k, z + delta * self.mu_v
        r, k = self.receptance(z_r), self.key(z_k)
        v, aux = self.value(z_v) if isinstance(self.value, MoELinear) else (self.value(z_v), 0.0)
        omega = -F.softplus(-self.decay) - 0.5
        lam = torch.exp(-torch.exp(omega))
        if v_first is None:
            v_first = v
        else:
            v = v + (v_first - v) * torch.sigmoid(self.v_mix)
        g = torch.sigmoid(z_r)
        kappa = F.normalize(k.view(B, T, H, N), dim=-1, eps=1e-12)
        alpha = torch.sigmoid(self.a)
        s_a = torch.sigmoid(self.k_a)
        k_decay = torch.exp(torch.clamp(omega * torch.sigmoid(self.k_m), max=0))
        k = k * (s_a + alpha * (1 - s_a)) * k_decay
        rh, kh, vh = r.view(B, T, H, N), k.view(B, T, H, N), v.view(B, T, H, N)
        alpha, lam = alpha.view(H, N), lam.view(H, N)
        if T == 1:
            y, wkv_state = wkv_step(wkv_state, rh[:, 0], kh[:, 0], vh[:, 0], kappa[:, 0],
                                    alpha, lam)
            y = y.unsqueeze(1)
        else:
            y, wkv_state = wkv_chunked(wkv_state, rh, kh, vh, kappa, alpha, lam)
        bonus = (rh * kh * self.u).sum(-1, keepdim=True) * vh
        o = self.gn(y.reshape(B * T, C)).view(B, T, C) + bonus.reshape(B, T, C)
        return self.output(o * g), wkv_state, v_first, aux

    @torch.no_grad()
    def reset_parameters(self, n_layers: int) -> None:
        """RWKV-7 init: mixes and decays spread across channels, zero output projection."""
        C = self.mu_r.numel()
        ratio_0_to_1 = self.layer_id / max(n_layers - 1, 1)
        ratio_1_to_0 = 1.0 - self.layer_id / n_layers
        ddd = torch.arange(C, dtype=torch.float64) / C
        self.mu_r.copy_(1.0 - ddd.pow(0.2 * ratio_1_to_0))
        self.mu_k.copy_(1.0 - ddd.pow(0.7 * ratio_1_to_0))
        self.mu_v.copy_(1.0 - ddd.pow(0.7 * ratio_1_to_0))
        n = torch.arange(C, dtype=torch.float64) / max(C - 1, 1)
        self.decay.copy_(-7.0 + 5.0 * n.pow(0.85 + ratio_0_to_1 ** 0.5) + 0.5)
        self.v_mix.fill_(1.0)
        self.a.zero_()
        self.k_a.zero_()
        self.k_m.zero_()
        self.u.zero_()
        self.gn.weight.fill_(((1 + self.layer_id) / n_layers) ** 0.7)
        self.gn.bias.zero_()
        self.output.weight.zero_()
        bound = 0.5 / math.sqrt(C)
        nn.init.uniform_(self.receptance.weight, -bound, bound)
        nn.init.uniform_(self.key.weight, -0.1 * bound, 0.1 * bound)
        values = self.value.experts if isinstance(self.value, MoELinear) else [self.value]
        for value in values:
            nn.init.uniform_(value.weight, -bound, bound)


class Block(nn.Module):
    """x += TimeMix(LN1 x); x += F(LN2 x) with F a dense or routed squared-ReLU MLP."""

    def __init__(self, cfg: ModelConfig, layer_id: int):
        super().__init__()
        C = cfg.width
        self.ln1 = nn.LayerNorm(C, eps=LAYER_NORM_EPS)
        self.att = TimeMix(cfg, layer_id)
        self.ln2 = nn.LayerNorm(C, eps=LAYER_NORM_EPS)
        hidden = cfg.ffn_mult * C
        self.ffn = (MoEMLP(C, hidden // 2, cfg.n_experts, cfg.top_k) if cfg.moe_ffn
                    else SquaredReLUMLP(C, hidden))

    def forward(self, x: Tensor, z_last: Tensor, wkv_state: Tensor, v_first: Tensor | None):
        z = self.ln1(x)
        att, wkv_state, v_first, aux = self.att(z, z_last, wkv_state, v_first)
        x = x + att
        if isinstance(self.ffn, MoEMLP):
            f, aux_f = self.ffn(self.ln2(x))
            aux = aux + aux_f
        else:
            f = self.ffn(self.ln2(x))
        return x + f, z[:, -1], wkv_state, v_first, aux


class OzNet(nn.Module):
    """x = LN0(E[tok]) (+ A[above] for images when ``above_pixel``); blocks;
    logits = W_head LN_out(x), only the active modality's rows."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.config = cfg
        C = cfg.width
        self.emb = nn.Embedding(cfg.vocab_size, C)
        self.ln0 = nn.LayerNorm(C, eps=LAYER_NORM_EPS)
        self.above = nn.Embedding(N_ABOVE, C) if cfg.above_pixel else None
        self.blocks = nn.ModuleList(Block(cfg, i) for i in range(cfg.n_layers))
        self.ln_out = nn.LayerNorm(C, eps=LAYER_NORM_EPS)
        self.head = nn.Linear(C, cfg.vocab_size, bias=False)
        self.reset_parameters()

    @torch.no_grad()
    def reset_parameters(self) -> None:
        """RWKV-7 / seeds init: tiny embedding, zero head and output projections, HiRA B = 0."""
        C = self.config.width
        nn.init.uniform_(self.emb.weight, -1e-4, 1e-4)
        if self.above is not None:   # zero: a model given the input starts as one without it
            self.above.weight.zero_()
        self.head.weight.zero_()
        for module in self.modules():
            if isinstance(module, nn.LayerNorm):
                module.reset_parameters()
        bound = 0.5 / math.sqrt(C)
        for module in self.modules():
            if isinstance(module, HiRALinear) and module.hira_A is not None:
                nn.init.uniform_(module.hira_A, -bound, bound)
                module.hira_B.zero_()
            elif isinstance(module, TopKRouter):
                nn.init.normal_(module.weight, std=0.2 * bound)
            elif isinstance(module, SquaredReLUMLP):
                nn.init.uniform_(module.key.weight, -bound, bound)
                module.value.weight.zero_()
        for block in self.blocks:
            block.att.reset_parameters(self.config.n_layers)

    def initial_state(self, batch: int) -> NetState:
        cfg, p = self.config, self.head.weight
        return NetState(
            p.new_zeros(cfg.n_layers, batch, cfg.width),
            p.new_zeros(cfg.n_layers, batch, cfg.n_heads, cfg.head_size, cfg.head_size))

    def _run(self, tokens: Tensor, state: NetState, modality: Modality,
             above: Tensor | None = None):
        x = self.ln0(self.emb(tokens))
        if self.above is not None and uses_above(modality):
            if above is None:
                raise ValueError("this model reads the pixel above: pass `above` "
                                 "(ozarc.model.above.above_symbols) with image tokens")
            x = x + self.above(above)
        shifts, wkvs, v_first, aux = [], [], None, 0.0
        for i, block in enumerate(self.blocks):
            x, z_last, wkv, v_first, aux_i = block(x, state.shift[i], state.wkv[i], v_first)
            shifts.append(z_last)
            wkvs.append(wkv)
            aux = aux + aux_i
        lo, hi = symbol_range(modality, self.config.n_text)
        logits = F.linear(self.ln_out(x), self.head.weight[lo:hi])
        return logits, NetState(torch.stack(shifts), torch.stack(wkvs)), aux

    def forward(self, tokens: Tensor, modality: Modality,
                above: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """tokens [B,T] (global ids, starting with the prefix) -> (logits [B,T,n_symbols],
        aux loss).  logits[:, t] predicts the modality-local symbol after tokens[:, t];
        ``above`` [B,T] (``above_pixel`` models, images): the symbol above that one."""
        logits, _, aux = self._run(tokens, self.initial_state(tokens.shape[0]), modality,
                                   above)
        return logits, torch.as_tensor(aux, dtype=logits.dtype, device=logits.device)

    def step(self, state: NetState, token: Tensor, modality: Modality,
             above: Tensor | None = None) -> tuple[Tensor, NetState]:
        """One token [B] -> (logits [B, n_symbols] for the next symbol, the new state);
        ``above`` [B]: the symbol above that next one (``above_pixel`` models, images)."""
        logits, state, _ = self._run(token.unsqueeze(1), state, modality,
                                     None if above is None else above.unsqueeze(1))
        return logits[:, 0], state

    def merge_hira(self) -> None:
        """Fold every HiRA branch into its weight; the state dict then has only contract keys."""
        for module in self.modules():
            if isinstance(module, HiRALinear):
                module.merge()

    def count_params(self, with_hira: bool = False, with_embedding: bool = True) -> int:
        """Parameters of the shipped model (HiRA branches are training-only)."""
        total = 0
        for name, p in self.named_parameters():
            if not with_hira and ("hira_A" in name or "hira_B" in name):
                continue
            if not with_embedding and name in ("emb.weight", "head.weight"):
                continue
            total += p.numel()
        return total

    def moe_parameters(self, part: str) -> list[nn.Parameter]:
        """Routers and experts of the routed value projections (part='att') or FFNs
        (part='ffn'): the seeds' staged schedule freezes them in turn."""
        return [p for name, p in self.named_parameters()
                if f".{part}." in name and (".router." in name or ".experts." in name)]
