"""The collector's thresholds during a run (xsland._gc)."""

from __future__ import annotations

import gc

import pytest

from xsland._gc import RUN_THRESHOLDS, fewer_collections


@pytest.fixture
def thresholds():
    before = gc.get_threshold()
    yield
    gc.set_threshold(*before)


def test_the_run_thresholds_hold_in_the_block_and_the_old_ones_after(thresholds):
    gc.set_threshold(700, 10, 10)  # Python's defaults
    with fewer_collections():
        assert gc.get_threshold() == RUN_THRESHOLDS == (50_000, 20, 20)
    assert gc.get_threshold() == (700, 10, 10)
    with pytest.raises(RuntimeError, match="broke"), fewer_collections():
        raise RuntimeError("broke")
    assert gc.get_threshold() == (700, 10, 10)


def test_a_callers_higher_thresholds_and_switched_off_collection_are_kept(thresholds):
    gc.set_threshold(100_000, 5, 50)
    with fewer_collections():
        assert gc.get_threshold() == (100_000, 20, 50)  # each the larger
    gc.set_threshold(0, 10, 10)  # automatic collection off: not switched on again
    with fewer_collections():
        assert gc.get_threshold() == (0, 10, 10)
    assert gc.get_threshold() == (0, 10, 10)


def test_run_project_runs_with_them(sample, tmp_path, thresholds, monkeypatch):
    from test_pipeline import _project_file

    import xsland.pipeline.run as run_module
    from xsland.rules.project import load_project

    gc.set_threshold(700, 10, 10)
    seen = []

    def steps(*args, **kwargs):
        seen.append(gc.get_threshold())
        raise RuntimeError("stop here")

    monkeypatch.setattr(run_module, "_run_steps", steps)
    project = load_project(_project_file(tmp_path, sample))
    with pytest.raises(RuntimeError, match="stop here"):
        run_module.run_project(project, out=tmp_path / "out", progress=False)
    assert seen == [RUN_THRESHOLDS] and gc.get_threshold() == (700, 10, 10)
