"""Element-wise geometry work on threads: the single call's result, in order."""

from __future__ import annotations

import os
import sys
import threading
import time

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

import xsland._threads as threads_module
from xsland._threads import Ahead, cpus, later, map_chunks, map_parts


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


def test_later_runs_beside_the_caller_and_gives_the_calls_value(monkeypatch):
    monkeypatch.setattr(threads_module, "cpus", lambda: 2)
    # the barrier opens only when two threads wait at it: the caller and the call's own
    met = threading.Barrier(2, timeout=10)

    def meet(a, *, b):
        met.wait()
        return threading.get_ident(), a + b

    pending = later(meet, 2, b=3)
    met.wait()  # would time out (BrokenBarrierError) if the call waited for result()
    ident, value = pending.result()
    assert value == 5 and ident != threading.get_ident()


def test_later_with_one_cpu_calls_at_result_on_the_calling_thread(monkeypatch):
    monkeypatch.setattr(threads_module, "cpus", lambda: 1)
    calls = []

    def note(x):
        calls.append(threading.get_ident())
        return x * 2

    pending = later(note, 21)
    assert calls == []  # not yet: called when its value is asked for
    assert pending.result() == 42 and pending.result() == 42
    assert calls == [threading.get_ident()]  # once, here


@pytest.mark.parametrize("n_cpus", [1, 2])
def test_later_raises_the_calls_exception_at_result_every_time(monkeypatch, n_cpus):
    monkeypatch.setattr(threads_module, "cpus", lambda: n_cpus)

    def fail():
        raise ValueError("bad layer")

    pending = later(fail)
    for _ in range(2):
        with pytest.raises(ValueError, match="bad layer"):
            pending.result()


def test_ahead_gives_every_part_once_in_order_whoever_computes_it(capfd):
    # the background thread takes parts until the caller asks; the caller takes the rest
    # and waits for the one in work: every part computed once, results in order
    gate, seen, lock = threading.Event(), [], threading.Lock()
    caller_tid = threading.get_native_id()

    def square(x):
        if threading.current_thread().name == "xsland-ahead":
            assert threading.current_thread().daemon
            if sys.platform.startswith("linux"):  # its own priority, 5 below the caller's
                me = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
                assert me == min(os.getpriority(os.PRIO_PROCESS, caller_tid) + 5, 19)
            gate.wait(60)  # the thread holds its first part until the caller has asked
        with lock:
            seen.append((threading.current_thread().name, x))
        return x * x

    work = Ahead(square, list(range(6)), nice=5)
    caller = threading.Thread(target=lambda: seen.append(("result", work.result())))
    caller.start()
    while len(seen) < 5:  # the caller computes parts 1..5 while the thread holds part 0
        time.sleep(0.01)
    gate.set()
    caller.join(60)
    assert seen[-1] == ("result", [0, 1, 4, 9, 16, 25])
    done = sorted(x for who, x in seen[:-1])
    assert done == [0, 1, 2, 3, 4, 5]  # each once
    assert ("xsland-ahead", 0) in seen and all(w != "xsland-ahead" for w, x in seen if x)
    assert capfd.readouterr().err == ""


def test_ahead_raises_what_a_part_raised_and_prints_nothing(capfd):
    def broken(x):
        if x == 0:
            raise ValueError("no drawing")
        return x

    work = Ahead(broken, [0, 1, 2])
    with pytest.raises(ValueError, match="no drawing"):
        work.result()
    out, err = capfd.readouterr()
    assert out == "" and "Traceback" not in err
    assert Ahead(broken, []).result() == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="threads' own priority: Linux")
def test_yielding_runs_on_a_thread_of_lower_priority_with_the_callers_context(monkeypatch):
    import contextvars

    from xsland._threads import yielding

    monkeypatch.setattr(threads_module, "cpus", lambda: 2)
    var = contextvars.ContextVar("var", default="unset")
    var.set("the caller's")
    mine = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    def work(a, *, b):
        tid = threading.get_native_id()
        return (
            a + b,
            threading.current_thread().name,
            os.getpriority(os.PRIO_PROCESS, tid),
            var.get(),
        )

    value, name, priority, seen = yielding(work, 1, b=2, nice=3)
    assert value == 3 and name == "xsland-yielding" and seen == "the caller's"
    assert priority == min(mine + 3, 19)  # lowered by 3 (19 is the lowest)
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == mine  # not mine

    def broken():
        raise KeyError("in the thread")

    with pytest.raises(KeyError, match="in the thread"):
        yielding(broken, nice=3)


def test_yielding_on_one_cpu_or_without_nice_is_a_plain_call(monkeypatch):
    from xsland._threads import yielding

    monkeypatch.setattr(threads_module, "cpus", lambda: 1)
    assert yielding(lambda: threading.current_thread().name, nice=3) == "MainThread"
    monkeypatch.setattr(threads_module, "cpus", lambda: 2)
    assert yielding(lambda: threading.current_thread().name, nice=0) == "MainThread"
