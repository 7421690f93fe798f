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

:func:`background` runs one call on a thread of its own while the caller goes on (the
parcels' map geometries are converted while the audit runs:
:func:`xsland.pipeline.run.run_project`).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np

__all__ = ["MIN_CHUNK", "background", "cpus", "map_chunks", "map_parts"]

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


def background(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Future:
    """``fn(*args, **kwargs)`` started on a daemon thread of its own; its future.

    The future holds the result, or the exception ``fn`` raised (never printed: the one
    who asks for the result decides). The thread is a daemon: a run that ends early (an
    error in the audit) does not wait for work whose result nobody will ask for.

    Parameters
    ----------
    fn
        The call; it must not change what the caller goes on using (the thread runs
        beside it).
    *args, **kwargs
        Its arguments.

    Returns
    -------
    concurrent.futures.Future
    """
    future: Future = Future()

    def work() -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            result = fn(*args, **kwargs)
        except BaseException as exc:  # handed to the future's reader, as an executor does
            future.set_exception(exc)
        else:
            future.set_result(result)

    threading.Thread(target=work, name="xsland-background", daemon=True).start()
    return future
