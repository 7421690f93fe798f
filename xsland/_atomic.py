"""Writing files and folders so that nothing is ever half-written or lost.

:func:`atomic_file` yields a temporary path beside the target and moves it into
place with :func:`os.replace` only when the block ends without error;
:func:`atomic_dir` builds a folder beside the target and swaps it in. Every
writer in xsland goes through these two (they sit at the bottom of the module
layers, so readers, measurers and writers can all use them).

Both are **exclusive**: :func:`output_lock` holds an ``flock`` on a sibling
lock file ``.<name>.xsland-lock`` for as long as the output is being made (the
command line takes it before reading any data, so it is held for the whole
run), and the existence of the target is checked again at the swap. A second
run for the same target fails at once with :class:`~xsland.errors.OutputBusyError`.

While the lock is held, SIGTERM and SIGHUP unwind like Ctrl-C
(:class:`~xsland.errors.Interrupted`), so the temporary folder is removed;
temporary folders of runs killed harder (SIGKILL, power loss) are recognised
by their name and their free lock, and removed by the next run
(:func:`remove_stale`), which logs each one.

Every folder written gets the marker file :data:`MARKER`; an existing folder
without it is never replaced (it is not an output of xsland).
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from xsland.errors import (
    InputFileError,
    Interrupted,
    OutputBusyError,
    OutputExistsError,
    OutputTargetError,
)

__all__ = [
    "MARKER",
    "atomic_dir",
    "atomic_file",
    "check_replaceable",
    "is_marked",
    "lock_path",
    "output_lock",
    "remove_stale",
    "scratch_dir",
]

log = logging.getLogger("xsland")

#: The file that marks a folder as written by xsland (only such folders are replaced).
MARKER = ".xsland-output"
_TMP = ".xsland-tmp-"
_OLD = ".xsland-old-"
_LOCK = ".xsland-lock"
_LEFTOVER = re.compile(r"^\.(?P<name>.+?)\.xsland-(?:tmp|old)-\d+(?:-.*)?$")
#: Test hook: seconds to wait (temporary output complete, marker written) before the swap.
PAUSE_ENV = "XSLAND_TEST_PAUSE_BEFORE_SWAP"

_held: dict[str, list] = {}  # lock file -> [fd, depth]
_ours: set[str] = set()  # temporary outputs this process is making now
_guard = threading.Lock()


def lock_path(path: str | os.PathLike) -> Path:
    """The lock file of an output: ``.<name>.xsland-lock`` beside it."""
    target = Path(os.path.abspath(path))
    return target.parent / f".{target.name}{_LOCK}"


def is_marked(folder: str | os.PathLike) -> bool:
    """Whether ``folder`` carries xsland's output marker :data:`MARKER`."""
    return (Path(folder) / MARKER).is_file()


def _try_lock(lock: Path) -> int | None:
    """An fd holding ``lock`` exclusively, or ``None`` when another process holds it."""
    while True:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        try:  # the holder before us may have removed the file: lock the one at the path
            same = os.fstat(fd).st_ino == os.stat(lock).st_ino
        except FileNotFoundError:
            same = False
        if same:
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            return fd
        os.close(fd)


def _unlock(lock: Path, fd: int) -> None:
    try:
        lock.unlink()
    except FileNotFoundError:
        pass
    fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)


@contextmanager
def _signals_unwind() -> Iterator[None]:
    """SIGTERM and SIGHUP raise :class:`Interrupted` (once) while the block runs."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    fired: list[int] = []

    def handler(signum: int, frame: object) -> None:
        if not fired:  # a second signal must not break the clean-up of the first
            fired.append(signum)
            raise Interrupted(signum)

    signums = [s for s in (signal.SIGTERM, getattr(signal, "SIGHUP", None)) if s is not None]
    old = {s: signal.signal(s, handler) for s in signums}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


@contextmanager
def output_lock(path: str | os.PathLike) -> Iterator[Path]:
    """Hold the exclusive lock of output ``path`` while the block runs.

    Re-entrant within one process (the command line takes it, the writers take it
    again). SIGTERM/SIGHUP unwind the block like Ctrl-C while it is held.

    Raises
    ------
    OutputBusyError
        When another process holds it.
    """
    target = Path(os.path.abspath(path))
    lock = lock_path(target)
    key = str(lock)
    with _guard:
        entry = _held.get(key)
        if entry is not None:
            entry[1] += 1
    if entry is None:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = _try_lock(lock)
        if fd is None:
            raise OutputBusyError(
                f"another xsland run is writing {target} (it holds {lock.name}); "
                "Fix: wait for it to finish, or give another --out"
            )
        with _guard:
            entry = _held[key] = [fd, 1]
    try:
        if entry[1] == 1:
            with _signals_unwind():
                yield target
        else:
            yield target
    finally:
        with _guard:
            entry[1] -= 1
            last = entry[1] == 0
            if last:
                del _held[key]
        if last:
            _unlock(lock, entry[0])


def remove_stale(folder: str | os.PathLike) -> list[Path]:
    """Remove the temporary files and folders that killed runs left in ``folder``.

    A leftover is recognised by its name (``.<name>.xsland-tmp-…`` or
    ``.<name>.xsland-old-…``); it is removed only when no process holds the lock
    of ``<name>`` (a running xsland keeps its own). Each removal is logged.

    Returns
    -------
    list of Path
        What was removed.
    """
    removed: list[Path] = []
    try:
        entries = list(Path(folder).iterdir())
    except OSError:
        return removed
    for entry in entries:
        m = _LEFTOVER.match(entry.name)
        if not m:
            continue
        if _is_ours(os.path.abspath(entry)):
            continue
        lock = lock_path(entry.parent / m["name"])
        if str(lock) in _held:  # we hold it: only we could be making it, and we are not
            gone = _remove(entry)
        else:
            fd = _try_lock(lock)
            if fd is None:
                continue  # another run is writing it
            try:
                gone = _remove(entry)
            finally:
                _unlock(lock, fd)
        if gone and not os.path.lexists(entry):
            removed.append(entry)
            log.warning("removed %s, left behind by an earlier interrupted run", entry)
    return removed


def _is_ours(path: str) -> bool:
    """A temporary output this process is making, or a file beside it named after it.

    A worker process may be writing the temporary output meanwhile
    (:mod:`xsland.write.worker`), with files of its own beside it: SQLite's
    ``-journal``, ``-wal`` and ``-shm`` of a GeoPackage.
    """
    own = tuple(_ours)  # a copy: another thread may start or end an output meanwhile
    return path in own or any(path.startswith(o) for o in own)


def _remove(entry: Path) -> bool:
    """Remove a leftover (True); a previous output a killed swap moved aside is put back
    instead (False)."""
    m = _LEFTOVER.match(entry.name)
    original = entry.with_name(m["name"]) if m else None
    if original is not None and _OLD in entry.name and not os.path.lexists(original):
        os.rename(entry, original)
        log.warning("restored %s from %s, moved aside by an interrupted run", original, entry)
        return False
    if entry.is_dir() and not entry.is_symlink():
        shutil.rmtree(entry, ignore_errors=True)
    else:
        entry.unlink(missing_ok=True)
    return True


def _pause_hook() -> None:
    seconds = os.environ.get(PAUSE_ENV)
    if seconds:
        time.sleep(float(seconds))


@contextmanager
def atomic_file(path: str | os.PathLike, *, overwrite: bool = True) -> Iterator[Path]:
    """Yield a temporary path that becomes ``path`` when the block ends without error.

    The output's lock is held throughout; without ``overwrite`` the target's
    existence is checked again just before the move.
    """
    target = Path(path)
    with output_lock(target):
        if target.is_dir():
            raise OutputTargetError(
                f"{target} is a folder, not a file. Fix: give a file name", check="kind"
            )
        remove_stale(target.parent)
        _refuse_existing(target, overwrite)
        fd, tmp = tempfile.mkstemp(
            prefix=f".{target.name}{_TMP}{os.getpid()}-", suffix=target.suffix, dir=target.parent
        )
        os.close(fd)
        os.unlink(tmp)  # writers such as GDAL want to create the file themselves
        tmp_path = Path(tmp)
        _ours.add(os.path.abspath(tmp_path))
        try:
            yield tmp_path
            if not tmp_path.exists():
                raise InputFileError(f"nothing was written for {target}")
            _refuse_existing(target, overwrite, at_swap=True)
            os.replace(tmp_path, target)
        finally:
            if tmp_path.is_dir():
                shutil.rmtree(tmp_path, ignore_errors=True)
            elif tmp_path.exists():
                tmp_path.unlink()
            _ours.discard(os.path.abspath(tmp_path))


@contextmanager
def scratch_dir(path: str | os.PathLike) -> Iterator[Path]:
    """A temporary folder beside output ``path``, removed with its contents at the end.

    For parts of an output made before its own temporary folder exists (the first
    layers of a GeoPackage, written while the audit runs): beside the target, so they
    move into it by :func:`os.replace`. The output's lock is held throughout; a run
    killed meanwhile leaves a folder named like any temporary output, which the next run
    removes (:func:`remove_stale`).
    """
    target = Path(path)
    with output_lock(target):
        tmp = Path(
            tempfile.mkdtemp(prefix=f".{target.name}{_TMP}{os.getpid()}-", dir=target.parent)
        )
        _ours.add(os.path.abspath(tmp))
        try:
            yield tmp
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
            _ours.discard(os.path.abspath(tmp))


def _refuse_existing(target: Path, overwrite: bool, *, at_swap: bool = False) -> None:
    if os.path.lexists(target) and not overwrite:
        when = " (it appeared while this run was writing)" if at_swap else ""
        raise OutputExistsError(
            f"{target} exists{when}; pass --overwrite (overwrite=True) to replace it, "
            "or give another --out"
        )


def _check_dir_target(target: Path, overwrite: bool) -> None:
    _refuse_existing(target, overwrite)
    check_replaceable(target)


def check_replaceable(target: Path, *, what: str = "", option: str = "--out") -> None:
    """Refuse to replace ``target`` unless it is missing, an empty folder, or a folder
    xsland wrote (it carries :data:`MARKER`): never a file, a link, or someone's files.

    ``what`` says what the folder is (after its path), ``option`` where another is given.

    Raises
    ------
    OutputTargetError
        ``check="kind"`` for a file or link, ``check="marker"`` for a folder of files
        xsland did not write.
    """
    if not os.path.lexists(target):
        return
    if not target.is_dir() or target.is_symlink():
        raise OutputTargetError(
            f"{target}{what} exists and is not a folder; Fix: give a folder name with {option}",
            check="kind",
        )
    if any(target.iterdir()) and not is_marked(target):
        raise OutputTargetError(
            f"{target}{what} is not an xsland output folder (it has no {MARKER} marker), so "
            f"it is not replaced, even with --overwrite; Fix: give a new folder with {option}, "
            "or move its contents away yourself",
            check="marker",
        )


@contextmanager
def atomic_dir(path: str | os.PathLike, *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary folder that replaces ``path`` when the block succeeds.

    An existing ``path`` is refused unless ``overwrite``, and even then unless it
    is empty or carries :data:`MARKER`; it is only removed once the new folder is
    complete (and marked), so a failed or interrupted run leaves it untouched.
    """
    target = Path(path)
    with output_lock(target):
        remove_stale(target.parent)  # first: it may put back an output moved aside
        _check_dir_target(target, overwrite)
        tmp = Path(
            tempfile.mkdtemp(prefix=f".{target.name}{_TMP}{os.getpid()}-", dir=target.parent)
        )
        _ours.add(os.path.abspath(tmp))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes 0700; outputs are shared like any folder
        try:
            yield tmp
            (tmp / MARKER).write_text(
                "This folder was written by xsland; `--overwrite` may replace it.\n",
                encoding="utf-8",
            )
            _pause_hook()
            _swap(tmp, target, overwrite)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
            _ours.discard(os.path.abspath(tmp))


def _swap(tmp: Path, target: Path, overwrite: bool) -> None:
    """Move ``tmp`` to ``target``, checking the target again first."""
    if not os.path.lexists(target):
        os.rename(tmp, target)
        return
    _refuse_existing(target, overwrite, at_swap=True)
    _check_dir_target(target, overwrite)
    old = target.with_name(f".{target.name}{_OLD}{os.getpid()}")
    with _signals_held():  # never stop between the two moves: the target would be gone
        os.replace(target, old)
        os.replace(tmp, target)
    shutil.rmtree(old, ignore_errors=True)


@contextmanager
def _signals_held() -> Iterator[None]:
    """Delay SIGINT, SIGTERM and SIGHUP until the block has run (main thread only)."""
    signums = {signal.SIGINT, signal.SIGTERM} | (
        {signal.SIGHUP} if hasattr(signal, "SIGHUP") else set()
    )
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, signums)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)
