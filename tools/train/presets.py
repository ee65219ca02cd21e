"""Named model sizes for `--config` (the seeds' xs is C=96, 2 layers; ours start smaller
because every decoded symbol pays for a CPU step)."""

from __future__ import annotations

from dataclasses import replace

from ozarc.errors import UsageError
from ozarc.model.config import ModelConfig

PRESETS = {
    "tiny": ModelConfig(width=32, n_layers=1, hira_factor=1),      # tests and smoke runs
    "small": ModelConfig(width=64, n_layers=2),
    "medium": ModelConfig(width=96, n_layers=2),
    "large": ModelConfig(width=128, n_layers=2),
}


def preset(name: str, n_text: int, **switches) -> ModelConfig:
    """The named size with the text vocabulary of the tokenizer in use and ablation switches
    (moe_ffn, moe_v, hira_factor, n_layers...) applied."""
    if name not in PRESETS:
        raise UsageError(f"unknown --config {name!r}; choose one of {', '.join(PRESETS)}")
    return replace(PRESETS[name], n_text=n_text,
                   **{k: v for k, v in switches.items() if v is not None})
