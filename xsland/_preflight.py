"""Checks run before any work: the inputs exist, the output may be written.

The command line calls :func:`check_inputs` and :func:`check_output` before it
reads any data, so a run that could not finish is refused in a second, with
the check that failed named.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from xsland._atomic import MARKER, is_marked
from xsland._redact import is_postgres_uri
from xsland.errors import MissingInputError, OutputExistsError, OutputTargetError

__all__ = ["SIBLING_EXTRA", "check_inputs", "check_output"]


def check_inputs(paths: Iterable[str | os.PathLike | None], *, uris: bool = True) -> list[Path]:
    """The input files as paths; every one that does not exist is listed in one error.

    ``None`` is skipped, and PostgreSQL URIs are too unless ``uris`` is false (a
    command that reads only files).

    Raises
    ------
    MissingInputError
        Naming every missing file.
    """
    given = [str(p) for p in paths if p is not None and not (uris and is_postgres_uri(str(p)))]
    files = [Path(p) for p in given]
    missing = list(dict.fromkeys(g for g, p in zip(given, files, strict=True) if not p.exists()))
    if missing:
        raise MissingInputError(
            [
                f"{m} (a GDAL PG: string; write postgresql://user@host:port/database)"
                if m.startswith("PG:")
                else m
                for m in missing
            ]
        )
    return files


def _fail(target: Path, what: str, fix: str, check: str) -> OutputTargetError:
    return OutputTargetError(f"cannot write to {target}: {what}. Fix: {fix}", check=check)


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


#: Bytes the longest name xsland makes beside an output adds to the output's name: its
#: temporary copy ``.<name>.xsland-tmp-<pid>-<8 characters>`` (a file's also ends in
#: its suffix), with a process ID of up to 7 digits (Linux's largest, 4194304).
SIBLING_EXTRA = len(".") + len(".xsland-tmp-") + 7 + len("-") + 8


def _check_name_length(path: Path, parent: Path, *, folder: bool, option: str) -> None:
    """Refuse a name whose temporary copy beside it would pass the file system's limit
    on a name's bytes (255 on most): found before any work, not when the output is
    written."""
    try:
        limit = os.pathconf(parent, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):  # no pathconf here: the common limit
        limit = 255
    name = os.fsencode(path.name)
    extra = SIBLING_EXTRA + (0 if folder else len(os.fsencode(path.suffix)))
    if len(name) + extra > limit:
        raise _fail(
            path,
            f"its name is too long ({len(name)} bytes): the temporary copy made beside it "
            f"(.<name>.xsland-tmp-…, {extra} bytes more) would pass the file system's limit "
            f"of {limit} bytes for a name",
            f"give a name of at most {limit - extra} bytes with {option}",
            "name-length",
        )


def check_output(
    target: str | os.PathLike,
    *,
    inputs: Iterable[str | os.PathLike | None] = (),
    overwrite: bool = False,
    folder: bool = True,
    option: str = "--out",
) -> Path:
    """Check that ``target`` may be written, before any work is done.

    In order: it is not the current folder, ``.``/``..`` or a folder holding the
    current one; its nearest existing parent is a writable folder; its name leaves room
    for the temporary copy made beside it (:data:`SIBLING_EXTRA`); it is of the
    right kind (a folder for ``folder=True``, else a file); it neither holds nor
    is an input; it does not exist unless ``overwrite``; and an existing,
    non-empty folder carries xsland's marker :data:`~xsland._atomic.MARKER`.

    Returns
    -------
    Path
        ``target`` as a path.

    Raises
    ------
    OutputTargetError
        Naming the check that failed (its ``check`` attribute).
    OutputExistsError
        When it exists and ``overwrite`` is false.
    """
    raw = str(target)
    path = Path(raw)
    if raw.strip() == "":
        raise _fail(path, "the path is empty", f"give a path with {option}", "current-folder")
    full = Path(os.path.abspath(path))
    resolved = full.resolve()
    cwd = Path.cwd().resolve()
    if path.name in ("", ".", "..") or _inside(cwd, resolved):
        raise _fail(
            path,
            "it is the current folder or a folder that holds it, which would be replaced",
            f"give a new sub-folder with {option}, e.g. {option} out",
            "current-folder",
        )
    parent = full.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise _fail(
            path,
            f"{parent} is a file, not a folder",
            f"give a path in an existing folder with {option}",
            "parent",
        )
    if not os.access(parent, os.W_OK | os.X_OK):
        raise _fail(
            path,
            f"the folder {parent} is not writable",
            f"give a folder you may write to with {option}, or change its permissions",
            "parent-writable",
        )
    _check_name_length(path, parent, folder=folder, option=option)
    exists = os.path.lexists(full)
    if exists and folder and not full.is_dir():
        raise _fail(path, "it is a file, not a folder", f"give a folder with {option}", "kind")
    if exists and not folder and full.is_dir():
        raise _fail(path, "it is a folder, not a file", f"give a file name with {option}", "kind")
    for item in inputs:
        if item is None or is_postgres_uri(str(item)):
            continue
        source = Path(item).resolve()
        if _inside(source, resolved):
            raise _fail(
                path,
                f"it {'is' if source == resolved else 'holds'} the input {item}, "
                "which would be deleted",
                f"write the output elsewhere with {option}",
                "holds-input",
            )
    if exists and not overwrite:
        raise OutputExistsError(
            f"{path} exists; pass --overwrite to replace it, or give another {option}"
        )
    if exists and folder and any(full.iterdir()) and not is_marked(full):
        raise _fail(
            path,
            f"it is not an xsland output folder (no {MARKER} marker), so it is not replaced "
            "even with --overwrite",
            f"give a new folder with {option}, or empty it yourself",
            "marker",
        )
    return path
