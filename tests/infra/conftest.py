"""Fixtures of the infra tests: the synthesised app (helpers in `tests/infra/infra_synth.py`)."""

from __future__ import annotations

import pytest

from tests.infra.infra_synth import Synth, synthesise


@pytest.fixture(scope="session")
def synth() -> Synth:
    """The app as `infra/app.py` builds it, synthesised once per test process."""
    return synthesise()
