"""Building blocks of the float network: HiRA linears, the top-k router, MoE layers, the FFN.

Kept apart from network.py so that the network file reads as the equations of
docs/model-architecture.md.  Parameter names here are contract names (`weight`, `hira_A`,
`hira_B`, `router.weight`, `experts.{e}.weight`, `key.weight`, `value.weight`): the exporter
reads them from the state dict.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

Z_LOSS_WEIGHT = 1e-3
BALANCE_LOSS_WEIGHT = 1e-2


class HiRALinear(nn.Module):
    """y = W x + B (A x) during training (a high-rank over-parameterisation, OZ §3); after
    `merge()` only y = W' x with W' = W + B A remains.  rank 0 = plain bias-free linear."""

    def __init__(self, in_features: int, out_features: int, rank: int):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(out_features, in_features))
        if rank > 0:
            self.hira_A = nn.Parameter(torch.empty(rank, in_features))
            self.hira_B = nn.Parameter(torch.zeros(out_features, rank))
        else:
            self.hira_A = self.hira_B = None

    def forward(self, x: Tensor) -> Tensor:
        y = F.linear(x, self.weight)
        if self.hira_A is not None:
            y = y + F.linear(F.linear(x, self.hira_A), self.hira_B)
        return y

    @torch.no_grad()
    def merge(self) -> None:
        if self.hira_A is None:
            return
        self.weight += self.hira_B @ self.hira_A
        del self.hira_A, self.hira_B
        self.hira_A = self.hira_B = None


class TopKRouter(nn.Module):
    """Linear router without bias (`router.weight`, E×C).  Picks the top-k experts by score,
    ties to the lower index (a stable sort: the integer engine makes the same choice), and
    mixes them with a softmax over the chosen scores.  Also returns the auxiliary loss
    (router z-loss + Switch load balance)."""

    def __init__(self, width: int, n_experts: int, top_k: int):
        super().__init__()
        self.n_experts, self.top_k = n_experts, top_k
        self.weight = nn.Parameter(torch.empty(n_experts, width))
        self.noise = 0.0   # std of training-only noise added to the scores (noisy gating); 0 = off

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """x [..., C] -> (gates [..., E] with k non-zero weights summing to 1, aux loss)."""
        scores = F.linear(x, self.weight)
        if self.training and self.noise > 0:
            scores = scores + self.noise * torch.randn_like(scores)
        chosen = torch.sort(scores, dim=-1, descending=True, stable=True).indices[..., :self.top_k]
        weights = torch.softmax(scores.gather(-1, chosen), dim=-1)
        gates = torch.zeros_like(scores).scatter(-1, chosen, weights)
        return gates, self.aux_loss(scores, chosen)

    def aux_loss(self, scores: Tensor, chosen: Tensor) -> Tensor:
        flat = scores.reshape(-1, self.n_experts).float()
        z_loss = torch.logsumexp(flat, dim=-1).square().mean()
        probs = torch.softmax(flat, dim=-1).mean(0)                       # P_e
        counts = F.one_hot(chosen.reshape(-1), self.n_experts).float().mean(0) / self.top_k
        balance = self.n_experts * (counts * probs).sum()                 # E·Σ f_e P_e
        return Z_LOSS_WEIGHT * z_loss + BALANCE_LOSS_WEIGHT * balance


def mix_experts(gates: Tensor, outputs: list[Tensor]) -> Tensor:
    """Σ_e gate_e · expert_e(x).  Every expert is evaluated (E = 4 small experts: one dense
    pass is faster on GPU than a gather); unchosen experts have gate exactly 0."""
    return sum(gates[..., e:e + 1] * out for e, out in enumerate(outputs))


class MoELinear(nn.Module):
    """The routed value projection: E HiRA linears C→C, the router sees the same input."""

    def __init__(self, width: int, n_experts: int, top_k: int, rank: int):
        super().__init__()
        self.router = TopKRouter(width, n_experts, top_k)
        self.experts = nn.ModuleList(HiRALinear(width, width, rank) for _ in range(n_experts))

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        gates, aux = self.router(x)
        return mix_experts(gates, [expert(x) for expert in self.experts]), aux


class SquaredReLUMLP(nn.Module):
    """W_2 ReLU(W_1 x)²  (`key` = W_1, `value` = W_2; no token shift, as in OZ's MLP)."""

    def __init__(self, width: int, hidden: int):
        super().__init__()
        self.key = nn.Linear(width, hidden, bias=False)
        self.value = nn.Linear(hidden, width, bias=False)

    def forward(self, x: Tensor) -> Tensor:
        return self.value(torch.relu(self.key(x)).square())


class MoEMLP(nn.Module):
    """Routed feed-forward: E squared-ReLU experts of hidden `hidden`, top-k mixed."""

    def __init__(self, width: int, hidden: int, n_experts: int, top_k: int):
        super().__init__()
        self.router = TopKRouter(width, n_experts, top_k)
        self.experts = nn.ModuleList(SquaredReLUMLP(width, hidden) for _ in range(n_experts))

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        gates, aux = self.router(x)
        return mix_experts(gates, [expert(x) for expert in self.experts]), aux
