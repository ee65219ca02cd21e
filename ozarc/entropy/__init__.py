"""Entropy coding: a lane-interleaved rANS coder over exact integer frequency tables.

Kept apart from the network and the codec (CompressAI's split): the coder only sees integer
frequencies that sum to 2**16, so encoder and decoder agree bit for bit on any machine.
"""

from ozarc.entropy.rans import (FREQ_BITS, LaneDecoder, encode_lanes, STATE_BYTES,
                                symbol_intervals)

__all__ = ["FREQ_BITS", "LaneDecoder", "encode_lanes", "STATE_BYTES", "symbol_intervals"]
