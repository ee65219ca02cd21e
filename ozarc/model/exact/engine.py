"""ExactModel: next-symbol frequency tables from an integer model, step by step or per
whole sequence.

Why: the neural codec's encoder and decoder must derive bit-identical tables.  The decoder
calls ``freqs`` / ``advance`` in a loop (one symbol per lane per step); the encoder may call
``sequence_freqs`` once per batch of sequences.  Both run the same integer code
(block.py), so they agree on every machine, backend, thread count and batch size.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from ozarc.errors import CorruptDataError
from ozarc.modality import Modality
from ozarc.model.above import ABOVE_NONE, above_symbols, uses_above
from ozarc.model.config import ModelConfig
from ozarc.model.exact.backend import DEFAULT_BACKEND, make_backend, resolve_backend_name
from ozarc.model.exact.block import LayerState, block_forward
from ozarc.model.exact.fixed import FREQ_BITS, engine_constants
from ozarc.model.exact.kernels import frequencies, linear, normalize
from ozarc.model.exact.load import load_layers
from ozarc.model.ozm import OzmFile, read_ozm, sha256_hex
from ozarc.model.vocab import PREFIX_TOKEN, symbol_range

THREADS_ENV = "OZARC_ENGINE_THREADS"   # default lane-shard threads per model (1)
MIN_SHARD_LANES = 64        # a thread gets at least this many lanes
SEQUENCE_WINDOW = 1 << 11   # sequence_freqs/_intervals run at most this many lane-tokens at
#                             once: the FFN's hidden activations then stay in cache (numba
#                             backend, width 64: 2048 encodes ~1.3x faster than 8192)


@dataclass
class EngineState:
    """Per-lane recurrent state after the tokens fed so far."""

    modality: Modality
    batch: int
    layers: list[LayerState]
    x_last: object                  # [B, C] residual of the last token fed
    cached: np.ndarray | None = field(default=None, repr=False)
    parts: list["EngineState"] = field(default_factory=list)   # lane shards (threads > 1)
    # above-pixel models on images (ozarc.model.above): each lane's row stride, the last
    # symbols fed (a ring of max(rows) columns) and how many have been fed
    rows: np.ndarray | None = field(default=None, repr=False)
    history: np.ndarray | None = field(default=None, repr=False)
    fed: int = 0


class ExactModel:
    """An integer model loaded from an ``.ozm`` file (see ``from_bytes``)."""

    FREQ_BITS = FREQ_BITS

    def __init__(self, ozm: OzmFile, sha256: str, backend: str = DEFAULT_BACKEND,
                 threads: int | None = None):
        if ozm.engine != engine_constants():
            raise CorruptDataError(f"model {ozm.name} ({sha256[:12]}) was exported for "
                                   "different engine arithmetic; upgrade ozarc")
        self.config = ModelConfig.from_dict(ozm.config)
        self.name = ozm.name
        self.sha256 = sha256
        self.tokenizer_blob = ozm.blobs.get("tokenizer", b"")
        self.meta = ozm.meta
        self.backend = resolve_backend_name(backend)
        self.threads = max(1, int(threads or os.environ.get(THREADS_ENV, "1")))
        self._pool = None
        self._be = be = make_backend(self.backend)
        self._sig = be.asarray(ozm.tensors["table.sigmoid"])
        self._exp = be.asarray(ozm.tensors["table.exp"])
        self._emb = be.asarray(ozm.tensors["emb_ln0"])
        self._above = None
        if self.config.above_pixel:
            if "above" not in ozm.tensors:
                raise CorruptDataError(f"model {ozm.name} ({sha256[:12]}) reads the pixel "
                                       "above but has no 'above' table")
            self._above = be.asarray(ozm.tensors["above"])
        self._blocks, self._ln_out, self._heads = load_layers(be, ozm, self.config)

    @classmethod
    def from_bytes(cls, data: bytes, backend: str = DEFAULT_BACKEND, label: str = "model file",
                   threads: int | None = None):
        return cls(read_ozm(data, label), sha256_hex(data), backend, threads)

    @classmethod
    def from_path(cls, path, backend: str = DEFAULT_BACKEND, threads: int | None = None):
        with open(path, "rb") as fh:
            return cls.from_bytes(fh.read(), backend, label=str(path), threads=threads)

    @property
    def ref(self):
        """This model as archives name it (``ozarc.model.registry.ModelRef``)."""
        from ozarc.model.registry import ModelRef  # registry imports this module

        return ModelRef(self.name, self.sha256)

    def n_symbols(self, modality: Modality) -> int:
        start, stop = symbol_range(Modality(modality), self.config.n_text)
        return stop - start

    # -- the engine API -----------------------------------------------------------------

    def reads_above(self, modality) -> bool:
        """True when this model's image predictions see the pixel above (``rows`` matter)."""
        return self._above is not None and uses_above(Modality(modality))

    def start(self, modality, batch: int, rows=None) -> EngineState:
        """State after the modality's prefix token, ready to give freqs for symbol 0.
        ``rows``: each lane's row stride in symbols (image patches, ``ozarc.model.above``;
        None: no pixel above is known), used by models that read the pixel above."""
        modality = Modality(modality)
        shards = self._shards(batch)
        if len(shards) == 1:
            state = self._start(modality, batch)
        else:
            parts = self._map(lambda span: self._start(modality, span[1] - span[0]), shards)
            state = EngineState(modality, batch, [], None, parts=parts)
        if self.reads_above(modality):
            state.rows = _lane_rows(rows, batch)
            state.history = np.zeros((batch, max(1, int(state.rows.max(initial=0)))),
                                     dtype=np.int64)
        return state

    def freqs(self, state: EngineState) -> np.ndarray:
        """[B, n_symbols] int64 next-symbol table (each row sums to 2**16, entries >= 1)."""
        if state.cached is None:
            if state.parts:
                state.cached = np.concatenate(self._map(self.freqs, state.parts))
            else:
                state.cached = self._freqs(state.modality, state.x_last)
        return state.cached

    def advance(self, state: EngineState, symbols) -> None:
        """Feed one modality-local symbol per lane."""
        symbols = np.asarray(symbols, dtype=np.int64).reshape(state.batch, 1)
        tokens = self._tokens(state.modality, symbols)
        above = self._next_above(state, symbols)
        state.cached = None
        if state.parts:
            bounds = np.cumsum([0] + [part.batch for part in state.parts])
            self._map(lambda i: self._advance(
                state.parts[i], tokens[bounds[i]:bounds[i + 1]],
                None if above is None else above[bounds[i]:bounds[i + 1]]),
                range(len(state.parts)))
        else:
            self._advance(state, tokens, above)

    def sequence_freqs(self, modality, symbols, rows=None) -> np.ndarray:
        """[B, T] symbols -> [B, T, n_sym] tables; table t conditions on symbols[:, :t]
        (``rows`` as in ``start``)."""
        modality = Modality(modality)
        symbols = np.asarray(symbols, dtype=np.int64)
        B, T = symbols.shape
        if B == 0 or T == 0:
            return np.zeros((B, T, self.n_symbols(modality)), dtype=np.int64)
        self._tokens(modality, symbols[:, :-1])                  # validate before any work
        above = self._above_inputs(modality, symbols, rows)
        return np.concatenate(self._map(
            lambda span: self._sequence_freqs(modality, symbols[span[0]:span[1]],
                                              _lanes(above, span)), self._shards(B)))

    def sequence_intervals(self, modality, symbols, rows=None) -> tuple[np.ndarray, np.ndarray]:
        """[B, T] symbols -> (freq, start) [B, T]: symbol t's frequency and cumulative start
        in ``sequence_freqs(modality, symbols, rows)[:, t]``, without building the [B, T, n]
        tables (the encoder needs only these two numbers per symbol)."""
        modality = Modality(modality)
        symbols = np.asarray(symbols, dtype=np.int64)
        B, T = symbols.shape
        if B == 0 or T == 0:
            return np.zeros((B, T), dtype=np.int64), np.zeros((B, T), dtype=np.int64)
        self._tokens(modality, symbols)                          # validate before any work
        above = self._above_inputs(modality, symbols, rows)
        parts = self._map(lambda span: self._sequence_intervals(
            modality, symbols[span[0]:span[1]], _lanes(above, span)), self._shards(B))
        return (np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]))

    # -- internals ------------------------------------------------------------------------

    def _shards(self, batch: int) -> list[tuple[int, int]]:
        """Contiguous lane ranges, one per thread (lanes are independent and exact, so the
        split never changes a table); small batches stay whole."""
        count = max(1, min(self.threads, batch // MIN_SHARD_LANES))
        edges = [batch * i // count for i in range(count + 1)]
        return list(zip(edges[:-1], edges[1:]))

    def _map(self, fn, items) -> list:
        items = list(items)
        if len(items) == 1:
            return [fn(items[0])]
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=self.threads)
        return list(self._pool.map(fn, items))

    def _start(self, modality: Modality, batch: int) -> EngineState:
        be, cfg = self._be, self.config
        H, N = cfg.n_heads, cfg.head_size
        layers = [LayerState(be.zeros((batch, cfg.width)), be.fzeros((batch, H, N, N)))
                  for _ in range(cfg.n_layers)]
        state = EngineState(modality, batch, layers, None)
        tokens = np.full((batch, 1), PREFIX_TOKEN[modality], dtype=np.int64)
        above = np.full((batch, 1), ABOVE_NONE, dtype=np.int64) if self.reads_above(modality) \
            else None
        state.x_last = self._run(state, tokens, above)[:, -1, :]
        return state

    def _advance(self, state: EngineState, tokens: np.ndarray, above=None) -> None:
        state.x_last = self._run(state, tokens, above)[:, -1, :]
        state.cached = None

    def _next_above(self, state: EngineState, symbols: np.ndarray) -> np.ndarray | None:
        """Record the symbols just fed; [B, 1] the symbol above the next one (or None for a
        model or modality without the input).  Symbol n - row sits in ring column
        (n - row) % R, not yet overwritten because row <= R."""
        if state.history is None:
            return None
        ring = state.history.shape[1]
        state.history[:, state.fed % ring] = symbols[:, 0]
        state.fed += 1
        source = state.fed - state.rows
        picked = state.history[np.arange(state.batch), np.maximum(source, 0) % ring]
        return np.where((state.rows > 0) & (source >= 0), picked, ABOVE_NONE)[:, None]

    def _above_inputs(self, modality: Modality, symbols: np.ndarray, rows) -> np.ndarray | None:
        """[B, T] above-pixel inputs of the positions predicting ``symbols`` (None when the
        model or modality has no such input)."""
        if not self.reads_above(modality):
            return None
        return above_symbols(symbols, _lane_rows(rows, len(symbols)))

    def _predictors(self, modality: Modality, symbols: np.ndarray, above=None):
        """(span, x): for each window of time steps, the residual rows [B * len(span), C]
        that predict symbols[:, span] (lane-major), the first being the prefix's state."""
        B, T = symbols.shape
        state = self._start(modality, B)
        yield slice(0, 1), state.x_last
        tokens = self._tokens(modality, symbols[:, :-1])
        window = max(1, SEQUENCE_WINDOW // B)         # bounds memory; results are identical
        for lo in range(0, T - 1, window):
            span = slice(lo + 1, min(lo + 1 + window, T))
            xs = self._run(state, tokens[:, lo:lo + window],
                           None if above is None else above[:, span])
            yield span, xs.reshape(-1, xs.shape[-1])

    def _sequence_freqs(self, modality: Modality, symbols: np.ndarray, above=None) -> np.ndarray:
        B, n = symbols.shape[0], self.n_symbols(modality)
        return np.concatenate([self._freqs(modality, x).reshape(B, -1, n)
                               for _, x in self._predictors(modality, symbols, above)], axis=1)

    def _sequence_intervals(self, modality: Modality, symbols: np.ndarray, above=None):
        freq, start = np.empty_like(symbols), np.empty_like(symbols)
        for span, x in self._predictors(modality, symbols, above):
            f, c = self._intervals(modality, x, symbols[:, span].reshape(-1))
            freq[:, span], start[:, span] = f.reshape(len(symbols), -1), c.reshape(len(symbols), -1)
        return freq, start

    def _tokens(self, modality: Modality, symbols: np.ndarray) -> np.ndarray:
        start, stop = symbol_range(modality, self.config.n_text)
        if symbols.size and (symbols.min() < 0 or symbols.max() >= stop - start):
            raise ValueError(f"{modality.tag} symbols must lie in [0, {stop - start})")
        return symbols + start

    def _run(self, state: EngineState, tokens: np.ndarray, above: np.ndarray | None = None):
        be = self._be
        x = self._emb[be.asarray(tokens)]
        if above is not None:     # both Q16 int32 tables: the sum stays far below RESID_MAX
            x = x + self._above[be.asarray(above)]
        v_first = None
        for block, layer in zip(self._blocks, state.layers):
            x, v_first = block_forward(be, block, x, layer, v_first, self.config, self._sig)
        return x

    def _logits(self, modality: Modality, x):
        be = self._be
        head = self._heads[symbol_range(modality, self.config.n_text)]
        z = normalize(be, x, self._ln_out.gamma, self._ln_out.beta, self._ln_out.eps_q)
        return linear(be, z, head)

    def _freqs(self, modality: Modality, x) -> np.ndarray:
        return self._be.to_numpy(frequencies(self._be, self._logits(modality, x), self._exp))

    def _intervals(self, modality: Modality, x, symbols: np.ndarray):
        """(freq, start) [rows] of one symbol per row of x."""
        logits = self._logits(modality, x)
        if self._be.fused:
            return self._be.intervals(logits, self._exp, symbols)
        tables = self._be.to_numpy(frequencies(self._be, logits, self._exp))
        sym = symbols[:, None]
        freq = np.take_along_axis(tables, sym, axis=-1)[:, 0]
        start = np.take_along_axis(np.cumsum(tables, axis=-1), sym, axis=-1)[:, 0] - freq
        return freq, start


def _lane_rows(rows, batch: int) -> np.ndarray:
    """[batch] int64 row strides (zeros when ``rows`` is None); ValueError if malformed."""
    if rows is None:
        return np.zeros(batch, dtype=np.int64)
    rows = np.asarray(rows, dtype=np.int64).reshape(-1)
    if rows.shape != (batch,) or (rows < 0).any():
        raise ValueError(f"rows must be {batch} non-negative row strides")
    return rows


def _lanes(above: np.ndarray | None, span: tuple[int, int]) -> np.ndarray | None:
    return None if above is None else above[span[0]:span[1]]
