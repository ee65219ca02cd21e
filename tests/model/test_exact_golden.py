"""Golden vectors: a committed small model and the SHA-256 of the frequency tables it gives
for fixed inputs.  Any change to the integer arithmetic, the exporter or the file format
shows up here; archives written before such a change would no longer decode.

Regenerate (only for a deliberate, versioned change) with OZARC_REGEN_GOLDEN=1.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pytest

from ozarc.modality import Modality
from ozarc.model.exact import ExactModel
from ozarc.model.exact.testing import small_config, small_model_bytes

VECTORS = Path(__file__).resolve().parents[2] / "spec" / "vectors"
MODEL_FILE = VECTORS / "exact_small.ozm"
GOLDEN_FILE = VECTORS / "exact_golden.json"
SEED = 0
REGEN = os.environ.get("OZARC_REGEN_GOLDEN") == "1"


def table_digest(tables: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(tables, dtype="<i8").tobytes()).hexdigest()


def make_cases(model: ExactModel) -> list[dict]:
    rng = np.random.default_rng(2026)
    cases = []
    for modality, batch, length in ((Modality.IMAGE_RGB, 3, 40), (Modality.IMAGE_GRAY, 2, 17),
                                    (Modality.SPEECH, 2, 33), (Modality.TEXT, 3, 25)):
        symbols = rng.integers(0, model.n_symbols(modality), (batch, length))
        cases.append({"modality": modality.tag, "symbols": symbols.tolist(),
                      "freqs_sha256": table_digest(model.sequence_freqs(modality, symbols))})
    return cases


def regenerate() -> None:
    data = small_model_bytes(SEED)
    VECTORS.mkdir(parents=True, exist_ok=True)
    MODEL_FILE.write_bytes(data)
    model = ExactModel.from_bytes(data)
    golden = {"about": "tests/model/test_exact_golden.py; regenerate with OZARC_REGEN_GOLDEN=1",
              "model_file": MODEL_FILE.name, "model_sha256": model.sha256,
              "export": {"config": small_config().to_dict(), "seed": SEED,
                         "weights": "ozarc.model.exact.random_float_weights(config, seed)"},
              "cases": make_cases(model)}
    GOLDEN_FILE.write_text(json.dumps(golden, indent=1) + "\n")


@pytest.fixture(scope="module")
def golden() -> dict:
    if REGEN:
        regenerate()
    if not GOLDEN_FILE.exists():
        pytest.fail("golden vectors missing: run with OZARC_REGEN_GOLDEN=1 once")
    return json.loads(GOLDEN_FILE.read_text())


def test_committed_model_file_has_the_recorded_hash(golden):
    data = MODEL_FILE.read_bytes()
    assert len(data) < 1 << 20
    assert hashlib.sha256(data).hexdigest() == golden["model_sha256"]


def test_exporter_reproduces_the_committed_model_file():
    assert small_model_bytes(SEED) == MODEL_FILE.read_bytes()


@pytest.mark.parametrize("backend", ["numpy", "numba", "torch"])
def test_frequency_tables_match_golden_digests(golden, backend):
    if backend in ("torch", "numba"):
        pytest.importorskip(backend)
    model = ExactModel.from_bytes(MODEL_FILE.read_bytes(), backend=backend)
    for case in golden["cases"]:
        modality = Modality.from_tag(case["modality"])
        symbols = np.array(case["symbols"], dtype=np.int64)
        assert table_digest(model.sequence_freqs(modality, symbols)) == case["freqs_sha256"], \
            case["modality"]
