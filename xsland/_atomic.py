"""Writing files and folders so that nothing is ever half-written.

:func:`atomic_file` yields a temporary path in the target's folder and moves it
into place with :func:`os.replace` only when the block ends without error;
:func:`atomic_dir` builds a folder beside the target and swaps it in. Every
writer in xsland goes through these two (they sit at the bottom of the module
layers, so readers, measurers and writers can all use them).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from xsland.errors import InputFileError, OutputExistsError

__all__ = ["atomic_dir", "atomic_file"]


@contextmanager
def atomic_file(path: str | os.PathLike, *, overwrite: bool = True) -> Iterator[Path]:
    """Yield a temporary path that becomes ``path`` when the block ends without error."""
    target = Path(path)
    if target.exists() and not overwrite:
        raise OutputExistsError(f"{target} exists; pass overwrite=True (--overwrite) to replace it")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=target.suffix, dir=target.parent)
    os.close(fd)
    os.unlink(tmp)  # writers such as GDAL want to create the file themselves
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        if not tmp_path.exists():
            raise InputFileError(f"nothing was written for {target}")
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


@contextmanager
def atomic_dir(path: str | os.PathLike, *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary folder that replaces ``path`` when the block succeeds.

    An existing ``path`` is refused unless ``overwrite``; it is only removed
    once the new folder is complete, so a failed run leaves it untouched.
    """
    target = Path(path)
    if target.exists() and not overwrite:
        raise OutputExistsError(
            f"output folder {target} exists; pass --overwrite (overwrite=True) to replace it"
        )
    if target.exists() and not target.is_dir():
        raise OutputExistsError(f"{target} exists and is not a folder")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes 0700; outputs are shared like any folder
    try:
        yield tmp
        if target.exists():
            old = target.with_name(f".{target.name}.old-{os.getpid()}")
            os.replace(target, old)
            os.replace(tmp, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
