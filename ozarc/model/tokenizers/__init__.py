"""Lossless tokenizers: bytes of one modality <-> independent sequences of modality-local symbols.

Image and speech symbols are byte values 0..255; text symbols are SentencePiece ids
0..n_text-1 (``ozarc.model.vocab`` maps both into the unified token ids).
"""
