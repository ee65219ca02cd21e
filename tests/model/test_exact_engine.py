"""The exact engine's promises: valid tables, step form == whole-sequence form, independence
from batch size, lane, backend and thread count, and closeness to the float network."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ozarc.modality import Modality
from ozarc.model.exact import ExactModel, random_float_weights
from ozarc.model.exact.reference import float_logits
from ozarc.model.exact.testing import (small_config, small_model, small_model_bytes,
                                       step_tables, table_kl)
from ozarc.model.vocab import PREFIX_TOKEN

IMAGE = Modality.IMAGE_RGB


def random_symbols(seed: int, shape, n: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, n, shape)


@pytest.fixture(scope="module")
def model() -> ExactModel:
    return small_model(0)


@pytest.mark.parametrize("modality", [Modality.IMAGE_GRAY, Modality.TEXT, Modality.SPEECH])
def test_tables_are_valid_frequency_tables(model, modality):
    n = model.n_symbols(modality)
    tables = model.sequence_freqs(modality, random_symbols(1, (3, 9), n))
    assert tables.shape == (3, 9, n)
    assert tables.dtype == np.int64
    assert (tables.sum(-1) == 2 ** ExactModel.FREQ_BITS).all()
    assert tables.min() >= 1


@settings(max_examples=15, deadline=None)
@given(data=st.data(), modality=st.sampled_from([IMAGE, Modality.TEXT]))
def test_step_form_equals_sequence_form(model, data, modality):
    n = model.n_symbols(modality)
    batch = data.draw(st.integers(1, 3))
    length = data.draw(st.integers(0, 12))
    symbols = np.array(data.draw(st.lists(st.lists(st.integers(0, n - 1), min_size=length,
                                                   max_size=length),
                                          min_size=batch, max_size=batch)),
                       dtype=np.int64).reshape(batch, length)
    whole = model.sequence_freqs(modality, symbols)
    assert np.array_equal(step_tables(model, modality, symbols), whole)


def test_start_gives_first_table_and_advance_changes_it(model):
    state = model.start(IMAGE, 2)
    first = model.freqs(state).copy()
    assert np.array_equal(first[0], first[1])
    model.advance(state, np.array([3, 200]))
    after = model.freqs(state)
    assert not np.array_equal(after[0], after[1])
    assert np.array_equal(first, model.sequence_freqs(IMAGE, np.array([[3], [200]]))[:, 0])


def test_same_sequence_same_tables_at_batch_sizes_1_7_512(model):
    probe = random_symbols(2, (1, 6), 256)
    alone = model.sequence_freqs(IMAGE, probe)[0]
    for batch, lane in ((7, 4), (512, 301)):
        others = random_symbols(batch, (batch, 6), 256)
        others[lane] = probe[0]
        assert np.array_equal(model.sequence_freqs(IMAGE, others)[lane], alone)
    stepped = random_symbols(9, (512, 6), 256)
    stepped[17] = probe[0]
    assert np.array_equal(step_tables(model, IMAGE, stepped)[17], alone)


def test_numpy_and_torch_backends_agree_at_1_and_2_threads():
    torch = pytest.importorskip("torch")
    symbols = random_symbols(3, (5, 10), 256)
    expected = small_model(0).sequence_freqs(IMAGE, symbols)
    on_torch = small_model(0, backend="torch")
    saved = torch.get_num_threads()
    try:
        for threads in (1, 2):
            torch.set_num_threads(threads)
            assert np.array_equal(on_torch.sequence_freqs(IMAGE, symbols), expected)
            assert np.array_equal(step_tables(on_torch, IMAGE, symbols), expected)
    finally:
        torch.set_num_threads(saved)


def test_cuda_backend_agrees_with_numpy():
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    symbols = random_symbols(4, (64, 12), 256)
    expected = small_model(0).sequence_freqs(IMAGE, symbols)
    on_gpu = small_model(0, backend="torch-cuda")
    assert np.array_equal(on_gpu.sequence_freqs(IMAGE, symbols), expected)
    assert np.array_equal(step_tables(on_gpu, IMAGE, symbols), expected)


def test_moe_off_and_top1_configs_run_and_agree_across_forms():
    for overrides in ({"moe_v": False, "moe_ffn": False}, {"top_k": 1}):
        m = small_model(1, **overrides)
        symbols = random_symbols(5, (2, 7), 256)
        assert np.array_equal(step_tables(m, IMAGE, symbols), m.sequence_freqs(IMAGE, symbols))


def test_integer_model_tracks_float_model_without_routing():
    config = small_config(moe_v=False, moe_ffn=False)
    weights = random_float_weights(config, 1)
    m = small_model(1, moe_v=False, moe_ffn=False)
    symbols = random_symbols(6, (4, 24), 256)
    logits = float_logits(weights, config, IMAGE, symbols)
    kl = table_kl(m.sequence_freqs(IMAGE, symbols), logits)
    logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    entropy_nats = float(-(np.exp(logp) * logp).sum(-1).mean())
    assert entropy_nats > 1.0                      # the test model predicts something
    assert kl.mean() < 0.005                       # nats per symbol (measured ~0.0005)


def test_integer_model_tracks_float_model_with_routing():
    """Routed models differ where two router scores nearly tie (a discrete choice flips);
    typical positions still agree closely."""
    config = small_config()
    m = small_model(0)
    symbols = random_symbols(7, (4, 24), 256)
    kl = table_kl(m.sequence_freqs(IMAGE, symbols),
                  float_logits(random_float_weights(config, 0), config, IMAGE, symbols))
    assert np.median(kl) < 0.005
    assert kl.mean() < 0.05


def test_exports_from_the_float_network_and_tracks_it():
    torch = pytest.importorskip("torch")
    network = pytest.importorskip("ozarc.model.network")
    from ozarc.model.export import export_model
    from ozarc.model.ozm import write_ozm

    config = small_config(hira_factor=1)
    torch.manual_seed(0)
    net = network.OzNet(config).double()
    with torch.no_grad():           # the training init zeroes the head: perturb everything
        for name, p in net.named_parameters():
            if "hira_B" not in name:
                p.add_(0.3 * torch.randn_like(p))
    net.merge_hira()
    m = ExactModel.from_bytes(write_ozm(export_model(net.state_dict(), config, "net")))
    symbols = random_symbols(8, (3, 16), 256)
    tokens = torch.tensor(np.concatenate([np.full((3, 1), PREFIX_TOKEN[IMAGE]), symbols[:, :-1]], axis=1))
    with torch.no_grad():
        logits = net(tokens, IMAGE)[0].numpy()
    kl = table_kl(m.sequence_freqs(IMAGE, symbols), logits)
    assert np.median(kl) < 0.01


def test_model_identity_and_blob(model):
    import hashlib

    assert model.sha256 == hashlib.sha256(small_model_bytes(0)).hexdigest()
    assert model.name == "small-0"
    assert (model.ref.name, model.ref.sha256) == (model.name, model.sha256)
    assert model.tokenizer_blob == b""
    assert model.config == small_config()


def test_long_sequences_are_windowed_without_changing_tables(model, monkeypatch):
    from ozarc.model.exact import engine

    symbols = random_symbols(10, (3, 11), 256)
    whole = model.sequence_freqs(IMAGE, symbols)
    monkeypatch.setattr(engine, "SEQUENCE_WINDOW", 7)          # windows of 2 tokens
    assert np.array_equal(model.sequence_freqs(IMAGE, symbols), whole)


def test_out_of_range_symbols_are_refused(model):
    state = model.start(Modality.TEXT, 1)
    with pytest.raises(ValueError, match="text"):
        model.advance(state, np.array([64]))
    with pytest.raises(ValueError):
        model.sequence_freqs(IMAGE, np.array([[0, 256, 1]]))


def test_numpy_blas_thread_count_does_not_change_tables(model):
    from ozarc.model.exact.blas import limit_blas_threads

    symbols = random_symbols(11, (64, 8), 256)
    one = model.sequence_freqs(IMAGE, symbols)
    try:
        limit_blas_threads(2)
        assert np.array_equal(model.sequence_freqs(IMAGE, symbols), one)
    finally:
        limit_blas_threads(1)


def test_export_refuses_unmerged_or_incomplete_state_dicts():
    from ozarc.model.export import export_model

    config = small_config()
    weights = random_float_weights(config, 0)
    with pytest.raises(ValueError, match="merge_hira"):
        export_model({**weights, "blocks.0.att.key.hira_A": weights["ln0.weight"]}, config, "x")
    incomplete = dict(weights)
    del incomplete["head.weight"]
    with pytest.raises(KeyError, match="head.weight"):
        export_model(incomplete, config, "x")


def test_lane_shards_on_threads_give_identical_tables(model):
    threaded = ExactModel.from_bytes(small_model_bytes(0), threads=3)
    symbols = random_symbols(12, (200, 5), 256)
    expected = model.sequence_freqs(IMAGE, symbols)
    assert len(threaded._shards(200)) == 3
    assert np.array_equal(threaded.sequence_freqs(IMAGE, symbols), expected)
    assert np.array_equal(step_tables(threaded, IMAGE, symbols), expected)


@pytest.mark.parametrize("backend", ["numpy", "numba", "torch"])
def test_dense_and_routed_experts_give_the_same_tables(backend, monkeypatch):
    """Small calls run every expert densely (block.DENSE_EXPERTS_MAX_ROWS), large ones gather
    the routed rows per expert: the integers must not depend on which form ran."""
    from ozarc.model.exact import block

    if backend != "numpy":
        pytest.importorskip(backend)
    model = small_model(3, backend=backend)
    assert model.config.moe_v and model.config.moe_ffn
    symbols = np.random.default_rng(5).integers(0, 256, (5, 40))
    monkeypatch.setattr(block, "DENSE_EXPERTS_MAX_ROWS", 0)
    routed = model.sequence_freqs(Modality.IMAGE_RGB, symbols)
    monkeypatch.setattr(block, "DENSE_EXPERTS_MAX_ROWS", 1 << 30)
    dense = model.sequence_freqs(Modality.IMAGE_RGB, symbols)
    assert np.array_equal(routed, dense)
