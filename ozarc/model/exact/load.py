"""Model-file tensors -> the engine's integer layers on a backend.

Why: the file stores each routed layer's experts stacked (one quantised matrix, see
docs/ozm-format.md); the engine wants them split per expert, as backend arrays, with
weights laid out for its matmuls.  Kept apart so engine.py reads as the API.
"""

from __future__ import annotations

from ozarc.modality import Modality
from ozarc.model.config import ModelConfig
from ozarc.model.exact.block import IntBlock, Norm
from ozarc.model.exact.fixed import ACT_BITS, ACT_MAX, ROUTER_IN_MAX
from ozarc.model.exact.kernels import QuantLinear
from ozarc.model.ozm import OzmFile
from ozarc.model.vocab import symbol_range


def load_layers(be, ozm: OzmFile, cfg: ModelConfig):
    """(blocks, ln_out, heads): heads maps a modality's symbol range to its head rows."""
    t = ozm.tensors
    ln_eps, gn_eps = ozm.engine["ln_eps_q"], ozm.engine["gn_eps_q"]

    def lin(name, rows=slice(None)):
        in_max = ROUTER_IN_MAX if name.endswith("router") else ACT_MAX
        return QuantLinear(be.weights(t[name + ".q"][rows]), be.asarray(t[name + ".mult"][rows]),
                           be.asarray(t[name + ".shift"][rows]), in_max)

    def norm(name, eps):
        return Norm(be.asarray(t[name + ".gamma"]), be.asarray(t[name + ".beta"]), eps)

    def experts(stacked: QuantLinear, size: int) -> list[QuantLinear]:
        """Each expert as a view of the stacked matrix's columns (no second copy)."""
        return [QuantLinear(stacked.w[:, e * size:(e + 1) * size],
                            stacked.mult[e * size:(e + 1) * size],
                            stacked.shift[e * size:(e + 1) * size], stacked.in_max)
                for e in range(cfg.n_experts)]

    blocks = []
    for i in range(cfg.n_layers):
        p = f"blocks.{i}."
        moe_v, moe_ffn = p + "att.value.router.q" in t, p + "ffn.router.q" in t
        hidden = t[p + "ffn.key.q"].shape[0] // (cfg.n_experts if moe_ffn else 1)
        ffn_value = lin(p + "ffn.value")
        value_all = lin(p + "att.value") if moe_v else None
        ffn_key_all = lin(p + "ffn.key") if moe_ffn else None
        lam = t[p + "att.lam"].reshape(cfg.n_heads, cfg.head_size, 1) / float(1 << ACT_BITS)
        blocks.append(IntBlock(
            ln1=norm(p + "ln1", ln_eps), ln2=norm(p + "ln2", ln_eps), gn=norm(p + "att.gn", gn_eps),
            mu_r=be.asarray(t[p + "att.mu_r"]), mu_k=be.asarray(t[p + "att.mu_k"]),
            mu_v=be.asarray(t[p + "att.mu_v"]),
            receptance=lin(p + "att.receptance"), key=lin(p + "att.key"),
            value=None if moe_v else lin(p + "att.value"),
            value_router=lin(p + "att.value.router") if moe_v else None,
            value_experts=experts(value_all, cfg.width) if moe_v else None,
            value_all=value_all,
            output=lin(p + "att.output"),
            lam=be.asarray(lam, dtype="float64"),
            v_mix=be.asarray(t[p + "att.v_mix"]), alpha=be.asarray(t[p + "att.alpha"]),
            k_scale=be.asarray(t[p + "att.k_scale"]), u=be.asarray(t[p + "att.u"]),
            ffn_key=None if moe_ffn else lin(p + "ffn.key"),
            ffn_value=ffn_value,
            ffn_router=lin(p + "ffn.router") if moe_ffn else None,
            ffn_key_experts=experts(ffn_key_all, hidden) if moe_ffn else None,
            ffn_key_all=ffn_key_all,
            ffn_value_experts=[ffn_value.w[e * hidden:(e + 1) * hidden]
                               for e in range(cfg.n_experts)] if moe_ffn else None))
    heads = {}
    for modality in Modality:
        start, stop = symbol_range(modality, cfg.n_text)
        heads.setdefault((start, stop), lin("head", slice(start, stop)))
    return blocks, norm("ln_out", ln_eps), heads
