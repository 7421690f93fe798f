"""``audit.xlsx``: the workbook for people, written with rust_xlsxwriter (constant memory).

Each sheet goes to the writer as one Arrow table (``rustpy_xlsxwriter``, the Python
bindings of rust_xlsxwriter), so no cell passes through Python: about 1.1 µs of CPU a
cell, two thirds of it the writer's deflate, where the pure-Python xlsxwriter took about
8 µs (``benchmarks/bench_excel.py``).

The workbook holds the parks, towns, district checks, the parcels that need action
(low-efficiency or below their FAR minimum, with the columns a town office acts on:
:data:`~xsland.rules.columns.WORKBOOK_PARCEL_COLUMNS`), blocks, enterprises, data quality
and the rules; its first sheet says where the full parcel table with every column is. Everything shown follows
the output schema (:mod:`xsland.rules.columns`):

- one Chinese header per column (thresholds from the policy applied), never twice on a
  sheet, and a last sheet naming every column in English with unit and meaning;
- statuses as 达标 / 不达标 / 数据不足 / 不适用 (never blank, never English); category, park
  type, zone, route and source codes as their Chinese names; booleans as 是 / 否;
- numbers rounded to the shown precision and formatted so; dates as dates;
- text is always literal: cells starting with ``=``, ``+``, ``-``, ``@``, tab or CR never
  become formulas (text goes to the writer as an Arrow string column, which it writes
  only as string cells, and text columns carry Excel's quote prefix, but for those
  whose every cell starts with a CJK ideograph, which Excel reads back as text
  anyway: :func:`_inert`); characters XML
  cannot hold are removed, and each change is listed in the quality sheet;
- one type per column: a column mixing text with numbers or dates is written as text;
- no sheet passes Excel's row limit (:data:`EXCEL_MAX_ROWS`); a cut is said on the first
  sheet;
- no text is cut at Excel's cell limit (:data:`EXCEL_MAX_CELL`, 32,767 UTF-16 code units,
  the unit Excel counts; a character outside the BMP counts two): a longer
  text keeps its first :data:`LONG_TEXT_HEAD` characters in its cell, followed by
  ``…（全文见「长文本 long text」表第 N 行）``, and the whole text goes to row N of the
  sheet ``长文本 long text``, split over consecutive cells of that row (never inside a
  surrogate pair), so that joining the cells ``第1段``, ``第2段`` … gives it back exactly
  (:func:`move_long_text`). The first sheet says so and the quality sheet lists each cell.
"""

from __future__ import annotations

import numbers
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from xsland._atomic import atomic_file
from xsland.result import AuditResult
from xsland.rules.columns import CODES, TABLES, WORKBOOK_PARCEL_COLUMNS, Column, Table
from xsland.rules.landuse import land_use_label
from xsland.rules.policy import DEFAULT_POLICY, Policy
from xsland.write import worker

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = [
    "EXCEL_MAX_CELL",
    "EXCEL_MAX_ROWS",
    "LONG_TEXT_HEAD",
    "LONG_TEXT_SHEET",
    "PLAIN",
    "WORKER_MIN_CELLS",
    "action_parcels",
    "audit_workbook_writing",
    "clean_text",
    "display_table",
    "move_long_text",
    "too_long",
    "write_audit_workbook",
    "write_frames",
]

#: Rows of an Excel sheet, the header included (Excel 2007 and later).
EXCEL_MAX_ROWS = 1_048_576

#: UTF-16 code units one Excel cell holds (a writer cuts or refuses a longer string).
EXCEL_MAX_CELL = 32_767

#: Characters of a too-long text kept in its own cell, before the pointer.
LONG_TEXT_HEAD = 1_000

#: The sheet holding texts longer than :data:`EXCEL_MAX_CELL`, split over one row each.
LONG_TEXT_SHEET = "长文本 long text"

#: Characters XML 1.0 cannot hold (C0 controls but tab, LF and CR; U+FFFE/FFFF; surrogates).
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")

#: The same class in RE2 syntax, for Arrow-backed strings (which cannot hold surrogates).
_ILLEGAL_RE2 = "[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x{FFFE}\\x{FFFF}]"

_YES_NO = {True: "是", False: "否"}

#: Sheets of the workbook: table -> sheet name.
SHEETS = {
    "parks": "园区 parks",
    "towns": "镇街 towns",
    "district": "全区 district",
    "parcels": "待处理地块 parcels",
    "blocks": "连片 blocks",
    "enterprises": "企业亩均 enterprises",
    "intensity": "集约评价 intensity",
    "quality": "数据质量 quality",
    "rules": "规则 rules",
}
_ABOUT, _COLUMNS = "说明 about", "字段 columns"


def clean_text(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Text without the characters XML cannot hold, and a mask of the rows changed.

    Vectorised with pandas' string methods: one search of the character class per
    column (RE2 through Arrow for Arrow-backed strings, which cannot hold surrogates),
    and the replacement only where it matched. Values that are not text are kept.
    """
    nothing = np.zeros(len(values), dtype=bool)
    if not len(values) or not _texty(values):
        return values, nothing
    arrow = _arrow_backed(values)
    if arrow and not _may_hold_illegal(values):
        return values, nothing
    pattern = _ILLEGAL_RE2 if arrow else _ILLEGAL
    try:
        found = values.str.contains(pattern, regex=True, na=False)
    except AttributeError:  # no text at all: pandas refuses the .str accessor
        return values, nothing
    changed = np.asarray(found.to_numpy(dtype=bool, na_value=False))
    if not changed.any():
        return values, changed
    if arrow:
        return values.where(~changed, values.str.replace(pattern, "", regex=True)), changed
    out = values.astype(object).copy()
    out[changed] = values[changed].astype(str).str.replace(_ILLEGAL, "", regex=True)
    return out, changed


def _may_hold_illegal(values: pd.Series) -> bool:
    """Whether the UTF-8 bytes behind Arrow-backed strings may hold a character XML cannot.

    A scan of the raw bytes (C0 controls but tab, LF and CR; U+FFFE and U+FFFF, whose
    UTF-8 is ``EF BF BE`` / ``EF BF BF``), so that the regular expression of
    :func:`clean_text` runs only on a column that may need it. The buffers may hold bytes
    of no value of the column (a slice): that only costs the search, never a miss.
    """
    import pyarrow as pa

    array = pa.array(values)
    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        array = array.cast(pa.large_string())  # string views keep short texts elsewhere
    for chunk in getattr(array, "chunks", [array]):
        data = chunk.buffers()[2] if len(chunk) else None
        if data is None:
            continue
        raw = np.frombuffer(data, dtype=np.uint8)  # no copy
        low = raw[raw < 0x20]
        if len(low) and not np.isin(low, (0x09, 0x0A, 0x0D)).all():
            return True
        lead = np.flatnonzero(raw[:-2] == 0xEF)
        if len(lead) and ((raw[lead + 1] == 0xBF) & (raw[lead + 2] >= 0xBE)).any():
            return True
    return False


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _texty(values: pd.Series) -> bool:
    return values.dtype == object or pd.api.types.is_string_dtype(values.dtype)


def too_long(value: Any) -> bool:
    """Whether a cell value is text longer than :data:`EXCEL_MAX_CELL` UTF-16 code units."""
    return (
        isinstance(value, str)
        and len(value) > EXCEL_MAX_CELL // 2
        and (_utf16_len(value) > EXCEL_MAX_CELL)
    )


def _long_cells(frame: pd.DataFrame) -> list[tuple[int, int]]:
    """``(row, column)`` positions of the :func:`too_long` cells, row by row, left to right.

    Only text longer than half a cell (in code points) can pass the limit in UTF-16
    code units, so :func:`too_long` runs on those cells alone.
    """
    hits = []
    for c in range(frame.shape[1]):
        values = frame.iloc[:, c]
        if not _texty(values):
            continue
        if _arrow_backed(values) and _most_bytes(values) <= EXCEL_MAX_CELL // 2:
            continue  # no text of more than half a cell in bytes, so none in code points
        try:
            length = values.str.len()
        except AttributeError:
            continue
        long = np.flatnonzero(length.to_numpy(dtype="float64", na_value=0) > EXCEL_MAX_CELL // 2)
        hits += [(int(r), c) for r in long if too_long(values.iat[r])]
    return sorted(hits)


def _arrow_backed(values: pd.Series) -> bool:
    return getattr(values.dtype, "storage", None) == "pyarrow"


def _most_bytes(values: pd.Series) -> int:
    """The UTF-8 bytes of the longest text of Arrow-backed strings (from the offsets)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    return int(pc.max(pc.binary_length(pa.array(values))).as_py() or 0)


def _parts(text: str) -> list[str]:
    """``text`` in pieces of at most :data:`EXCEL_MAX_CELL` UTF-16 code units.

    Cut by code units and moved back one unit where a cut would fall between the two
    halves of a surrogate pair, so ``"".join(parts) == text`` always.
    """
    raw = text.encode("utf-16-le")
    out, start = [], 0
    while start < len(raw):
        end = min(start + 2 * EXCEL_MAX_CELL, len(raw))
        if end < len(raw) and 0xD800 <= int.from_bytes(raw[end - 2 : end], "little") <= 0xDBFF:
            end -= 2  # a high surrogate: keep the pair together
        out.append(raw[start:end].decode("utf-16-le"))
        start = end
    return out


def move_long_text(
    sheets: Mapping[str, tuple[pd.DataFrame, list[Any]]],
) -> tuple[dict[str, tuple[pd.DataFrame, list[Any]]], pd.DataFrame]:
    """Move every text longer than an Excel cell to the sheet :data:`LONG_TEXT_SHEET`.

    Sheets are visited in order, each row by row and left to right. The ``k``-th text
    found (``k`` from 1) becomes row ``k + 1`` of the long-text sheet (row 1 is its
    header) with the columns 表 sheet, 行 row (the Excel row of the cell), 列 column
    (its header), 字符数 characters (code points), 段数 parts, then 第1段 … 第m段, each at
    most :data:`EXCEL_MAX_CELL` UTF-16 code units (:func:`_parts`). Its cell keeps
    ``text[:LONG_TEXT_HEAD] + "…（全文见「长文本 long text」表第 {k+1} 行）"``.

    Returns
    -------
    (dict, DataFrame)
        The sheets (new frames where a text moved; the input is not changed) and the
        long-text sheet (no rows when nothing moved).
    """
    out: dict[str, tuple[pd.DataFrame, list[Any]]] = {}
    rows: list[dict[str, Any]] = []
    for name, (frame, specs) in sheets.items():
        hits = _long_cells(frame)
        if not hits:
            out[name] = (frame, specs)
            continue
        frame = frame.copy()
        for r, c in hits:
            text = frame.iat[r, c]
            parts = _parts(text)
            at = len(rows) + 2
            rows.append(
                {
                    "表 sheet": name,
                    "行 row": r + 2,
                    "列 column": str(frame.columns[c]),
                    "字符数 characters": len(text),
                    "段数 parts": len(parts),
                    **{f"第{i}段": p for i, p in enumerate(parts, start=1)},
                }
            )
            frame.iat[r, c] = f"{text[:LONG_TEXT_HEAD]}…（全文见「{LONG_TEXT_SHEET}」表第 {at} 行）"
        out[name] = (frame, specs)
    head = ["表 sheet", "行 row", "列 column", "字符数 characters", "段数 parts"]
    long = pd.DataFrame(rows).reindex(columns=[*head, *(
        f"第{i}段" for i in range(1, max((r["段数 parts"] for r in rows), default=0) + 1)
    )])  # fmt: skip
    return out, long.astype(object).where(long.notna(), None)


def action_parcels(parcels: pd.DataFrame) -> pd.DataFrame:
    """The parcels that need action: low-efficiency, or below their FAR minimum."""
    return parcels[_needs_action(parcels)]


def _needs_action(parcels: pd.DataFrame) -> np.ndarray:
    need = pd.Series(False, index=parcels.index)
    if "low_efficiency" in parcels.columns:
        need |= parcels["low_efficiency"].fillna(False).astype(bool)
    if "far_ok" in parcels.columns:
        need |= (parcels["far_ok"] == False).fillna(False).astype(bool)  # noqa: E712
    return need.to_numpy(dtype=bool)


def _per_value(values: pd.Series, word: Any) -> pd.Series:
    """``word`` of each distinct value, spread over the column (missing values: ``None``).

    ``word`` runs once per distinct value, not once per cell; the spreading is a
    vectorised take.
    """
    source = values if _arrow_backed(values) else values.astype(object)  # Arrow: no copy
    try:
        codes, uniques = pd.factorize(source, use_na_sentinel=True)
    except TypeError:  # unhashable values: one call per cell
        return values.astype(object).map(lambda v: None if _missing(v) else word(v))
    looked = np.array([word(u) for u in uniques] + [None], dtype=object)
    return pd.Series(looked[codes], index=values.index, dtype=object)


def _missing(value: Any) -> bool:
    """None, NA, NaT (of dates and periods) and NaN: an empty cell."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, np.datetime64 | np.timedelta64):
        return bool(np.isnat(value))
    return isinstance(value, numbers.Number) and value != value  # NaN, of any kind


def _words(values: pd.Series, col: Column) -> pd.Series:
    """Codes, statuses and booleans as the Chinese words people read."""
    if col.dtype == "boolean":
        out = _per_value(
            values, lambda v: _YES_NO.get(v) if isinstance(v, (bool, np.bool_)) else None
        )
        return out.where(out.notna(), col.na or None)
    codes = CODES[col.codes]
    if col.codes == "reasons":

        def many(v: Any) -> Any:
            if not isinstance(v, str):
                return v
            return "；".join(codes.get(c, c) for c in v.split(";") if c)

        return _per_value(values, many)
    if col.codes == "land_use":  # the code stays visible: "100101 一类工业用地"
        return _per_value(
            values, lambda v: land_use_label(v, code_first=True) if isinstance(v, str) else v
        )
    out = _per_value(values, lambda v: codes.get(v, v) if isinstance(v, str) else v)
    if col.codes == "status":
        out = out.where(out.notna(), codes["unknown"])
    return out


def _arrow_text(values: pd.Series) -> pd.Series:
    """An object column holding only text (and missing values) as Arrow-backed strings.

    Vectorised string work on them (:func:`clean_text`, lengths) runs in Arrow, not in a
    Python loop; any other column is returned as it is.
    """
    if not pd.api.types.is_object_dtype(values.dtype):
        return values
    if pd.api.types.infer_dtype(values, skipna=True) not in ("string", "empty"):
        return values
    return values.astype(pd.StringDtype("pyarrow"))


def display_table(
    df: pd.DataFrame, table: Table, *, policy: Policy = DEFAULT_POLICY
) -> tuple[pd.DataFrame, list[Column | None], pd.DataFrame]:
    """A table as people read it.

    Returns
    -------
    (DataFrame, list, DataFrame)
        The shown frame (Chinese headers, words for codes, rounded numbers, no geometry,
        no code column that has a ``<name>_zh`` twin; declared numbers as ``float64`` with
        NaN for a missing or non-finite value, text as Arrow-backed strings, a column mixing
        text with other values as objects with ``None``), the declaration of each shown column
        (``None`` for a layer's own extra columns), and the cells whose text lost
        characters XML cannot hold (``row``, ``column``, ``removed``).
    """
    shown: dict[str, pd.Series] = {}
    specs: list[Column | None] = []
    changes = []
    index_id: list[str] | None = None
    for name in df.columns:
        if str(df[name].dtype) == "geometry":
            continue
        if f"{name}_zh" in df.columns:
            continue
        col = table.column(str(name))
        values = df[name]
        if col is not None and (col.codes or col.dtype == "boolean"):
            values = _words(values, col)
        elif col is not None and col.dtype in ("float", "integer"):
            values = pd.to_numeric(values, errors="coerce").astype("float64")
            places = (col.decimals or 0) + (2 if col.percent else 0)
            values = values.round(places if col.dtype == "float" else 0)
            values = values.where(np.isfinite(values), np.nan)
        elif col is not None and col.dtype == "date":
            values = pd.to_datetime(values, errors="coerce")
        if _texty(values):
            values, changed = clean_text(_arrow_text(values))
            if pd.api.types.is_object_dtype(values.dtype):
                values = values.where(values.notna(), None)
            if changed.any():
                index_id = _row_ids(df, table) if index_id is None else index_id
                changes += [
                    {"row": index_id[i], "column": str(name)} for i in np.flatnonzero(changed)
                ]
        header = col.label(policy) if col is not None else str(name)
        while header in shown:
            header = f"{header}({name})"
        shown[header] = values.reset_index(drop=True)
        specs.append(col)
    return pd.DataFrame(shown), specs, pd.DataFrame(changes, columns=["row", "column"])


def _row_ids(df: pd.DataFrame, table: Table) -> list[str]:
    key = next((c for c in ("parcel_id", "block_id", "park_id", "enterprise_id", "id", "key",
                            "town", "check") if c in df.columns), None)  # fmt: skip
    if key is None:
        return [str(i + 1) for i in range(len(df))]
    return [str(v) for v in df[key].tolist()]


#: Characters two columns wide (CJK and everything after U+2E80).
_WIDE = re.compile("[\u2e81-\U0010ffff]")


def _width(header: str, values: pd.Series) -> int:
    """Excel width of a column: its widest text among the header and first 200 values.

    A character from U+2E81 on (CJK) counts two, any other one; plus 2, within 8–50.
    """
    texts = {header, *map(str, values.head(200).dropna().tolist())}
    widest = max(len(t) + len(_WIDE.findall(t)) for t in texts)
    return int(min(max(widest + 2, 8), 50))


#: The first day an Excel date can hold (the 1900 date system).
_EXCEL_FIRST_DAY = pd.Timestamp("1900-01-01")

#: What :func:`pandas.api.types.infer_dtype` says of an object column of numbers.
_NUMBER_KINDS = {"floating", "integer", "mixed-integer-float", "decimal"}


def _as_text(values: pd.Series) -> pa.Array:
    """Every present value as its ``str`` (missing values: null, an empty cell)."""
    import pyarrow as pa

    cells = [None if _missing(v) else str(v) for v in values.astype(object).tolist()]
    return pa.array(cells, type=pa.large_string())


def _as_dates(values: pd.Series) -> pa.Array:
    """Dates and times as Arrow timestamps; as text when one is before Excel's first day.

    A time zone is dropped (the wall-clock time is kept): Excel has no time zones.
    """
    import pyarrow as pa

    stamps = pd.to_datetime(values, errors="coerce")
    if getattr(stamps.dt, "tz", None) is not None:
        stamps = stamps.dt.tz_localize(None)
    if (stamps < _EXCEL_FIRST_DAY).any():  # Excel cannot hold the day: keep it readable
        return _as_text(stamps.dt.strftime("%Y-%m-%d %H:%M:%S").where(stamps.notna(), None))
    return pa.array(stamps, from_pandas=True)


def _column(values: pd.Series) -> pa.Array:
    """A shown column as the one Arrow array its cells are written from.

    Numbers become ``float64`` (missing and non-finite values: null, an empty cell), dates
    and times timestamps, booleans booleans and text ``large_string``; an object column
    is typed by :func:`pandas.api.types.infer_dtype`. A column mixing kinds (text with
    numbers, …) is written as text, each value as its ``str``: one column, one type.
    Text is only ever a string cell (never a formula, never a link).
    """
    import pyarrow as pa

    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return _column(values.astype(object))
    if pd.api.types.is_bool_dtype(dtype):
        return pa.array(values.astype(object), type=pa.bool_(), from_pandas=True)
    if pd.api.types.is_complex_dtype(dtype):
        return _as_text(values)  # never the real part alone
    if pd.api.types.is_numeric_dtype(dtype):
        numbers = values.to_numpy(dtype="float64", na_value=np.nan)
        return pa.array(numbers, mask=~np.isfinite(numbers))
    arrow_type = getattr(dtype, "pyarrow_dtype", None)
    if pd.api.types.is_datetime64_any_dtype(dtype) or (
        arrow_type is not None
        and (pa.types.is_date(arrow_type) or pa.types.is_timestamp(arrow_type))
    ):
        return _as_dates(values)
    plain = pd.api.types.is_object_dtype(dtype)
    if not plain and pd.api.types.is_string_dtype(dtype):
        return pa.array(values, type=pa.large_string(), from_pandas=True)
    if not plain:
        return _as_text(values)
    kind = pd.api.types.infer_dtype(values, skipna=True)
    if kind in ("string", "empty"):
        return pa.array(values.to_numpy(), type=pa.large_string(), from_pandas=True)
    if kind in _NUMBER_KINDS:
        return _column(pd.to_numeric(values, errors="coerce").astype("float64"))
    if kind == "boolean":
        return pa.array(values.to_numpy(), type=pa.bool_(), from_pandas=True)
    if kind in ("datetime", "datetime64", "date"):
        try:
            return _as_dates(values)
        except (TypeError, ValueError):  # mixed time zones and the like
            return _as_text(values)
    return _as_text(values)


def _arrow_table(frame: pd.DataFrame) -> pa.Table:
    import pyarrow as pa

    arrays = [_column(frame.iloc[:, c]) for c in range(frame.shape[1])]
    return pa.Table.from_arrays(arrays, names=[str(h) for h in frame.columns])


def write_frames(
    sheets: Mapping[str, tuple[pd.DataFrame, list[Column | str | None]]],
    path: str | os.PathLike,
    *,
    overwrite: bool = True,
) -> Path:
    """Write shown frames to one XLSX: frozen header, filter, widths, number formats.

    ``sheets`` maps a sheet name to ``(frame, declarations)`` (:func:`display_table`); a
    declaration may also be an Excel number format. Each frame becomes an Arrow table
    (one type per column, :func:`_column`) written by rust_xlsxwriter through
    ``rustpy_xlsxwriter`` in constant-memory mode, with the column formats set first
    (:func:`xsland.write.worker.write_workbook`).
    Every text is a literal string: formulas are never created from text (the writer
    writes text only as strings), and text columns carry Excel's quote prefix, so a cell
    starting with ``=`` stays text even when edited (a column whose every cell starts with
    a CJK ideograph, read back as text anyway, is written without it: :func:`_inert`). A text longer than an Excel cell is
    never cut: it moves to the last sheet :data:`LONG_TEXT_SHEET` (:func:`move_long_text`).
    """
    tables, spec = _plan(sheets)
    target = Path(path)
    with atomic_file(target, overwrite=overwrite) as tmp:
        worker.write_workbook(tables, spec, tmp)
    return target


def _plan(
    sheets: Mapping[str, tuple[pd.DataFrame, list[Column | str | None]]],
) -> tuple[list[tuple[str, pa.Table]], dict[str, Any]]:
    """The sheets as :func:`xsland.write.worker.write_workbook` takes them.

    Long texts moved out (:func:`move_long_text`), each frame an Arrow table, and the
    layout: column widths, each column's number format (``None``: text, with the quote
    prefix; :data:`PLAIN`: text needing none, :func:`_inert`) and filters.
    """
    import pyarrow as pa

    sheets, long = move_long_text(sheets)
    if len(long):
        sheets = {**sheets, LONG_TEXT_SHEET: (long, ["0", "0", None, "#,##0", "0"] + [None] * (
            long.shape[1] - 5))}  # fmt: skip
    tables: list[tuple[str, pa.Table]] = []
    spec: dict[str, dict[str, Any]] = {"widths": {}, "formats": {}, "autofilter": {}}
    for name, (frame, specs) in sheets.items():
        table = _arrow_table(frame)
        tables.append((name, table))
        numbers = []
        for declared, field in zip(specs, table.schema, strict=True):
            if declared is None or isinstance(declared, str):
                number = declared
            elif declared.codes or declared.dtype == "boolean":
                number = None
            else:
                number = declared.number_format()
            if number is None and pa.types.is_timestamp(field.type):
                number = "yyyy-mm-dd"  # a date in a column declared as text is still a date
            elif number is None and _inert(table.column(len(numbers))):
                number = PLAIN  # no cell can change meaning: no per-cell format to write
            numbers.append(number)
        spec["formats"][name] = numbers
        spec["widths"][name] = [
            float(_width(str(h), frame.iloc[:, i])) for i, h in enumerate(frame.columns)
        ]
        spec["autofilter"][name] = bool(len(frame.columns))
    return tables, spec


#: The format of a text column whose every cell starts with a CJK ideograph
#: (:func:`_inert`): written without a cell format (see :func:`_plan`).
PLAIN = ""

#: A text Excel reads back as text when a user edits the cell and presses Enter: one
#: starting with a CJK unified ideograph (U+4E00–U+9FFF) is never taken for a formula
#: (``=``, ``+``, ``-``, ``@``), a number, a date or time, a boolean or an error value.
#: In UTF-8 these are the three bytes from ``E4 B8 80`` to ``E9 BF BF``, and a text
#: starts with one exactly when its first three bytes lie between them (byte order is
#: code point order).
_IDEOGRAPHS = ("\u4e00".encode(), "\u9fff".encode())


def _inert(column: pa.ChunkedArray) -> bool:
    """Whether every present cell of a text column starts with a CJK ideograph.

    Such a column needs no quote prefix: the prefix only keeps a cell that Excel would
    read as something else (``=1+2``, ``0012``, ``2024-01-01``, ``TRUE``) as text when it
    is edited, and costs the writer a format on every cell (a third of the cell's time
    in rust_xlsxwriter: 725,648 rows × 8 such columns of the 1M-parcel audit's parcel
    sheet took 2 s more with the prefix). A column with one other cell keeps the prefix
    on every cell. A column without text cells counts as inert. Arrow kernels on the
    first three bytes of each cell; the first thousand cells are looked at first, as an
    ID column fails there.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        return False
    raw = column.cast(pa.large_binary() if pa.types.is_large_string(column.type) else pa.binary())
    for part in (raw.slice(0, 1000), raw):
        head = pc.binary_slice(part, 0, 3)
        low, high = (pa.scalar(b, head.type) for b in _IDEOGRAPHS)
        inside = pc.and_(pc.greater_equal(head, low), pc.less_equal(head, high))
        if pc.all(inside, skip_nulls=True).as_py() is False:
            return False
    return True


def _cap(frame: pd.DataFrame, sheet: str, notes: list[str]) -> pd.DataFrame:
    limit = EXCEL_MAX_ROWS - 1
    if len(frame) <= limit:
        return frame
    notes.append(
        f"{sheet}: 共 {len(frame):,} 行, 超过 Excel 上限, 只列出前 {limit:,} 行 "
        f"(rows beyond Excel's limit are in audit.gpkg)"
    )
    return frame.iloc[:limit]


def write_audit_workbook(
    result: AuditResult,
    path: str | os.PathLike,
    *,
    overwrite: bool = True,
    geoparquet: bool = False,
) -> Path:
    """Write ``audit.xlsx`` of an audit (see the module's description)."""
    return write_frames(_audit_sheets(result, geoparquet=geoparquet), path, overwrite=overwrite)


@contextmanager
def audit_workbook_writing(
    result: AuditResult,
    path: str | os.PathLike,
    *,
    overwrite: bool = True,
    geoparquet: bool = False,
    worker_min_cells: int | None = None,
) -> Iterator[Path]:
    """``audit.xlsx`` of :func:`write_audit_workbook`, written while the block runs.

    The cells are prepared here (as for :func:`write_audit_workbook`); a workbook of at
    least ``worker_min_cells`` cells (default :data:`WORKER_MIN_CELLS`) is then written
    by a worker process (:func:`xsland.write.worker.start`, reading the Arrow tables
    from a temporary folder) on another core while the block runs, a smaller one at
    once, here. The file is complete, and in place, when the block ends; it is the same
    workbook either way. When the block raises, the worker is stopped and nothing is left
    behind. When the worker cannot start or fails, the workbook is written here instead
    (the worker's error is logged), so a failure of the file itself is raised as it
    would be without a worker.

    Yields
    ------
    Path
        ``path``.
    """
    tables, spec = _plan(_audit_sheets(result, geoparquet=geoparquet))
    target = Path(path)
    least = WORKER_MIN_CELLS if worker_min_cells is None else worker_min_cells
    cells = sum(t.num_rows * t.num_columns for _, t in tables)
    if cells < least:
        with atomic_file(target, overwrite=overwrite) as tmp:
            worker.write_workbook(tables, spec, tmp)
        yield target
        return
    with atomic_file(target, overwrite=overwrite) as tmp, worker.writing("xlsx", tables, spec, tmp):
        del tables  # the worker has them (and this process, if it fails, from its plan)
        yield target


#: Cells from which :func:`audit_workbook_writing` writes the workbook in a worker
#: process: about a second of writing, well above the worker's start (about 0.3 s).
WORKER_MIN_CELLS = 1_000_000


def _audit_sheets(
    result: AuditResult, *, geoparquet: bool
) -> dict[str, tuple[pd.DataFrame, list[Any]]]:
    """The sheets of ``audit.xlsx``: ``name -> (shown frame, declarations)``."""
    policy = result.policy
    tables: dict[str, pd.DataFrame] = {}
    for table in SHEETS:
        frame = getattr(result, table)
        if frame is None:
            continue
        if table == "parcels":  # the columns a town office acts on; the rest in audit.gpkg
            need = _needs_action(frame)  # the columns first: the rows of those alone are copied
            frame = frame[[c for c in WORKBOOK_PARCEL_COLUMNS if c in frame.columns]][need]
        tables[table] = frame
    shown: dict[str, tuple[pd.DataFrame, list[Column | None]]] = {}
    notes: list[str] = []
    removed: list[pd.DataFrame] = []
    for table, frame in tables.items():
        if table == "quality":
            continue
        out, specs, changes = display_table(frame, TABLES[table], policy=policy)
        shown[SHEETS[table]] = (_cap(out, SHEETS[table], notes), specs)
        if len(changes):
            removed.append(changes.assign(table=table))
    quality = result.quality
    if removed:
        quality = pd.concat([quality, _illegal_rows(pd.concat(removed))], ignore_index=True)
    long = _long_rows(shown, tables)
    if len(long):
        quality = pd.concat([quality, long], ignore_index=True)
    out, specs, _ = display_table(quality, TABLES["quality"], policy=policy)
    shown = _ordered(shown, SHEETS["quality"], (_cap(out, SHEETS["quality"], notes), specs))
    if len(long) or any(_long_cells(frame) for frame, _ in shown.values()):
        notes.append(
            f"长文本 long text: 超过 Excel 单元格上限 ({EXCEL_MAX_CELL:,} 个字符) 的文本不截断, "
            f"单元格内保留前 {LONG_TEXT_HEAD:,} 个字符并注明行号, 全文见“{LONG_TEXT_SHEET}”表, "
            "分段存于同一行相邻单元格, 依次连接即为全文 (texts longer than a cell are "
            "split over one row of that sheet)"
        )
    about = _about(result, n_action=len(tables["parcels"]), notes=notes, geoparquet=geoparquet)
    columns = _column_sheet(shown, policy)
    return {_ABOUT: (about, [None, None]), **shown, _COLUMNS: (columns, [None] * 6)}


def _ordered(shown: dict, name: str, value: tuple) -> dict:
    out = {}
    for sheet in SHEETS.values():
        if sheet == name:
            out[sheet] = value
        elif sheet in shown:
            out[sheet] = shown[sheet]
    return out


def _long_rows(shown: Mapping[str, tuple[pd.DataFrame, list]], tables: Mapping) -> pd.DataFrame:
    """Quality rows for the texts :func:`move_long_text` will move out of their cells."""
    rows = []
    for table, sheet in SHEETS.items():
        if sheet not in shown:
            continue
        frame, specs = shown[sheet]
        hits = _long_cells(frame)
        ids = _row_ids(tables[table], TABLES[table]) if hits else []
        for r, c in hits:
            spec = specs[c]
            rows.append(
                {
                    "layer": table,
                    "file": "audit.xlsx",
                    "id": ids[r],
                    "column": spec.name if spec else str(frame.columns[c]),
                    "check": "xlsx_long_text",
                    "severity": "info",
                    "label": "超过Excel单元格上限的文本移至“长文本”表",
                    "detail": f"text of {len(frame.iat[r, c]):,} characters is longer than "
                    f"an Excel cell ({EXCEL_MAX_CELL:,}); its start stays in the cell, "
                    f"the whole text is in sheet '{LONG_TEXT_SHEET}'",
                }
            )
    return pd.DataFrame(rows, columns=list(rows[0]) if rows else None).astype("str")


def _illegal_rows(changes: pd.DataFrame) -> pd.DataFrame:
    """Quality rows for text whose XML-illegal characters were removed in audit.xlsx."""
    return pd.DataFrame(
        {
            "layer": changes["table"].to_numpy(),
            "file": "audit.xlsx",
            "id": changes["row"].to_numpy(),
            "column": changes["column"].to_numpy(),
            "check": "xlsx_illegal_characters",
            "severity": "info",
            "label": "Excel中删除了无法保存的控制字符",
            "detail": "control characters removed in audit.xlsx (kept in audit.gpkg)",
        }
    ).astype("str")


def _about(
    result: AuditResult, *, n_action: int, notes: list[str], geoparquet: bool
) -> pd.DataFrame:
    n_all = int(result.meta.get("n_parcels") or len(result.parcels))
    where = "audit.gpkg 图层 parcels (GeoPackage layer 'parcels')"
    if result.parcels_path:
        where += "; parcels.parquet/ (GeoParquet, one file per partition)"
    elif geoparquet:
        where += "; parquet/parcels.parquet (GeoParquet)"
    where += "; CSV: ogr2ogr -f CSV parcels.csv audit.gpkg parcels"
    rows = [
        ("标题 title", result.title),
        ("审计时间 run", str(result.meta.get("run") or "")),
        ("闲置判定日期 idle judged at", str(result.meta.get("as_of") or "")),
        ("坐标系 metric CRS", str(result.meta.get("crs") or "")),
        ("xsland 版本 version", str(result.meta.get("version") or "")),
        ("本表地块 parcels in this workbook",
         f"{n_action:,} 个待处理地块(低效用地或容积率低于下限), 共 {n_all:,} 个地块"),
        ("完整地块表 full parcel table", where),
        ("地块字段 parcel columns",
         f"“{SHEETS['parcels']}”表只列出 {len(WORKBOOK_PARCEL_COLUMNS)} 个处置所需字段; "
         f"全部 {len(TABLES['parcels'].columns)} 个字段 (及输入图层的其他字段) 见完整地块表 "
         "(the sheet shows the columns needed to act; every column is in the full table)"),
        ("连片成员 block members",
         f"地块所属连片见“{SHEETS['parcels']}”表的连片编号列; 连片成员表 block_members 在 "
         "audit.gpkg (the block of each parcel is a column of the parcels sheet)"),
        ("规则 rules", "见“规则 rules”表 (the policy applied, with sources)"),
        ("字段 columns", "见“字段 columns”表 (English column names, units, meanings)"),
    ]  # fmt: skip
    changed = result.policy.changed()
    rows.append(
        (
            "项目文件改动的规则 rules set by the project",
            "; ".join(f"{k} = {CODES['rule_value'].get(v, v)}" for k, v in changed.items())
            if changed
            else "无, 全部为默认规则 (none: the default policy)",
        )
    )
    rows += [("注意 note", n) for n in notes]
    return pd.DataFrame(rows, columns=["项目", "内容"])


def _column_sheet(
    shown: Mapping[str, tuple[pd.DataFrame, list[Column | None]]], policy: Policy
) -> pd.DataFrame:
    rows = []
    for sheet, (frame, specs) in shown.items():
        for header, spec in zip(frame.columns, specs, strict=True):
            rows.append(
                {
                    "表 sheet": sheet,
                    "中文列名": header,
                    "字段 column": spec.name if spec else str(header),
                    "英文 English": spec.en if spec else str(header),
                    "单位 unit": spec.unit if spec else "",
                    "说明 description": spec.description if spec else "kept from the input",
                }
            )
    return pd.DataFrame(rows)
