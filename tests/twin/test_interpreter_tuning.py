"""The twin relaxes the collector and the switch interval while it runs and gives the process its own
settings back (workflow/twin/interpreter_tuning.py says why and what it measured)."""

from __future__ import annotations

import gc
import sys

import pytest

from workflow.twin import interpreter_tuning
from workflow.twin.twin import Twin


def test_relax_raises_the_young_threshold_and_the_switch_interval_and_undoes_exactly() -> None:
    before, interval = gc.get_threshold(), sys.getswitchinterval()
    try:
        gc.set_threshold(700, 7, 3)
        sys.setswitchinterval(0.005)
        undo = interpreter_tuning.relax()
        assert gc.get_threshold() == (interpreter_tuning.YOUNG_THRESHOLD, 7, 3)
        assert sys.getswitchinterval() == pytest.approx(interpreter_tuning.SWITCH_INTERVAL_S)  # kept in µs
        undo()
        assert gc.get_threshold() == (700, 7, 3)
        assert sys.getswitchinterval() == pytest.approx(0.005)
    finally:
        gc.set_threshold(*before)
        sys.setswitchinterval(interval)


def test_a_running_twin_has_the_relaxed_settings_and_a_stopped_one_gives_them_back() -> None:
    before, interval = gc.get_threshold(), sys.getswitchinterval()
    with Twin.ephemeral():
        assert gc.get_threshold()[0] == max(interpreter_tuning.YOUNG_THRESHOLD, before[0])
        assert sys.getswitchinterval() == pytest.approx(max(interpreter_tuning.SWITCH_INTERVAL_S, interval))
    assert gc.get_threshold() == before
    assert sys.getswitchinterval() == pytest.approx(interval)
