"""The tables of an audit as the report reads them, and the plain text it shows.

No markup here: every function returns numbers or plain text, which the templates escape.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from xsland.errors import DataError
from xsland.judge.audit import STATUS_ZH
from xsland.result import AuditResult
from xsland.rules.policy import DEFAULT_POLICY, LOWUSE_KINDS, Policy

__all__ = [
    "CATEGORY_ZH",
    "DEFAULT_TITLE",
    "FAIL",
    "LANGUAGES",
    "NA",
    "PARK_TYPE_ZH",
    "PASS",
    "REPORT_NAME",
    "SEVERITY_ZH",
    "STATUSES",
    "STATUS_EN",
    "STATUS_WORD",
    "SYMBOL",
    "UNKNOWN",
]

#: Languages of the report: Chinese with English glosses, or Chinese only.
LANGUAGES = ("zh-en", "zh")

#: File name of the report in an output folder.
REPORT_NAME = "report.html"

#: Default title of the report.
DEFAULT_TITLE = "锡山区特色专业园区用地审计报告"

PASS, FAIL, UNKNOWN, NA = "pass", "fail", "unknown", "n/a"

STATUSES = (PASS, FAIL, UNKNOWN, NA)

SYMBOL = {PASS: "✔", FAIL: "✘", UNKNOWN: "?", NA: "–"}

STATUS_EN = {PASS: "pass", FAIL: "fail", UNKNOWN: "unknown", NA: "n/a"}

STATUS_WORD = {k: v.split(" ", 1)[1] for k, v in STATUS_ZH.items()}


SEVERITY_ZH = {"error": "错误", "warning": "警告", "info": "提示"}
PARK_TYPE_ZH = {"district": "片区型", "carrier": "载体型"}

CATEGORY_ZH = {
    "new_industrial": ("新增工业项目用地", "new industrial"),
    "standard_factory": ("高标准厂房用地", "high-standard factory"),
    "new_type_industrial": ("新型产业用地(M0)", "new-type industrial (M0)"),
    "industrial": ("存量工业用地", "existing industrial"),
}

#: Park rules: check -> (policy key, Chinese label, English label, how the value reads).
_RULES: dict[str, tuple[str, str, str, str]] = {
    "chk_area": (
        "district_park_max_km2",
        "片区型园区面积≤{v}平方公里",
        "District park ≤ {v} km²",
        "num",
    ),
    "chk_far_new": (
        "far_min_new_industrial",
        "新增工业项目用地容积率≥{v}",
        "New industrial land FAR ≥ {v}",
        "num",
    ),
    "chk_far_standard": (
        "far_min_standard_factory",
        "高标准厂房用地容积率≥{v}",
        "High-standard factory FAR ≥ {v}",
        "num",
    ),
    "chk_far_m0": (
        "far_min_new_type_industrial",
        "新型产业用地容积率≥{v}",
        "New-type industrial (M0) FAR ≥ {v}",
        "num",
    ),
    "chk_coverage": ("coverage_min", "工业用地建筑系数≥{v}", "Industrial coverage ≥ {v}", "pct"),
    "chk_leading_revenue": (
        "leading_revenue_share_min",
        "主导产业营收占比≥{v}",
        "Leading-industry revenue share ≥ {v}",
        "pct",
    ),
    "chk_leading_count": (
        "leading_count_share_min",
        "主导产业企业数占比≥{v}",
        "Leading-industry enterprises ≥ {v}",
        "pct",
    ),
    "chk_chain_leader": ("chain_leaders_min", "链主企业≥{v}家", "Chain leaders ≥ {v}", "num"),
    "chk_promotion": (
        "promotion_events_min",
        "年招商活动≥{v}场",
        "Promotion events ≥ {v} a year",
        "num",
    ),
    "chk_fund": (
        "industry_fund_min_wan",
        "产业基金≥{v}万元(设立时)",
        "Industry fund ≥ {v}0k yuan (if set up)",
        "num",
    ),
}

_INNOVATION = (
    "innovation_platforms_min",
    "全区园区省级以上创新平台≥{v}家(2027年底)",
    "Provincial innovation platforms, all parks ≥ {v} (end 2027)",
    "num",
)


#: Text that stands for a missing value (pandas writes ``pd.NA`` as this).
_MISSING_TEXT = ("", "nan", "none", str(pd.NA).lower())


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip().lower() in _MISSING_TEXT


def _missing_mask(values: pd.Series) -> np.ndarray:
    """:func:`_missing` of every value, vectorised: null, or blank / "nan" / "none" text.

    Each distinct value is judged once (values factorised by pandas: a column of a million
    parcels holds a few thousand IDs or names); values equal to each other are all text or
    all not, so they are missing alike. Unhashable values are judged one by one.
    """
    try:
        codes, uniques = pd.factorize(values)  # null: -1
    except TypeError:  # unhashable values (lists)
        return _missing_mask_of(values)
    if len(uniques) >= len(codes):
        return _missing_mask_of(values)
    return np.append(_missing_mask_of(pd.Series(uniques, dtype=object)), True)[codes]


def _missing_mask_of(values: pd.Series) -> np.ndarray:
    """:func:`_missing_mask` worked out value by value (one pass of pandas string operations)."""
    s = pd.Series(values.to_numpy(dtype=object), dtype=object)
    na = s.isna().to_numpy(dtype=bool, copy=True)
    text = s.map(type).isin([str, np.str_]).to_numpy(dtype=bool) & ~na
    if text.any():
        words = s[text].astype(str).str.strip().str.lower()
        na[text] = words.isin(_MISSING_TEXT).to_numpy(dtype=bool)
    return na


def _float(value: Any) -> float:
    if _missing(value) or isinstance(value, bool):
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _num(value: Any, fmt: str = "{:,.2f}", *, dash: str = "—") -> str:
    v = _float(value)
    return dash if math.isnan(v) else fmt.format(v)


def _short(value: float) -> str:
    """``3.0`` -> ``3``, ``1.5`` -> ``1.5``."""
    return f"{value:g}" if not math.isnan(value) else "?"


_SPLIT = re.compile(r"\s*[;；,，、|]\s*")


def _split(value: Any) -> list[str]:
    """A joined list (``"a;b"``) or a real list as a list of non-empty strings."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return [str(v).strip() for v in value if not _missing(v) and str(v).strip()]
    if _missing(value):
        return []
    return [p for p in _SPLIT.split(str(value).strip()) if p]


def _zh_date(value: dt.date) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def _as_date(value: Any) -> dt.date | None:
    if _missing(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return pd.Timestamp(str(value)).date()
    except (ValueError, TypeError):
        return None


def _text(value: Any) -> str:
    """A value as plain text for a template (which escapes it); ``""`` when missing."""
    return "" if _missing(value) else str(value)


#: Tables of at most this many rows are printed on one page (never split), so that no page
#: holds the last row or two of a table alone.
_KEEP_ROWS = 25


# -- the tables of an audit ----------------------------------------------------------------


@dataclass(frozen=True)
class _Audit:
    parks: pd.DataFrame
    parcels: pd.DataFrame
    towns: pd.DataFrame | None
    district: pd.DataFrame | None
    quality: pd.DataFrame
    rules: pd.DataFrame
    blocks: gpd.GeoDataFrame | None
    meta: Mapping[str, Any]
    intensity: pd.DataFrame | None = None
    policy: Policy = DEFAULT_POLICY

    def rule(self, key: str) -> float:
        """A numeric rule of the run (the rules table), else the default policy's."""
        if "key" in self.rules.columns and "value" in self.rules.columns:
            hit = self.rules.loc[self.rules["key"].astype(str) == key, "value"]
            if len(hit):
                return _float(hit.iloc[0])
        value = getattr(DEFAULT_POLICY, key, None)
        return _float(value)

    def rule_text(self, key: str) -> str:
        if "key" in self.rules.columns and "value" in self.rules.columns:
            hit = self.rules.loc[self.rules["key"].astype(str) == key, "value"]
            if len(hit):
                return str(hit.iloc[0])
        return str(getattr(DEFAULT_POLICY, key, ""))

    def source(self, key: str) -> str:
        if "key" in self.rules.columns and "source" in self.rules.columns:
            hit = self.rules.loc[self.rules["key"].astype(str) == key, "source"]
            if len(hit) and not _missing(hit.iloc[0]):
                return str(hit.iloc[0])
        return ""


def _collect(result: AuditResult, blocks: gpd.GeoDataFrame | None) -> _Audit:
    if not isinstance(result, AuditResult):
        raise DataError(
            f"build_report needs an AuditResult (xsland.AuditResult.read(folder) reads a "
            f"finished audit), not {type(result).__name__}"
        )
    parks, parcels = result.parks, result.parcels
    for name, frame, cols in (
        ("parks", parks, ("park_id",)),
        ("parcels", parcels, ("parcel_id", "park_id")),
    ):
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            raise DataError(f"table {name!r}: column {missing[0]!r} missing")
    if blocks is None:
        blocks = result.blocks
    if blocks is not None and "block_id" not in blocks.columns:
        raise DataError("table 'blocks': column 'block_id' missing")
    return _Audit(
        parks=parks,
        parcels=parcels,
        towns=result.towns,
        district=result.district,
        quality=result.quality,
        rules=result.policy.table(),
        blocks=blocks,
        meta=dict(result.meta),
        intensity=getattr(result, "intensity", None),
        policy=result.policy,
    )


def _rule_labels(a: _Audit) -> dict[str, tuple[str, str, str]]:
    """check -> (Chinese label, English label, source) with the run's thresholds."""
    out = {}
    for chk, (key, zh, en, kind) in {**_RULES, "chk_innovation_platforms": _INNOVATION}.items():
        v = a.rule(key)
        if kind == "pct" and not math.isnan(v):
            text = f"{v * 100:g}%"
        elif chk == "chk_fund" and not math.isnan(v):
            text = f"{v:g}"
        else:
            text = _short(v)
        en_text = en.format(v=text)
        if chk == "chk_fund" and not math.isnan(v):
            en_text = f"Industry fund ≥ {v / 100:g} million yuan (if set up)"
        out[chk] = (zh.format(v=text), en_text, a.source(key))
    return out


def _park_frame(a: _Audit) -> pd.DataFrame:
    if isinstance(a.parks, gpd.GeoDataFrame):
        parks = pd.DataFrame(a.parks.drop(columns=[a.parks.geometry.name]))
    else:
        parks = pd.DataFrame(a.parks).copy()
    for c in ("name", "town", "park_type", "leading_industry"):
        if c not in parks.columns:
            parks[c] = None
    parks["park_id"] = parks["park_id"].astype(str)
    return parks.sort_values("park_id", kind="stable").reset_index(drop=True)


def _park_label(row: Mapping[str, Any]) -> str:
    name = "" if _missing(row.get("name")) else str(row["name"])
    return f"{row['park_id']} {name}".strip()


def _status(value: Any) -> str:
    text = "" if _missing(value) else str(value).strip().lower()
    return text if text in STATUSES else UNKNOWN


def _statuses(values: pd.Series) -> pd.Series:
    """:func:`_status` of every value, vectorised (one pass of pandas string operations)."""
    s = pd.Series(values.to_numpy(dtype=object), index=values.index, dtype=object)
    text = s.astype(str).str.strip().str.lower()
    known = text.isin(STATUSES).to_numpy(dtype=bool) & ~_missing_mask(s)
    return pd.Series(
        np.where(known, text.to_numpy(dtype=object), UNKNOWN), index=values.index, dtype=object
    )


def _cell_value(chk: str, row: Mapping[str, Any]) -> str:
    """The measured value of a check, as a reader expects it (plain text)."""
    v = row.get(chk.replace("chk_", "val_"))
    if chk.startswith("chk_far_"):
        if _missing(v):
            return ""
        m = re.fullmatch(r"\s*(\d+)/(\d+)(?:\s*\(\+(\d+) unknown\))?\s*", str(v))
        if not m:
            return str(v)
        text = f"{m.group(1)}/{m.group(2)} 块"
        return text + (f" (+{m.group(3)} 未知)" if m.group(3) else "")
    x = _float(v)
    if math.isnan(x):
        return ""
    if chk == "chk_area":
        return f"{x:.3f} km²"
    if chk in ("chk_coverage", "chk_leading_revenue", "chk_leading_count"):
        return f"{x:.1%}"
    if chk == "chk_chain_leader":
        return f"{x:.0f} 家"
    if chk == "chk_promotion":
        return f"{x:.0f} 场"
    if chk == "chk_fund":
        return f"{x:,.0f} 万元"
    return f"{x:g}"


def _parcel_towns(a: _Audit, parcels: pd.DataFrame) -> pd.Series:
    """Town of each parcel: its park's town, else its own ``town``, else 未注明.

    Worked out once per distinct park ID and own town (both factorised by pandas, a few
    thousand of a million parcels), then taken for every row by numpy; a ``town`` column
    that is not a pandas string column (objects: ``1`` and ``1.0`` factorise alike but
    read differently) is read row by row.
    """
    parks = _park_frame(a)
    by_park = parks.drop_duplicates("park_id").set_index("park_id")["town"].astype(object)
    own = parcels["town"] if "town" in parcels.columns else None
    if own is not None and not isinstance(own.dtype, pd.StringDtype):
        return _parcel_towns_of(by_park, parcels)
    p_codes, p_ids = pd.factorize(parcels["park_id"].astype("string"), use_na_sentinel=False)
    of_park = pd.Series(p_ids, dtype="string").map(by_park).astype(object)
    known = of_park.notna().to_numpy(dtype=bool)
    names = of_park.to_numpy(dtype=object)
    pick = p_codes
    if own is not None:  # a parcel whose park has no town: its own
        t_codes, t_names = pd.factorize(own, use_na_sentinel=False)
        names = np.concatenate([names, pd.Series(t_names, dtype=object).to_numpy()])
        pick = np.where(known[p_codes], p_codes, len(of_park) + t_codes)
    met = np.bincount(pick, minlength=len(names)) > 0  # the names met, each once
    at = np.cumsum(met) - 1
    shown = _shown_towns(pd.Series(names[met], dtype=object))
    return pd.Series(shown[at[pick]], index=parcels.index, dtype=object)


def _parcel_towns_of(by_park: pd.Series, parcels: pd.DataFrame) -> pd.Series:
    """:func:`_parcel_towns` worked out row by row (an own ``town`` column of objects)."""
    town = parcels["park_id"].astype("string").map(by_park).astype(object)
    if "town" in parcels.columns:
        town = town.where(town.notna(), parcels["town"].astype(object))
    return pd.Series(_shown_towns(town), index=town.index, dtype=object)


def _shown_towns(town: pd.Series) -> np.ndarray:
    """The towns as shown: text, ``(未注明)`` for a missing one."""
    if pd.api.types.infer_dtype(town, skipna=True) in ("string", "empty"):
        # text and nulls only (as towns are): each distinct name judged once, not each row
        codes, names = pd.factorize(town)  # a null: -1, the last of the shown names below
        names = pd.Series(np.append(np.asarray(names, dtype=object), None), dtype=object)
        shown = np.where(_missing_mask(names), "(未注明)", names.astype(str).to_numpy(dtype=object))
        return shown[codes]
    missing = _missing_mask(town)
    return np.where(missing, "(未注明)", town.astype(str).to_numpy(dtype=object))


def _has_kinds(parcels: pd.DataFrame) -> bool:
    need = {"low_efficiency", "area_mu", "category"}
    return need <= set(parcels.columns) and any(f"lu_{k}" in parcels for k in LOWUSE_KINDS)


def _mu_text(value: float) -> str:
    """亩 as the summary writes them (one decimal)."""
    return "—" if math.isnan(value) else f"{value:,.1f}"


def _share_text(value: Any) -> str:
    v = _float(value)
    return "—" if math.isnan(v) else f"{v:.1%}"


def _split_parts(values: pd.Series) -> pd.DataFrame:
    """:func:`_split` of every value as one row per part: ``row`` (position), ``pos``
    (place in its value) and ``part``.

    A column of reasons holds few distinct lists: each distinct value is split once
    (rows factorised by pandas) and its parts repeated for its rows by numpy; only a
    column of real lists (unhashable) is split row by row.
    """
    s = pd.Series(values.to_numpy(dtype=object), dtype=object)
    try:
        codes, uniques = pd.factorize(s)  # missing: -1, no parts
        split = [_split(u) for u in uniques] + [[]]
    except TypeError:  # real lists
        codes, split = np.arange(len(s)), [_split(v) for v in s] + [[]]
    sizes = np.array([len(p) for p in split], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    flat = np.array([x for p in split for x in p], dtype=object)
    counts = sizes[codes]
    row = np.repeat(np.arange(len(s), dtype=np.int64), counts)
    pos = np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(
        np.cumsum(counts) - counts, counts
    )
    return pd.DataFrame(
        {"row": row, "pos": pos, "part": flat[np.repeat(starts[codes], counts) + pos]}
    ).astype({"part": object})


#: From this many parcels on, :func:`_reason_rows` works per distinct pair of lists.
_PAIRS_FROM = 2_000


def _reason_rows(parcels: pd.DataFrame) -> pd.DataFrame:
    """One row per (parcel, reason): ``row``, ``code``, ``label``.

    A parcel's codes (``reasons``) and labels (``reasons_zh``) pair up in order when
    there are as many of each; else its codes stand alone, or without codes its labels.
    A code without a label takes the first label met with it (in row order), else
    stands for itself; ``key`` is the code, else the label; a reason is listed once per
    parcel.

    Worked out once per distinct (``reasons``, ``reasons_zh``) pair, on the first row of
    each in row order (:func:`_reason_rows_all`: the first label met with a code is met
    on the first row of its pair), then repeated for the rows of the pair by numpy;
    ``row`` and the frame's index are those the rows themselves would give. Columns of
    real lists (unhashable), and fewer than :data:`_PAIRS_FROM` parcels, are worked out
    row by row.
    """
    n = len(parcels)
    if n < _PAIRS_FROM:  # a block's few parcels: pairing them costs more than it saves
        return _reason_rows_of(parcels)
    cols = [c for c in ("reasons", "reasons_zh") if c in parcels.columns]
    try:
        codes = [pd.factorize(parcels[c])[0] for c in cols]  # text columns as they are
    except TypeError:  # real lists
        return _reason_rows_of(parcels)
    key = np.zeros(n, dtype=np.int64)
    for c in codes:  # missing (-1) becomes 0
        key = key * (int(c.max(initial=-1)) + 2) + c + 1
    pair, _ = pd.factorize(key)  # pairs numbered in the order they first occur
    # the first row of each pair, rising: where a number is met for the first time, it
    # is the largest yet (np.unique's first rows, without sorting every row)
    first = np.flatnonzero(pair > np.maximum.accumulate(np.concatenate([[-1], pair[:-1]])))
    each = _reason_rows_all(pd.DataFrame(parcels[cols].iloc[first]).reset_index(drop=True))
    if each.empty:
        return each
    dup = each.duplicated(["row", "key"]).to_numpy(dtype=bool)  # within a pair's rows
    counts = np.bincount(each["row"].to_numpy(dtype=np.int64), minlength=len(first))
    starts = np.cumsum(counts) - counts
    per_row = counts[pair]
    within = np.arange(int(per_row.sum()), dtype=np.int64) - np.repeat(
        np.cumsum(per_row) - per_row, per_row
    )
    take = np.repeat(starts[pair], per_row) + within
    rows = pd.DataFrame(
        {
            "row": np.repeat(np.arange(n, dtype=np.int64), per_row),
            **{
                c: pd.Series(each[c].to_numpy(dtype=object)[take], dtype=each[c].dtype)
                for c in ("code", "label", "key")
            },
        }
    )
    return rows[~dup[take]] if dup.any() else rows  # the same frame when none is dropped


def _reason_rows_of(parcels: pd.DataFrame) -> pd.DataFrame:
    """:func:`_reason_rows` worked out row by row (columns of real lists)."""
    rows = _reason_rows_all(parcels)
    return rows if rows.empty else rows.drop_duplicates(["row", "key"])


def _reason_rows_all(parcels: pd.DataFrame) -> pd.DataFrame:
    """The rows of :func:`_reason_rows` before a reason listed twice for one parcel is
    dropped (a plain index: each row's place). Vectorised: the lists are split and
    paired by pandas, not row by row; a few rows of text (a block's parcels, the
    distinct lists of many parcels) by :func:`_reason_rows_few`, in Python."""
    n = len(parcels)
    cols = [parcels[c] for c in ("reasons", "reasons_zh") if c in parcels.columns]
    if n <= _FEW_ROWS and all(_text_or_null(c) for c in cols):
        return _reason_rows_few(parcels)
    none = pd.Series([None] * n, dtype=object)
    codes = _split_parts(parcels["reasons"] if "reasons" in parcels.columns else none)
    zh = _split_parts(parcels["reasons_zh"] if "reasons_zh" in parcels.columns else none)
    n_c = np.bincount(codes["row"].to_numpy(dtype=np.int64), minlength=n)
    n_z = np.bincount(zh["row"].to_numpy(dtype=np.int64), minlength=n)
    c_rows, z_rows = codes["row"].to_numpy(dtype=np.int64), zh["row"].to_numpy(dtype=np.int64)
    paired = (n_c > 0) & (n_c == n_z)
    both = codes[paired[c_rows]].merge(
        zh[paired[z_rows]].rename(columns={"part": "label"}), on=["row", "pos"], how="left"
    )
    alone = codes[~paired[c_rows]].assign(label=None)
    labels = zh[(n_c == 0)[z_rows]].rename(columns={"part": "label"}).assign(part=None)
    found = pd.concat(
        [f for f in (both, alone, labels) if len(f)] or [both], ignore_index=True
    ).sort_values(["row", "pos"], kind="stable")
    rows = pd.DataFrame(
        {
            "row": found["row"].to_numpy(dtype=np.int64),
            "code": pd.Series(found["part"].to_numpy(dtype=object), dtype=object),
            "label": pd.Series(found["label"].to_numpy(dtype=object), dtype=object),
        },
        columns=["row", "code", "label"],
    )
    if rows.empty:
        return rows
    # one label per code (the first seen), one key per reason
    first = rows.dropna(subset=["code", "label"]).drop_duplicates("code").set_index("code")["label"]
    rows["label"] = rows["label"].where(rows["label"].notna(), rows["code"].map(first))
    rows["label"] = rows["label"].where(rows["label"].notna(), rows["code"])
    rows["key"] = rows["code"].where(rows["code"].notna(), rows["label"])
    return rows


#: At most this many rows, :func:`_reason_rows_all` pairs the lists row by row in Python:
#: its pandas steps cost a few milliseconds whatever the rows.
_FEW_ROWS = 256


def _text_or_null(values: pd.Series) -> bool:
    """Whether every value is a string or null (as text columns hold)."""
    return all(
        isinstance(v, str) or v is None or v is pd.NA or (isinstance(v, float) and v != v)
        for v in values
    )


def _reason_rows_few(parcels: pd.DataFrame) -> pd.DataFrame:
    """:func:`_reason_rows_all` of a few rows of text or null, row by row in Python: the
    same frame (columns, values, types and plain index)."""
    n = len(parcels)
    codes = parcels["reasons"].tolist() if "reasons" in parcels.columns else [None] * n
    zh = parcels["reasons_zh"].tolist() if "reasons_zh" in parcels.columns else [None] * n
    found: list[tuple[int, str | None, str | None]] = []
    for i, (c, z) in enumerate(zip(codes, zh, strict=True)):
        cs, zs = _split(c), _split(z)
        if cs and len(cs) == len(zs):
            found += [(i, a, b) for a, b in zip(cs, zs, strict=True)]
        elif cs:
            found += [(i, a, None) for a in cs]
        else:
            found += [(i, None, b) for b in zs]
    if not found:
        return pd.DataFrame(
            {
                "row": np.array([], dtype=np.int64),
                "code": pd.Series([], dtype=object),
                "label": pd.Series([], dtype=object),
            }
        )
    first: dict[str, str] = {}  # one label per code (the first seen)
    for _, c, z in found:
        if c is not None and z is not None:
            first.setdefault(c, z)
    labels = [z if z is not None else first.get(c, c) for _, c, z in found]
    return pd.DataFrame(
        {
            "row": np.array([r for r, _, _ in found], dtype=np.int64),
            "code": pd.Series([c for _, c, _ in found], dtype=object),
            "label": pd.Series(labels, dtype=object),
            "key": pd.Series(
                [c if c is not None else z for (_, c, _), z in zip(found, labels, strict=True)],
                dtype=object,
            ),
        }
    )


def _first(frame: pd.DataFrame, col: str) -> Any:
    if col not in frame.columns:
        return None
    vals = [v for v in frame[col] if not _missing(v)]
    return vals[0] if vals else None


# -- the run's inputs -----------------------------------------------------------------------


_INPUT_RE = re.compile(
    r"^(?P<file>.*?)(?: \[(?P<layer>[^\]]+)\])?(?: — (?P<rows>[\d,]+) rows(?:, (?P<crs>.+))?)?$"
)

_INPUT_ZH = {
    "parks": "园区",
    "parcels": "地块",
    "buildings": "建筑",
    "enterprises": "企业",
    "plan": "规划用地",
    "indicators": "园区指标",
    "raster": "栅格",
}


def _inputs_rows(
    inputs: Mapping[str, Any] | pd.DataFrame | None,
) -> tuple[list[dict[str, str]], list[tuple[str, str]]]:
    """(input files, other ``(key, value)`` entries) of the run's inputs, as plain text."""
    if inputs is None:
        return [], []
    if isinstance(inputs, pd.DataFrame):
        if {"key", "value"} <= set(inputs.columns):
            inputs = dict(zip(inputs["key"].astype(str), inputs["value"], strict=True))
        else:
            inputs = {str(i): r.to_dict() for i, r in inputs.iterrows()}
    files: list[dict[str, str]] = []
    other: list[tuple[str, str]] = []
    for kind, value in inputs.items():
        if isinstance(value, Mapping):
            path = _text(value.get("file") or value.get("path"))
            files.append(
                {
                    "kind": str(kind),
                    "kind_zh": _INPUT_ZH.get(kind, str(kind)),
                    "name": Path(path).name,
                    "path": path,
                    "layer": _text(value.get("layer")),
                    "rows": _num(value.get("rows"), "{:,.0f}", dash=""),
                    "crs": _text(value.get("crs")),
                }
            )
            continue
        text = _text(value)
        m = _INPUT_RE.match(text)
        if kind in _INPUT_ZH and m:
            path = m.group("file")
            files.append(
                {
                    "kind": str(kind),
                    "kind_zh": _INPUT_ZH[kind],
                    "name": Path(path).name,
                    "path": path,
                    "layer": m.group("layer") or "",
                    "rows": m.group("rows") or "",
                    "crs": m.group("crs") or "",
                }
            )
        else:
            other.append((str(kind), text))
    return files, other


#: Entries of the run's inputs shown among its facts: key -> (Chinese, English).
_FACTS_ZH = {
    "run": ("运行时间", "run"),
    "idle judged at": ("闲置土地认定基准日", "idle land judged at"),
    "engine": ("计算引擎", "engine"),
    "metric CRS": ("量算坐标系", "metric CRS"),
}

_FACT_VALUES_ZH = {"single": "单进程", "dask": "Dask 并行"}
