"""Router choice and mixing, HiRA merge, the squared-ReLU MLP."""

import torch
from hypothesis import given, settings, strategies as st

from ozarc.model.layers import HiRALinear, MoEMLP, SquaredReLUMLP, TopKRouter


def test_router_ties_go_to_the_lower_expert_index():
    router = TopKRouter(width=4, n_experts=4, top_k=2)
    with torch.no_grad():
        router.weight.zero_()                                # every score equal
    gates, _ = router(torch.randn(5, 4))
    expected = torch.tensor([0.5, 0.5, 0.0, 0.0]).expand(5, 4)
    torch.testing.assert_close(gates, expected)
    with torch.no_grad():
        router.weight.copy_(torch.tensor([[0.0], [1.0], [0.0], [1.0]]) * torch.ones(4, 4))
    gates, _ = router(torch.ones(1, 4))                      # scores 0, 4, 0, 4
    torch.testing.assert_close(gates, torch.tensor([[0.0, 0.5, 0.0, 0.5]]))


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**31), k=st.integers(1, 4))
def test_router_mixes_the_top_k_with_a_softmax_of_their_scores(seed, k):
    torch.manual_seed(seed)
    router = TopKRouter(width=6, n_experts=4, top_k=k)
    torch.nn.init.normal_(router.weight)
    x = torch.randn(3, 6, dtype=torch.float32)
    gates, _ = router(x)
    scores = x @ router.weight.T
    for row in range(3):
        order = sorted(range(4), key=lambda e: (-scores[row, e].item(), e))[:k]
        chosen = scores[row, order]
        expect = torch.zeros(4)
        expect[order] = torch.exp(chosen - chosen.max()) / torch.exp(chosen - chosen.max()).sum()
        torch.testing.assert_close(gates[row], expect)


def test_balance_loss_is_smallest_when_routing_is_uniform():
    router = TopKRouter(width=4, n_experts=4, top_k=1)
    balanced = router.aux_loss(torch.eye(4) * 5, torch.arange(4)[:, None])
    skewed = router.aux_loss(torch.tensor([[5.0, 0, 0, 0]] * 4), torch.zeros(4, 1, dtype=torch.long))
    assert balanced < skewed


def test_hira_merge_is_the_same_linear_map():
    layer = HiRALinear(8, 5, rank=12).double()
    torch.nn.init.normal_(layer.hira_A)
    torch.nn.init.normal_(layer.hira_B)
    torch.nn.init.normal_(layer.weight)
    x = torch.randn(3, 8, dtype=torch.float64)
    before = layer(x)
    layer.merge()
    assert layer.hira_A is None and set(dict(layer.named_parameters())) == {"weight"}
    torch.testing.assert_close(layer(x), before)


def test_moe_mlp_with_one_expert_chosen_is_that_expert():
    moe = MoEMLP(width=4, hidden=6, n_experts=3, top_k=1)
    for expert in moe.experts:
        torch.nn.init.normal_(expert.value.weight)
    with torch.no_grad():
        moe.router.weight.zero_()
        moe.router.weight[2] = 1.0
    x = torch.rand(2, 4) + 0.1                               # expert 2 scores highest
    out, _ = moe(x)
    torch.testing.assert_close(out, moe.experts[2](x))
    mlp = SquaredReLUMLP(4, 6)
    torch.testing.assert_close(mlp(x), mlp.value(torch.relu(mlp.key(x)) ** 2))
