"""Golden bitstreams: the committed small model + fixed inputs -> committed SHA-256 of the
neural codec's payload bytes.  Together with the frequency-table vectors
(tests/model/test_exact_golden.py) this pins the whole path from integers to bits: any change
to the tokenizers, the coder, the payload header or the engine shows up here, and archives
written before it would no longer decode.

Four sets: the plain small model, the one that reads the pixel above (its image payloads
pin the row strides the codec derives from the geometry, edge patches included), the one
that codes speech as the order-2 predictor's residual and the one that codes it as the order-16
adaptive predictor's (their speech payloads pin those tokenizers: the adaptive one's 1500
samples are 12 blocks, each fitted on the samples before it).
OZARC_REGEN_GOLDEN=1 writes a set whose file is missing (a deliberate, versioned change
deletes the old file first).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pytest

from ozarc.codecs import ChunkHint, codec_by_name
from ozarc.modality import Modality
from ozarc.model.exact import ExactModel

VECTORS = Path(__file__).resolve().parents[2] / "spec" / "vectors"
#: set -> (model file, golden file)
SETS = {"plain": (VECTORS / "exact_small.ozm", VECTORS / "neural_golden.json"),
        "above": (VECTORS / "exact_small_above.ozm", VECTORS / "neural_above_golden.json"),
        "residual": (VECTORS / "exact_small_residual.ozm", VECTORS / "neural_residual_golden.json"),
        "adaptive": (VECTORS / "exact_small_adaptive.ozm", VECTORS / "neural_adaptive_golden.json")}
REGEN = os.environ.get("OZARC_REGEN_GOLDEN") == "1"
CODEC = codec_by_name("neural")


def smooth_image(h: int, w: int, c: int, seed: int) -> bytes:
    """Gradients plus a little noise: something the small model codes in fewer than 8 bits."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    planes = [(x * (k + 2) + y * (3 - k) + rng.integers(0, 4, (h, w))) % 256 for k in range(c)]
    return np.stack(planes, axis=-1).astype(np.uint8).tobytes()


def cases() -> list[tuple[str, Modality, tuple[int, ...], bytes]]:
    tone = (np.sin(np.arange(1500) / 7.0) * 3000).astype("<i2").tobytes()
    return [
        ("rgb-33x20", Modality.IMAGE_RGB, (33, 20, 3), smooth_image(33, 20, 3, 1)),
        ("gray-16x40", Modality.IMAGE_GRAY, (16, 40, 1), smooth_image(16, 40, 1, 2)),
        ("speech-1500", Modality.SPEECH, (1,), tone),
    ]


@pytest.fixture(scope="module", params=[(s, b) for s in sorted(SETS) for b in ("numpy", "numba")],
                ids=lambda p: "-".join(p))
def loaded(request) -> tuple[ExactModel, Path]:
    """(model, its golden file).  Both CPU engines (the compiled one is the default where
    numba is installed) must write and read the very same bytes."""
    name, backend = request.param
    if backend == "numba":
        pytest.importorskip("numba")
    model_file, golden_file = SETS[name]
    return ExactModel.from_bytes(model_file.read_bytes(), backend=backend), golden_file


@pytest.fixture(scope="module")
def model(loaded) -> ExactModel:
    return loaded[0]


@pytest.fixture(scope="module")
def golden(loaded) -> dict:
    model, golden_file = loaded
    if REGEN and not golden_file.exists():
        digests = {}
        for name, modality, geometry, data in cases():
            payload = CODEC.encode(data, ChunkHint(modality, geometry=geometry, model=model))
            digests[name] = hashlib.sha256(payload).hexdigest()
        golden_file.write_text(json.dumps({
            "about": "tests/neural/test_neural_golden.py; regenerate with OZARC_REGEN_GOLDEN=1",
            "model_sha256": model.sha256, "payload_sha256": digests}, indent=1) + "\n")
    if not golden_file.exists():
        pytest.fail("golden bitstreams missing: run with OZARC_REGEN_GOLDEN=1 once")
    return json.loads(golden_file.read_text())


@pytest.mark.parametrize("name, modality, geometry, data", cases(), ids=lambda v: str(v)[:12])
def test_payload_bytes_match_golden_digest_and_decode(golden, model, name, modality, geometry, data):
    assert model.sha256 == golden["model_sha256"]
    payload = CODEC.encode(data, ChunkHint(modality, geometry=geometry, model=model))
    assert hashlib.sha256(payload).hexdigest() == golden["payload_sha256"][name]
    assert CODEC.decode(payload, len(data), model) == data
