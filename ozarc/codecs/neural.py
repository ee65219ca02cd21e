"""``neural``: chunks coded by the learned model's exact frequencies and the lane rANS coder.

One codec (id 2) for every learned modality, its payload header naming the modality: the
decoder needs the modality anyway (to start the model with the right prefix and symbol range),
one code path serves images, speech and text, and a new modality costs a header code rather
than a codec id.  The chunk's sequences (image patches, speech windows, text blocks) are the
lanes of one rANS stream; decoding steps all lanes together, one model call and one coder
call per step, and :meth:`NeuralCodec.decode_many` puts many chunks into the same batch.

Encoding verifies itself: the payload is decoded and compared before it is returned, and a
mismatch raises CodecError (the writer then keeps the classical coding).

Given a size to beat (``encode_unchecked(..., budget=)``), a big chunk is first coded on
every PROBE_STRIDE-th lane only: lanes are coded independently, so that sample's exact
size, scaled by symbols, estimates the chunk's.  Where the estimate exceeds the budget by
more than PROBE_MARGIN the rest is not coded (the chunk keeps its classical coding); otherwise the
other lanes are coded and the payload is the very same as without a probe.
"""

from __future__ import annotations

import numpy as np

from ozarc.codecs.base import ChunkHint, Codec
from ozarc.codecs.registry import register
from ozarc.entropy.payload import IMAGE_CHANNELS, PayloadHeader
from ozarc.entropy.rans import STATE_BYTES, LaneDecoder, encode_lanes, symbol_intervals
from ozarc.errors import CodecError
from ozarc.modality import Modality
from ozarc.model.above import patch_rows
from ozarc.model.tokenizers import image, speech, text

TEXT_BLOCK_TOKENS = 1024
#: Cap on the [lanes, T, n_symbols] frequency block the encoder asks the model for at once.
_ENCODE_BLOCK_ENTRIES = 1 << 23
#: Cap on lanes decoded in one batch by decode_many (bounds model state memory).
MAX_DECODE_LANES = 2048
HANDLED = (Modality.TEXT, Modality.IMAGE_RGB, Modality.IMAGE_GRAY, Modality.SPEECH)
#: The probe: every PROBE_STRIDE-th lane of a chunk of at least PROBE_MIN_LANES lanes; the
#: chunk is given up when the estimate exceeds the budget by more than PROBE_MARGIN (in %).
PROBE_STRIDE = 8
PROBE_MIN_LANES = 64
PROBE_MARGIN = 10


def resolve_model(ref: object | None):
    """A loaded model: ``ref`` itself when it already is one, else the registry's model."""
    if ref is None:
        raise CodecError("the neural codec needs a model and none was given")
    if all(hasattr(ref, attr) for attr in ("start", "freqs", "advance", "sequence_freqs")):
        return ref
    from ozarc.model.registry import load_model  # lazy: loading weights is expensive

    return load_model(ref)


def _tokenizer(model) -> text.TextTokenizer:
    blob = getattr(model, "tokenizer_blob", None)
    if not blob:
        raise CodecError(f"model {getattr(model, 'name', '?')} carries no text tokenizer")
    try:
        tokenizer = text.tokenizer_for(bytes(blob))
    except (ValueError, RuntimeError) as exc:  # not a SentencePiece model, or not lossless
        raise CodecError(f"model {getattr(model, 'name', '?')}: unusable text tokenizer ({exc})") from None
    if tokenizer.n_text != model.config.n_text:
        raise CodecError(f"model {getattr(model, 'name', '?')}: tokenizer has {tokenizer.n_text} "
                         f"pieces, the network {model.config.n_text}")
    return tokenizer


def _speech_channels(geometry: tuple[int, ...]) -> int:
    return geometry[0] if geometry else 1


def speech_predictor(model) -> int:
    """The predictor order the model's speech is coded with (0: raw PCM bytes; 1-4 fixed, per
    window; 8 or more adaptive, per chunk: ``ozarc.model.tokenizers.speech``): a
    property of the model file, which the chunk names."""
    return int(getattr(getattr(model, "config", None), "speech_predictor", 0))


def tokenize(data: bytes, hint: ChunkHint, model) -> tuple[PayloadHeader, list[np.ndarray]]:
    """The header and the lanes' symbol sequences for one chunk."""
    m = hint.modality
    if m in IMAGE_CHANNELS:
        height, width, channels = hint.geometry
        try:
            seqs = image.image_to_sequences(data, height, width, channels)
        except ValueError as exc:
            raise CodecError(str(exc)) from None
        return PayloadHeader(m, (height, width, channels)), seqs
    if m == Modality.SPEECH:
        seqs = speech.pcm_to_sequences(data, speech.WINDOW, speech_predictor(model))
        return PayloadHeader(m, (_speech_channels(hint.geometry), speech.WINDOW)), seqs
    if m == Modality.TEXT:
        seqs = text.text_to_sequences(data, _tokenizer(model), TEXT_BLOCK_TOKENS)
        n_tokens = sum(len(s) for s in seqs)
        return PayloadHeader(m, (TEXT_BLOCK_TOKENS, n_tokens)), seqs
    raise CodecError(f"the neural codec does not handle {m.tag} chunks")


def detokenize(header: PayloadHeader, seqs: list[np.ndarray], model) -> bytes:
    m = header.modality
    if m in IMAGE_CHANNELS:
        return image.sequences_to_image(seqs, *header.geometry)
    if m == Modality.SPEECH:
        return speech.sequences_to_pcm(seqs, speech_predictor(model))
    return text.sequences_to_text(seqs, _tokenizer(model))


def lane_rows(model, header: PayloadHeader) -> list[int] | None:
    """Each lane's row stride (``ozarc.model.above``) for a model that reads the pixel above
    in this chunk's modality, else None: the geometry in the header fixes it, so the decoder
    knows it before any symbol."""
    reads_above = getattr(model, "reads_above", None)
    if reads_above is None or not reads_above(header.modality):
        return None
    return patch_rows(*header.geometry)


def code_sequences(model, modality: Modality, seqs: list[np.ndarray],
                   budget: int | None = None, rows: list[int] | None = None) -> bytes | None:
    """rANS-code the lanes under the model's whole-sequence frequency tables; None when a
    probe (module docstring) estimates the result above ``budget`` bytes.  ``rows``: the
    lanes' row strides, for a model that reads the pixel above (``lane_rows``)."""
    lengths = np.asarray([len(s) for s in seqs], dtype=np.int64)
    n_steps = int(lengths.max()) if len(seqs) else 0
    symbols = np.zeros((len(seqs), n_steps), dtype=np.int64)
    for lane, seq in enumerate(seqs):
        symbols[lane, :len(seq)] = seq
    if not hasattr(model, "sequence_intervals"):
        return encode_lanes(*_intervals_from_tables(model, modality, symbols), lengths)
    strides = None if rows is None else np.asarray(rows, dtype=np.int64)

    def intervals(lanes: np.ndarray):
        if strides is None:
            return model.sequence_intervals(modality, symbols[lanes])
        return model.sequence_intervals(modality, symbols[lanes], strides[lanes])

    freq, start = np.empty_like(symbols), np.empty_like(symbols)
    rest = np.arange(len(seqs))
    if budget is not None and len(seqs) >= PROBE_MIN_LANES:
        probe = rest[::PROBE_STRIDE]
        freq[probe], start[probe] = intervals(probe)
        probe_bytes = len(encode_lanes(freq[probe], start[probe], lengths[probe]))
        estimate = probe_bytes * int(lengths.sum()) // max(1, int(lengths[probe].sum()))
        if estimate * 100 > budget * (100 + PROBE_MARGIN):
            return None
        rest = np.setdiff1d(rest, probe)
    if len(rest):
        freq[rest], start[rest] = intervals(rest)
    return encode_lanes(freq, start, lengths)


def _intervals_from_tables(model, modality: Modality, symbols: np.ndarray):
    """(freq, start) from a bare stand-in model that only gives whole tables, in blocks."""
    freq, start = np.ones_like(symbols), np.zeros_like(symbols)
    n_symbols = model.config.n_text if modality == Modality.TEXT else 256
    per_block = max(1, _ENCODE_BLOCK_ENTRIES // max(1, symbols.shape[1] * n_symbols))
    for lo in range(0, len(symbols), per_block):
        block = symbols[lo:lo + per_block]
        tables = np.asarray(model.sequence_freqs(modality, block))
        freq[lo:lo + per_block], start[lo:lo + per_block] = symbol_intervals(tables, block)
    return freq, start


def decode_lanes(model, modality: Modality, coded: list[bytes], lengths: list[list[int]],
                 rows: list[list[int]] | None = None
                 ) -> tuple[list[list[np.ndarray]], np.ndarray]:
    """Decode several chunks' lanes in one batch: (per chunk its sequences, per chunk ok);
    ``rows``: per chunk its lanes' row strides (``lane_rows``), or None."""
    flat = np.asarray([n for chunk in lengths for n in chunk], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(flat)]).astype(np.int64)
    out = np.zeros(int(offsets[-1]), dtype=np.int64)
    decoder = LaneDecoder(coded, [len(chunk) for chunk in lengths])
    n_steps = int(flat.max()) if len(flat) else 0
    if n_steps:
        state = (model.start(modality, len(flat)) if rows is None else
                 model.start(modality, len(flat), [r for chunk in rows for r in chunk]))
        feed = np.zeros(len(flat), dtype=np.int64)
        for t in range(n_steps):
            lanes = np.flatnonzero(flat > t)
            tables = np.asarray(model.freqs(state))
            symbols = decoder.decode_step(lanes, tables if len(lanes) == len(flat) else tables[lanes])
            out[offsets[lanes] + t] = symbols
            if t + 1 < n_steps:
                feed[:] = 0
                feed[lanes] = symbols
                model.advance(state, feed)
    per_chunk, lane = [], 0
    for chunk in lengths:
        per_chunk.append([out[offsets[lane + i]:offsets[lane + i + 1]] for i in range(len(chunk))])
        lane += len(chunk)
    return per_chunk, decoder.ok()


@register
class NeuralCodec(Codec):
    codec_id = 2
    name = "neural"
    uses_model = True

    def applies_to(self, hint: ChunkHint) -> bool:
        if hint.model is None or hint.modality not in HANDLED:
            return False
        if hint.modality in IMAGE_CHANNELS and hint.geometry:  # no geometry: a modality-level probe
            return (len(hint.geometry) == 3 and hint.geometry[2] == IMAGE_CHANNELS[hint.modality]
                    and min(hint.geometry) > 0)
        return True

    def encode(self, data: bytes, hint: ChunkHint) -> bytes:
        """Code ``data`` and decode it back as a check (CodecError if it does not return)."""
        payload = self.encode_unchecked(data, hint)
        problem = self.check_many([data], [payload], hint.model)[0]
        if problem is not None:
            raise CodecError(problem)
        return payload

    def encode_unchecked(self, data: bytes, hint: ChunkHint,
                         budget: int | None = None) -> bytes | None:
        if not self.applies_to(hint) or (hint.modality in IMAGE_CHANNELS and not hint.geometry):
            raise CodecError(f"the neural codec does not apply to this {hint.modality.tag} chunk")
        model = resolve_model(hint.model)
        header, seqs = tokenize(bytes(data), hint, model)
        head = header.to_bytes()
        try:
            body = code_sequences(model, hint.modality, seqs,
                                  None if budget is None else budget - len(head),
                                  lane_rows(model, header))
        except ValueError as exc:  # a model table with a zero or a bad total
            raise CodecError(f"neural encoding failed: {exc}") from None
        return None if body is None else head + body

    def check_many(self, chunks: list[bytes], payloads: list[bytes],
                   model: object | None = None) -> list[str | None]:
        """Decode every payload (one batch per modality: the decoder's steps are shared) and
        compare with its chunk: the encoder's whole-sequence tables and the decoder's
        step-by-step ones must agree, and the tokenizer must give the bytes back."""
        decoded = self.decode_many(payloads, [len(c) for c in chunks], model)
        return [None if got == bytes(want) else
                (f"neural chunk did not decode to its input ({got}); keeping another codec"
                 if isinstance(got, CodecError) else
                 "neural chunk did not decode to its input; keeping another codec")
                for got, want in zip(decoded, chunks)]

    def decode(self, payload: bytes, raw_length: int, model: object | None = None) -> bytes:
        result = self.decode_many([payload], [raw_length], model)[0]
        if isinstance(result, CodecError):
            raise result
        return result

    def decode_many(self, payloads: list[bytes], raw_lengths: list[int],
                    model: object | None = None) -> list[bytes | CodecError]:
        """Decode many chunks, batching all chunks of a modality together (fast path).

        Returns, per chunk, its bytes or the CodecError it failed with: one corrupt chunk
        does not stop the others.
        """
        model = resolve_model(model)
        results: list[bytes | CodecError] = [CodecError("not decoded")] * len(payloads)
        groups: dict[Modality, list[tuple[int, PayloadHeader, bytes, list[int]]]] = {}
        for i, (payload, raw_length) in enumerate(zip(payloads, raw_lengths)):
            try:
                header, pos = PayloadHeader.parse(bytes(payload))
                lengths = header.lane_lengths(raw_length)
                if len(payload) - pos < STATE_BYTES * len(lengths):
                    raise CodecError("neural payload is truncated (lane states missing)")
            except CodecError as exc:
                results[i] = exc
                continue
            groups.setdefault(header.modality, []).append((i, header, payload[pos:], lengths))
        for modality, members in groups.items():
            for batch in _batches(members):
                self._decode_batch(model, modality, batch, raw_lengths, results)
        return results

    @staticmethod
    def _decode_batch(model, modality, batch, raw_lengths, results) -> None:
        rows = [lane_rows(model, m[1]) for m in batch]
        try:
            seqs, ok = decode_lanes(model, modality, [m[2] for m in batch], [m[3] for m in batch],
                                    None if rows[0] is None else rows)
        except ValueError as exc:  # the model produced an invalid table
            for index, *_ in batch:
                results[index] = CodecError(f"neural decoding failed: {exc}")
            return
        for (index, header, _, _), chunk_seqs, good in zip(batch, seqs, ok):
            if not good:
                results[index] = CodecError("neural payload is corrupt (coder check failed)")
                continue
            try:
                data = detokenize(header, chunk_seqs, model)
            except (CodecError, ValueError) as exc:
                results[index] = CodecError(f"neural payload is corrupt ({exc})")
                continue
            if len(data) != raw_lengths[index]:
                results[index] = CodecError(f"neural chunk decoded to {len(data)} bytes, "
                                            f"expected {raw_lengths[index]}")
            else:
                results[index] = data


def _batches(members: list) -> list[list]:
    """Split chunks into batches of at most MAX_DECODE_LANES lanes (a big chunk goes alone)."""
    batches, current, lanes = [], [], 0
    for member in members:
        n = len(member[3])
        if current and lanes + n > MAX_DECODE_LANES:
            batches.append(current)
            current, lanes = [], 0
        current.append(member)
        lanes += n
    if current:
        batches.append(current)
    return batches
