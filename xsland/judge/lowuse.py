"""Low-efficiency land (低效用地): per-mu indicators, evaluation classes, flags and reasons.

锡府办规〔2025〕1号 clause 二(一)3 asks to *深化工业企业资源利用绩效评价结果应用* and to treat
*不符合规划、不符合产业发展定位、不符合高效配置原则的低效用地*. This module turns that into
three public functions, each taking tables and returning a new one (inputs are never
modified):

- :func:`per_mu` — per enterprise, its land (the GIS area of all its parcels), 亩均税收 and
  亩均营收 (万元/亩), and its evaluation class (亩均效益评价 A/B/C/D): the class on record
  where there is one (``eval_class_source = "given"``), else one derived from a
  configurable scheme (``"derived"``, see :func:`derive_classes`).
- :func:`derive_classes` — the derivation scheme alone.
- :func:`flag` — per parcel, whether it is low-efficiency land and **every** reason that
  applies, as stable codes (:data:`REASONS`) with Chinese labels and a detail that gives
  the measured figure and the threshold.

The rules (codes of :data:`xsland.rules.policy.LOWUSE_RULES`), each switched on or off by
``Policy.lowuse_rules``:

=====================  ==================================================================
``far_low``            容积率低于低效阈值: FAR below the threshold of the parcel's category
                       — existing industrial land ``Policy.lowuse_far_max`` (1.0); new
                       industrial, high-standard factory and new-type industrial land their
                       minimum of clause 二(一)1 (1.5 / 2.0 / 2.5) when
                       ``lowuse_far_below_minimum``; logistics ``lowuse_far_max_logistics``
                       when set; other land never.
``coverage_low``       建筑系数低于下限: coverage below ``coverage_min`` (30 %) on industrial
                       land (工业项目建设用地控制指标).
``idle``               闲置土地: no building (floor area 0, or no floor area and no
                       footprint) on or after ``due + idle_after_years``, where ``due`` is
                       the agreed start date (``start_deadline``), else ``supply_date`` +
                       ``idle_start_after_supply_months`` (闲置土地处置办法 第二条: 满一年
                       未动工).
``eval_class``         亩均效益评价为低效类别: the enterprise's class is in
                       ``lowuse_classes`` (D) — in each of the latest ``lowuse_class_years``
                       evaluations when that is 2 or more (needs ``history``).
``tax_low``            亩均税收低于下限: the enterprise's tax per 亩 below
                       ``per_mu_tax_floor_wan`` (only when that is set).
``plan_nonconforming`` 不符合规划: the planned use covering the largest part of the parcel
                       (at least ``plan_dominant_share_min`` of it) is of another class than
                       the parcel's use (see :func:`use_class`).
``industry_mismatch``  不符合产业定位: the enterprise's industry is not the park's leading
                       industry (clause 二(二)4).
=====================  ==================================================================

Unbuilt land still inside its construction period (no building, not yet idle) is judged
by the ``idle`` rule only: a plot ratio of 0 there means "not built yet", not "low".

Where a rule applies to a parcel but the data to decide it is missing, the parcel is not
flagged for it and the rule's code is listed in ``reasons_unknown`` — never a silent pass.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from xsland.errors import DataError, format_rows
from xsland.measure.quality import intersection_areas
from xsland.read.crs import to_crs
from xsland.read.validate import require_dates, row_ids
from xsland.read.values import name_keys, normalise_ids, parse_numbers
from xsland.rules.landuse import land_use_codes
from xsland.rules.policy import DEFAULT_POLICY, LOWUSE_RULES, Policy

__all__ = [
    "COLUMN_LABELS",
    "EVAL_SOURCES",
    "FLAG_COLUMNS",
    "INDUSTRIAL_CATEGORIES",
    "M2_PER_MU",
    "REASONS",
    "derive_classes",
    "flag",
    "per_mu",
    "summary",
    "use_class",
]

#: 1 亩 = 2000/3 m² (SPEC §2).
M2_PER_MU = 2000 / 3

#: Categories that count as industrial land (coverage rule).
INDUSTRIAL_CATEGORIES = ("new_industrial", "standard_factory", "new_type_industrial", "industrial")

_CL3 = "锡府办规〔2025〕1号 二(一)3"

#: Reason code -> (Chinese label, English label, source). Codes are stable: reports, maps and
#: the comparison of two audits rely on them.
REASONS: Mapping[str, tuple[str, str, str]] = {
    "far_low": (
        "容积率低于低效阈值",
        "plot ratio below the low-efficiency threshold",
        "锡府办规〔2025〕1号 二(一)1; local parameter",
    ),
    "coverage_low": (
        "建筑系数低于下限",
        "building coverage below the minimum",
        "工业项目建设用地控制指标 (自然资发〔2023〕72号)",
    ),
    "idle": ("闲置土地", "idle land", "闲置土地处置办法 (国土资源部令第53号) 第二条"),
    "eval_class": ("亩均效益评价为低效类别", "enterprise evaluated in a low class", _CL3),
    "tax_low": ("亩均税收低于下限", "tax per mu below the floor", "local parameter"),
    "plan_nonconforming": ("不符合规划", "use does not conform to the plan", _CL3),
    "industry_mismatch": (
        "不符合产业定位",
        "industry is not the park's leading industry",
        "锡府办规〔2025〕1号 二(一)3, 二(二)4",
    ),
    "built_but_bare": (
        "申报已建但现状多为裸地",
        "declared built but mostly bare land cover",
        "local parameter (land-cover raster)",
    ),
}
assert tuple(REASONS) == LOWUSE_RULES

#: Where an enterprise's evaluation class comes from.
EVAL_SOURCES = {"given": "评价结果", "derived": "推算", "none": "无"}

#: Columns of :func:`flag`, in order.
FLAG_COLUMNS = (
    ["low_efficiency", "n_reasons", "reasons", "reasons_zh", "reasons_detail", "reasons_unknown"]
    + [f"lu_{code}" for code in LOWUSE_RULES]
    + [
        "far_threshold",
        "idle_since",
        "eval_class",
        "eval_class_source",
        "tax_per_mu",
        "planned_use",
        "plan_share",
        "leading_industry",
        "industry",
    ]
)

#: Chinese headers of the columns of :func:`flag`, :func:`per_mu` and :func:`summary`.
COLUMN_LABELS: Mapping[str, str] = {
    "low_efficiency": "低效用地",
    "n_reasons": "认定理由数",
    "reasons": "认定理由代码",
    "reasons_zh": "认定理由",
    "reasons_detail": "认定依据",
    "reasons_unknown": "数据不足无法判定",
    **{f"lu_{c}": label for c, (label, _, _) in REASONS.items()},
    **{f"n_{c}": f"{label}(宗)" for c, (label, _, _) in REASONS.items()},
    "far_threshold": "低效容积率阈值",
    "idle_since": "闲置认定起始日",
    "eval_class": "亩均效益评价类别",
    "eval_class_source": "评价类别来源",
    "eval_class_source_zh": "评价类别来源",
    "tax_per_mu": "亩均税收(万元/亩)",
    "revenue_per_mu": "亩均营收(万元/亩)",
    "planned_use": "主导规划用途",
    "plan_share": "主导规划用途占比",
    "leading_industry": "园区主导产业",
    "industry": "企业产业",
    "enterprise_id": "企业编号",
    "name": "企业名称",
    "n_parcels": "地块数",
    "land_m2": "用地面积(平方米)",
    "land_mu": "用地面积(亩)",
    "revenue": "营收(万元)",
    "tax": "税收(万元)",
    "eval_score": "推算得分",
    "eval_pct": "得分百分位",
    "eval_class_given": "评价类别(评价结果)",
    "eval_class_derived": "评价类别(推算)",
    "area_mu": "面积(亩)",
    "n_low_efficiency": "低效地块数",
    "low_efficiency_mu": "低效用地面积(亩)",
    "low_efficiency_share": "低效用地占比",
    "idle_mu": "闲置土地面积(亩)",
}

_CLASSES = ("A", "B", "C", "D")
_BUILT_CATEGORIES_FAR = ("new_industrial", "standard_factory", "new_type_industrial")


# ---------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------


def _key(values: pd.Series) -> pd.Series:
    """IDs as clean text (:func:`xsland.read.values.normalise_id`: ``12.0`` -> ``"12"``,
    ``"E1\u3000"`` -> ``"E1"``, full-width folded, blanks -> NA), same index."""
    return normalise_ids(values)[0].astype("string")


def _text(values: pd.Series) -> pd.Series:
    """Names as written, stripped (blanks -> NA); compared by :func:`name_keys`."""
    text = values.astype("string").str.strip()
    return text.where(text != "")


def _code(values: pd.Series) -> pd.Series:
    """Land-use codes as clean upper-case text (``100101.0`` -> ``"100101"``)."""
    return _key(values).str.upper()


_ids = row_ids


def _require(frame: pd.DataFrame, columns: tuple[str, ...], *, what: str, fix: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(f"{what}: column(s) {', '.join(map(repr, missing))} missing. Fix: {fix}")


def _numbers(frame: pd.DataFrame, col: str, *, what: str, id_col: str) -> np.ndarray:
    """Column as float64 (NaN when absent or empty), read by
    :func:`xsland.read.values.parse_numbers`; text that is not a finite number raises."""
    if col not in frame.columns:
        return np.full(len(frame), np.nan)
    raw = frame[col]
    if pd.api.types.is_bool_dtype(raw.dtype):
        raise DataError(f"{what}: column {col!r} holds true/false. Fix: write numbers")
    got = parse_numbers(raw)
    bad = got.bad | got.nonfinite
    if bad.any():
        raise DataError(
            f"{what}: column {col!r} has values that are not numbers "
            f"(rows: {format_rows(_ids(frame, bad, id_col))}). Fix: write plain finite "
            "numbers (万元) without units, or leave the cell empty"
        )
    return got.values


def _dates(frame: pd.DataFrame, col: str, *, what: str, id_col: str) -> pd.Series:
    """A date column as naive ``datetime64[ns]`` with a RangeIndex; bad values raise."""
    return require_dates(frame, col, what=what, id_col=id_col)


def _classes(values: pd.Series, *, what: str, frame: pd.DataFrame, id_col: str) -> pd.Series:
    """Evaluation classes as ``A``–``D`` (``"D类"``, ``" d "`` accepted), NA when empty."""
    text = values.astype("string").str.strip().str.upper().str.replace("类", "", regex=False)
    text = text.where(text != "")
    bad = (text.notna() & ~text.isin(_CLASSES)).to_numpy(dtype=bool)
    if bad.any():
        raise DataError(
            f"{what}: column 'eval_class' has values that are not A, B, C or D "
            f"(rows: {format_rows(_ids(frame, bad, id_col))}). Fix: write A, B, C or D "
            "(or A类 …), or leave the cell empty"
        )
    return text


def _as_of(as_of: Any) -> pd.Timestamp:
    if as_of is None:
        return pd.Timestamp(_dt.date.today())
    try:
        return pd.Timestamp(as_of).tz_localize(None).normalize()
    except (TypeError, ValueError):
        raise DataError(
            f"as_of = {as_of!r} is not a date. Fix: pass a date such as 2026-01-01"
        ) from None


def _add_months(dates: pd.Series, months: int) -> pd.Series:
    """``dates`` + whole months, calendar-aware (2024-02-29 + 12 months = 2025-02-28)."""
    if months == 0:
        return dates
    return dates + pd.DateOffset(months=months)


def _join(parts: list[np.ndarray], sep: str) -> np.ndarray:
    """Element-wise join of string arrays, skipping empty strings (no loop over rows)."""
    out = np.full(len(parts[0]) if parts else 0, "", dtype=object)
    for part in parts:
        part = np.asarray(part, dtype=object)
        both = (out != "") & (part != "")
        out = np.where(both, out + sep + part, np.where(out == "", part, out))
    return out.astype(object)


def _fmt(values: np.ndarray, digits: int) -> np.ndarray:
    """Numbers as short text (``0.42``, ``1.5``), vectorised."""
    rounded = np.round(np.atleast_1d(np.asarray(values, dtype="float64")), digits)
    text = pd.Series(rounded).astype("str").str.replace(r"\.0$", "", regex=True)
    return text.fillna("").to_numpy(dtype=object)


# ---------------------------------------------------------------------------
# land-use classes
# ---------------------------------------------------------------------------

_CATEGORY_CLASS = {
    "new_industrial": "industrial",
    "standard_factory": "industrial",
    "industrial": "industrial",
    "new_type_industrial": "new_type_industrial",
    "logistics": "logistics",
}


def use_class(codes: pd.Series, *, policy: Policy = DEFAULT_POLICY) -> pd.Series:
    """The land-use class of each code, for comparing a use with the plan "in class".

    1. The code, else its longest prefix, in ``policy.category_map`` gives the policy base
       class (``"100102"`` and ``"M2"`` -> ``industrial``, ``"M0"`` ->
       ``new_type_industrial``, ``"1101"`` and ``"W1"`` -> ``logistics``);
    2. else a code of the 2023 national classification (国土空间调查、规划、用途管制用地用海
       分类, digits) gives its first-level class, the first two digits (``"0901"`` ->
       ``"2023:09"`` 商业服务业用地);
    3. else a GB 50137-2011 code (letters) gives its major class, the first letter
       (``"B1"`` -> ``"GB:B"``).

    Codes of the two schemes that are not in the map are never equal to each other.

    Parameters
    ----------
    codes
        Land-use codes (text or numbers).
    policy
        ``category_map`` is used.

    Returns
    -------
    Series
        Class keys (text), NA for missing codes; indexed like ``codes``.
    """
    known, _ = land_use_codes(codes, extra=policy.category_map)
    text = _code(known.where(known.notna(), codes))  # names (商业用地) read as their codes
    table = {str(k).strip().upper(): v for k, v in policy.category_map.items()}
    out = pd.Series(pd.NA, index=codes.index, dtype="string")
    todo = text.notna().to_numpy(dtype=bool, copy=True)
    for length in sorted({len(k) for k in table}, reverse=True):
        if not todo.any():
            break
        hit = text[todo].str.slice(0, length).map(table)
        found = hit.notna().to_numpy(dtype=bool)
        rows = np.flatnonzero(todo)[found]
        out.iloc[rows] = hit.to_numpy(dtype=object)[found]
        todo[rows] = False
    rest = text[todo]
    digits = rest.str.match(r"^\d{2}")
    letter = rest.str.match(r"^[A-Z]")
    keys = np.where(
        digits.fillna(False),
        "2023:" + rest.str.slice(0, 2).fillna(""),
        np.where(letter.fillna(False), "GB:" + rest.str.slice(0, 1).fillna(""), rest.fillna("")),
    )
    out.iloc[np.flatnonzero(todo)] = keys
    return out


# ---------------------------------------------------------------------------
# per-mu indicators and evaluation classes
# ---------------------------------------------------------------------------


def derive_classes(
    tax_per_mu: pd.Series, revenue_per_mu: pd.Series, *, policy: Policy = DEFAULT_POLICY
) -> pd.DataFrame:
    """Evaluation classes A/B/C/D derived from per-mu tax and revenue (亩均效益评价).

    The score of enterprise :math:`e`, with indicators :math:`x_{k,e}` (亩均税收
    :math:`k = t` and 亩均营收 :math:`k = r`, 万元/亩), their means :math:`\\bar x_k` over
    all enterprises with a value (the district average, 全区平均), the weights
    :math:`w_t` = ``eval_weight_tax`` and :math:`w_r` = ``eval_weight_revenue`` and the cap
    :math:`c` = ``eval_ratio_cap``:

    .. math::

        s_e = 100 \\cdot \\frac{\\sum_k w_k \\min(x_{k,e} / \\bar x_k,\\ c)}{\\sum_k w_k}

    so an enterprise at the average of both scores 100. Indicators of weight 0 are not
    needed; an enterprise missing a weighted indicator gets no score and no class.

    ``policy.eval_method``:

    - ``"percentile"`` (default): with :math:`p_e` the percentile rank of :math:`s_e` among
      all scored enterprises (ties share their average rank), class A when
      :math:`p_e >` ``eval_percentile_a`` (0.80: the top 20 %), B when :math:`p_e >`
      ``eval_percentile_b`` (0.40), C when :math:`p_e >` ``eval_percentile_c`` (0.15),
      else D — the shape of the quota schemes of Jiangsu cities;
    - ``"score"``: A when :math:`s_e \\ge` ``eval_score_a`` (120), B when
      :math:`\\ge` ``eval_score_b`` (80), C when :math:`\\ge` ``eval_score_c`` (50), else D.

    Parameters
    ----------
    tax_per_mu, revenue_per_mu
        Per enterprise, same index (万元/亩; NaN when unknown).
    policy
        The ``eval_*`` settings.

    Returns
    -------
    DataFrame
        Same index: ``eval_score``, ``eval_pct`` (percentile rank of the score) and
        ``eval_class_derived`` (A–D, NA without a score).
    """
    indicators = {
        "tax": (np.asarray(tax_per_mu, dtype="float64"), policy.eval_weight_tax),
        "revenue": (np.asarray(revenue_per_mu, dtype="float64"), policy.eval_weight_revenue),
    }
    total = sum(w for _, w in indicators.values())
    score = np.zeros(len(tax_per_mu))
    for x, w in indicators.values():
        if w == 0:
            continue
        known = np.isfinite(x)
        mean = float(x[known].mean()) if known.any() else np.nan
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.where(mean > 0, x / mean, 0.0)
        ratio = np.where(known, np.minimum(ratio, policy.eval_ratio_cap), np.nan)
        score = score + w * ratio
    score = 100.0 * score / total
    s = pd.Series(score, index=tax_per_mu.index, dtype="float64")
    pct = s.rank(pct=True, method="average")
    if policy.eval_method == "percentile":
        cuts = (policy.eval_percentile_a, policy.eval_percentile_b, policy.eval_percentile_c)
        value = pct.to_numpy()
        above = [value > c for c in cuts]
    else:
        cuts = (policy.eval_score_a, policy.eval_score_b, policy.eval_score_c)
        value = s.to_numpy()
        above = [value >= c - 1e-9 for c in cuts]
    cls = np.select(above, ["A", "B", "C"], "D").astype(object)
    cls[np.isnan(value)] = None
    return pd.DataFrame(
        {
            "eval_score": s,
            "eval_pct": pct,
            "eval_class_derived": pd.Series(cls, index=s.index, dtype="string"),
        }
    )


def _enterprise_table(enterprises: pd.DataFrame) -> pd.DataFrame:
    """enterprise_id (clean, unique), revenue, tax, eval_class_given, industry."""
    what = "enterprises"
    _require(
        enterprises,
        ("enterprise_id",),
        what=what,
        fix="name the enterprise ID column enterprise_id (or 统一社会信用代码/企业编号)",
    )
    key = _key(enterprises["enterprise_id"])
    empty = key.isna().to_numpy(dtype=bool)
    if empty.any():
        raise DataError(
            f"{what}: column 'enterprise_id' is empty in rows "
            f"{format_rows(np.flatnonzero(empty))}. Fix: fill in the IDs or delete the rows"
        )
    dup = key.duplicated(keep=False).to_numpy(dtype=bool)
    if dup.any():
        raise DataError(
            f"{what}: column 'enterprise_id' has duplicate IDs "
            f"(rows: {format_rows(sorted(set(key[dup])))}). Fix: keep one row per enterprise"
        )
    frame = enterprises.assign(enterprise_id=key.to_numpy())
    out = pd.DataFrame({"enterprise_id": pd.array(key.to_numpy(), dtype="string")})
    for col in ("name", "industry"):
        if col in enterprises.columns:
            out[col] = _text(enterprises[col]).to_numpy()
    out["revenue"] = _numbers(frame, "revenue", what=what, id_col="enterprise_id")
    out["tax"] = _numbers(frame, "tax", what=what, id_col="enterprise_id")
    given = (
        _classes(frame["eval_class"], what=what, frame=frame, id_col="enterprise_id")
        if "eval_class" in frame.columns
        else pd.Series(pd.NA, index=frame.index, dtype="string")
    )
    out["eval_class_given"] = given.to_numpy()
    return out


def per_mu(
    parcels: pd.DataFrame, enterprises: pd.DataFrame, *, policy: Policy = DEFAULT_POLICY
) -> pd.DataFrame:
    """Per-mu tax and revenue (亩均税收, 亩均营收) and the evaluation class of each enterprise.

    An enterprise's land is the GIS area of all its parcels (``parcels.enterprise_id``),
    :math:`L_e = \\sum_{P \\in e} a(P)` m², :math:`L_e / (2000/3)` 亩; then

    .. math::

        \\text{亩均税收}_e = \\frac{\\text{tax}_e}{L_e\\,[亩]}, \\qquad
        \\text{亩均营收}_e = \\frac{\\text{revenue}_e}{L_e\\,[亩]} \\quad (万元/亩)

    (NaN without land or figures). The class is the ``eval_class`` on record where there
    is one (``eval_class_source = "given"``), else the one :func:`derive_classes` derives
    (``"derived"``), else none (``"none"``). ``eval_class_derived`` is filled for every
    enterprise with a score, so given and derived classes can be compared.

    Parameters
    ----------
    parcels
        The audit's parcel table (:func:`xsland.judge.audit.parcel_table`): ``enterprise_id``,
        ``area_m2``.
    enterprises
        ``enterprise_id``; optional ``name``, ``industry``, ``revenue`` and ``tax`` (万元),
        ``eval_class`` (A–D).
    policy
        The derivation scheme (``eval_*``).

    Returns
    -------
    DataFrame
        One row per enterprise, in the order of ``enterprises``: ``enterprise_id``
        (``name``, ``industry`` when given), ``n_parcels``, ``land_m2``, ``land_mu``,
        ``revenue``, ``tax``, ``revenue_per_mu``, ``tax_per_mu``, ``eval_score``,
        ``eval_pct``, ``eval_class_given``, ``eval_class_derived``, ``eval_class``,
        ``eval_class_source`` and ``eval_class_source_zh`` (评价结果 / 推算 / 无).

    Raises
    ------
    DataError
        Empty or duplicate enterprise IDs, figures that are not numbers, classes other
        than A–D, or parcels without ``area_m2``.
    """
    _require(
        parcels,
        ("area_m2",),
        what="parcels",
        fix="pass the audit's parcel table (xsland.judge.audit.parcel_table / AuditResult.parcels)",
    )
    out = _enterprise_table(enterprises)
    if "enterprise_id" in parcels.columns:
        link = pd.DataFrame(
            {
                "enterprise_id": _key(parcels["enterprise_id"]).to_numpy(),
                "area": pd.to_numeric(parcels["area_m2"]).to_numpy(dtype="float64"),
            }
        ).dropna(subset=["enterprise_id"])
        land = link.groupby("enterprise_id")["area"].agg(["sum", "size"])
    else:
        land = pd.DataFrame({"sum": [], "size": []})
    ids = out["enterprise_id"].astype(object)
    out["n_parcels"] = ids.map(land["size"]).fillna(0).astype("int64").to_numpy()
    out["land_m2"] = ids.map(land["sum"]).fillna(0.0).astype("float64").to_numpy()
    out["land_mu"] = out["land_m2"] / M2_PER_MU
    with np.errstate(invalid="ignore", divide="ignore"):
        has_land = out["land_mu"].to_numpy() > 0
        mu = np.where(has_land, out["land_mu"].to_numpy(), np.nan)
        out["revenue_per_mu"] = out["revenue"].to_numpy() / mu
        out["tax_per_mu"] = out["tax"].to_numpy() / mu
    derived = derive_classes(out["tax_per_mu"], out["revenue_per_mu"], policy=policy)
    out = pd.concat([out, derived], axis=1)
    given = out["eval_class_given"].astype("string")
    out["eval_class"] = given.fillna(out["eval_class_derived"].astype("string"))
    source = np.where(
        given.notna(), "given", np.where(out["eval_class"].notna(), "derived", "none")
    )
    out["eval_class_source"] = pd.array(source, dtype="str")
    out["eval_class_source_zh"] = out["eval_class_source"].map(EVAL_SOURCES).astype("str")
    order = [
        c
        for c in (
            "enterprise_id",
            "name",
            "industry",
            "n_parcels",
            "land_m2",
            "land_mu",
            "revenue",
            "tax",
            "revenue_per_mu",
            "tax_per_mu",
            "eval_score",
            "eval_pct",
            "eval_class_given",
            "eval_class_derived",
            "eval_class",
            "eval_class_source",
            "eval_class_source_zh",
        )
        if c in out.columns
    ]
    return out[order]


# ---------------------------------------------------------------------------
# the rules
# ---------------------------------------------------------------------------


def _history_runs(
    history: pd.DataFrame | None,
    current: pd.Series,
    *,
    policy: Policy,
    eval_year: int | None,
) -> tuple[pd.Series, pd.Series, str]:
    """Per enterprise: the low-class rule holds / cannot be decided, and a note.

    ``current`` is the class per enterprise ID (index) used for the evaluation year.
    """
    low = set(policy.lowuse_classes)
    k = policy.lowuse_class_years
    ids = current.index
    if history is None or len(history) == 0:
        in_low = current.isin(low).fillna(False).astype(bool)
        if k == 1:
            return in_low, current.isna(), ""
        note = (
            f"eval_class: lowuse_class_years = {k} needs the evaluation history "
            "(enterprise_id, year, eval_class); enterprises now in a low class are 'unknown'"
        )
        return pd.Series(False, index=ids), in_low | current.isna(), note
    what = "enterprise history"
    _require(
        history,
        ("enterprise_id", "year", "eval_class"),
        what=what,
        fix="give one row per enterprise and year: enterprise_id, year, eval_class",
    )
    h = pd.DataFrame(
        {
            "enterprise_id": _key(history["enterprise_id"]).to_numpy(),
            "year": _numbers(history, "year", what=what, id_col="enterprise_id"),
            "eval_class": _classes(
                history["eval_class"], what=what, frame=history, id_col="enterprise_id"
            ).to_numpy(),
        }
    ).dropna(subset=["enterprise_id", "year"])
    h["year"] = h["year"].astype("int64")
    dup = h.duplicated(["enterprise_id", "year"], keep=False).to_numpy()
    if dup.any():
        rows = h.loc[dup, ["enterprise_id", "year"]].drop_duplicates()
        shown = [f"{e}/{y}" for e, y in rows.itertuples(index=False)]
        raise DataError(
            f"{what}: several rows for one enterprise and year ({format_rows(shown)}). "
            "Fix: keep one evaluation per enterprise and year"
        )
    year = int(eval_year) if eval_year is not None else int(h["year"].max())
    years = list(range(year - k + 1, year + 1))
    wide = (
        h[h["year"].isin(years)]
        .pivot(index="enterprise_id", columns="year", values="eval_class")
        .reindex(index=ids.astype(object), columns=years)
    )
    wide = wide.astype(object)
    now = pd.Series(current.astype(object).to_numpy(), index=wide.index)
    wide[year] = wide[year].where(wide[year].notna(), now)
    known = wide.notna()
    is_low = wide.isin(low) & known
    holds = is_low.all(axis=1)
    # undecided: every known year low, some year missing
    undecided = ~holds & (is_low | ~known).all(axis=1)
    note = f"eval_class: evaluations {years[0]}–{years[-1]} (evaluation year {year})"
    return (
        pd.Series(holds.to_numpy(), index=ids),
        pd.Series(undecided.to_numpy(), index=ids),
        note,
    )


def _plan_use(
    parcels: gpd.GeoDataFrame, plan: gpd.GeoDataFrame, policy: Policy
) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Per parcel (positions): dominant planned use, its share, and the share covered at all."""
    _require(
        plan,
        ("planned_use",),
        what="plan",
        fix="name the planned-use column planned_use (规划用地性质)",
    )
    if not isinstance(parcels, gpd.GeoDataFrame):
        raise DataError(
            "parcels: the plan rule needs the parcel geometry. Fix: pass the GeoDataFrame "
            "of xsland.judge.audit.parcel_table"
        )
    pg = parcels.geometry
    kg = to_crs(plan.geometry, pg.crs) if plan.crs != pg.crs else plan.geometry
    n = len(parcels)
    area = pg.area.to_numpy()
    pairs = intersection_areas(pg, kg)
    use = pd.Series(pd.NA, index=range(n), dtype="string")
    share = np.zeros(n)
    covered = np.zeros(n)
    if len(pairs):
        pairs["use"] = _code(plan["planned_use"]).to_numpy(dtype=object)[pairs["right"].to_numpy()]
        pairs = pairs.dropna(subset=["use"])
        per = pairs.groupby(["left", "use"], sort=False)["area"].sum().reset_index()
        per = per.sort_values(["left", "area", "use"], ascending=[True, False, True])
        best = per.drop_duplicates("left")
        left = best["left"].to_numpy()
        with np.errstate(invalid="ignore", divide="ignore"):
            share[left] = np.minimum(best["area"].to_numpy() / area[left], 1.0)
            covered = np.minimum(
                np.bincount(per["left"], weights=per["area"], minlength=n)
                / np.where(area > 0, area, np.inf),
                1.0,
            )
        use.iloc[left] = best["use"].to_numpy(dtype=object)
    return use, share, covered


def flag(
    parcels: pd.DataFrame,
    *,
    parks: pd.DataFrame | None = None,
    enterprises: pd.DataFrame | None = None,
    plan: gpd.GeoDataFrame | None = None,
    history: pd.DataFrame | None = None,
    as_of: Any = None,
    eval_year: int | None = None,
    policy: Policy = DEFAULT_POLICY,
) -> pd.DataFrame:
    """Low-efficiency parcels (低效用地) and every reason that applies to each.

    A parcel is low-efficiency land when any enabled rule (``policy.lowuse_rules``, see
    the module docstring and :data:`REASONS`) holds for it (锡府办规〔2025〕1号 二(一)3):

    - ``far_low``: :math:`\\mathrm{FAR} < T_c` with :math:`T_c` the threshold of the
      parcel's category (``far_threshold``);
    - ``coverage_low``: coverage :math:`<` ``coverage_min`` on industrial categories;
    - ``idle``: unbuilt and ``as_of`` :math:`\\ge` ``idle_since`` :math:`=` due date
      :math:`+` ``idle_after_years``; the due date is ``start_deadline``, else
      ``supply_date`` :math:`+` ``idle_start_after_supply_months``;
    - ``eval_class``: the enterprise's class (given, else derived when
      ``lowuse_use_derived_class``) is in ``lowuse_classes``, in each of the
      ``lowuse_class_years`` latest evaluations;
    - ``tax_low``: 亩均税收 :math:`<` ``per_mu_tax_floor_wan`` (when set);
    - ``plan_nonconforming``: the dominant planned use (largest area over the parcel, at
      least ``plan_dominant_share_min`` of it; :func:`xsland.measure.quality.intersection_areas`)
      has another :func:`use_class` than the parcel's ``land_use`` (else its category);
    - ``industry_mismatch``: the enterprise's ``industry`` differs from the park's
      ``leading_industry``.

    Unbuilt parcels not yet idle (inside their construction period) are not judged by
    ``far_low`` and ``coverage_low``.

    Parameters
    ----------
    parcels
        The audit's parcel table (:func:`xsland.judge.audit.parcel_table`): ``parcel_id``,
        ``category``, ``area_m2``, ``far``, ``floor_area``; used when present:
        ``coverage``, ``footprint_m2``, ``supply_date``, ``start_deadline``,
        ``enterprise_id``, ``owner``, ``park_id``, ``land_use`` and the geometry (plan).
    parks
        ``park_id`` and ``leading_industry`` (the park layer or the audit's park table).
    enterprises
        ``enterprise_id``, ``industry``, ``revenue``, ``tax``, ``eval_class``.
    plan
        规划用地 polygons with ``planned_use``.
    history
        Earlier evaluations: ``enterprise_id``, ``year``, ``eval_class``.
    as_of
        The date of the audit (idle land); default today.
    eval_year
        The year of the current evaluation; default the latest year in ``history``. The
        enterprise table's class stands for that year where ``history`` has no row.
    policy
        The rules.

    Returns
    -------
    DataFrame
        Indexed like ``parcels`` (:data:`FLAG_COLUMNS`): ``low_efficiency`` (bool),
        ``n_reasons``, ``reasons`` (codes joined by ``;`` in the order of
        :data:`REASONS`, ``""`` when none), ``reasons_zh`` (labels joined by ``；``),
        ``reasons_detail`` (each reason with its figure and threshold), ``reasons_unknown``
        (codes of enabled rules that apply but lack data), one bool ``lu_<code>`` per
        rule (all false for disabled rules), and the figures used: ``far_threshold``,
        ``idle_since``, ``eval_class``, ``eval_class_source``, ``tax_per_mu``,
        ``planned_use``, ``plan_share``, ``leading_industry``, ``industry``.
        ``attrs["notes"]`` lists remarks (rules that could not run, evaluation years).

    Raises
    ------
    DataError
        Missing columns, unreadable dates or figures, duplicate enterprise IDs; the
        message names the column, the rows and the fix.
    """
    fix = "pass the audit's parcel table (xsland.judge.audit.parcel_table / AuditResult.parcels)"
    _require(
        parcels,
        ("parcel_id", "category", "area_m2", "far", "floor_area"),
        what="parcels",
        fix=fix,
    )
    what = "parcels"
    n = len(parcels)
    today = _as_of(as_of)
    enabled = set(policy.lowuse_rules)
    notes: list[str] = []
    hit: dict[str, np.ndarray] = {c: np.zeros(n, dtype=bool) for c in LOWUSE_RULES}
    unknown: dict[str, np.ndarray] = {c: np.zeros(n, dtype=bool) for c in LOWUSE_RULES}
    detail: dict[str, np.ndarray] = {c: np.full(n, "", dtype=object) for c in LOWUSE_RULES}

    category = parcels["category"].astype("string").fillna("other").to_numpy(dtype=object)
    far = _numbers(parcels, "far", what=what, id_col="parcel_id")
    floor_area = _numbers(parcels, "floor_area", what=what, id_col="parcel_id")
    footprint = _numbers(parcels, "footprint_m2", what=what, id_col="parcel_id")
    coverage = _numbers(parcels, "coverage", what=what, id_col="parcel_id")

    # -- idle (and the construction period, which spares unbuilt land the FAR rules)
    status = np.where(np.isnan(floor_area), footprint, floor_area)
    built_known = ~np.isnan(status)
    unbuilt = built_known & (status == 0)
    deadline = _dates(parcels, "start_deadline", what=what, id_col="parcel_id")
    supplied = _dates(parcels, "supply_date", what=what, id_col="parcel_id")
    due = deadline.fillna(_add_months(supplied, policy.idle_start_after_supply_months))
    idle_since = _add_months(due, round(policy.idle_after_years * 12))
    since_known = idle_since.notna().to_numpy(dtype=bool)
    is_idle = unbuilt & since_known & (idle_since <= today).to_numpy(dtype=bool)
    developing = unbuilt & ~is_idle & (since_known | supplied.notna().to_numpy(dtype=bool))
    hit["idle"] = is_idle
    unknown["idle"] = ~built_known | (unbuilt & ~since_known)
    if is_idle.any():
        by_deadline = deadline.notna().to_numpy(dtype=bool)
        d = due.dt.strftime("%Y-%m-%d").fillna("").to_numpy(dtype=object)
        s = supplied.dt.strftime("%Y-%m-%d").fillna("").to_numpy(dtype=object)
        text = np.where(
            by_deadline,
            "约定动工日期" + d,
            "供地" + s + "+" + str(policy.idle_start_after_supply_months) + "个月",
        )
        detail["idle"] = np.where(
            is_idle, "闲置: " + text + "后满" + _fmt(policy.idle_after_years, 2)[0] + "年未动工", ""
        )

    # -- plot ratio
    thresholds = {"industrial": policy.lowuse_far_max}
    if policy.lowuse_far_below_minimum:
        thresholds.update({c: policy.far_min(c) for c in _BUILT_CATEGORIES_FAR})
    if policy.lowuse_far_max_logistics is not None:
        thresholds["logistics"] = policy.lowuse_far_max_logistics
    far_thr = (
        pd.Series(category).map({k: v for k, v in thresholds.items() if v is not None})
    ).to_numpy(dtype="float64", na_value=np.nan)
    judged = ~np.isnan(far_thr) & ~developing
    with np.errstate(invalid="ignore"):
        hit["far_low"] = judged & (far < far_thr - 1e-9)
    unknown["far_low"] = judged & np.isnan(far)
    detail["far_low"] = np.where(
        hit["far_low"], "容积率" + _fmt(far, 3) + "<" + _fmt(far_thr, 2), ""
    )

    # -- coverage
    industrial = np.isin(category, INDUSTRIAL_CATEGORIES) & ~developing
    with np.errstate(invalid="ignore"):
        hit["coverage_low"] = industrial & (coverage < policy.coverage_min - 1e-9)
    unknown["coverage_low"] = industrial & np.isnan(coverage)
    detail["coverage_low"] = np.where(
        hit["coverage_low"],
        "建筑系数" + _fmt(coverage * 100, 1) + "%<" + _fmt(policy.coverage_min * 100, 1) + "%",
        "",
    )

    # -- enterprise rules
    if "enterprise_id" in parcels.columns:
        ent_id = _key(parcels["enterprise_id"]).reset_index(drop=True)
    else:
        ent_id = pd.Series(pd.NA, index=range(n), dtype="string")
    has_ent = ent_id.notna().to_numpy(dtype=bool)
    owner = (
        _key(parcels["owner"]).notna().to_numpy(dtype=bool)
        if "owner" in parcels.columns
        else np.zeros(n, dtype=bool)
    )
    # linked to an enterprise, or owned by someone without enterprise data: the enterprise
    # rules apply, and are unknown where the data is missing
    applies = has_ent | owner
    eval_class = pd.Series(pd.NA, index=range(n), dtype="string")
    eval_source = pd.Series("none", index=range(n), dtype="str")
    tax_per_mu = np.full(n, np.nan)
    industry = pd.Series(pd.NA, index=range(n), dtype="string")
    if enterprises is not None:
        table = per_mu(parcels, enterprises, policy=policy).set_index("enterprise_id")
        keys = ent_id.astype(object)
        cls = table["eval_class"] if policy.lowuse_use_derived_class else table["eval_class_given"]
        src = table["eval_class_source"].where(cls.notna(), "none")
        eval_class = keys.map(cls).astype("string")
        eval_source = keys.map(src).fillna("none").astype("str")
        tax_per_mu = keys.map(table["tax_per_mu"]).to_numpy(dtype="float64", na_value=np.nan)
        if "industry" in table.columns:
            industry = keys.map(table["industry"]).astype("string")
        current = cls.astype("string")
        holds, undecided, note = _history_runs(history, current, policy=policy, eval_year=eval_year)
        if note:
            notes.append(note)
        hit["eval_class"] = keys.map(holds).fillna(False).to_numpy(dtype=bool)
        unknown["eval_class"] = (
            applies & ~hit["eval_class"] & (keys.map(undecided).fillna(True).to_numpy(dtype=bool))
        )
    else:
        unknown["eval_class"] = applies.copy()
        notes.append("enterprise rules: no enterprise table")
    years = policy.lowuse_class_years
    detail["eval_class"] = np.where(
        hit["eval_class"],
        "评价"
        + eval_class.fillna("").to_numpy(dtype=object)
        + "类"
        + np.where(eval_source.to_numpy(dtype=object) == "derived", "(推算)", "")
        + (f"(连续{years}年)" if years > 1 else ""),
        "",
    )

    floor = policy.per_mu_tax_floor_wan
    if floor is not None:
        with np.errstate(invalid="ignore"):
            hit["tax_low"] = has_ent & (tax_per_mu < floor - 1e-9)
        unknown["tax_low"] = applies & np.isnan(tax_per_mu)
        detail["tax_low"] = np.where(
            hit["tax_low"], "亩均税收" + _fmt(tax_per_mu, 2) + "<" + _fmt(floor, 2) + "万元/亩", ""
        )

    leading = pd.Series(pd.NA, index=range(n), dtype="string")
    if parks is not None and "park_id" in parcels.columns:
        _require(parks, ("park_id",), what="parks", fix="pass the park layer or park table")
        if "leading_industry" in parks.columns:
            lead = pd.DataFrame(
                {
                    "park_id": _key(parks["park_id"]).to_numpy(),
                    "lead": _text(parks["leading_industry"]).to_numpy(),
                }
            ).dropna()
            lead = lead.drop_duplicates("park_id").set_index("park_id")["lead"]
            leading = (
                _key(parcels["park_id"]).reset_index(drop=True).astype(object).map(lead)
            ).astype("string")
    has_lead = leading.notna().to_numpy(dtype=bool)
    ind_known = industry.notna().to_numpy(dtype=bool)
    # names compared by their normalised key: 数字经济(软件) is 数字经济（软件）
    same_name = (name_keys(industry).fillna("") == name_keys(leading).fillna("")).to_numpy(
        dtype=bool
    )
    hit["industry_mismatch"] = has_lead & ind_known & ~same_name
    unknown["industry_mismatch"] = has_lead & applies & ~ind_known
    detail["industry_mismatch"] = np.where(
        hit["industry_mismatch"],
        "产业"
        + industry.fillna("").to_numpy(dtype=object)
        + "≠主导产业"
        + leading.fillna("").to_numpy(dtype=object),
        "",
    )

    # -- plan
    planned = pd.Series(pd.NA, index=range(n), dtype="string")
    plan_share = np.full(n, np.nan)
    if plan is not None:
        planned_all, share, covered = _plan_use(parcels, plan, policy)
        dominant = share >= policy.plan_dominant_share_min - 1e-9
        planned = planned_all.where(dominant)
        plan_share = np.where(covered > 0, share, np.nan)
        if "land_use" in parcels.columns:
            own = _code(parcels["land_use"]).reset_index(drop=True)
        else:
            own = pd.Series(pd.NA, index=range(n), dtype="string")
        own_class = use_class(own, policy=policy)
        fallback = pd.Series(category).map(_CATEGORY_CLASS).astype("string")
        own_class = own_class.fillna(fallback)
        plan_class = use_class(planned, policy=policy)
        both = (own_class.notna() & plan_class.notna()).to_numpy(dtype=bool)
        hit["plan_nonconforming"] = both & (own_class.fillna("") != plan_class.fillna("")).to_numpy(
            dtype=bool
        )
        unknown["plan_nonconforming"] = (covered > 0) & ~both
        shown_own = own.fillna(pd.Series(category, dtype="string")).fillna("")
        detail["plan_nonconforming"] = np.where(
            hit["plan_nonconforming"],
            "现状"
            + shown_own.to_numpy(dtype=object)
            + "≠规划"
            + planned.fillna("").to_numpy(dtype=object)
            + "(占"
            + _fmt(share * 100, 0)
            + "%)",
            "",
        )
    elif "plan_nonconforming" in enabled:
        notes.append("plan_nonconforming: no plan layer")

    # -- declared built, but the land-cover raster sees mostly bare land
    if "built_but_bare" in enabled:
        if "bare_share" in parcels.columns:
            from xsland.measure.raster import declared_built_but_bare

            bare = pd.to_numeric(parcels["bare_share"], errors="coerce").to_numpy(dtype=float)
            hit["built_but_bare"] = declared_built_but_bare(
                parcels, bare_min=policy.lowuse_bare_share_min
            ).to_numpy(dtype=bool)
            fa = (
                pd.to_numeric(parcels["floor_area"], errors="coerce").to_numpy(dtype=float)
                if "floor_area" in parcels.columns
                else np.full(n, np.nan)
            )
            unknown["built_but_bare"] = (fa > 0) & np.isnan(bare)
            detail["built_but_bare"] = np.where(
                hit["built_but_bare"],
                "裸地占比"
                + _fmt(bare * 100, 0)
                + "%≥"
                + _fmt(np.full(n, policy.lowuse_bare_share_min * 100), 0)
                + "%",
                "",
            )
        else:
            notes.append("built_but_bare: no land-cover raster (bare_share)")

    # -- assemble
    codes = [c for c in LOWUSE_RULES if c in enabled]
    for c in LOWUSE_RULES:
        if c not in enabled:
            hit[c] = np.zeros(n, dtype=bool)
    any_hit = np.zeros(n, dtype=bool)
    count = np.zeros(n, dtype="int64")
    for c in codes:
        any_hit |= hit[c]
        count += hit[c]
    reasons = _join([np.where(hit[c], c, "") for c in codes], ";")
    reasons_zh = _join([np.where(hit[c], REASONS[c][0], "") for c in codes], "；")
    details = _join([np.where(hit[c], detail[c], "") for c in codes], "；")
    unknown_codes = _join([np.where(unknown[c] & ~hit[c], c, "") for c in codes], ";")
    out = pd.DataFrame(
        {
            "low_efficiency": any_hit,
            "n_reasons": count,
            "reasons": pd.array(reasons, dtype="str"),
            "reasons_zh": pd.array(reasons_zh, dtype="str"),
            "reasons_detail": pd.array(details, dtype="str"),
            "reasons_unknown": pd.array(unknown_codes, dtype="str"),
            **{f"lu_{c}": hit[c] for c in LOWUSE_RULES},
            "far_threshold": far_thr,
            "idle_since": idle_since.to_numpy(),
            "eval_class": eval_class.to_numpy(),
            "eval_class_source": eval_source.to_numpy(),
            "tax_per_mu": tax_per_mu,
            "planned_use": planned.to_numpy(),
            "plan_share": plan_share,
            "leading_industry": leading.to_numpy(),
            "industry": industry.to_numpy(),
        },
        index=parcels.index,
    )
    out["eval_class"] = out["eval_class"].astype("string")
    for col in ("planned_use", "leading_industry", "industry"):
        out[col] = out[col].astype("string")
    out["eval_class_source"] = out["eval_class_source"].astype("str")
    out.attrs["notes"] = notes
    out.attrs["as_of"] = today.date().isoformat()
    return out[FLAG_COLUMNS]


def summary(parcels: pd.DataFrame, flags: pd.DataFrame, *, by: str = "park_id") -> pd.DataFrame:
    """Low-efficiency land per park (or town): counts, areas, shares, parcels per reason.

    Parameters
    ----------
    parcels
        The audit's parcel table (``area_mu`` and the ``by`` column).
    flags
        :func:`flag` of the same parcels.
    by
        The grouping column (``park_id``, ``town`` …); parcels without a value are left
        out.

    Returns
    -------
    DataFrame
        One row per group: ``n_parcels``, ``area_mu``, ``n_low_efficiency``,
        ``low_efficiency_mu``, ``low_efficiency_share`` (of the parcels' area),
        ``idle_mu`` and ``n_<reason>`` for each reason of :data:`REASONS`.
    """
    _require(parcels, (by, "area_mu"), what="parcels", fix="pass the audit's parcel table")
    fl = flags.reindex(parcels.index) if not flags.index.equals(parcels.index) else flags
    mu = pd.to_numeric(parcels["area_mu"]).to_numpy(dtype="float64")
    low = fl["low_efficiency"].fillna(False).to_numpy(dtype=bool)
    frame = pd.DataFrame(
        {
            by: parcels[by].to_numpy(),
            "n_parcels": 1,
            "area_mu": mu,
            "n_low_efficiency": low.astype("int64"),
            "low_efficiency_mu": np.where(low, mu, 0.0),
            "idle_mu": np.where(fl["lu_idle"].fillna(False).to_numpy(dtype=bool), mu, 0.0),
            **{f"n_{c}": fl[f"lu_{c}"].fillna(False).to_numpy(dtype="int64") for c in LOWUSE_RULES},
        }
    ).dropna(subset=[by])
    out = frame.groupby(by, sort=True).sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        out.insert(
            4,
            "low_efficiency_share",
            out["low_efficiency_mu"] / out["area_mu"].where(out["area_mu"] > 0),
        )
    return out.reset_index()
