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

:func:`later` starts one independent call on a thread of its own and takes its value
when needed: the audit measures the parcels' parks beside their floor areas and checks
data quality beside the judging (:func:`xsland.pipeline.audit.run`).

Not for prepared geometries: a prepared geometry builds its index lazily, and two
threads must not build one together.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from typing import Any

import numpy as np

__all__ = ["MIN_CHUNK", "Later", "cpus", "later", "map_chunks", "map_parts"]

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


class Later:
    """A call started now on a thread of its own, its value taken later (:func:`later`)."""

    def __init__(self, fn: Callable[..., Any], args: tuple, kwargs: dict, *, thread: bool):
        self._future: Future = Future()
        self._call: Callable[[], Any] | None = partial(fn, *args, **kwargs)
        if thread:
            pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="xsland-later")
            self._future, self._call = pool.submit(self._call), None
            pool.shutdown(wait=False)  # the thread ends with its one call

    def result(self) -> Any:
        """The call's value (waiting for it), or the exception it raised, raised here."""
        if self._call is not None:  # one CPU: called now, here, once
            call, self._call = self._call, None
            try:
                self._future.set_result(call())
            except BaseException as exc:  # kept: a second result() raises it again
                self._future.set_exception(exc)
        return self._future.result()


def later(fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Later:
    """``fn(*args, **kwargs)`` started on a second thread now, its value taken with
    ``.result()`` when it is needed; with one CPU it is called then, on the calling thread.

    For work that is mostly GEOS (which releases the GIL) and independent of what the
    calling thread does meanwhile: the audit measures the parks of the parcels beside
    their floor areas, and runs its cross-layer quality checks beside the judging and the
    blocks (:func:`xsland.pipeline.audit.run`). The value is the one of a plain call:
    nothing is shared but the inputs, which neither side changes. Two rules keep that
    true: the inputs are not changed by either thread, and no geometry is prepared by
    one thread while the other uses it as the first argument of a predicate (a prepared
    geometry is a cache on the geometry object). The thread does not see the caller's
    progress callback (context variables are not inherited): it reports nothing.
    An exception in ``fn`` is raised by ``.result()``; if the value is never taken, the
    thread still runs to its end.
    """
    return Later(fn, args, kwargs, thread=cpus() > 1)
