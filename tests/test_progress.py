"""Step reports (xsland._progress): start and end, counts, nesting, failures, no callback."""

from __future__ import annotations

import pytest

from xsland._progress import Step, reporting, step


def test_a_step_reports_its_start_and_its_end_with_the_count_set_inside():
    seen: list[Step] = []
    with reporting(seen.append):
        with step("read parcels", unit="rows") as running:
            running.count = 12
    start, end = seen
    assert (start.name, start.count, start.done, start.seconds) == (
        "read parcels",
        None,
        False,
        None,
    )
    assert (end.name, end.count, end.unit, end.done, end.failed) == (
        "read parcels",
        12,
        "rows",
        True,
        False,
    )
    assert end.seconds >= 0


def test_nested_steps_report_inside_out_and_a_failed_step_says_so():
    seen: list[Step] = []
    with reporting(seen.append), pytest.raises(KeyError):
        with step("write reports", 3, unit="files"), step("write audit.xlsx", 7):
            raise KeyError("boom")
    assert [(s.name, s.done, s.failed) for s in seen] == [
        ("write reports", False, False),
        ("write audit.xlsx", False, False),
        ("write audit.xlsx", True, True),
        ("write reports", True, True),
    ]
    assert seen[0].count == 3 and seen[0].unit == "files" and seen[1].count == 7


def test_without_a_callback_nothing_is_reported_and_the_previous_one_comes_back():
    outer: list[Step] = []
    with step("alone", 5) as running:  # no callback installed: just runs
        assert running.count == 5
    with reporting(outer.append):
        with reporting(None), step("silenced"):
            pass
        with step("heard"):
            pass
    assert [s.name for s in outer] == ["heard", "heard"]
