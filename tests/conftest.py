"""Suite-wide fixtures.

Archives made by tests use no shipped learned model unless the test is marked
``@pytest.mark.learned``: the learned codec costs CPU seconds per megabyte, and most tests are
about the container, not the model.  The learned path has its own tests (tests/neural,
tests/model, and the ``learned`` end-to-end tests).
"""

import pytest

from ozarc.container import hooks


def pytest_configure(config):
    config.addinivalue_line("markers", "learned: the test uses the shipped learned models")


@pytest.fixture(autouse=True)
def _shipped_models_only_when_marked(request, monkeypatch):
    if request.node.get_closest_marker("learned") is None:
        monkeypatch.setattr(hooks, "shipped_model_ref", lambda name="default": None)
