"""Quantisation-aware training: the final phase trains the very weights the exporter writes.

Why: the exact engine multiplies int8 matrices (int16 for routers) with per-row scales, as
``ozarc.model.exact.fixed.quantize_rows`` makes them at export.  In the QAT phase the forward
pass sees every exported matrix as ``q * scale``, computed the way the exporter computes it
(float64, the same rounding, the same 15-bit scale mantissa, the same rows: the FFN value
experts share their row scales because the exporter stacks them along the input axis), and
the gradient passes straight through to the float weights.  So the optimiser minimises the
loss of the int8 model, not of its float parent.  The phase runs on the merged network (HiRA
folded in), because the exporter quantises the merged matrices.
"""

from __future__ import annotations

import re

import torch
from torch import Tensor

from ozarc.model.exact.fixed import MULT_BITS, ROUTER_WEIGHT_MAX, WEIGHT_MAX

_MATRIX = re.compile(r"(att\.(receptance|key|output|value(\.experts\.\d+)?)|ffn\.(key|value)"
                     r"|ffn\.experts\.\d+\.key)\.weight$")
_ROUTER = re.compile(r"\.router\.weight$")
_FFN_VALUE_EXPERT = re.compile(r"^(.*\.ffn)\.experts\.(\d+)\.value\.weight$")


def quantised_groups(names: list[str]) -> list[tuple[list[str], int]]:
    """The exporter's matrices as (parameter names joined along the input axis, qmax).

    Most matrices are one parameter; a layer's FFN value experts form one group (the exporter
    concatenates them along axis 1, so a row's scale covers every expert).  Names that the
    exporter does not quantise to int8 rows (embedding, norms, mixes) are left out.
    """
    groups: list[tuple[list[str], int]] = []
    ffn_values: dict[str, list[tuple[int, str]]] = {}
    for name in names:
        expert = _FFN_VALUE_EXPERT.match(name)
        if expert:
            ffn_values.setdefault(expert.group(1), []).append((int(expert.group(2)), name))
        elif _ROUTER.search(name):
            groups.append(([name], ROUTER_WEIGHT_MAX))
        elif _MATRIX.search(name) or name == "head.weight":
            groups.append(([name], WEIGHT_MAX))
    for members in ffn_values.values():
        groups.append(([name for _, name in sorted(members)], WEIGHT_MAX))
    return groups


def dequantised_rows(weight: Tensor, qmax: int = WEIGHT_MAX) -> Tensor:
    """``q * mult * 2**-shift`` of ``quantize_rows(weight, qmax)``, as a float64 tensor.

    The same arithmetic as the exporter: symmetric per-row scale max|w| / qmax, q rounded half
    to even and clipped, the scale rounded to a 15-bit mantissa; all-zero rows stay zero.
    """
    w = weight.detach().double()
    scale = w.abs().amax(dim=1) / qmax
    safe = torch.where(scale > 0, scale, torch.ones_like(scale))
    q = torch.where(scale[:, None] > 0, torch.round(w / safe[:, None]), torch.zeros_like(w))
    q = q.clamp(-qmax, qmax)
    mantissa, exponent = torch.frexp(scale)
    effective = torch.round(mantissa * (1 << MULT_BITS)) * torch.pow(2.0, exponent - MULT_BITS)
    return q * effective[:, None]


def fake_quant_params(net: torch.nn.Module) -> dict[str, Tensor]:
    """Parameter name -> the int8 model's weight, with the gradient of the float weight
    (straight-through), for ``torch.func.functional_call``.  The net must be HiRA-merged."""
    params = dict(net.named_parameters())
    if any("hira_" in name for name in params):
        raise ValueError("quantisation-aware training runs on the merged network (merge_hira)")
    swapped: dict[str, Tensor] = {}
    for names, qmax in quantised_groups(list(params)):
        weights = [params[n] for n in names]
        joined = torch.cat(weights, dim=1) if len(weights) > 1 else weights[0]
        target = dequantised_rows(joined, qmax).to(joined.dtype)
        straight = target + (joined - joined.detach())     # exactly target; grad to joined
        parts = straight.split([w.shape[1] for w in weights], dim=1) if len(weights) > 1 \
            else [straight]
        swapped.update(zip(names, parts))
    return swapped
