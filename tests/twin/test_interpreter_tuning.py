"""The twin relaxes the collector while it runs and gives the process its own setting back
(workflow/twin/gc_tuning.py says why and what it measured)."""

from __future__ import annotations

import gc

from workflow.twin import gc_tuning
from workflow.twin.twin import Twin


def test_relax_raises_only_the_young_threshold_and_undoes_exactly() -> None:
    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 7, 3)
        undo = gc_tuning.relax()
        assert gc.get_threshold() == (gc_tuning.YOUNG_THRESHOLD, 7, 3)
        undo()
        assert gc.get_threshold() == (700, 7, 3)
    finally:
        gc.set_threshold(*before)


def test_a_running_twin_has_the_relaxed_setting_and_a_stopped_one_gives_it_back() -> None:
    before = gc.get_threshold()
    with Twin.ephemeral():
        assert gc.get_threshold()[0] == max(gc_tuning.YOUNG_THRESHOLD, before[0])
    assert gc.get_threshold() == before
