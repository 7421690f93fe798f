"""``audit.xlsx``: the workbook for people, written with xlsxwriter (constant memory).

The workbook holds the parks, towns, district checks, the parcels that need action
(low-efficiency or below their FAR minimum), blocks, enterprises, data quality and the
rules; its first sheet says where the full parcel table is. Everything shown follows
the output schema (:mod:`xsland.rules.columns`):

- one Chinese header per column (thresholds from the policy applied), never twice on a
  sheet, and a last sheet naming every column in English with unit and meaning;
- statuses as 达标 / 不达标 / 数据不足 / 不适用 (never blank, never English); category, park
  type, zone, route and source codes as their Chinese names; booleans as 是 / 否;
- numbers rounded to the shown precision and formatted so; dates as dates;
- text is always literal: cells starting with ``=``, ``+``, ``-``, ``@``, tab or CR never
  become formulas (xlsxwriter's ``strings_to_formulas`` off, and text columns carry
  Excel's quote prefix); characters XML cannot hold are removed, and each change is listed
  in the quality sheet;
- no sheet passes Excel's row limit (:data:`EXCEL_MAX_ROWS`); a cut is said on the first
  sheet.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from xsland._atomic import atomic_file
from xsland.result import AuditResult
from xsland.rules.columns import CODES, TABLES, Column, Table
from xsland.rules.policy import DEFAULT_POLICY, Policy

__all__ = [
    "EXCEL_MAX_ROWS",
    "action_parcels",
    "clean_text",
    "display_table",
    "write_audit_workbook",
    "write_frames",
]

#: Rows of an Excel sheet, the header included (Excel 2007 and later).
EXCEL_MAX_ROWS = 1_048_576

#: Characters XML 1.0 cannot hold (C0 controls but tab, LF and CR; U+FFFE/FFFF; surrogates).
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")

_YES_NO = {True: "是", False: "否"}

#: Sheets of the workbook: table -> sheet name.
SHEETS = {
    "parks": "园区 parks",
    "towns": "镇街 towns",
    "district": "全区 district",
    "parcels": "待处理地块 parcels",
    "blocks": "连片 blocks",
    "block_members": "连片地块 block parcels",
    "enterprises": "企业亩均 enterprises",
    "intensity": "集约评价 intensity",
    "quality": "数据质量 quality",
    "rules": "规则 rules",
}
_ABOUT, _COLUMNS = "说明 about", "字段 columns"


def clean_text(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Text without the characters XML cannot hold, and a mask of the rows changed."""
    text = values.astype(object)
    is_str = text.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
    if not is_str.any():
        return values, np.zeros(len(values), dtype=bool)
    strings = text[is_str].astype(str)
    cleaned = strings.str.replace(_ILLEGAL, "", regex=True)
    changed = np.zeros(len(values), dtype=bool)
    changed[is_str] = (cleaned != strings).to_numpy(dtype=bool)
    if not changed.any():
        return values, changed
    out = text.copy()
    out[is_str] = cleaned
    return out, changed


def action_parcels(parcels: pd.DataFrame) -> pd.DataFrame:
    """The parcels that need action: low-efficiency, or below their FAR minimum."""
    need = pd.Series(False, index=parcels.index)
    if "low_efficiency" in parcels.columns:
        need |= parcels["low_efficiency"].fillna(False).astype(bool)
    if "far_ok" in parcels.columns:
        need |= (parcels["far_ok"] == False).fillna(False).astype(bool)  # noqa: E712
    return parcels[need.to_numpy(dtype=bool)]


def _words(values: pd.Series, col: Column) -> pd.Series:
    """Codes, statuses and booleans as the Chinese words people read."""
    if col.dtype == "boolean":
        out = values.astype(object).map(
            lambda v: _YES_NO.get(v) if isinstance(v, (bool, np.bool_)) else None
        )
        return out.where(out.notna(), col.na or None)
    codes = CODES[col.codes]
    if col.codes == "reasons":

        def many(v: Any) -> Any:
            if not isinstance(v, str):
                return v
            return "；".join(codes.get(c, c) for c in v.split(";") if c)

        return values.astype(object).map(many)
    if col.codes == "land_use":  # the code stays visible: "100101 一类工业用地"
        return values.astype(object).map(
            lambda v: f"{v} {codes[v]}" if isinstance(v, str) and v in codes else v
        )
    out = values.astype(object).map(lambda v: codes.get(v, v) if isinstance(v, str) else v)
    if col.codes == "status":
        out = out.where(out.notna(), codes["unknown"])
    return out


def display_table(
    df: pd.DataFrame, table: Table, *, policy: Policy = DEFAULT_POLICY
) -> tuple[pd.DataFrame, list[Column | None], pd.DataFrame]:
    """A table as people read it.

    Returns
    -------
    (DataFrame, list, DataFrame)
        The shown frame (Chinese headers, words for codes, rounded numbers, no geometry,
        no code column that has a ``<name>_zh`` twin), the declaration of each shown column
        (``None`` for a layer's own extra columns), and the cells whose text lost
        characters XML cannot hold (``row``, ``column``, ``removed``).
    """
    shown: dict[str, pd.Series] = {}
    specs: list[Column | None] = []
    changes = []
    index_id = _row_ids(df, table)
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
            values = pd.to_numeric(values, errors="coerce")
            places = (col.decimals or 0) + (2 if col.percent else 0)
            values = values.round(places if col.dtype == "float" else 0)
            values = values.where(np.isfinite(values.astype("float64")), None).astype(object)
        elif col is not None and col.dtype == "date":
            values = pd.to_datetime(values, errors="coerce")
        if values.dtype == object or str(values.dtype) in ("str", "string"):
            values = values.astype(object).where(values.notna(), None)
            values, changed = clean_text(values)
            for i in np.flatnonzero(changed):
                changes.append({"row": index_id[i], "column": str(name)})
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


def _width(header: str, values: pd.Series) -> int:
    texts = [header] + [str(v) for v in values.head(200) if v is not None]
    widest = max(sum(2 if ord(ch) > 0x2E80 else 1 for ch in t) for t in texts)
    return int(min(max(widest + 2, 8), 50))


def _cells(values: pd.Series) -> list[Any]:
    """A column as Python values for xlsxwriter: ``None`` for every missing value."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return [None if pd.isna(v) else v.to_pydatetime() for v in values]
    if pd.api.types.is_float_dtype(values):
        finite = np.isfinite(values.to_numpy(dtype="float64", na_value=np.nan))
        return [v if ok else None for v, ok in zip(values.tolist(), finite, strict=True)]
    out = values.astype(object).tolist()
    return [None if v is None or v is pd.NA or (isinstance(v, float) and v != v) else v
            for v in out]  # fmt: skip


def write_frames(
    sheets: Mapping[str, tuple[pd.DataFrame, list[Column | str | None]]],
    path: str | os.PathLike,
    *,
    overwrite: bool = True,
) -> Path:
    """Write shown frames to one XLSX: frozen header, filter, widths, number formats.

    ``sheets`` maps a sheet name to ``(frame, declarations)`` (:func:`display_table`); a
    declaration may also be an Excel number format. Written with xlsxwriter in
    constant-memory mode, row by row, with the column formats set first. Every text is a
    literal string: formulas are never created from text, and text columns carry Excel's
    quote prefix, so a cell starting with ``=`` stays text even when edited.
    """
    import xlsxwriter

    target = Path(path)
    options = {
        "constant_memory": True,
        "strings_to_formulas": False,
        "strings_to_urls": False,
        "strings_to_numbers": False,
        "nan_inf_to_errors": False,
        "default_date_format": "yyyy-mm-dd",
    }
    with atomic_file(target, overwrite=overwrite) as tmp:
        book = xlsxwriter.Workbook(str(tmp), options)
        try:
            formats: dict[str, Any] = {}
            head = book.add_format({"bold": True, "border": 1, "align": "center"})

            def fmt(spec: str | None) -> Any:
                key = spec or "@text"
                if key not in formats:
                    props = {"num_format": spec} if spec else {"quote_prefix": True}
                    formats[key] = book.add_format(props)
                return formats[key]

            for name, (frame, specs) in sheets.items():
                ws = book.add_worksheet(name)
                for i, (header, spec) in enumerate(zip(frame.columns, specs, strict=True)):
                    if spec is None or isinstance(spec, str):
                        number = spec
                    elif spec.codes or spec.dtype == "boolean":
                        number = None
                    else:
                        number = spec.number_format()
                    ws.set_column(i, i, _width(str(header), frame[header]), fmt(number))
                ws.freeze_panes(1, 0)
                if len(frame.columns):
                    ws.autofilter(0, 0, max(len(frame), 1), len(frame.columns) - 1)
                ws.write_row(0, 0, [str(h) for h in frame.columns], head)
                columns = [_cells(frame[c]) for c in frame.columns]
                for r, row in enumerate(zip(*columns, strict=True), start=1):
                    ws.write_row(r, 0, row)
        finally:
            book.close()
    return target


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
    policy = result.policy
    tables: dict[str, pd.DataFrame] = {}
    for table in SHEETS:
        frame = getattr(result, table)
        if frame is None:
            continue
        tables[table] = action_parcels(frame) if table == "parcels" else frame
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
    out, specs, _ = display_table(quality, TABLES["quality"], policy=policy)
    shown = _ordered(shown, SHEETS["quality"], (_cap(out, SHEETS["quality"], notes), specs))
    about = _about(result, n_action=len(tables["parcels"]), notes=notes, geoparquet=geoparquet)
    columns = _column_sheet(shown, policy)
    sheets = {_ABOUT: (about, [None, None]), **shown, _COLUMNS: (columns, [None] * 6)}
    return write_frames(sheets, path, overwrite=overwrite)


def _ordered(shown: dict, name: str, value: tuple) -> dict:
    out = {}
    for sheet in SHEETS.values():
        if sheet == name:
            out[sheet] = value
        elif sheet in shown:
            out[sheet] = shown[sheet]
    return out


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
        ("规则 rules", "见“规则 rules”表 (the policy applied, with sources)"),
        ("字段 columns", "见“字段 columns”表 (English column names, units, meanings)"),
    ]  # fmt: skip
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
