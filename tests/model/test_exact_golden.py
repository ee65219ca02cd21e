"""Golden vectors: a committed small model and the SHA-256 of the frequency tables it gives
for fixed inputs.  Any change to the integer arithmetic, the exporter or the file format
shows up here; archives written before such a change would no longer decode.

Four sets: a plain model, one that reads the pixel above (ozarc.model.above; its image
cases carry each lane's row stride), one that codes speech as a fixed predictor's residual
(``.ozm`` version 3; the switch is outside the network, so its tables are the plain model's and
the neural golden bitstreams pin the tokenizer) and one whose predictor is the adaptive one of
order 16 (``.ozm`` version 4; the same holds).  OZARC_REGEN_GOLDEN=1 writes a set whose files are
missing; a deliberate, versioned change deletes the old files first.
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
#: set -> (model file, golden file, config switches)
SETS = {"plain": (MODEL_FILE, GOLDEN_FILE, {}),
        "above": (VECTORS / "exact_small_above.ozm", VECTORS / "exact_above_golden.json",
                  {"above_pixel": True}),
        "residual": (VECTORS / "exact_small_residual.ozm", VECTORS / "exact_residual_golden.json",
                     {"speech_predictor": 2}),
        "adaptive": (VECTORS / "exact_small_adaptive.ozm", VECTORS / "exact_adaptive_golden.json",
                     {"speech_predictor": 16})}


def table_digest(tables: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(tables, dtype="<i8").tobytes()).hexdigest()


def make_cases(model: ExactModel, with_rows: bool) -> list[dict]:
    rng = np.random.default_rng(2026)
    cases = []
    for modality, batch, length in ((Modality.IMAGE_RGB, 3, 40), (Modality.IMAGE_GRAY, 2, 17),
                                    (Modality.SPEECH, 2, 33), (Modality.TEXT, 3, 25)):
        symbols = rng.integers(0, model.n_symbols(modality), (batch, length))
        case = {"modality": modality.tag, "symbols": symbols.tolist()}
        if with_rows and modality in (Modality.IMAGE_RGB, Modality.IMAGE_GRAY):
            case["rows"] = rng.integers(0, length, batch).tolist()
        case["freqs_sha256"] = table_digest(model.sequence_freqs(modality, symbols,
                                                                 case.get("rows")))
        cases.append(case)
    return cases


def regenerate(name: str) -> None:
    model_file, golden_file, switches = SETS[name]
    data = small_model_bytes(SEED, **switches)
    VECTORS.mkdir(parents=True, exist_ok=True)
    model_file.write_bytes(data)
    model = ExactModel.from_bytes(data)
    golden = {"about": "tests/model/test_exact_golden.py; regenerate with OZARC_REGEN_GOLDEN=1",
              "model_file": model_file.name, "model_sha256": model.sha256,
              "export": {"config": small_config(**switches).to_dict(), "seed": SEED,
                         "weights": "ozarc.model.exact.random_float_weights(config, seed)"},
              "cases": make_cases(model, bool(switches.get("above_pixel")))}
    golden_file.write_text(json.dumps(golden, indent=1) + "\n")


@pytest.fixture(scope="module", params=sorted(SETS))
def vector_set(request) -> tuple[str, dict]:
    model_file, golden_file, _ = SETS[request.param]
    if REGEN and not (model_file.exists() and golden_file.exists()):
        regenerate(request.param)
    if not golden_file.exists():
        pytest.fail("golden vectors missing: run with OZARC_REGEN_GOLDEN=1 once")
    return request.param, json.loads(golden_file.read_text())


def test_committed_model_file_has_the_recorded_hash(vector_set):
    name, golden = vector_set
    data = SETS[name][0].read_bytes()
    assert len(data) < 1 << 20
    assert hashlib.sha256(data).hexdigest() == golden["model_sha256"]


def test_exporter_reproduces_the_committed_model_file(vector_set):
    model_file, _, switches = SETS[vector_set[0]]
    assert small_model_bytes(SEED, **switches) == model_file.read_bytes()


@pytest.mark.parametrize("backend", ["numpy", "numba", "torch"])
def test_frequency_tables_match_golden_digests(vector_set, backend):
    if backend in ("torch", "numba"):
        pytest.importorskip(backend)
    name, golden = vector_set
    model = ExactModel.from_bytes(SETS[name][0].read_bytes(), backend=backend)
    assert any("rows" in case for case in golden["cases"]) == (name == "above")
    for case in golden["cases"]:
        modality = Modality.from_tag(case["modality"])
        symbols = np.array(case["symbols"], dtype=np.int64)
        tables = model.sequence_freqs(modality, symbols, case.get("rows"))
        assert table_digest(tables) == case["freqs_sha256"], case["modality"]


@pytest.mark.parametrize("name", ["residual", "adaptive"])
def test_the_speech_predictor_switch_leaves_the_network_alone(name):
    """The predictor sets' files differ from the plain one (config, version 3 or 4) but their
    frequency tables are the plain model's: the switch acts in the tokenizer only."""
    plain = json.loads(GOLDEN_FILE.read_text())
    residual = json.loads(SETS[name][1].read_text())
    assert plain["model_sha256"] != residual["model_sha256"]
    assert [c["freqs_sha256"] for c in plain["cases"]] == \
        [c["freqs_sha256"] for c in residual["cases"]]
