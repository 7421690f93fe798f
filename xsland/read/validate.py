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

from collections.abc import Iterable
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from xsland.errors import Problem, ValidationError
from xsland.rules.schema import get_kind

__all__ = [
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
    "unknown_code": ("代码未知", "unknown code"),
    "sliver": ("碎片地块", "sliver parcel"),
    "overlap": ("地块重叠", "parcels overlap"),
    "straddles_park": ("跨园区边界", "parcel straddles a park boundary"),
    "building_outside": ("建筑不在任何地块内", "building outside every parcel"),
    "declared_area_mismatch": ("用地面积不符", "declared area differs from measured area"),
    "multipart": ("多部件地块", "parcel in several parts"),
    "missing_floors": ("缺少层数和高度", "building without floors or height"),
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


def quality_frame(*frames_or_records: Any) -> pd.DataFrame:
    """One data-quality table from frames' ``attrs["quality"]`` or lists of records."""
    rows: list[dict[str, Any]] = []
    for item in frames_or_records:
        if item is None:
            continue
        if isinstance(item, pd.DataFrame) and list(item.columns) == QUALITY_COLUMNS:
            rows.extend(item.to_dict("records"))
        elif isinstance(item, pd.DataFrame):
            rows.extend(item.attrs.get("quality", []))
        else:
            rows.extend(item)
    return pd.DataFrame(rows, columns=QUALITY_COLUMNS).astype(
        {c: "object" for c in QUALITY_COLUMNS}
    )


def parse_dates(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Dates from a column as naive ``datetime64[ns]``, and the mask of unreadable cells.

    Accepts dates already typed (time zones dropped) and text such as ``2025-08-29``,
    ``2025/8/29``, ``2025.8.29`` or ``2025年8月29日``. Empty cells are NaT, not errors.
    The result has a RangeIndex.
    """
    raw = values.reset_index(drop=True)
    if isinstance(raw.dtype, pd.DatetimeTZDtype):
        return raw.dt.tz_localize(None).astype("datetime64[ns]"), np.zeros(len(raw), bool)
    if pd.api.types.is_datetime64_dtype(raw.dtype):
        return raw.astype("datetime64[ns]"), np.zeros(len(raw), bool)
    text = raw.astype("string").str.strip()
    text = text.str.replace(r"[年月/.]", "-", regex=True).str.replace("日", "", regex=False)
    parsed = pd.to_datetime(text, errors="coerce", format="mixed")
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        parsed = parsed.dt.tz_localize(None)
    bad = (parsed.isna() & text.notna() & (text != "")).to_numpy(dtype=bool)
    return parsed.astype("datetime64[ns]"), bad


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
    """IDs as text: ``12.0`` from a spreadsheet becomes ``"12"``, blanks become NA."""

    def one(v: Any) -> Any:
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
            return None
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        text = str(v).strip()
        return text or None

    return pd.Series([one(v) for v in values], index=values.index, dtype=object)


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
        frame.attrs = {**frame.attrs, "quality": list(prior) + self.quality}
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


def _check_ids(frame: pd.DataFrame, kind: str, c: _Collector, duplicates: str) -> pd.DataFrame:
    id_col = get_kind(kind).id_column
    if kind == "parks" and "park_id" in frame.columns:
        # park features repeat park_id (one per zone); IDs are cleaned, not unique
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
    dup = frame[id_col].duplicated(keep=False).to_numpy() & ~empty
    if dup.any():
        values = sorted(set(frame[id_col].to_numpy()[dup]))
        if duplicates == "rename":
            later = frame[id_col].duplicated(keep="first").to_numpy() & ~empty
            n = frame[id_col].groupby(frame[id_col]).cumcount() + 1
            new = frame[id_col].where(~later, frame[id_col] + "-" + n.astype(str))
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
                f"make {id_col} unique, or pass duplicates='rename' (--rename-duplicates) "
                "to suffix the later rows (-2, -3 …)",
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


def _check_geometry(
    frame: gpd.GeoDataFrame, kind: str, c: _Collector, empty_geometry: str
) -> gpd.GeoDataFrame:
    id_col = get_kind(kind).id_column or ("park_id" if kind == "parks" else None)
    geoms = frame.geometry.to_numpy()
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if missing.any():
        rows = _row_labels(frame, missing, id_col)
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
                "draw or delete these features, or pass empty_geometry='drop' "
                "(--drop-empty) to leave them out",
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
    invalid = poly & ~shapely.is_valid(geoms)
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


def _coerce(frame: pd.DataFrame, kind: str, c: _Collector) -> pd.DataFrame:
    id_col = get_kind(kind).id_column or ("park_id" if "park_id" in frame.columns else None)
    for col in _NUMERIC.get(kind, ()):
        if col not in frame.columns:
            continue
        raw = frame[col]
        text = raw.astype("string").str.strip().str.replace(",", "", regex=False)
        values = pd.to_numeric(text, errors="coerce")
        bad = (values.isna() & text.notna() & (text != "")).to_numpy(dtype=bool)
        if bad.any():
            shown = [
                f"{r}={v!r}"
                for r, v in zip(_row_labels(frame, bad, id_col), raw.to_numpy()[bad], strict=True)
            ]
            c.problem(
                "bad_value",
                f"{_n(bad, 'value')} not numbers",
                "write plain numbers (no units or text) or leave the cell empty",
                column=col,
                rows=shown,
            )
        frame[col] = values.astype("float64")
        if col in _NONNEGATIVE.get(kind, ()):
            neg = (frame[col] < 0).to_numpy(dtype=bool)
            if neg.any():
                c.problem(
                    "negative_value",
                    f"{_n(neg, 'value')} negative",
                    "correct the values; they must be zero or more",
                    column=col,
                    rows=_row_labels(frame, neg, id_col),
                )
    for col in _DATES.get(kind, ()):
        if col not in frame.columns:
            continue
        raw = frame[col]
        values, bad = parse_dates(raw)
        if bad.any():
            shown = [
                f"{r}={v!r}"
                for r, v in zip(_row_labels(frame, bad, id_col), raw.to_numpy()[bad], strict=True)
            ]
            c.problem(
                "bad_value",
                f"{_n(bad, 'value')} not dates",
                "write dates as 2025-08-29 or 2025年8月29日",
                column=col,
                rows=shown,
            )
        frame[col] = values.to_numpy()
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


def validate_layer(
    gdf: gpd.GeoDataFrame,
    kind: str,
    *,
    file: str = "",
    layer: str = "",
    duplicates: Literal["raise", "rename"] = "raise",
    empty_geometry: Literal["raise", "drop"] = "raise",
    collect: bool = False,
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
    _check_columns(frame, kind, c)
    frame = _check_ids(frame, kind, c, duplicates)
    frame = _check_geometry(frame, kind, c, empty_geometry)
    frame = _coerce(frame, kind, c)
    return c.finish(frame, prior)


def validate_table(
    df: pd.DataFrame,
    kind: str,
    *,
    file: str = "",
    duplicates: Literal["raise", "rename"] = "raise",
    collect: bool = False,
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
    _check_columns(frame, kind, c)
    frame = _check_ids(frame, kind, c, duplicates)
    if kind == "indicators" and {"park_id", "year"} <= set(frame.columns):
        frame["park_id"] = _clean_ids(frame["park_id"])
    frame = _coerce(frame, kind, c)
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
