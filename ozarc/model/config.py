"""The network's shape: one frozen dataclass, stored verbatim in every model file."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ozarc.model.tokenizers.speech import PREDICTOR_ORDERS
from ozarc.model.vocab import vocab_size


#: switches added after the first model files: their value when a file does not name them
LATER_SWITCHES = {"above_pixel": False, "speech_predictor": 0}


@dataclass(frozen=True)
class ModelConfig:
    """Sizes and switches of the unified RWKV-7-style network (docs/model-architecture.md).

    Each architectural choice is a switch so it can be ablated; the exact engine reads the
    same config from the model file.
    """

    n_text: int = 4096        # text pieces (SentencePiece vocabulary size)
    width: int = 64           # C, model width; a multiple of head_size
    n_layers: int = 2
    head_size: int = 16       # N; H = width // head_size heads
    ffn_mult: int = 4         # dense FFN hidden = ffn_mult * width; an expert's = half of it
    n_experts: int = 4
    top_k: int = 2
    moe_ffn: bool = True      # mixture of experts in the feed-forward
    moe_v: bool = True        # mixture of experts in the time-mix value projection
    hira_factor: int = 4      # HiRA branch rank = hira_factor * width during training; 0 = off
    above_pixel: bool = False  # image inputs also see the sub-pixel one row up (model/above.py)
    speech_predictor: int = 0  # speech as a predictor's residual: 1-4 fixed, 8+ adaptive (tokenizers/speech.py)

    def __post_init__(self) -> None:
        if self.width % self.head_size:
            raise ValueError("width must be a multiple of head_size")
        if not 1 <= self.top_k <= self.n_experts:
            raise ValueError("top_k must be between 1 and n_experts")
        if self.speech_predictor not in PREDICTOR_ORDERS:
            raise ValueError(f"speech_predictor must be one of "
                             f"{', '.join(map(str, PREDICTOR_ORDERS))}")

    @property
    def n_heads(self) -> int:
        return self.width // self.head_size

    @property
    def vocab_size(self) -> int:
        return vocab_size(self.n_text)

    def to_dict(self) -> dict:
        """The fields as stored in a model file.  A switch added after the first model files
        shipped is left out while it is off, so a model without it writes the very bytes
        (hence the SHA-256) it wrote before the switch existed."""
        return {k: v for k, v in asdict(self).items()
                if k not in LATER_SWITCHES or v != LATER_SWITCHES[k]}

    @classmethod
    def from_dict(cls, data: dict) -> "ModelConfig":
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})
