"""Validation at the boundary: one error listing every problem, repairs on record.

:func:`validate_layer` and :func:`validate_table` take a frame whose columns
already carry the contract's names (see :func:`xsland.read.io.rename_columns`) and

- collect every problem — missing required columns, empty or duplicate IDs,
  null or empty geometry, non-polygon geometry, values that are not numbers,
  dates or known codes — and raise one :class:`~xsland.errors.ValidationError`
  naming the file, layer, column and rows;
- repair what can be repaired without guessing — invalid polygons
  (``shapely.make_valid``, keeping the polygonal part), polygons inside a
  GeometryCollection — and list every repair in the data-quality table
  (``result.attrs["quality"]``), never silently.

With ``collect=True`` nothing is raised: problems become quality records of
severity ``error`` (this is what ``xsland check`` does).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pandas.arrays import ArrowExtensionArray, ArrowStringArray

from xsland._threads import map_chunks
from xsland.errors import Problem, ValidationError
from xsland.read.coerce import ID_COLUMNS, coerce_dates, coerce_ids, coerce_numbers
from xsland.read.geometry_checks import crs_findings, nonfinite_mask
from xsland.read.values import (
    normalise_id,
    normalise_ids,
    nul_cells,
    read_dates,
    replace_surrogates,
    surrogate_cells,
)
from xsland.rules.columns import TABLES
from xsland.rules.policy import DEFAULT_POLICY, Policy
from xsland.rules.schema import get_kind

__all__ = [
    "audit_columns",
    "is_validated",
    "validate_layer",
    "validate_table",
    "parse_dates",
    "require_dates",
    "row_ids",
    "quality_frame",
    "quality_record",
    "QUALITY_CHECKS",
    "QUALITY_COLUMNS",
]

#: Stable codes of the data-quality table, with Chinese and English labels.
QUALITY_CHECKS = {
    "missing_column": ("缺少必填字段", "required column missing"),
    "empty_id": ("编号为空", "empty ID"),
    "duplicate_id": ("编号重复", "duplicate ID"),
    "renamed_duplicate_id": ("重复编号已改名", "duplicate ID renamed"),
    "null_geometry": ("几何为空", "null or empty geometry"),
    "dropped_empty_geometry": ("空几何已删除", "row with empty geometry dropped"),
    "not_polygon": ("非面状几何", "geometry is not a polygon"),
    "repaired_geometry": ("几何已修复", "invalid geometry repaired (make_valid)"),
    "collection_to_polygon": ("几何集合取面", "polygons taken from a GeometryCollection"),
    "bad_value": ("数值无法识别", "value cannot be read"),
    "negative_value": ("数值为负", "negative value"),
    "share_total_zero": ("合计为0无法计算占比", "a share of a total of 0"),
    "share_out_of_range": ("占比超出0–100%", "a share outside 0–100 % (inconsistent inputs)"),
    "unknown_code": ("代码未知", "unknown code"),
    "sliver": ("碎片地块", "sliver parcel"),
    "overlap": ("地块重叠", "parcels overlap"),
    "straddles_park": ("跨园区边界", "parcel straddles a park boundary"),
    "building_outside": ("建筑不在任何地块内", "building outside every parcel"),
    "declared_area_mismatch": ("用地面积不符", "declared area differs from measured area"),
    "multipart": ("多部件地块", "parcel in several parts"),
    "missing_floors": ("缺少层数和高度", "building without floors or height"),
    # geometry and CRS, Shapefile names, categories, contradicting values (issues 12, 18)
    "nonfinite_coordinates": ("坐标非有限数", "NaN or infinite coordinates"),
    "impossible_coordinates": ("坐标与坐标系不符", "coordinates impossible for the layer's CRS"),
    "empty_layer": ("图层为空", "layer has no features"),
    "crs_override": ("坐标系已改写", "the file's CRS replaced by an explicit override"),
    "truncated_column": ("字段名疑似被截断", "column looks like a truncated contract name"),
    "encoding_mojibake": ("编码乱码", "declared code page gives mojibake; another used"),
    "parks_overlap": ("园区范围重叠", "parks overlap"),
    "park_attributes_disagree": ("园区属性不一致", "features of one park disagree"),
    "zero_field": ("字段全为零", "a whole column of zeros, read as not recorded"),
    "floor_area_contradicted": ("建筑面积与建筑矛盾", "recorded floor area contradicts buildings"),
    "duplicate_building": ("建筑轮廓重复", "building footprint delivered twice"),
    "unknown_land_use": ("用地性质无法识别", "land use not known to any standard"),
    "shapefile_alias": (
        "Shapefile 截断字段名",
        "10-character Shapefile name read as contract column",
    ),
    "normalised_id": ("编号已规范", "ID normalised (spaces, full-width, '.0')"),
    "number_format": ("数值格式已转换", "number format converted"),
    "unit_converted": ("单位已换算", "unit converted to the contract's unit"),
    "unit_mismatch": ("单位不符", "unit contradicts the column or the project file"),
    "implausible_value": ("数值不合理", "value outside the plausible range"),
    "sentinel_date": ("占位日期", "placeholder date read as no date"),
    "ambiguous_date": ("日期有歧义", "ambiguous date not read"),
    "imprecise_date": ("日期不精确", "date without a day"),
    "implausible_date": ("日期不合理", "date outside the plausible range"),
    "name_normalised": ("名称规范后匹配", "names matched after normalisation"),
    "park_without_parcels": ("园区内无地块", "park has no parcel in the parcel layer"),
    "category_unknown": ("地块用途不明", "parcel without category or land-use code"),
    "supply_date_missing": (
        "工业地块缺少供地日期",
        "industrial parcel without supply date: new or existing land unknown",
    ),
    "no_related_industries": (
        "园区未列相关配套产业",
        "park lists no related or supporting industries",
    ),
    "text_nul_removed": ("文本空字符已删除", "NUL character removed from text"),
    "text_surrogate_replaced": (
        "文本无效字符已替换",
        "unpaired surrogate in text replaced by U+FFFD",
    ),
    "column_renamed": ("字段已改名", "input column renamed: its name is the audit's own"),
}
QUALITY_COLUMNS = ["layer", "file", "id", "column", "check", "severity", "label", "detail"]

_NUMERIC = {
    "parcels": ("floor_area", "declared_far", "declared_area"),
    "buildings": ("floors", "height", "storey_height", "floor_area"),
    "enterprises": ("revenue", "tax", "investment", "energy", "rd_spend"),
    "indicators": ("year", "promotion_events", "innovation_platforms", "industry_fund_wan"),
    "history": ("year",),
}
_NONNEGATIVE = {
    "parcels": ("floor_area", "declared_far", "declared_area"),
    "buildings": ("floors", "height", "storey_height", "floor_area"),
    "enterprises": ("investment", "energy", "rd_spend"),
    "indicators": ("promotion_events", "innovation_platforms", "industry_fund_wan"),
}
#: Columns in which a whole column of zeros means "not recorded" (an export that wrote 0
#: for empty cells), not a measured 0.
_ZERO_MEANS_ABSENT = {"parcels": ("floor_area", "declared_far"), "buildings": ("floor_area",)}
_DATES = {
    "parcels": (
        "supply_date",
        "start_deadline",
        "approval_date",
        "start_actual",
        "completion_date",
    ),
    "enterprises": ("founded",),
}
_CODES = {
    "parks": {
        "park_type": {
            "district": "district",
            "片区型": "district",
            "片区": "district",
            "carrier": "carrier",
            "载体型": "carrier",
            "载体": "carrier",
        },
        "zone": {
            "core": "core",
            "核心启动区": "core",
            "核心区": "core",
            "启动区": "core",
            "expansion": "expansion",
            "拓展功能区": "expansion",
            "拓展区": "expansion",
        },
    },
    "enterprises": {
        "eval_class": {c: c for c in "ABCD"} | {f"{c}类": c for c in "ABCD"},
    },
    "history": {
        "eval_class": {c: c for c in "ABCD"} | {f"{c}类": c for c in "ABCD"},
    },
}
_BOOLS = {
    "enterprises": ("chain_leader", "exempt", "high_tech", "violation"),
    "parcels": ("ready_for_supply",),
}
_TRUE = {"true", "1", "yes", "y", "t", "是", "√", "有"}
_FALSE = {"false", "0", "no", "n", "f", "否", "×", "无", ""}


def quality_record(
    *,
    layer: str,
    check: str,
    ids: Iterable[Any] = ("",),
    file: str = "",
    column: str = "",
    severity: Literal["error", "warning", "info"] = "warning",
    detail: str | Iterable[str] = "",
) -> list[dict[str, Any]]:
    """Rows of the data-quality table, one per ID."""
    label = QUALITY_CHECKS.get(check, (check, check))[0]
    ids = list(ids)
    details = [detail] * len(ids) if isinstance(detail, str) else list(detail)
    return [
        {
            "layer": layer,
            "file": file,
            "id": str(i),
            "column": column,
            "check": check,
            "severity": severity,
            "label": label,
            "detail": d,
        }
        for i, d in zip(ids, details, strict=True)
    ]


def _box(value: Any) -> Any:
    """A cell as ``to_dict`` gives it: a NumPy number or bool as the Python one, a
    datetime64 or timedelta64 as a pandas Timestamp or Timedelta, ``pd.NA`` as ``None``,
    anything else (text, NumPy text included) as it is (what pandas' private
    ``maybe_box_native`` does for ``to_dict``, without importing pandas' internals)."""
    if value is pd.NA:
        return None
    if isinstance(value, np.integer | np.floating | np.bool_):
        return value.item()
    if isinstance(value, np.datetime64):
        return pd.Timestamp(value)
    if isinstance(value, np.timedelta64):
        return pd.Timedelta(value)
    return value


def _native(column: pd.Series) -> list[Any]:
    """The cells of a column as ``DataFrame.to_dict("records")`` gives them: text and
    Python numbers as they are, ``pd.NA`` as ``None``, NumPy scalars as Python ones
    (:func:`_box`), found per column rather than per cell."""
    if isinstance(column.dtype, pd.StringDtype):
        # "string" holds pd.NA (boxed as None), "str" holds NaN (a float, kept)
        missing = None if column.dtype.na_value is pd.NA else np.nan
        return list(column.to_numpy(dtype=object, na_value=missing))
    if column.dtype == object:
        cells = np.asarray(column.array, dtype=object)
        if pd.api.types.infer_dtype(cells, skipna=False) == "string":
            return cells.tolist()  # text only: nothing to box
        return list(map(_box, cells))
    if isinstance(column.dtype, pd.api.extensions.ExtensionDtype):
        return list(map(_box, column))
    return list(column)


#: The value of each column a quality record lacks (:func:`quality_frame`).
_MISSING = (np.nan,) * len(QUALITY_COLUMNS)


def quality_frame(*frames_or_records: Any) -> pd.DataFrame:
    """One data-quality table from frames' ``attrs["quality"]`` or lists of records.

    The rows of a quality table given (columns :data:`QUALITY_COLUMNS`) are taken column
    by column, as ``to_dict("records")`` would give them; every row is then read as one
    list of records is (same columns, same dtypes), without a dict per row.

    Each column's type is inferred on its own, as ``DataFrame(rows)`` does: a column of
    text and missing cells (most of them: layer, check, label, detail …) is read as text
    in one pass (missing as NaN), the others through the rows of those columns only.
    """
    columns: dict[str, list[Any]] = {c: [] for c in QUALITY_COLUMNS}
    for item in frames_or_records:
        if item is None:
            continue
        if isinstance(item, pd.DataFrame) and list(item.columns) == QUALITY_COLUMNS:
            for c in QUALITY_COLUMNS:
                columns[c].extend(_native(item[c]))
            continue
        records = item.attrs.get("quality", []) if isinstance(item, pd.DataFrame) else item
        records = records if isinstance(records, list) else list(records)
        # a key a record lacks is NaN, as in a frame made from records
        for c, missing in zip(QUALITY_COLUMNS, _MISSING, strict=True):
            columns[c].extend([r.get(c, missing) for r in records])
    n = len(columns[QUALITY_COLUMNS[0]])
    out: dict[str, Any] = {c: _text_cells(columns[c]) for c in QUALITY_COLUMNS} if n else {}
    rest = [c for c in QUALITY_COLUMNS if out.get(c) is None]
    if rest:
        rows = pd.DataFrame(list(zip(*(columns[c] for c in rest), strict=True)), columns=rest)
        out.update({c: rows[c].astype("object").to_numpy() for c in rest})
    return pd.DataFrame(out, columns=QUALITY_COLUMNS, dtype=object)


#: The types of a column of text and missing cells (:func:`_text_cells`).
_TEXT_AND_MISSING = frozenset({str, type(None), float, type(pd.NA)})


def _text_cells(values: list[Any]) -> np.ndarray | None:
    """A column of ``str`` and missing cells (``None``, NaN, ``pd.NA``; at least one
    text) as ``DataFrame(rows)`` reads it, then cast to object: the texts, and NaN for
    every missing cell; ``None`` for any other column (a number, a NumPy text …)."""
    if not set(map(type, values)) <= _TEXT_AND_MISSING:
        return None
    cells = np.fromiter(values, dtype=object, count=len(values))
    if pd.api.types.infer_dtype(cells, skipna=True) != "string":  # a number, or no text
        return None
    return np.where(pd.isna(cells), np.nan, cells)


def parse_dates(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Dates from a column as naive ``datetime64[ns]``, and the mask of unreadable cells.

    The forms of :func:`xsland.read.values.read_dates`; sentinel dates (``9999-12-31`` …)
    are NaT, ambiguous and unrepresentable dates count as unreadable. Empty cells are NaT,
    not errors. The result has a RangeIndex.
    """
    got = read_dates(values.reset_index(drop=True))
    return got.values, got.bad | got.ambiguous | got.out_of_range


def row_ids(frame: pd.DataFrame, mask: np.ndarray, id_col: str) -> list[str]:
    """Identifiers of the rows under ``mask``: ``id_col`` when present, else ``#position``."""
    if id_col in frame.columns:
        return [str(v) for v in frame[id_col].to_numpy()[mask]]
    return [f"#{i}" for i in np.flatnonzero(mask)]


def require_dates(frame: pd.DataFrame, col: str, *, what: str, id_col: str) -> pd.Series:
    """Column ``col`` as naive ``datetime64[ns]`` with a RangeIndex (NaT when absent).

    Raises
    ------
    DataError
        Naming ``what``, the column and the rows whose values are not dates.
    """
    if col not in frame.columns:
        return pd.Series(pd.NaT, index=range(len(frame)), dtype="datetime64[ns]")
    values, bad = parse_dates(frame[col])
    if bad.any():
        from xsland.errors import DataError, format_rows

        raise DataError(
            f"{what}: column {col!r} has values that are not dates "
            f"(rows: {format_rows(row_ids(frame, bad, id_col))}). Fix: write dates as "
            "2025-08-29 or 2025年8月29日, or leave the cell empty"
        )
    return values


def _n(mask: np.ndarray, noun: str = "row") -> str:
    """``"1 row"`` / ``"3 rows"`` for a boolean mask."""
    n = int(np.count_nonzero(mask))
    return f"{n} {noun}{'s' if n != 1 else ''}"


def _clean_ids(values: pd.Series) -> pd.Series:
    """IDs as text (:func:`xsland.read.values.normalise_id`): ``12.0`` → ``"12"``, blanks NA."""
    return normalise_ids(values)[0]


#: The ``attrs`` key :func:`validate_layer` and :func:`validate_table` stamp their result
#: with: the kind it was validated as and its columns then (:func:`is_validated`).
VALIDATED = "xsland_validated"


def is_validated(frame: Any, kind: str) -> bool:
    """Whether ``frame`` is the result of :func:`validate_layer` / :func:`validate_table`
    for ``kind``, with the columns it had then (a copy, a selection of rows or a
    reprojection of it included: pandas carries ``attrs`` along).

    A frame whose columns were added, dropped or renamed since is not: its names may
    clash with the audit's own columns again, so :func:`xsland.pipeline.audit.run`
    validates it once more. Values changed in place are not noticed (the audit still
    refuses text holding NUL, :func:`xsland.result.conform`, and names an invalid polygon
    GEOS stops on); validate such a frame again.
    """
    if not isinstance(frame, pd.DataFrame):
        return False
    mark = frame.attrs.get(VALIDATED)
    return (
        isinstance(mark, dict)
        and mark.get("kind") == kind
        and mark.get("columns") == [str(c) for c in frame.columns]
    )


class _Collector:
    """Gathers problems and quality records for one layer."""

    def __init__(self, kind: str, file: str, layer: str, collect: bool) -> None:
        self.kind, self.file, self.layer, self.collect = kind, file, layer, collect
        self.problems: list[Problem] = []
        self.quality: list[dict[str, Any]] = []

    def problem(
        self, check: str, message: str, fix: str, *, column: str = "", rows: Iterable[Any] = ()
    ) -> None:
        rows = tuple(str(r) for r in rows)
        self.problems.append(
            Problem(
                message=message, fix=fix, file=self.file, layer=self.layer, column=column, rows=rows
            )
        )
        self.quality += quality_record(
            layer=self.kind,
            check=check,
            ids=rows or ("",),
            file=self.file,
            column=column,
            severity="error",
            detail=message,
        )

    def record(
        self,
        check: str,
        ids: Iterable[Any],
        detail: str | Iterable[str] = "",
        *,
        column: str = "",
        severity: Literal["error", "warning", "info"] = "warning",
    ) -> None:
        self.quality += quality_record(
            layer=self.kind,
            check=check,
            ids=ids,
            file=self.file,
            column=column,
            severity=severity,
            detail=detail,
        )

    def finish(self, frame: pd.DataFrame, prior: list[dict[str, Any]]) -> pd.DataFrame:
        if self.problems and not self.collect:
            where = self.file + (f" layer {self.layer!r}" if self.layer else "")
            n = len(self.problems)
            raise ValidationError(
                self.problems,
                title=f"{n} problem{'s' if n > 1 else ''} in the {self.kind} input"
                + (f" {where}" if where else ""),
            )
        frame.attrs = {
            **frame.attrs,
            "quality": list(prior) + self.quality,
            VALIDATED: {"kind": self.kind, "columns": [str(c) for c in frame.columns]},
        }
        return frame


def _row_labels(frame: pd.DataFrame, mask: np.ndarray, id_col: str | None) -> list[str]:
    positions = np.flatnonzero(mask)
    if id_col and id_col in frame.columns:
        ids = frame[id_col].to_numpy()[positions]
        return [
            str(i) if i is not None and i == i else f"row {p + 1}"
            for i, p in zip(ids, positions, strict=True)
        ]
    return [f"row {p + 1}" for p in positions]


#: Text no output can hold, mended once here so that every output holds the same text:
#: (cells holding it, the mend of one cell, quality check, what the listing says).
_UNWRITABLE = (
    (
        nul_cells,
        lambda v: v.replace("\x00", ""),
        "text_nul_removed",
        "NUL characters (U+0000) removed: GeoPackage and Excel would end the text there",
    ),
    (
        surrogate_cells,
        replace_surrogates,
        "text_surrogate_replaced",
        "unpaired surrogates (U+D800-U+DFFF) replaced by U+FFFD: no UTF-8 output "
        "(GeoPackage, Excel, PostgreSQL) can hold them",
    ),
)


def _mend_unwritable(frame: pd.DataFrame, kind: str, c: _Collector) -> pd.DataFrame:
    """Text without NUL (U+0000) or unpaired surrogates, each changed cell listed.

    GDAL ends a string at NUL, so ``audit.gpkg`` would silently keep only the text before
    it, and XML (``audit.xlsx``) cannot hold it at all: NUL is removed
    (``text_nul_removed``). An unpaired surrogate (U+D800–U+DFFF, what Python makes of
    undecodable bytes with ``surrogateescape``) cannot be encoded as UTF-8 at all: it
    becomes U+FFFD, the replacement character (``text_surrogate_replaced``). Every output
    then holds the same text. Other characters are kept.
    """
    changed: list[tuple[str, np.ndarray, str, str]] = []
    for find, mend, check, detail in _UNWRITABLE:
        for col in frame.columns:
            if col == "geometry" or str(frame[col].dtype) == "geometry":
                continue
            mask = find(frame[col])
            if mask.any():
                values = frame[col].to_numpy(dtype=object)
                cleaned = values.copy()
                cleaned[mask] = [mend(v) for v in values[mask]]
                frame[col] = pd.Series(cleaned, index=frame.index, dtype=object)
                changed.append((str(col), mask, check, detail))
    id_col = get_kind(kind).id_column
    named = changed and id_col in frame.columns  # the IDs made objects only when needed
    ids = frame[id_col].to_numpy(dtype=object) if named else None
    for col, mask, check, detail in changed:
        rows = [
            (normalise_id(ids[i]) if ids is not None else None) or f"row {i + 1}"
            for i in np.flatnonzero(mask)
        ]
        c.record(check, rows, column=col, severity="info", detail=detail)
    return frame


def _check_structure(frame: pd.DataFrame, kind: str, c: _Collector) -> bool:
    """Whether to refuse, at once, columns no check can read: names of several levels (a
    ``MultiIndex``), or a column of the contract given twice (which of the two is the
    layer's?). An extra column given twice is renamed by :func:`_move_aside`.

    Raised even with ``collect``: nothing after this could read such a frame.
    """
    before = len(c.problems)
    if isinstance(frame.columns, pd.MultiIndex):
        c.problem(
            "missing_column",
            f"the columns have {frame.columns.nlevels} levels of names (a MultiIndex)",
            "give one name per column (df.columns = ['_'.join(map(str, c)) for c in df.columns])",
        )
    else:
        names = pd.Index([str(x) for x in frame.columns])
        own = set(get_kind(kind).columns)
        twice = sorted({n for n in names[names.duplicated()] if n in own})
        for name in twice:
            c.problem(
                "missing_column",
                f"column {name!r} given {int((names == name).sum())} times",
                "keep the one that holds the layer's values and drop or rename the others",
                column=name,
            )
    if len(c.problems) == before:
        return False
    c.collect = False  # raised by finish
    return True


def _check_columns(frame: pd.DataFrame, kind: str, c: _Collector) -> bool:
    spec = get_kind(kind)
    ok = True
    for item in spec.required:
        options = item if isinstance(item, tuple) else (item,)
        if not any(o in frame.columns for o in options):
            ok = False
            aliases = [a for o in options for a in spec.aliases.get(o, ())[:6]]
            need = " or ".join(repr(o) for o in options)
            c.problem(
                "missing_column",
                f"required column {need} is missing (columns present: "
                f"{', '.join(str(x) for x in frame.columns if x != 'geometry')})",
                f"rename a column to {need} or to an accepted alias ({', '.join(aliases)}), "
                "or map it with columns={'your column': "
                f"'{options[0]}'}} / the project file's [columns] table",
                column=options[0],
            )
    return ok


#: The output tables an input kind's own extra columns are carried into.
_CARRIED_INTO = {"parcels": ("parcels",), "parks": ("parks", "park_zones"),
                 "enterprises": ("enterprises",)}  # fmt: skip


def audit_columns(kind: str) -> frozenset[str]:
    """Case-folded names of the columns the audit writes itself into the tables that carry
    ``kind``'s extra columns (not the kind's own contract columns, which are its input);
    empty for a kind whose extra columns reach no output.
    """
    spec = get_kind(kind)
    own = {c.casefold() for c in spec.columns}
    names = {col.name.casefold() for t in _CARRIED_INTO.get(kind, ()) for col in TABLES[t].columns}
    return frozenset(names - own)


def _move_aside(frame: pd.DataFrame, kind: str, c: _Collector) -> pd.DataFrame:
    """Extra columns renamed where their names would clash in the audit's tables.

    - A column named like one the audit writes: a layer's own ``low_efficiency``,
      ``block_id`` or ``kinds`` would otherwise stand in the audit's place (or beside it,
      differing only in case): renamed ``NAME_orig`` (``NAME_orig2`` … when taken).
    - A column whose name differs from an earlier one's only in case (``Note`` and
      ``NOTE``, which a GeoJSON or a CSV holds, and a GeoPackage, whose column names
      ignore case, cannot): the later ones renamed ``NAME_2`` (``NAME_3`` …), a
      contract column never.

    Each renaming is listed as ``column_renamed``; the values are kept.
    """
    if kind not in _CARRIED_INTO:
        return frame
    reserved = audit_columns(kind)
    contract = set(get_kind(kind).columns)
    geometry = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
    taken = {str(col).casefold() for col in frame.columns} | reserved
    seen = {str(col).casefold() for col in frame.columns if str(col) in contract}
    if geometry is not None:
        seen.add(str(geometry).casefold())
    names = list(frame.columns)
    for i, col in enumerate(frame.columns):
        text = str(col)
        if col == geometry or text in contract:
            continue
        if text.casefold() in reserved:
            new, n = f"{text}_orig", 2
            while new.casefold() in taken:
                new, n = f"{text}_orig{n}", n + 1
            why = (
                "the audit writes a column of that name (names compared ignoring case, "
                "as in a GeoPackage)"
            )
        elif text.casefold() in seen:
            first = next(str(o) for o in frame.columns[:i] if str(o).casefold() == text.casefold())
            new, n = f"{text}_2", 3
            while new.casefold() in taken:
                new, n = f"{text}_{n}", n + 1
            why = (
                f"its name differs from the column {first!r} only in case, which a "
                "GeoPackage cannot hold"
            )
        else:
            seen.add(text.casefold())
            continue
        taken.add(new.casefold())
        seen.add(new.casefold())
        names[i] = new
        c.record(
            "column_renamed",
            [""],
            f"column {text!r} renamed {new!r}: {why}",
            column=text,
            severity="warning",
        )
    if names != list(frame.columns):
        frame.columns = names  # the callers' own copy
    return frame


def _suffix_unique(ids: pd.Series, later: np.ndarray) -> pd.Series:
    """``ids`` with every later duplicate suffixed -2, -3 …, skipping names already taken.

    ``P, P, P-2`` becomes ``P, P-3, P-2``: the result is always unique.
    """
    taken = set(ids.dropna())
    out = ids.copy()
    for i in np.flatnonzero(later):
        base, n = ids.iloc[i], 2
        while f"{base}-{n}" in taken:
            n += 1
        out.iloc[i] = f"{base}-{n}"
        taken.add(out.iloc[i])
    return out


def _own_ids(kind: str) -> tuple[str, ...]:
    """The ID columns :func:`_check_ids` checks: the kind's own, and a park's ``park_id``."""
    id_col = get_kind(kind).id_column
    return (*((id_col,) if id_col else ()), *(("park_id",) if kind == "parks" else ()))


def _used_twice(ids: pd.Series, empty: np.ndarray) -> np.ndarray:
    """The rows whose (not empty) ID another row has too.

    IDs are mostly unique: counting the distinct texts tells that (Arrow's hash table,
    without Python's lock, for Arrow text; else a set of the texts, whose hashes the
    strings keep) in a third of the time of pandas' hash table, which only then marks
    the rows.
    """
    present = ids[~empty]
    if _n_distinct(present) == len(present):
        return np.zeros(len(ids), dtype=bool)
    return ids.duplicated(keep=False).to_numpy() & ~empty


def _n_distinct(values: pd.Series) -> int:
    """How many distinct values (none missing) ``values`` holds, compared exactly."""
    if isinstance(values.array, ArrowExtensionArray | ArrowStringArray):
        import pyarrow.compute as pc

        return len(pc.unique(values.array.__arrow_array__()))
    return len(set(values.to_numpy(dtype=object)))


def _check_ids(frame: pd.DataFrame, kind: str, c: _Collector, duplicates: str) -> pd.DataFrame:
    """Empty and duplicate IDs of the kind's own ID column (and a park's ``park_id``).

    The columns :func:`coerce_ids` normalised (twice: ``twice=_own_ids(kind)``, what
    normalising them again here gave) are taken as they are; any other is normalised here.
    """
    id_col = get_kind(kind).id_column
    done = set(ID_COLUMNS.get(kind, ()))
    if kind == "parks" and "park_id" in frame.columns:
        # park features repeat park_id (one per zone); IDs are cleaned, not unique
        if "park_id" not in done:
            frame["park_id"] = _clean_ids(frame["park_id"])
        empty = frame["park_id"].isna().to_numpy()
        if empty.any():
            c.problem(
                "empty_id",
                f"{_n(empty)} with an empty park_id",
                "give every park feature its park's ID",
                column="park_id",
                rows=_row_labels(frame, empty, None),
            )
    if not id_col or id_col not in frame.columns:
        return frame
    if id_col not in done:
        frame[id_col] = _clean_ids(frame[id_col])
    empty = frame[id_col].isna().to_numpy()
    if empty.any():
        c.problem(
            "empty_id",
            f"{_n(empty)} with an empty {id_col}",
            f"give every row a unique {id_col}",
            column=id_col,
            rows=_row_labels(frame, empty, None),
        )
    dup = _used_twice(frame[id_col], empty)
    if dup.any():
        values = sorted(set(frame[id_col].to_numpy()[dup]))
        if duplicates == "rename":
            later = frame[id_col].duplicated(keep="first").to_numpy() & ~empty
            new = _suffix_unique(frame[id_col], later)
            c.record(
                "renamed_duplicate_id",
                frame[id_col][later],
                [f"{old} → {nw}" for old, nw in zip(frame[id_col][later], new[later], strict=True)],
                column=id_col,
                severity="warning",
            )
            frame[id_col] = new
        else:
            c.problem(
                "duplicate_id",
                f"{len(values)} {id_col} value{'s' if len(values) > 1 else ''} used more than once",
                f'make {id_col} unique, or pass --rename-duplicates (duplicates = "rename" in '
                "[options]; in Python read_layer(…, duplicates='rename')) to suffix the later "
                "rows (-2, -3 …)",
                column=id_col,
                rows=values,
            )
    return frame


def _polygonal(geoms: np.ndarray) -> np.ndarray:
    """The polygonal part of each geometry (Polygon or MultiPolygon, maybe empty)."""
    parts, index = shapely.get_parts(geoms, return_index=True)
    keep = shapely.get_type_id(parts) == 3  # Polygon
    out = np.array([shapely.Polygon()] * len(geoms), dtype=object)
    if keep.any():
        idx, polys = index[keep], parts[keep]
        counts = np.bincount(idx, minlength=len(geoms))
        single = counts == 1
        first = np.full(len(geoms), -1)
        first[idx[::-1]] = np.arange(len(idx))[::-1]
        out[single] = polys[first[single]]
        multi = np.flatnonzero(counts > 1)
        if len(multi):
            order = np.argsort(idx, kind="stable")
            grouped = np.split(polys[order], np.cumsum(counts)[:-1])
            for i in multi:
                out[i] = shapely.MultiPolygon(list(grouped[i]))
    return out


def _override_hint(kind: str, likely: str) -> str:
    target = likely or "EPSG:…"
    return (
        f"if the whole layer is in {target}, correct its .prj or pass --override-crs "
        f'{kind}={target} (project file: inputs.{kind}.override_crs = "{target}"); '
        "otherwise correct these features"
    )


def _check_coordinates(
    frame: gpd.GeoDataFrame, kind: str, c: _Collector
) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """Features with NaN/inf coordinates or coordinates impossible for the CRS.

    Each class is one problem naming the rows (and the likely CRS); the geometries of
    those features are set to None so no later step (repair, measure) touches them.
    """
    id_col = get_kind(kind).id_column or ("park_id" if kind == "parks" else None)
    geoms = frame.geometry.to_numpy()
    bad = nonfinite_mask(geoms)
    if bad.any():
        c.problem(
            "nonfinite_coordinates",
            f"{_n(bad, 'feature')} with NaN or infinite coordinates",
            "redraw or correct these features (often a broken export or a division by zero)",
            rows=_row_labels(frame, bad, id_col),
        )
    if frame.crs is not None:
        others = np.where(bad, None, geoms)
        for f in crs_findings(others, frame.crs):
            likely = f"; the likely CRS is {f.likely_crs}" if f.likely_crs else ""
            c.problem(
                f.check,
                f"{_n(f.mask, 'feature')}: {f.message}{likely}",
                _override_hint(kind, f.likely_crs),
                rows=_row_labels(frame, f.mask, id_col),
            )
            bad |= f.mask
    if bad.any():
        geoms = geoms.copy()
        geoms[bad] = None
        frame = frame.set_geometry(
            gpd.GeoSeries(geoms, index=frame.index, crs=frame.crs), crs=frame.crs
        )
    return frame, bad


def _validity(pool: ThreadPoolExecutor, frame: gpd.GeoDataFrame) -> Future:
    """``shapely.is_valid`` of every geometry as read, started on ``pool`` at once.

    GEOS tests validity without the GIL (on a thread per CPU, :func:`map_chunks`) while
    this thread checks IDs, text and coordinates, which hold it. A geometry those checks
    set aside (impossible coordinates: made missing) is not tested as a polygon anyway,
    and the polygons taken from a collection are tested when made
    (:func:`_check_geometry`): the same rows are found invalid as when tested after.
    """
    return pool.submit(map_chunks, shapely.is_valid, frame.geometry.to_numpy())


def _check_empty(frame: pd.DataFrame, kind: str, c: _Collector) -> None:
    """An empty parks or parcels layer (none left with a geometry) is an error."""
    if kind not in ("parks", "parcels"):
        return
    usable = len(frame)
    if isinstance(frame, gpd.GeoDataFrame) and usable:
        g = frame.geometry.to_numpy()
        usable = int(np.count_nonzero(~(shapely.is_missing(g) | shapely.is_empty(g))))
    if usable == 0:
        c.problem(
            "empty_layer",
            f"the {kind} layer has no features" + (" with a usable geometry" if len(frame) else ""),
            f"point --{kind} (or inputs.{kind}.path / inputs.{kind}.layer in the project file) "
            "at the layer that holds them",
        )


def _check_geometry(
    frame: gpd.GeoDataFrame,
    kind: str,
    c: _Collector,
    empty_geometry: str,
    skip: np.ndarray | None = None,
    validity: Future | None = None,
) -> gpd.GeoDataFrame:
    """Missing, non-polygon and invalid geometries (``validity``: see :func:`_validity`)."""
    id_col = get_kind(kind).id_column or ("park_id" if kind == "parks" else None)
    geoms = frame.geometry.to_numpy()
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    reported = missing if skip is None else missing & ~skip
    if reported.any():
        rows = _row_labels(frame, reported, id_col)
        if empty_geometry == "drop":
            c.record(
                "dropped_empty_geometry",
                rows,
                "null or empty geometry; row dropped",
                severity="warning",
            )
        else:
            c.problem(
                "null_geometry",
                f"{_n(missing)} without geometry",
                "draw or delete these features, or pass --drop-empty (empty_geometry = "
                '"drop" in [options]) to leave them out',
                rows=rows,
            )
    types = shapely.get_type_id(geoms)
    collection = types == 7
    if collection.any():
        rows = _row_labels(frame, collection, id_col)
        geoms = geoms.copy()
        geoms[collection] = _polygonal(geoms[collection])
        c.record(
            "collection_to_polygon",
            rows,
            "GeometryCollection: polygon parts kept",
            severity="warning",
        )
        types = shapely.get_type_id(geoms)
    not_poly = ~missing & ~np.isin(types, (3, 6))
    if not_poly.any():
        names = shapely.get_type_id(geoms[not_poly])
        kinds = sorted(
            {
                {
                    0: "Point",
                    1: "LineString",
                    2: "LinearRing",
                    4: "MultiPoint",
                    5: "MultiLineString",
                    7: "GeometryCollection",
                }.get(int(t), str(t))
                for t in names
            }
        )
        c.problem(
            "not_polygon",
            f"{_n(not_poly, 'feature')} of type {', '.join(kinds)}, not polygons",
            "export the layer as polygons (areas), not points or lines",
            rows=_row_labels(frame, not_poly, id_col),
        )
    poly = ~missing & ~not_poly
    if validity is None:
        valid = map_chunks(shapely.is_valid, geoms)  # one thread per CPU
    else:  # tested while the other checks ran; the polygons of a collection are new
        valid = validity.result().copy()
        valid[collection] = shapely.is_valid(geoms[collection])
    invalid = poly & ~valid
    if invalid.any():
        reasons = shapely.is_valid_reason(geoms[invalid])
        fixed = _polygonal(shapely.make_valid(geoms[invalid]))
        before = shapely.area(geoms[invalid])
        after = shapely.area(fixed)
        geoms = geoms.copy()
        geoms[invalid] = fixed
        lost = shapely.is_empty(fixed)
        details = [
            f"{r}; repaired with make_valid, area {b:.1f} → {a:.1f}"
            for r, b, a in zip(reasons, before, after, strict=True)
        ]
        c.record(
            "repaired_geometry", _row_labels(frame, invalid, id_col), details, severity="warning"
        )
        if lost.any():
            mask = np.zeros(len(geoms), bool)
            mask[np.flatnonzero(invalid)[lost]] = True
            c.problem(
                "null_geometry",
                "geometry has no area left after repair",
                "redraw these polygons",
                rows=_row_labels(frame, mask, id_col),
            )
    out = frame.set_geometry(gpd.GeoSeries(geoms, index=frame.index, crs=frame.crs), crs=frame.crs)
    if missing.any() and empty_geometry == "drop":
        out = out[~missing]
    return out


def _zero_fields(frame: pd.DataFrame, kind: str, c: _Collector) -> pd.DataFrame:
    """A column whose every recorded value is 0 is read as not recorded (listed once)."""
    for col in _ZERO_MEANS_ABSENT.get(kind, ()):
        if col not in frame.columns or not pd.api.types.is_numeric_dtype(frame[col].dtype):
            continue
        given = frame[col].notna().to_numpy()
        if given.sum() >= 2 and (frame[col].to_numpy()[given] == 0).all():
            c.record(
                "zero_field",
                [""],
                f"all {int(given.sum())} values of {col!r} are 0: read as not recorded",
                column=col,
            )
            frame[col] = np.nan
    return frame


def _coerce(
    frame: pd.DataFrame,
    kind: str,
    c: _Collector,
    *,
    policy: Policy = DEFAULT_POLICY,
    units: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    id_col = get_kind(kind).id_column or ("park_id" if "park_id" in frame.columns else None)
    frame = coerce_numbers(
        frame,
        kind,
        _NUMERIC.get(kind, ()),
        _NONNEGATIVE.get(kind, ()),
        c,
        id_col=id_col,
        policy=policy,
        units=units,
    )
    frame = coerce_dates(frame, _DATES.get(kind, ()), c, id_col=id_col, policy=policy)
    frame = _zero_fields(frame, kind, c)
    for col, table in _CODES.get(kind, {}).items():
        if col not in frame.columns:
            continue
        text = frame[col].astype("string").str.strip()
        lookup = {k.lower(): v for k, v in table.items()}
        mapped = text.str.lower().map(lookup)
        bad = (mapped.isna() & text.notna() & (text != "")).to_numpy(dtype=bool)
        if bad.any():
            shown = [
                f"{r}={v!r}"
                for r, v in zip(_row_labels(frame, bad, id_col), text.to_numpy()[bad], strict=True)
            ]
            c.problem(
                "unknown_code",
                f"{_n(bad, 'value')} not known codes",
                f"use one of {', '.join(dict.fromkeys(table))}",
                column=col,
                rows=shown,
            )
        frame[col] = mapped.astype(object).where(mapped.notna(), None)
    for col in _BOOLS.get(kind, ()):
        if col not in frame.columns:
            continue
        text = frame[col].astype("string").str.strip().str.lower().fillna("")
        is_true, is_false = text.isin(_TRUE), text.isin(_FALSE)
        bad = (~is_true & ~is_false).to_numpy(dtype=bool)
        if bad.any():
            c.problem(
                "bad_value",
                f"{_n(bad, 'value')} not yes/no",
                "write true/false, 1/0 or 是/否",
                column=col,
                rows=_row_labels(frame, bad, id_col),
            )
        frame[col] = is_true.astype(bool).to_numpy()
    return frame


#: Park attributes every feature of one park must share.
_PARK_ATTRIBUTES = ("name", "town", "park_type", "leading_industry")


def _same_text(values: pd.Series) -> pd.Series:
    """Text compared as a person reads it: NFKC, spaces collapsed, ends stripped."""
    import unicodedata

    text = values.astype("string").map(
        lambda v: v if v is pd.NA else " ".join(unicodedata.normalize("NFKC", v).split()),
        na_action="ignore",
    )
    return text.where(text != "")


def _several_values(keys: pd.Series, values: pd.Series) -> np.ndarray:
    """Rows whose key (not missing) has two or more distinct values (not missing).

    Only the features of those parks can disagree; the others are left out before the
    per-park lists are built (one Python call per park is slow at thousands of parks).
    """
    pairs = pd.DataFrame(
        {"key": keys.to_numpy(dtype=object), "value": values.to_numpy(dtype=object)}
    )
    pairs = pairs[pairs["key"].notna().to_numpy() & pairs["value"].notna().to_numpy()]
    distinct = pairs.drop_duplicates()
    repeated = distinct["key"][distinct["key"].duplicated()]
    return keys.isin(repeated.unique()).to_numpy(dtype=bool)


def _check_park_features(frame: pd.DataFrame, c: _Collector) -> None:
    """Features of one park (core and expansion zones) whose attributes disagree.

    The audit judges a park as one; which town, type or leading industry holds must not
    depend on the order of its features, so a disagreement is a problem naming the park,
    the column and the values.
    """
    if "park_id" not in frame.columns:
        return
    for col in _PARK_ATTRIBUTES:
        if col not in frame.columns:
            continue
        text = _same_text(frame[col])
        parks = frame["park_id"]
        several = _several_values(parks, text)
        values = text[several].groupby(parks[several]).agg(lambda v: sorted(set(v.dropna())))
        clash = values[values.map(len) > 1]
        if len(clash):
            c.problem(
                "park_attributes_disagree",
                f"{len(clash)} park{'s' if len(clash) > 1 else ''} whose features give "
                f"different {col} values",
                f"give every feature of a park the same {col}",
                column=col,
                rows=[f"{p}: {' / '.join(v)}" for p, v in clash.items()],
            )


def validate_layer(
    gdf: gpd.GeoDataFrame,
    kind: str,
    *,
    file: str = "",
    layer: str = "",
    duplicates: Literal["raise", "rename"] = "raise",
    empty_geometry: Literal["raise", "drop"] = "raise",
    collect: bool = False,
    policy: Policy | None = None,
    units: Mapping[str, str] | None = None,
) -> gpd.GeoDataFrame:
    """Validate and clean a polygon layer whose columns have the contract's names.

    Parameters
    ----------
    gdf
        The layer; it is not changed.
    kind
        ``parks``, ``parcels``, ``buildings`` or ``plan``.
    file, layer
        Where it came from, for messages.
    duplicates
        ``"raise"`` (default) refuses duplicate IDs; ``"rename"`` keeps the
        first and suffixes later ones ``-2``, ``-3`` …, listing each renaming.
    empty_geometry
        ``"raise"`` (default) or ``"drop"`` rows with null or empty geometry.
    collect
        Never raise; record every problem in the quality table instead.
    policy
        Its plausibility bounds (``warn_max_*``, ``error_max_*``, ``date_min``,
        ``date_max``) judge the values; default :data:`DEFAULT_POLICY`.
    units
        ``column -> unit`` stated in the project file (``{"revenue": "亿元"}``); values
        are converted to the contract's unit, and a header saying otherwise is an error.

    Returns
    -------
    GeoDataFrame
        A cleaned copy; ``attrs["quality"]`` lists the repairs and (with
        ``collect``) the problems.

    Raises
    ------
    ValidationError
        With every problem found, each naming file, layer, column and rows.
    """
    spec = get_kind(kind)
    if spec.geometry is None:
        raise ValueError(f"{kind} is a table; use validate_table")
    c = _Collector(kind, file, layer, collect)
    prior = list(gdf.attrs.get("quality", []))
    frame = gdf.copy()
    frame.attrs = {k: v for k, v in gdf.attrs.items() if k != "quality"}
    if frame.crs is None:
        c.problem(
            "missing_column",
            "the layer has no coordinate reference system",
            "state it with crs= / --crs (e.g. EPSG:4549)",
        )
    if _check_structure(frame, kind, c):
        return c.finish(frame, prior)
    _check_columns(frame, kind, c)
    frame = _move_aside(frame, kind, c)
    with ThreadPoolExecutor(1, thread_name_prefix="xsland-valid") as pool:
        validity = _validity(pool, frame)
        frame = _mend_unwritable(frame, kind, c)
        frame = coerce_ids(frame, kind, c, twice=_own_ids(kind))
        frame = _check_ids(frame, kind, c, duplicates)
        frame, bad_coordinates = _check_coordinates(frame, kind, c)
        frame = _check_geometry(frame, kind, c, empty_geometry, bad_coordinates, validity)
    if not bad_coordinates.any():
        _check_empty(frame, kind, c)
    frame = _coerce(frame, kind, c, policy=policy or DEFAULT_POLICY, units=units)
    if kind == "parks":
        _check_park_features(frame, c)
    return c.finish(frame, prior)


def validate_table(
    df: pd.DataFrame,
    kind: str,
    *,
    file: str = "",
    duplicates: Literal["raise", "rename"] = "raise",
    collect: bool = False,
    policy: Policy | None = None,
    units: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Validate and clean a table (``enterprises`` or ``indicators``).

    Same contract as :func:`validate_layer`, without geometry. For
    ``indicators`` a (park_id, year) pair given twice is a duplicate.
    """
    spec = get_kind(kind)
    if spec.geometry is not None:
        raise ValueError(f"{kind} is a vector layer; use validate_layer")
    c = _Collector(kind, file, "", collect)
    prior = list(df.attrs.get("quality", []))
    frame = df.copy()
    frame.attrs = {k: v for k, v in df.attrs.items() if k != "quality"}
    if _check_structure(frame, kind, c):
        return c.finish(frame, prior)
    _check_columns(frame, kind, c)
    frame = _move_aside(frame, kind, c)
    frame = _mend_unwritable(frame, kind, c)
    frame = coerce_ids(frame, kind, c, twice=_own_ids(kind))
    frame = _check_ids(frame, kind, c, duplicates)
    frame = _coerce(frame, kind, c, policy=policy or DEFAULT_POLICY, units=units)
    if kind == "indicators" and {"park_id", "year"} <= set(frame.columns):
        dup = frame.duplicated(["park_id", "year"], keep=False).to_numpy()
        if dup.any():
            pairs = sorted(
                {
                    f"{p}/{int(y) if y == y else y}"
                    for p, y in zip(frame["park_id"][dup], frame["year"][dup], strict=True)
                }
            )
            c.problem(
                "duplicate_id",
                "park_id and year given more than once",
                "keep one row per park and year",
                column="park_id, year",
                rows=pairs,
            )
        if not frame["year"].isna().all():
            frame["year"] = frame["year"].astype("Int64")
    return c.finish(frame, prior)
