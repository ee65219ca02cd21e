"""OzNet: the whole-sequence and recurrent forms agree, merging HiRA changes nothing, the
state dict carries exactly the contract's names, logits cover only the active modality."""

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings, strategies as st

from ozarc.modality import Modality
from ozarc.model.config import ModelConfig
from ozarc.model.network import OzNet
from ozarc.model.vocab import PREFIX_TOKEN, symbol_range

N_TEXT = 40
VARIANTS = {
    "dense": dict(moe_ffn=False, moe_v=False, hira_factor=0),
    "dense-hira": dict(moe_ffn=False, moe_v=False, hira_factor=1),
    "moe": dict(moe_ffn=True, moe_v=True, hira_factor=0),
    "moe-hira": dict(moe_ffn=True, moe_v=True, hira_factor=2),
    "moe-ffn-only": dict(moe_ffn=True, moe_v=False, hira_factor=1),
}


def tiny_config(**switches) -> ModelConfig:
    return ModelConfig(n_text=N_TEXT, width=32, n_layers=2, **switches)


def random_net(cfg: ModelConfig, seed: int = 0) -> OzNet:
    """float64 net with every parameter random (the real init zeroes head/outputs/HiRA B,
    which would make the comparisons below trivially true)."""
    net = OzNet(cfg).double().eval()
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(0.4 * torch.randn(p.shape, generator=g, dtype=p.dtype))
    return net


def sequence(modality: Modality, batch: int, length: int, seed: int) -> torch.Tensor:
    lo, hi = symbol_range(modality, N_TEXT)
    g = torch.Generator().manual_seed(seed)
    tokens = torch.randint(lo, hi, (batch, length), generator=g)
    tokens[:, 0] = PREFIX_TOKEN[modality]
    return tokens


def stepped_logits(net: OzNet, tokens: torch.Tensor, modality: Modality) -> torch.Tensor:
    state = net.initial_state(tokens.shape[0])
    out = []
    for t in range(tokens.shape[1]):
        logits, state = net.step(state, tokens[:, t], modality)
        out.append(logits)
    return torch.stack(out, dim=1)


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_sequence_and_recurrent_forms_compute_the_same_function(variant):
    net = random_net(tiny_config(**VARIANTS[variant]))
    for modality, length in ((Modality.IMAGE_RGB, 37), (Modality.TEXT, 18)):
        tokens = sequence(modality, 3, length, seed=length)
        whole, _ = net(tokens, modality)
        torch.testing.assert_close(stepped_logits(net, tokens, modality), whole,
                                   rtol=1e-9, atol=1e-9)


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 2**31), length=st.integers(1, 40),
       variant=st.sampled_from(sorted(VARIANTS)))
def test_forms_agree_on_random_sequences(seed, length, variant):
    net = random_net(tiny_config(**VARIANTS[variant]), seed=seed % 1000)
    tokens = sequence(Modality.SPEECH, 2, length, seed)
    whole, _ = net(tokens, Modality.SPEECH)
    torch.testing.assert_close(stepped_logits(net, tokens, Modality.SPEECH), whole,
                               rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("variant", ["dense-hira", "moe-hira", "moe-ffn-only"])
def test_merge_hira_keeps_outputs_and_leaves_only_contract_keys(variant):
    net = random_net(tiny_config(**VARIANTS[variant]), seed=5)
    tokens = sequence(Modality.IMAGE_GRAY, 2, 21, seed=1)
    before, _ = net(tokens, Modality.IMAGE_GRAY)
    shipped = net.count_params()
    net.merge_hira()
    after, _ = net(tokens, Modality.IMAGE_GRAY)
    torch.testing.assert_close(after, before, rtol=1e-9, atol=1e-9)
    keys = set(net.state_dict())
    assert not any("hira" in k for k in keys)
    assert net.count_params(with_hira=True) == net.count_params() == shipped
    assert sum(v.numel() for v in net.state_dict().values()) == shipped


def contract_keys(cfg: ModelConfig) -> set[str]:
    """The names of docs/model-architecture.md, spelled out independently of the module tree."""
    keys = {"emb.weight", "ln0.weight", "ln0.bias", "ln_out.weight", "ln_out.bias", "head.weight"}
    for i in range(cfg.n_layers):
        b = f"blocks.{i}."
        keys |= {b + n for n in ("ln1.weight", "ln1.bias", "ln2.weight", "ln2.bias")}
        keys |= {b + "att." + n for n in ("mu_r", "mu_k", "mu_v", "receptance.weight",
                                          "key.weight", "decay", "v_mix", "a", "k_a", "k_m",
                                          "gn.weight", "gn.bias", "u", "output.weight")}
        if cfg.moe_v:
            keys.add(b + "att.value.router.weight")
            keys |= {b + f"att.value.experts.{e}.weight" for e in range(cfg.n_experts)}
        else:
            keys.add(b + "att.value.weight")
        if cfg.moe_ffn:
            keys.add(b + "ffn.router.weight")
            keys |= {b + f"ffn.experts.{e}.{n}.weight" for e in range(cfg.n_experts)
                     for n in ("key", "value")}
        else:
            keys |= {b + "ffn.key.weight", b + "ffn.value.weight"}
    return keys


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_state_dict_names_and_shapes_follow_the_contract(variant):
    cfg = tiny_config(**VARIANTS[variant])
    net = OzNet(cfg)
    net.merge_hira()
    sd = net.state_dict()
    assert set(sd) == contract_keys(cfg)
    C, H, N = cfg.width, cfg.n_heads, cfg.head_size
    assert sd["emb.weight"].shape == (cfg.vocab_size, C)
    assert sd["head.weight"].shape == (cfg.vocab_size, C)
    assert sd["blocks.0.att.u"].shape == (H, N)
    if cfg.moe_ffn:
        assert sd["blocks.1.ffn.router.weight"].shape == (cfg.n_experts, C)
        assert sd["blocks.1.ffn.experts.3.key.weight"].shape == (2 * C, C)
        assert sd["blocks.1.ffn.experts.3.value.weight"].shape == (C, 2 * C)
    else:
        assert sd["blocks.1.ffn.key.weight"].shape == (4 * C, C)


def test_hira_branch_sizes():
    cfg = tiny_config(**VARIANTS["moe-hira"])
    net = OzNet(cfg)
    hr, C = cfg.hira_factor * cfg.width, cfg.width
    n_branches = cfg.n_layers * (2 + cfg.n_experts)          # r, k and every value expert
    assert net.count_params(with_hira=True) - net.count_params() == n_branches * 2 * hr * C
    assert all(torch.all(p == 0) for n, p in net.named_parameters() if n.endswith("hira_B"))


def test_logits_are_the_active_modality_rows_of_the_head():
    cfg = tiny_config(**VARIANTS["moe"])
    net = random_net(cfg, seed=2)
    for modality in (Modality.TEXT, Modality.IMAGE_RGB):
        lo, hi = symbol_range(modality, N_TEXT)
        tokens = sequence(modality, 1, 9, seed=3)
        logits, _ = net(tokens, modality)
        assert logits.shape == (1, 9, hi - lo)
        with torch.no_grad():
            net.head.weight[:lo] += 1.0                      # rows outside the range
            net.head.weight[hi:] += 1.0
        torch.testing.assert_close(net(tokens, modality)[0], logits)
        with torch.no_grad():
            net.head.weight[lo] += 1.0                       # a row inside the range
        assert not torch.allclose(net(tokens, modality)[0][..., 0], logits[..., 0])


def test_predictions_are_causal():
    net = random_net(tiny_config(**VARIANTS["moe-hira"]), seed=4)
    tokens = sequence(Modality.IMAGE_RGB, 1, 30, seed=9)
    changed = tokens.clone()
    changed[0, 20] = (changed[0, 20] + 1) % 256
    a, _ = net(tokens, Modality.IMAGE_RGB)
    b, _ = net(changed, Modality.IMAGE_RGB)
    torch.testing.assert_close(a[:, :20], b[:, :20], rtol=0, atol=0)
    assert not torch.allclose(a[:, 20:], b[:, 20:])


def test_aux_loss_exists_only_with_experts_and_trains_the_routers():
    tokens = sequence(Modality.SPEECH, 2, 12, seed=0)
    dense = OzNet(tiny_config(**VARIANTS["dense"]))
    assert float(dense(tokens, Modality.SPEECH)[1]) == 0.0
    net = OzNet(tiny_config(**VARIANTS["moe"]))
    _, aux = net(tokens, Modality.SPEECH)
    assert aux > 0
    aux.backward()
    routers = [p for n, p in net.named_parameters() if n.endswith("router.weight")]
    assert len(routers) == 2 * net.config.n_layers
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in routers)


def test_fresh_model_predicts_uniformly_and_spreads_decay():
    net = OzNet(tiny_config())
    tokens = sequence(Modality.TEXT, 1, 5, seed=0)
    logits, _ = net(tokens, Modality.TEXT)
    assert torch.all(logits == 0)                          # zero-initialised head
    decay = net.blocks[0].att.decay
    lam = torch.exp(-torch.exp(-F.softplus(-decay) - 0.5))
    assert torch.all(lam[1:] < lam[:-1])                   # slow to fast across channels
    assert lam.max() > 0.99 and lam.min() < 0.9


def test_training_reaches_every_parameter_despite_the_zero_inits():
    torch.manual_seed(0)
    net = OzNet(tiny_config(**VARIANTS["moe-hira"]))
    opt = torch.optim.AdamW(net.parameters(), lr=1e-2)
    tokens = sequence(Modality.IMAGE_RGB, 2, 20, seed=1)
    for _ in range(4):        # head, then outputs / HiRA B / FFN values, then the rest open up
        opt.zero_grad()
        logits, aux = net(tokens, Modality.IMAGE_RGB)
        loss = F.cross_entropy(logits[:, :-1].reshape(-1, 256), tokens[:, 1:].reshape(-1)) + aux
        loss.backward()
        opt.step()
    def trained(p):
        return p.grad is not None and p.grad.abs().sum() > 0
    shared = [n for n, p in net.named_parameters()
              if ".experts." not in n and n != "blocks.0.att.v_mix" and not trained(p)]
    assert shared == []                                    # layer 0 has no value residual
    for block in net.blocks:                               # routed: at least top_k experts
        for moe in (block.att.value, block.ffn):
            used = [e for e in moe.experts if all(trained(p) for p in e.parameters())]
            assert len(used) >= net.config.top_k


@pytest.mark.parametrize("variant", ["dense-hira", "moe-hira"])
def test_agrees_with_the_exact_engines_float_reference(variant):
    """The integer engine's float64 numpy reading of the contract (written independently by
    the engine's author) gives the same logits as this network after merge_hira()."""
    reference = pytest.importorskip("ozarc.model.exact.reference")
    cfg = tiny_config(**VARIANTS[variant])
    net = random_net(cfg, seed=11)
    net.merge_hira()
    for modality in (Modality.TEXT, Modality.IMAGE_RGB):
        tokens = sequence(modality, 2, 19, seed=4)
        ours, _ = net(tokens, modality)
        lo = symbol_range(modality, N_TEXT)[0]
        symbols = torch.cat([tokens[:, 1:] - lo, torch.zeros(2, 1, dtype=torch.long)], dim=1)
        theirs = reference.float_logits(net.state_dict(), cfg, modality, symbols.numpy())
        torch.testing.assert_close(ours, torch.from_numpy(theirs), rtol=1e-8, atol=1e-8)
