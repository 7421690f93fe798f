"""Element-wise geometry work cut into chunks and run on threads.

Shapely's vectorised functions release the GIL while GEOS computes, so one array cut
into :math:`k` consecutive chunks, one per CPU, runs on :math:`k` cores of one process.
:func:`map_chunks` does that for functions that work element by element (the result
of element :math:`i` depends on the inputs at :math:`i` alone: ``shapely.intersection``,
``shapely.area``, ``shapely.is_valid``), so the result is the one of a single call, to
the last bit and in the same order. Used where a million-parcel audit spends its time:
the intersections of buildings that straddle parcels
(:func:`xsland.measure.overlay.intersection_areas`) and the validity test of every
polygon read (:mod:`xsland.read.validate`).

Not for prepared geometries: a prepared geometry builds its index lazily, and two
threads must not build one together.

:class:`Ahead` starts work cut into parts on a thread of its own while the caller goes
on, and lets the caller take the parts not started when it needs the results (the
parcels' map geometries are converted while the audit runs:
:func:`xsland.write.maps.draw_parcels`); :func:`later` is one call started so (the audit
measures the parcels' parks beside their floor areas and checks data quality beside the
judging: :func:`xsland.pipeline.audit.run`).
"""

from __future__ import annotations

import contextvars
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

__all__ = [
    "MIN_CHUNK",
    "Ahead",
    "Later",
    "cpus",
    "later",
    "lower_priority",
    "map_chunks",
    "map_parts",
    "yielding",
]

#: Fewest elements per chunk: below twice this, one call on the calling thread (starting
#: threads costs more than it saves on small arrays).
MIN_CHUNK = 20_000


def cpus() -> int:
    """The CPUs this process may run on (its affinity where the system tells it)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def map_chunks(
    fn: Callable[..., np.ndarray],
    *arrays: np.ndarray,
    workers: int | None = None,
    min_chunk: int = MIN_CHUNK,
) -> np.ndarray:
    """``fn(*arrays)`` computed on consecutive chunks of the arrays, one thread each.

    With :math:`n` elements, :math:`k = \\min(w, \\lfloor n / m \\rfloor)` chunks of
    nearly equal length (:math:`w` = ``workers``, :math:`m` = ``min_chunk``) are given
    to :math:`k` threads and the results concatenated in order: for an element-wise
    ``fn``, exactly ``fn(*arrays)``. With :math:`k \\le 1`, ``fn`` is called once, here.

    Parameters
    ----------
    fn
        An element-wise function of equally long 1-d arrays, returning one 1-d array of
        the same length (a Shapely vectorised function, or several composed).
    *arrays
        Its arguments, all of the same length; they are not changed.
    workers
        Threads at most; default :func:`cpus`.
    min_chunk
        Fewest elements per chunk.

    Returns
    -------
    numpy.ndarray
    """
    n = len(arrays[0])
    if any(len(a) != n for a in arrays):
        raise ValueError("map_chunks: the arrays differ in length")
    k = min(workers if workers is not None else cpus(), n // max(min_chunk, 1))
    if k <= 1:
        return fn(*arrays)
    cuts = np.linspace(0, n, k + 1).astype(np.int64)

    def part(i: int) -> Any:
        return fn(*(a[cuts[i] : cuts[i + 1]] for a in arrays))

    with ThreadPoolExecutor(max_workers=k, thread_name_prefix="xsland-geos") as pool:
        return np.concatenate(list(pool.map(part, range(k))))


def map_parts(fn: Callable[[Any], Any], parts: list[Any], *, workers: int | None = None) -> list:
    """``[fn(p) for p in parts]``, the parts on threads (at most ``workers``, default
    :func:`cpus`), the results in the order of ``parts``.

    For work already cut into independent parts whose results are not element-wise
    (:func:`xsland.group.blocks` splits a failed coverage union into halves: the halves
    are the parts).
    """
    k = min(workers if workers is not None else cpus(), len(parts))
    if k <= 1:
        return [fn(p) for p in parts]
    with ThreadPoolExecutor(max_workers=k, thread_name_prefix="xsland-geos") as pool:
        return list(pool.map(fn, parts))


class Ahead:
    """``[fn(p) for p in parts]``, started on a background thread ahead of need.

    The thread takes the parts one by one, in order; :meth:`result`, on the thread that
    needs them, takes the parts the background thread has not started, waits for the one
    it is working on and returns every result in the order of ``parts``. So nobody waits
    while work is left, whichever is faster, and each part is computed once. The thread
    is a daemon (a run that ends early does not wait for it) and on Linux lowers its own
    priority by ``nice`` (a thread there has its own; elsewhere it keeps the run's): it
    then uses a core the rest of the run leaves idle, and gives way where the run uses
    both.

    An exception of ``fn`` (on either thread) is raised by :meth:`result`; the
    background thread prints nothing.
    """

    def __init__(
        self, fn: Callable[[Any], Any], parts: list[Any], *, nice: int = 0, start: bool = True
    ) -> None:
        self._fn = fn
        self._parts = list(parts)
        self._results: list[Any] = [None] * len(self._parts)
        self._next = 0
        self._lock = threading.Lock()
        self._error: BaseException | None = None
        self._nice = nice
        self._thread = threading.Thread(target=self._run, name="xsland-ahead", daemon=True)
        if start:  # else every part is computed by result(), on the caller's thread
            self._thread.start()

    def _claim(self) -> int | None:
        with self._lock:
            if self._error is not None or self._next >= len(self._parts):
                return None
            self._next += 1
            return self._next - 1

    def _work(self) -> None:
        while (i := self._claim()) is not None:
            try:
                self._results[i] = self._fn(self._parts[i])
            except BaseException as exc:
                with self._lock:
                    self._error = self._error or exc
                raise

    def _run(self) -> None:
        lower_priority(self._nice)
        try:
            self._work()
        except BaseException:  # kept in _error for result()
            return

    def result(self) -> list[Any]:
        """Every part's result, in order; the parts not started are computed here.

        Raises
        ------
        Exception
            What ``fn`` raised on either thread.
        """
        self._work()
        if self._thread.ident is not None:  # started
            self._thread.join()
        if self._error is not None:
            raise self._error
        return self._results


def lower_priority(nice: int) -> bool:
    """Lower the calling thread's CPU priority by ``nice`` (Linux: a thread has its own).

    Threads it starts afterwards inherit it. False (nothing done) elsewhere, for
    ``nice`` <= 0, or when the system refuses.
    """
    if nice <= 0 or not sys.platform.startswith("linux"):
        return False
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + nice)
    except OSError:  # pragma: no cover - not allowed: at the run's priority
        return False
    return True


def yielding(fn: Callable[..., Any], /, *args: Any, nice: int, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)`` on a thread of lower priority (:func:`lower_priority`),
    waited for: its value, or its exception raised here.

    For work in this process that should give way to a worker process at the run's
    priority, where both compete for the cores (the maps and the report, beside the
    workbook's worker: :func:`xsland.write.report.write_audit`). The caller's context
    goes along (its progress callback). On one CPU, or for ``nice`` <= 0, called here.
    """
    if nice <= 0 or cpus() < 2 or not sys.platform.startswith("linux"):
        return fn(*args, **kwargs)
    context = contextvars.copy_context()
    box: dict[str, Any] = {}

    def body() -> None:
        lower_priority(nice)
        try:
            box["value"] = context.run(fn, *args, **kwargs)
        except BaseException as exc:  # raised on the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=body, name="xsland-yielding", daemon=True)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


class Later(Ahead):
    """One call, started on a thread of its own now, its value taken later (:func:`later`)."""

    def __init__(
        self, fn: Callable[..., Any], args: tuple, kwargs: dict, *, start: bool, nice: int = 0
    ):
        super().__init__(lambda _: fn(*args, **kwargs), [None], start=start, nice=nice)

    def result(self) -> Any:  # type: ignore[override]
        """The call's value (waiting for it), or the exception it raised, raised here."""
        return super().result()[0]


def later(fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Later:
    """``fn(*args, **kwargs)`` started on a second thread now (:class:`Ahead` of one
    part), its value taken with ``.result()`` when it is needed; called then, on the
    calling thread, if the thread has not started it yet or the process has one CPU.

    For work that is mostly GEOS (which releases the GIL) and independent of what the
    calling thread does meanwhile: the audit measures the parks of the parcels beside
    their floor areas, and runs its cross-layer quality checks beside the judging and the
    blocks (:func:`xsland.pipeline.audit.run`). The value is the one of a plain call:
    nothing is shared but the inputs, which neither side changes, and no geometry is
    prepared by one thread while the other tests it as the first argument of a predicate
    (a prepared geometry is a cache on the geometry object). The thread does not see the
    caller's progress callback (context variables are not inherited): it reports nothing.
    An exception in ``fn`` is raised by ``.result()``, every time it is called.
    """
    return Later(fn, args, kwargs, start=cpus() > 1)
