"""The xsland exception tree.

Every error xsland raises derives from :class:`XslandError`, and also from the
built-in class a caller would expect (``ValueError`` for bad data or settings,
``OSError`` for files), so ``except ValueError`` keeps working for users who
do not know xsland's classes.

Validation collects every :class:`Problem` it finds and raises **once**, with a
message that names the file, the layer, the column and the rows, and says how
to fix it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

__all__ = [
    "XslandError",
    "DataError",
    "ValidationError",
    "CRSError",
    "PolicyError",
    "InputFileError",
    "OutputExistsError",
    "OutputTargetError",
    "OutputBusyError",
    "MissingInputError",
    "Interrupted",
    "EngineError",
    "Problem",
    "XslandWarning",
    "StaleDatasetWarning",
    "format_rows",
]

#: How many row identifiers a message lists before it says "and N more".
MAX_ROWS_SHOWN = 10


def format_rows(rows: Iterable[object], *, limit: int = MAX_ROWS_SHOWN) -> str:
    """Join row identifiers for a message, cutting long lists.

    >>> format_rows(["a", "b"])
    'a, b'
    >>> format_rows(range(12), limit=3)
    '0, 1, 2 and 9 more'
    """
    rows = [str(r) for r in rows]
    if len(rows) <= limit:
        return ", ".join(rows)
    return ", ".join(rows[:limit]) + f" and {len(rows) - limit} more"


class XslandError(Exception):
    """Base class of every error raised by xsland."""


class DataError(XslandError, ValueError):
    """Input data that cannot be used as it is."""


class CRSError(DataError):
    """A coordinate reference system that is missing, unknown or unusable."""


class PolicyError(XslandError, ValueError):
    """A policy value or project-file key that is wrong."""


class InputFileError(XslandError, OSError):
    """An input file or layer that does not exist or cannot be read."""


class OutputExistsError(XslandError, FileExistsError):
    """An output that exists already and may not be overwritten."""


class OutputTargetError(XslandError, OSError):
    """An output path xsland refuses to write (found before any work is done).

    Attributes
    ----------
    check
        Which check failed: ``"current-folder"``, ``"parent"``, ``"parent-writable"``,
        ``"name-length"``, ``"kind"``, ``"holds-input"`` or ``"marker"``.
    """

    def __init__(self, message: str, *, check: str = "") -> None:
        super().__init__(message)
        self.check = check

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class OutputBusyError(XslandError, OSError):
    """Another xsland run holds the lock of the same output."""


class MissingInputError(InputFileError):
    """One or more input files that do not exist (all are listed at once).

    Attributes
    ----------
    missing
        The paths that do not exist.
    """

    def __init__(self, missing: Sequence[str]) -> None:
        self.missing = tuple(str(m) for m in missing)
        n = len(self.missing)
        lines = [f"{n} input file{'s' if n != 1 else ''} not found:"]
        lines += [f"  - {m}" for m in self.missing]
        lines.append(
            "Fix: check the paths (relative paths of a project file are read from the "
            "project file's folder) or give the right file with --parks, --parcels … or "
            "the [inputs] of the project file"
        )
        super().__init__("\n".join(lines))

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class EngineError(XslandError, OSError):
    """A Dask scheduler that cannot be reached."""


class XslandWarning(UserWarning):
    """Something a user should know whose result is still written (the CLI prints it)."""


class StaleDatasetWarning(XslandWarning):
    """A partitioned dataset whose source files changed after it was written: the audit
    uses the dataset, which no longer holds what they hold."""


class Interrupted(KeyboardInterrupt):
    """SIGTERM or SIGHUP received: unwinds like Ctrl-C so temporary output is removed.

    Attributes
    ----------
    signum
        The signal's number.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@dataclass(frozen=True)
class Problem:
    """One problem found while validating a layer.

    Parameters
    ----------
    message
        What is wrong, in one sentence.
    fix
        How to fix it, in one sentence.
    file, layer, column
        Where it is; any may be empty.
    rows
        Identifiers of the rows concerned (IDs where the layer has them,
        else 0-based row numbers prefixed with ``#``).
    """

    message: str
    fix: str = ""
    file: str = ""
    layer: str = ""
    column: str = ""
    rows: tuple[str, ...] = field(default_factory=tuple)

    def where(self) -> str:
        parts = []
        if self.file:
            parts.append(f"file {self.file}")
        if self.layer:
            parts.append(f"layer {self.layer!r}")
        if self.column:
            parts.append(f"column {self.column!r}")
        return ", ".join(parts)

    def __str__(self) -> str:
        text = self.message
        where = self.where()
        if where:
            text = f"{where}: {text}"
        if self.rows:
            text += f" (rows: {format_rows(self.rows)})"
        if self.fix:
            text += f". Fix: {self.fix}"
        return text


class ValidationError(DataError):
    """One or more problems found in a layer; raised once with all of them.

    Attributes
    ----------
    problems
        Every :class:`Problem` found.
    """

    def __init__(self, problems: Sequence[Problem], *, title: str = "") -> None:
        self.problems = tuple(problems)
        n = len(self.problems)
        head = title or f"{n} problem{'s' if n != 1 else ''} in the input"
        lines = [head + ":"] + [f"  - {p}" for p in self.problems]
        super().__init__("\n".join(lines))
