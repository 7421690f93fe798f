"""Element-wise geometry work on threads: the single call's result, in order."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from xsland._threads import background, cpus, map_chunks, map_parts


def _squares(n):
    # square i spans x i..i+2: it overlaps its neighbours by half
    return np.array([shapely.box(i, 0, i + 2, 2) for i in range(n)], dtype=object)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 60), st.integers(1, 7), st.integers(1, 9))
def test_chunks_on_threads_give_the_single_calls_result(n, workers, min_chunk):
    left = _squares(n)
    right = np.array([shapely.box(i + 1, 1, i + 4, 3) for i in range(n)], dtype=object)

    def pieces(a, b):
        return shapely.area(shapely.intersection(a, b))

    got = map_chunks(pieces, left, right, workers=workers, min_chunk=min_chunk)
    assert got.tolist() == pieces(left, right).tolist()
    # by hand: [i, i+2] ∩ [i+1, i+4] is 1 m wide, [0, 2] ∩ [1, 3] 1 m high -> 1 m² each
    assert got.tolist() == [1.0] * n


def test_the_chunks_run_on_as_many_threads_as_asked_and_keep_their_order():
    seen = []

    def tag(values):
        seen.append(threading.get_ident())
        return values * 2

    values = np.arange(10)
    # 10 elements, chunks of at least 3 -> at most 3 chunks: [0..2], [3..5], [6..9]
    assert map_chunks(tag, values, workers=8, min_chunk=3).tolist() == list(range(0, 20, 2))
    assert len(seen) == 3 and threading.get_ident() not in seen
    seen.clear()
    assert map_chunks(tag, values, workers=1, min_chunk=3).tolist() == list(range(0, 20, 2))
    assert seen == [threading.get_ident()]  # one worker: called here, once


def test_arrays_of_different_lengths_are_refused():
    with pytest.raises(ValueError, match="differ in length"):
        map_chunks(np.add, np.arange(3), np.arange(4))


def test_cpus_counts_at_least_one():
    assert cpus() >= 1


def test_parts_run_on_threads_and_keep_their_order():
    seen = []

    def total(part):
        seen.append(threading.get_ident())
        return int(np.sum(part))

    parts = [np.arange(3), np.arange(10), np.arange(5)]  # sums 3, 45, 10
    assert map_parts(total, parts, workers=4) == [3, 45, 10]
    assert len(seen) == 3 and threading.get_ident() not in seen
    seen.clear()
    assert map_parts(total, parts, workers=1) == [3, 45, 10]
    assert seen == [threading.get_ident()] * 3  # one worker: called here


def test_background_hands_over_the_result_or_the_exception(capfd):
    # the call runs on a daemon thread of its own; its result, or what it raised, is the
    # future's, and nothing is printed (the reader decides what a failure means)
    started = threading.Event()

    def square(x, *, plus):
        started.set()
        return threading.current_thread().name, threading.current_thread().daemon, x * x + plus

    future = background(square, 7, plus=1)
    assert future.result(timeout=60) == ("xsland-background", True, 50)
    assert started.is_set()

    def broken():
        raise ValueError("no drawing")

    failed = background(broken)
    with pytest.raises(ValueError, match="no drawing"):
        failed.result(timeout=60)
    assert isinstance(failed.exception(), ValueError)
    out, err = capfd.readouterr()
    assert out == "" and "Traceback" not in err
