"""Suite-wide fixtures.

Archives made by tests use no shipped learned model unless the test is marked
``@pytest.mark.learned``: the learned codec costs CPU seconds per megabyte, and most tests are
about the container, not the model.  The learned path has its own tests (tests/neural,
tests/model, and the ``learned`` end-to-end tests).

Hypothesis runs without its per-example deadline: no test here is about speed (that is the
benchmark's job), and on a loaded 2-core machine a slow example is not a failure.
"""

import pytest
from hypothesis import settings

settings.register_profile("ozarc", deadline=None)
settings.load_profile("ozarc")

from ozarc.container import hooks


def pytest_configure(config):
    config.addinivalue_line("markers", "learned: the test uses the shipped learned models")


@pytest.fixture(autouse=True)
def _shipped_models_only_when_marked(request, monkeypatch):
    if request.node.get_closest_marker("learned") is None:
        monkeypatch.setattr(hooks, "shipped_model_ref", lambda name="default": None)


@pytest.fixture
def register_learned(monkeypatch):
    """Install a test codec in the registry and make ``ref`` the shipped default model, for
    the duration of a test: ``register_learned(codec, ref)``."""
    from ozarc.codecs import registry

    def install(codec, ref):
        monkeypatch.setitem(registry._BY_ID, codec.codec_id, codec)
        monkeypatch.setitem(registry._BY_NAME, codec.name, codec)
        monkeypatch.setattr(hooks, "shipped_model_ref", lambda name="default": ref)
        return codec

    return install
