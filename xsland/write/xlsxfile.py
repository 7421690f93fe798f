"""The last step of ``audit.xlsx``: Arrow tables and their layout to rust_xlsxwriter.

:func:`write_plan` is the one call that makes the file, from a *plan*: the sheets as
Arrow tables (name, table) and a JSON-ready ``spec`` (column widths, each column's number
format, filters). :mod:`xsland.write.excel` builds the plan; this module only writes it,
in this process or in a worker process (:func:`save_plan`, :func:`load_plan` and
:func:`main`, run as ``python -I xlsxfile.py PLAN_DIR OUT``), which is why it imports
nothing but pyarrow and rustpy_xlsxwriter: the worker starts in a fraction of a second
and never imports the package (nor the caller's ``__main__``).

Why a worker process: rust_xlsxwriter holds the GIL while it writes (about 1 µs of CPU a
cell, half of it deflate), so a thread gains nothing, while a process writes the
workbook on the second core as the maps and the report are drawn on the first.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

__all__ = ["SPEC_FILE", "load_plan", "main", "save_plan", "write_plan"]

#: The plan's layout in its folder (the tables are ``0.arrow``, ``1.arrow`` … beside it).
SPEC_FILE = "spec.json"


def write_plan(tables: list[tuple[str, Any]], spec: dict[str, Any], path: str | Path) -> None:
    """Write the workbook of a plan to ``path`` (rust_xlsxwriter, constant memory).

    Parameters
    ----------
    tables
        ``(sheet name, pyarrow.Table)`` in sheet order; one type per column.
    spec
        ``widths`` (sheet -> column widths), ``formats`` (sheet -> each column's Excel
        number format, ``None`` for text: the quote prefix, so ``=1+1`` stays text when
        edited) and ``autofilter`` (sheet -> bool). Every sheet gets a frozen, bold,
        bordered header row; dates show as ``yyyy-mm-dd``.
    """
    import rustpy_xlsxwriter as rx

    made: dict[str, Any] = {}

    def fmt(number: str | None) -> Any:
        key = number or "@text"  # one Format object per distinct format, as Excel keeps them
        if key not in made:
            f = rx.Format()
            made[key] = f.set_num_format(number) if number else f.set_quote_prefix()
        return made[key]

    head = rx.Format().set_bold().set_border("thin").set_align("center")
    names = [name for name, _ in tables]
    rx.write_worksheets(
        tables,
        str(path),
        freeze_panes={"general": {"row": 1, "col": 0}},
        datetime_format="yyyy-mm-dd",
        autofit=False,
        column_widths={n: list(spec["widths"][n]) for n in names},
        column_formats={n: [fmt(f) for f in spec["formats"][n]] for n in names},
        header_format={n: head for n in names},
        autofilter={n: bool(spec["autofilter"][n]) for n in names},
    )


def save_plan(tables: list[tuple[str, Any]], spec: dict[str, Any], folder: str | Path) -> None:
    """Store a plan in ``folder`` (created): each table as an Arrow IPC file, the rest JSON."""
    import pyarrow as pa

    where = Path(folder)
    where.mkdir(parents=True, exist_ok=True)
    for i, (_, table) in enumerate(tables):
        with pa.OSFile(str(where / f"{i}.arrow"), "wb") as sink:
            with pa.ipc.new_file(sink, table.schema) as writer:
                writer.write_table(table)
    body = {"sheets": [name for name, _ in tables], **spec}
    (where / SPEC_FILE).write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")


def load_plan(folder: str | Path) -> tuple[list[tuple[str, Any]], dict[str, Any]]:
    """The plan :func:`save_plan` stored (tables memory-mapped, not copied)."""
    import pyarrow as pa

    where = Path(folder)
    body = json.loads((where / SPEC_FILE).read_text(encoding="utf-8"))
    tables = [
        (name, pa.ipc.open_file(pa.memory_map(str(where / f"{i}.arrow"))).read_all())
        for i, name in enumerate(body.pop("sheets"))
    ]
    return tables, body


def main(argv: list[str]) -> int:
    """``xlsxfile.py PLAN_DIR OUT``: write the stored plan to ``OUT``; 0 when written."""
    if len(argv) != 3:
        print("usage: xlsxfile.py PLAN_DIR OUT", file=sys.stderr)
        return 2
    tables, spec = load_plan(argv[1])
    write_plan(tables, spec, argv[2])
    return 0


if __name__ == "__main__":  # the worker process of xsland.write.excel
    sys.exit(main(sys.argv))
