"""Progress of the long steps of a run, reported to a callback the caller installs.

The library never prints progress itself: a long step (reading a layer, measuring,
finding blocks, writing a file) is wrapped in :func:`step`, and whoever wants to know —
the command line's progress bar, a benchmark taking each step's time, a web service —
installs a callback with :func:`reporting`. Without one, :func:`step` costs nothing.

Each step reports twice: a :class:`Step` with ``done=False`` when it starts (with the
number of items it works on, when known) and one with ``done=True`` and its ``seconds``
when it ends (also when it fails: then ``failed=True``). Steps may nest (the writers
inside "write reports").
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace

__all__ = ["Step", "reporting", "step"]


@dataclass(frozen=True)
class Step:
    """One report of a step.

    Attributes
    ----------
    name
        What is done, e.g. ``"read parcels"``, ``"blocks"``, ``"write audit.xlsx"``.
    count
        Items the step works on (``None`` when unknown); set at the end when it was only
        known then (rows read).
    unit
        What ``count`` counts (``"parcels"``, ``"rows"``, ``"files"``).
    done
        ``False`` at the start, ``True`` at the end.
    seconds
        Wall-clock duration (at the end only).
    failed
        The step ended with an exception.
    """

    name: str
    count: int | None = None
    unit: str = "rows"
    done: bool = False
    seconds: float | None = None
    failed: bool = False


_CALLBACK: ContextVar[Callable[[Step], None] | None] = ContextVar("xsland_progress", default=None)


@contextmanager
def reporting(callback: Callable[[Step], None] | None) -> Iterator[None]:
    """Send the :class:`Step` reports of the code run inside to ``callback``.

    ``None`` switches reporting off inside. The previous callback is restored on exit.
    """
    token = _CALLBACK.set(callback)
    try:
        yield
    finally:
        _CALLBACK.reset(token)


class _Running:
    """The handle :func:`step` yields: set ``count`` once it is known."""

    __slots__ = ("count",)

    def __init__(self, count: int | None) -> None:
        self.count = count


@contextmanager
def step(name: str, count: int | None = None, *, unit: str = "rows") -> Iterator[_Running]:
    """Report the start and the end of a step to the installed callback (if any).

    Examples
    --------
    >>> with step("read parcels", unit="rows") as s:  # doctest: +SKIP
    ...     parcels = read_layer(path)
    ...     s.count = len(parcels)
    """
    handle = _Running(count)
    callback = _CALLBACK.get()
    if callback is None:
        yield handle
        return
    first = Step(name, count, unit)
    callback(first)
    t0 = time.perf_counter()
    failed = True
    try:
        yield handle
        failed = False
    finally:
        end = replace(
            first,
            count=handle.count,
            done=True,
            seconds=time.perf_counter() - t0,
            failed=failed,
        )
        callback(end)
