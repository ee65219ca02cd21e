"""Lane rANS: exact round trips, rate near the entropy, multi-chunk batches, corruption flagged."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from ozarc.entropy.rans import (STATE_BYTES, TOTAL, LaneDecoder, encode_lanes,
                                symbol_intervals)


def random_tables(rng, shape, n, skew=0.3):
    """Integer tables summing to 2**16, entries >= 1 (some very peaked, some flat)."""
    p = rng.dirichlet(np.full(n, skew), size=shape)
    freqs = 1 + np.floor(p * (TOTAL - n)).astype(np.int64)
    flat = freqs.reshape(-1, n)
    flat[np.arange(len(flat)), flat.argmax(axis=1)] += TOTAL - flat.sum(axis=1)
    return freqs


def sample(rng, tables):
    cum = np.cumsum(tables, axis=-1)
    u = rng.integers(0, TOTAL, tables.shape[:-1])
    return (cum <= u[..., None]).sum(axis=-1)


def decode_all(coded_chunks, tables_per_chunk, lengths_per_chunk):
    tables = np.concatenate(tables_per_chunk)
    lengths = np.concatenate(lengths_per_chunk)
    decoder = LaneDecoder(coded_chunks, [len(x) for x in lengths_per_chunk])
    out = np.zeros(lengths.shape + (tables.shape[1],), dtype=np.int64)
    for t in range(tables.shape[1]):
        lanes = np.flatnonzero(lengths > t)
        if len(lanes):
            out[lanes, t] = decoder.decode_step(lanes, tables[lanes, t])
    return out, decoder.ok()


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), lanes=st.integers(1, 12), steps=st.integers(1, 40),
       n=st.sampled_from([2, 3, 256, 1000]), skew=st.sampled_from([0.01, 0.3, 5.0]))
def test_round_trip(seed, lanes, steps, n, skew):
    rng = np.random.default_rng(seed)
    tables = random_tables(rng, (lanes, steps), n, skew)
    symbols = sample(rng, tables)
    lengths = rng.integers(0, steps + 1, lanes)
    coded = encode_lanes(*symbol_intervals(tables, symbols), lengths)
    out, ok = decode_all([coded], [tables], [lengths])
    mask = np.arange(steps) < lengths[:, None]
    np.testing.assert_array_equal(out[mask], symbols[mask])
    assert ok.tolist() == [True]


def test_rate_is_close_to_the_information_content():
    rng = np.random.default_rng(7)
    tables = random_tables(rng, (8, 2000), 256)
    symbols = sample(rng, tables)
    freq, start = symbol_intervals(tables, symbols)
    coded = encode_lanes(freq, start, np.full(8, 2000))
    information_bytes = -np.log2(freq / TOTAL).sum() / 8
    assert len(coded) <= information_bytes * 1.002 + 8 * STATE_BYTES
    assert len(coded) >= information_bytes - 8 * STATE_BYTES


def test_chunks_decode_together_and_a_truncated_one_fails_alone():
    rng = np.random.default_rng(3)
    chunks = []
    for lanes, steps in [(3, 30), (5, 12), (2, 30)]:
        tables = random_tables(rng, (lanes, steps), 256)
        symbols = sample(rng, tables)
        lengths = np.full(lanes, steps)
        coded = encode_lanes(*symbol_intervals(tables, symbols), lengths)
        # pad tables to a common step count so they can share one decoder
        padded = np.ones((lanes, 30, 256), dtype=np.int64) * (TOTAL // 256)
        padded[:, :steps] = tables
        chunks.append((coded, padded, lengths, symbols))
    broken = chunks[1][0][:-2]
    out, ok = decode_all([chunks[0][0], broken, chunks[2][0]],
                         [c[1] for c in chunks], [c[2] for c in chunks])
    assert ok.tolist() == [True, False, True]
    np.testing.assert_array_equal(out[:3], chunks[0][3])
    np.testing.assert_array_equal(out[8:], chunks[2][3])


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), position=st.integers(0, 10_000), bit=st.integers(0, 7))
def test_a_flipped_bit_is_detected_or_harmless(seed, position, bit):
    rng = np.random.default_rng(seed)
    tables = random_tables(rng, (4, 50), 256)
    symbols = sample(rng, tables)
    lengths = np.full(4, 50)
    coded = bytearray(encode_lanes(*symbol_intervals(tables, symbols), lengths))
    coded[position % len(coded)] ^= 1 << bit
    out, ok = decode_all([bytes(coded)], [tables], [lengths])
    assert not ok[0] or (out == symbols).all()


def test_empty_input_and_zero_lanes():
    assert encode_lanes(np.zeros((0, 0)), np.zeros((0, 0)), np.zeros(0)) == b""
    assert LaneDecoder([b""], [0]).ok().tolist() == [True]
    coded = encode_lanes(np.ones((2, 0)), np.zeros((2, 0)), np.zeros(2))
    assert len(coded) == 2 * STATE_BYTES
    assert LaneDecoder([coded], [2]).ok().tolist() == [True]


def test_bad_tables_are_refused():
    with pytest.raises(ValueError):
        encode_lanes(np.array([[0]]), np.array([[0]]), np.array([1]))
    coded = encode_lanes(np.array([[TOTAL // 2]]), np.array([[0]]), np.array([1]))
    decoder = LaneDecoder([coded], [1])
    with pytest.raises(ValueError):
        decoder.decode_step(np.array([0]), np.array([[TOTAL // 2, TOTAL // 2 - 1]]))
    with pytest.raises(ValueError):
        decoder.decode_step(np.array([0]), np.array([[TOTAL, 0]]))


def test_impossible_lane_state_fails_the_chunk():
    assert LaneDecoder([b"\xff\xff\xff\xff"], [1]).ok().tolist() == [False]
    assert LaneDecoder([b"\x00\x00"], [1]).ok().tolist() == [False]


def test_symbol_intervals_give_frequency_and_cumulative_start():
    tables = np.array([[[1, 2, TOTAL - 3]]])
    freq, start = symbol_intervals(tables, np.array([[2]]))
    assert (freq.item(), start.item()) == (TOTAL - 3, 3)
