"""Writing outputs without ever leaving them half-written.

Every writer here writes to a temporary file in the target's folder and moves
it into place with :func:`os.replace` only when it is complete; a folder of
outputs is built in a temporary sibling folder and renamed into place.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from .errors import InputFileError, OutputExistsError

__all__ = ["atomic_file", "atomic_dir", "write_table"]


@contextmanager
def atomic_file(path: str | os.PathLike, *, overwrite: bool = True) -> Iterator[Path]:
    """Yield a temporary path that becomes ``path`` when the block ends without error."""
    target = Path(path)
    if target.exists() and not overwrite:
        raise OutputExistsError(f"{target} exists; pass overwrite=True (--overwrite) to replace it")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=target.suffix,
                               dir=target.parent)
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
            f"output folder {target} exists; pass --overwrite (overwrite=True) to replace it")
    if target.exists() and not target.is_dir():
        raise OutputExistsError(f"{target} exists and is not a folder")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
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


def write_table(df: pd.DataFrame, path: str | os.PathLike, *, overwrite: bool = True,
                sheet: str = "data") -> Path:
    """Write a table to CSV (UTF-8 with BOM, so Excel shows Chinese) or XLSX.

    The XLSX sheet has a frozen header row and columns sized to their text.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise InputFileError(f"{target}: write .csv or .xlsx, not {suffix!r}")
    with atomic_file(target, overwrite=overwrite) as tmp:
        if suffix == ".csv":
            df.to_csv(tmp, index=False, encoding="utf-8-sig")
        else:
            with pd.ExcelWriter(tmp, engine="openpyxl") as xl:
                df.to_excel(xl, sheet_name=sheet, index=False)
                ws = xl.sheets[sheet]
                ws.freeze_panes = "A2"
                for i, col in enumerate(df.columns, start=1):
                    texts = [str(col)] + [str(v) for v in df[col].head(200)]
                    width = max(_display_width(t) for t in texts)
                    ws.column_dimensions[ws.cell(1, i).column_letter].width = min(
                        max(width + 2, 8), 60)
    return target


def _display_width(text: str) -> int:
    """Width in Excel columns: CJK characters count double."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
