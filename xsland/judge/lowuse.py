"""Low-efficiency land (低效用地): per-mu indicators, evaluation classes, flags and reasons.

锡府办规〔2025〕1号 clause 二(一)3 asks to *深化工业企业资源利用绩效评价结果应用* and to treat
*不符合规划、不符合产业发展定位、不符合高效配置原则的低效用地*. This module turns that into
public functions, each taking tables and returning a new one (inputs are never modified):

- :func:`per_mu` — per enterprise, its land (the GIS area of all its parcels), 亩均税收 and
  亩均营收 (万元/亩), and its evaluation class (亩均效益评价 A/B/C/D): the class on record
  where there is one (``eval_class_source = "given"``), else one derived from a
  configurable scheme (``"derived"``, see :func:`derive_classes`).
- :func:`derive_classes` — the derivation scheme alone.
- :func:`park_positioning` — each park's industrial positioning: leading plus related
  industries.
- :func:`flag` — per parcel, whether it is low-efficiency land, which of the three kinds
  of the clause hold (:data:`KINDS`: ``lu_plan``, ``lu_industry``, ``lu_inefficient``)
  and **every** reason that applies, as stable codes (:data:`REASONS`) with Chinese
  labels and a detail that gives the measured figure and the threshold. Each rule is
  judged by its own function (``_rule_<code>``).
- :func:`summary` and :func:`kind_breakdown` — the figures per park or town, and by kind
  and by "only" kind (parcels of one kind and no other).

The kinds (``Policy.lowuse_kinds`` says which count; default all three, as the clause):

=================  ===================  ===============================================
``plan``           不符合规划             ``plan_nonconforming``
``industry``       不符合产业发展定位      ``industry_mismatch``
``inefficient``    不符合高效配置原则      ``far_low``, ``coverage_low``, ``idle``,
                                        ``eval_class``, ``tax_low``, ``built_but_bare``
=================  ===================  ===============================================

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
``industry_mismatch``  不符合产业定位: the enterprise's industry is neither the park's
                       leading industry nor one of its related or supporting industries
                       (:func:`park_positioning`; clauses 二(一)1 产业定位, 二(二)4).
``built_but_bare``     申报已建但现状多为裸地: declared built, but the land-cover raster sees
                       at least ``lowuse_bare_share_min`` bare land.
=====================  ==================================================================

Unbuilt land still inside its construction period (no building, not yet idle) is judged
by the ``idle`` rule only: a plot ratio of 0 there means "not built yet", not "low".

Where a rule applies to a parcel but the data to decide it is missing, the parcel is not
flagged for it and the rule's code is listed in ``reasons_unknown`` — never a silent pass.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any, NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

import xsland._sums as sums
from xsland.errors import DataError, format_rows
from xsland.judge.keys import (
    add_months,
    arrow_text,
    date_column,
    distinct_groups,
    id_codes,
    id_keys,
    join_text,
    number_arrow,
    number_text,
)
from xsland.measure.overlay import intersection_areas
from xsland.read.crs import to_crs
from xsland.read.validate import quality_record, row_ids
from xsland.read.values import name_keys, parse_numbers
from xsland.rules.landuse import category_of, land_use_codes
from xsland.rules.policy import (
    DEFAULT_POLICY,
    LOWUSE_KINDS,
    LOWUSE_RULE_KIND,
    LOWUSE_RULES,
    Policy,
    split_list,
)
from xsland.rules.units import M2_PER_MU  # re-exported

__all__ = [
    "COLUMN_LABELS",
    "EVAL_SOURCES",
    "FLAG_COLUMNS",
    "INDUSTRIAL_CATEGORIES",
    "KINDS",
    "M2_PER_MU",
    "REASONS",
    "derive_classes",
    "flag",
    "kind_breakdown",
    "land_combine",
    "land_partial",
    "park_positioning",
    "per_mu",
    "plan_overlay",
    "summary",
    "summary_combine",
    "summary_partial",
    "use_class",
]


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
        "industry is neither the park's leading nor a related industry",
        "锡府办规〔2025〕1号 二(一)3, 二(二)4",
    ),
    "built_but_bare": (
        "申报已建但现状多为裸地",
        "declared built but mostly bare land cover",
        "local parameter (land-cover raster)",
    ),
}
assert tuple(REASONS) == LOWUSE_RULES

#: The three kinds of low-efficiency land of clause 二(一)3: kind -> (Chinese, English).
#: Which rules make up each kind: :data:`xsland.rules.policy.LOWUSE_RULE_KIND`.
KINDS: Mapping[str, tuple[str, str]] = {
    "plan": ("不符合规划", "does not conform to the plan"),
    "industry": ("不符合产业发展定位", "does not fit the park's industrial positioning"),
    "inefficient": ("不符合高效配置原则", "not used efficiently"),
}
assert tuple(KINDS) == LOWUSE_KINDS

#: Where an enterprise's evaluation class comes from.
EVAL_SOURCES = {"given": "评价结果", "derived": "推算", "none": "无"}

#: Columns of :func:`flag`, in order.
FLAG_COLUMNS = (
    [
        "low_efficiency",
        "n_reasons",
        "reasons",
        "reasons_zh",
        "reasons_detail",
        "reasons_unknown",
        "kinds",
        "kinds_zh",
    ]
    + [f"lu_{kind}" for kind in LOWUSE_KINDS]
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
    "kinds": "低效类型代码",
    "kinds_zh": "低效类型",
    **{f"lu_{k}": f"低效类型:{label}" for k, (label, _) in KINDS.items()},
    **{f"n_lu_{k}": f"低效类型{label}(宗)" for k, (label, _) in KINDS.items()},
    **{f"lu_{k}_mu": f"低效类型{label}(亩)" for k, (label, _) in KINDS.items()},
    **{f"n_only_{k}": f"仅{label}(宗)" for k, (label, _) in KINDS.items()},
    **{f"only_{k}_mu": f"仅{label}(亩)" for k, (label, _) in KINDS.items()},
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
    ``"E1\u3000"`` -> ``"E1"``, full-width folded, blanks -> NA), same index; each
    distinct ID normalised once (:func:`xsland.judge.keys.id_keys`)."""
    return id_keys(values)


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
    """A date column as naive ``datetime64[ns]`` with a RangeIndex; bad values raise
    (each distinct date read once, :func:`xsland.judge.keys.date_column`)."""
    return date_column(frame, col, what=what, id_col=id_col)


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
    return add_months(dates, months)  # each distinct date moved once


class _Texts(NamedTuple):
    """Arrow texts at some of ``n`` rows, ``""`` at the others (what :func:`_where`
    makes): spread over the ``n`` rows only for the rows asked (:meth:`at`)."""

    rows: np.ndarray
    texts: pa.Array
    n: int

    def at(self, rows: np.ndarray) -> pa.Array:
        """The texts of ``rows`` (positions 0…n-1)."""
        if np.array_equal(rows, self.rows):
            return self.texts
        place = np.zeros(self.n, dtype=np.int64)  # "" for the rows without a text
        place[self.rows] = np.arange(1, len(self.rows) + 1)
        return pa.concat_arrays([arrow_text([""]), self.texts]).take(place[rows])


def _where(hit: np.ndarray, make: Any) -> _Texts:
    """``np.where(hit, make(hit), "")`` as Arrow text, with the text made only for the
    rows where ``hit`` holds: ``make`` gets the mask and returns their texts (an object
    array or Arrow text); kept for those rows only (:class:`_Texts`)."""
    rows = np.flatnonzero(hit)
    texts = arrow_text(make(np.asarray(hit, dtype=bool))) if len(rows) else arrow_text([])
    return _Texts(rows, texts, len(hit))


def _fmt(values: np.ndarray, digits: int) -> np.ndarray:
    """Numbers as short text (``0.42``, ``1.5``), vectorised."""
    return number_text(values, digits)  # each distinct value written once


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
    base = category_of(text, category_map=policy.category_map)
    out = pd.Series(pd.NA, index=codes.index, dtype="string")
    todo = base == ""
    out.iloc[np.flatnonzero(~todo)] = base[~todo]
    todo &= text.notna().to_numpy(dtype=bool)
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


def land_partial(parcels: pd.DataFrame, *, rows: Any = None) -> pd.DataFrame:
    """Each enterprise's parcels and land on some of the parcels (one partition).

    Per enterprise (``enterprise_id`` normalised), the count of its parcels and the exact
    sum of their ``area_m2`` (:func:`xsland._sums.partial`); :func:`land_combine` of the
    partial tables of disjoint sets of parcels gives the land :func:`per_mu` divides by.
    """
    _require(
        parcels,
        ("area_m2",),
        what="parcels",
        fix="pass the audit's parcel table (xsland.judge.audit.parcel_table / AuditResult.parcels)",
    )
    if "enterprise_id" in parcels.columns:  # grouped by the keys of the distinct IDs
        keys = distinct_groups(parcels["enterprise_id"], lambda u: _key(u).astype(object))
    else:
        keys = np.full(len(parcels), None, dtype=object)
    cols = {
        "size": np.ones(len(parcels), dtype="int64"),
        "sum": pd.to_numeric(parcels["area_m2"]).to_numpy(dtype="float64"),
    }
    kinds = {"size": sums.COUNT, "sum": sums.SUM}
    return sums.partial(keys, cols, kinds, rows=rows, name="enterprise_id")


def land_combine(partials: Any) -> pd.DataFrame:
    """Each enterprise's parcels (``size``) and land in m² (``sum``), indexed by
    ``enterprise_id``, from the :func:`land_partial` tables of disjoint sets of parcels."""
    return sums.reduce(partials, {"size": sums.COUNT, "sum": sums.SUM})


def per_mu(
    parcels: pd.DataFrame | None,
    enterprises: pd.DataFrame,
    *,
    policy: Policy = DEFAULT_POLICY,
    land: pd.DataFrame | None = None,
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
        ``area_m2``; or ``None`` with ``land``.
    enterprises
        ``enterprise_id``; optional ``name``, ``industry``, ``revenue`` and ``tax`` (万元),
        ``eval_class`` (A–D).
    policy
        The derivation scheme (``eval_*``).
    land
        Each enterprise's parcels and land (:func:`land_combine`), when summed elsewhere
        (the audit of a partitioned dataset sums them partition by partition); default
        those of ``parcels``.

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
    if land is None:
        land = land_combine([land_partial(parcels)])
    out = _enterprise_table(enterprises)
    # each enterprise's row of the land table, found once for both columns (what
    # ids.map(land[col]).fillna(0) gives)
    at = land.index.get_indexer(out["enterprise_id"].astype(object).to_numpy())
    found = at >= 0
    size, area = np.zeros(len(at), dtype="int64"), np.zeros(len(at))
    size[found] = land["size"].to_numpy(dtype="int64")[at[found]]
    area[found] = land["sum"].to_numpy(dtype="float64")[at[found]]
    out["n_parcels"] = size
    out["land_m2"] = np.where(np.isnan(area), 0.0, area)
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


def plan_overlay(
    parcels: gpd.GeoDataFrame, plan: gpd.GeoDataFrame, *, policy: Policy = DEFAULT_POLICY
) -> pd.DataFrame:
    """What the plan rule reads of the plan, per parcel: computed apart, passed as ``plan``.

    With :math:`a_{iu}` the area of parcel :math:`i` under planned use :math:`u` and
    :math:`A_i` its area: ``planned_use`` :math:`= \\arg\\max_u a_{iu}` (ties: the first
    code), ``plan_share`` :math:`= \\min(1, a_{iu^*} / A_i)` and ``plan_covered``
    :math:`= \\min(1, \\sum_u a_{iu} / A_i)` (clause 二(一)3, 不符合规划). Each parcel's row
    depends only on that parcel and the plan features over it, so the partitioned audit
    computes it partition by partition and gives it to :func:`flag` as ``plan``.

    Returns
    -------
    DataFrame
        ``planned_use``, ``plan_share``, ``plan_covered``, indexed like ``parcels``.
    """
    use, share, covered = _plan_use(parcels, plan, policy)
    return pd.DataFrame(
        {"planned_use": use.to_numpy(), "plan_share": share, "plan_covered": covered},
        index=parcels.index,
    ).astype({"planned_use": "string"})


@dataclass
class _Context:
    """What the rules read: the parcels' figures (positions 0..n-1) and the other inputs."""

    parcels: pd.DataFrame
    policy: Policy
    today: pd.Timestamp
    category: np.ndarray
    category_code: np.ndarray  # each parcel's category as its position in category_names
    category_names: np.ndarray
    far: np.ndarray
    coverage: np.ndarray
    unbuilt: np.ndarray
    built_known: np.ndarray
    developing: np.ndarray
    deadline: pd.Series
    supplied: pd.Series
    idle_since: pd.Series
    ent_code: np.ndarray  # each parcel's enterprise: its position in ent_keys
    ent_keys: pd.Series  # the distinct enterprise IDs, normalised (NA: none)
    has_ent: np.ndarray
    applies: np.ndarray
    parks: pd.DataFrame | None = None
    enterprises: pd.DataFrame | None = None
    plan: gpd.GeoDataFrame | None = None
    history: pd.DataFrame | None = None
    eval_year: int | None = None
    per_enterprise: pd.DataFrame | None = None
    notes: list[str] = dc_field(default_factory=list)
    quality: list[dict[str, Any]] = dc_field(default_factory=list)
    figures: dict[str, Any] = dc_field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.parcels)


class _Hit(NamedTuple):
    """One rule's answer per parcel: holds, cannot be decided, and the figure behind it."""

    hit: np.ndarray
    unknown: np.ndarray
    detail: Any  # per parcel: an object array, or _Texts (only where ``hit`` holds)


def _context(parcels: pd.DataFrame, policy: Policy, today: pd.Timestamp, **inputs: Any) -> _Context:
    """Parse the parcel columns the rules share (bad figures or dates raise)."""
    what, n = "parcels", len(parcels)
    # each distinct category once: its parcels' codes (no category: "other")
    code, names = pd.factorize(parcels["category"].astype("string").fillna("other"))
    names = np.asarray(names, dtype=object)
    category = names[code]
    floor_area = _numbers(parcels, "floor_area", what=what, id_col="parcel_id")
    footprint = _numbers(parcels, "footprint_m2", what=what, id_col="parcel_id")
    # built or not: the floor area, else the footprint
    status = np.where(np.isnan(floor_area), footprint, floor_area)
    built_known = ~np.isnan(status)
    unbuilt = built_known & (status == 0)
    deadline = _dates(parcels, "start_deadline", what=what, id_col="parcel_id")
    supplied = _dates(parcels, "supply_date", what=what, id_col="parcel_id")
    due = deadline.fillna(_add_months(supplied, policy.idle_start_after_supply_months))
    idle_since = _add_months(due, round(policy.idle_after_years * 12))
    since_known = idle_since.notna().to_numpy(dtype=bool)
    is_idle = unbuilt & since_known & (idle_since <= today).to_numpy(dtype=bool)
    # unbuilt land inside its construction period: "not built yet", not "low"
    developing = unbuilt & ~is_idle & (since_known | supplied.notna().to_numpy(dtype=bool))
    if "enterprise_id" in parcels.columns:
        # each distinct ID normalised once; the parcels keep their position among them
        ent_code, ent_keys = id_codes(parcels["enterprise_id"])
    else:
        ent_code, ent_keys = np.zeros(n, dtype=np.intp), pd.Series([pd.NA], dtype="string")
    has_ent = ent_keys.notna().to_numpy(dtype=bool)[ent_code]
    owner = (
        _key(parcels["owner"]).notna().to_numpy(dtype=bool)
        if "owner" in parcels.columns
        else np.zeros(n, dtype=bool)
    )
    return _Context(
        parcels=parcels,
        policy=policy,
        today=today,
        category=category,
        category_code=code,
        category_names=names,
        far=_numbers(parcels, "far", what=what, id_col="parcel_id"),
        coverage=_numbers(parcels, "coverage", what=what, id_col="parcel_id"),
        unbuilt=unbuilt,
        built_known=built_known,
        developing=developing,
        deadline=deadline,
        supplied=supplied,
        idle_since=idle_since,
        ent_code=ent_code,
        ent_keys=ent_keys,
        has_ent=has_ent,
        # linked to an enterprise, or owned by someone without enterprise data: the
        # enterprise rules apply, and are unknown where the data is missing
        applies=has_ent | owner,
        **inputs,
    )


def _rule_idle(ctx: _Context) -> _Hit:
    """``idle``: unbuilt on or after ``idle_since`` (闲置土地处置办法 第二条)."""
    p = ctx.policy
    since_known = ctx.idle_since.notna().to_numpy(dtype=bool)
    hit = ctx.unbuilt & since_known & (ctx.idle_since <= ctx.today).to_numpy(dtype=bool)
    unknown = ~ctx.built_known | (ctx.unbuilt & ~since_known)

    def text(m: np.ndarray) -> np.ndarray:
        # dates added and written only for the idle parcels
        deadline, supplied = ctx.deadline[m], ctx.supplied[m]
        due = deadline.fillna(_add_months(supplied, p.idle_start_after_supply_months))
        d = due.dt.strftime("%Y-%m-%d").fillna("").to_numpy(dtype=object)
        s = supplied.dt.strftime("%Y-%m-%d").fillna("").to_numpy(dtype=object)
        why = np.where(
            deadline.notna().to_numpy(dtype=bool),
            "约定动工日期" + d,
            "供地" + s + "+" + str(p.idle_start_after_supply_months) + "个月",
        )
        years = _fmt(p.idle_after_years, 2)[0]
        return "闲置: " + why + "后满" + years + "年未动工"

    return _Hit(hit, unknown, _where(hit, text))


def _rule_far_low(ctx: _Context) -> _Hit:
    """``far_low``: FAR below the threshold of the parcel's category."""
    p = ctx.policy
    thresholds = {"industrial": p.lowuse_far_max}
    if p.lowuse_far_below_minimum:
        thresholds.update({c: p.far_min(c) for c in _BUILT_CATEGORIES_FAR})
    if p.lowuse_far_max_logistics is not None:
        thresholds["logistics"] = p.lowuse_far_max_logistics
    # the threshold of each distinct category, taken by its parcels (NaN: none applies)
    known = {k: v for k, v in thresholds.items() if v is not None}
    per = np.array([known.get(c, np.nan) for c in ctx.category_names], dtype="float64")
    far_thr = per[ctx.category_code]
    ctx.figures["far_threshold"] = far_thr
    judged = ~np.isnan(far_thr) & ~ctx.developing
    with np.errstate(invalid="ignore"):
        hit = judged & (ctx.far < far_thr - 1e-9)
    detail = _where(
        hit,
        lambda m: join_text(
            "容积率", number_arrow(ctx.far[m], 3), "<", number_arrow(far_thr[m], 2)
        ),
    )
    return _Hit(hit, judged & np.isnan(ctx.far), detail)


def _rule_coverage_low(ctx: _Context) -> _Hit:
    """``coverage_low``: coverage below ``coverage_min`` on industrial land."""
    floor = ctx.policy.coverage_min
    industrial = np.isin(ctx.category_names, INDUSTRIAL_CATEGORIES)[ctx.category_code]
    industrial &= ~ctx.developing
    with np.errstate(invalid="ignore"):
        hit = industrial & (ctx.coverage < floor - 1e-9)
    detail = _where(
        hit,
        lambda m: join_text(
            "建筑系数", number_arrow(ctx.coverage[m] * 100, 1), "%<" + _fmt(floor * 100, 1)[0] + "%"
        ),
    )
    return _Hit(hit, industrial & np.isnan(ctx.coverage), detail)


def _arrow_text(values: Any) -> bool:
    dtype = getattr(values, "dtype", None)
    return isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow"


def _rows_of(keys: pd.Series, index: pd.Index) -> np.ndarray:
    """The position in ``index`` (unique) of each key, -1 where the key is NA or absent:
    what ``keys.map(series_on_index)`` looks up, found once for every column (by Arrow's
    hash lookup when both are Arrow text: ``get_indexer`` converted them first)."""
    k, i = keys.array, pd.Index(index).array
    if _arrow_text(k) and _arrow_text(i):
        values = pa.array(i)
        if isinstance(values, pa.ChunkedArray):
            values = values.combine_chunks()
        hit = pc.fill_null(pc.index_in(pa.array(k), value_set=values), -1)
        found = np.asarray(hit.to_numpy(), dtype=np.intp)
    else:
        found = index.get_indexer(pd.Index(k))
    missing = keys.isna().to_numpy(dtype=bool)
    return np.where(missing, -1, found) if missing.any() else found


def _take(values: pd.Series, row: np.ndarray, *, fill: Any = None) -> pd.Series:
    """``values`` at positions ``row`` (positions 0..n-1), missing (or ``fill``) at -1:
    ``keys.map(values)`` (``.fillna(fill)``) in the dtype of ``values``."""
    out = pd.Series(values.array.take(row, allow_fill=True), dtype=values.dtype)
    return out.fillna(fill) if fill is not None else out


def _at(flags: pd.Series, row: np.ndarray, missing: bool) -> np.ndarray:
    """Booleans ``flags`` at positions ``row``, ``missing`` where the position is -1."""
    out = np.full(len(row), missing, dtype=bool)
    known = row >= 0
    out[known] = flags.to_numpy(dtype=bool)[row[known]]
    return out


def _enterprise_figures(ctx: _Context) -> dict[str, Any]:
    """Per parcel: the enterprise's class, its source, tax per 亩 and industry (cached)."""
    if "enterprise" in ctx.figures:
        return ctx.figures["enterprise"]
    n, p = ctx.n, ctx.policy
    out: dict[str, Any] = {"table": None}
    if ctx.enterprises is None:
        out["eval_class"] = pd.Series(pd.NA, index=range(n), dtype="string")
        out["eval_class_source"] = pd.Series("none", index=range(n), dtype="str")
        out["tax_per_mu"] = np.full(n, np.nan)
        out["industry"] = pd.Series(pd.NA, index=range(n), dtype="string")
    else:
        table = (
            ctx.per_enterprise
            if ctx.per_enterprise is not None
            else per_mu(ctx.parcels, ctx.enterprises, policy=p)
        ).set_index("enterprise_id")
        # each parcel's row of the table, found once (Series.map per column did it anew)
        row = _rows_of(ctx.ent_keys, table.index)[ctx.ent_code]
        cls = table["eval_class"] if p.lowuse_use_derived_class else table["eval_class_given"]
        src = table["eval_class_source"].where(cls.notna(), "none")
        out["eval_class"] = _take(cls.astype("string"), row)
        out["eval_class_source"] = _take(src.astype("str"), row, fill="none")
        out["tax_per_mu"] = _take(table["tax_per_mu"].astype("float64"), row).to_numpy()
        out["industry"] = (
            _take(table["industry"].astype("string"), row)
            if "industry" in table.columns
            else pd.Series(pd.NA, index=range(n), dtype="string")
        )
        out["table"] = table
        out["class"] = cls.astype("string")
        out["row"] = row
    ctx.figures["enterprise"] = out
    return out


def _rule_eval_class(ctx: _Context) -> _Hit:
    """``eval_class``: the enterprise's class is low (in each of the latest years)."""
    ent = _enterprise_figures(ctx)
    n, p = ctx.n, ctx.policy
    if ent["table"] is None:
        ctx.notes.append("enterprise rules: no enterprise table")
        return _Hit(np.zeros(n, bool), ctx.applies.copy(), np.full(n, "", dtype=object))
    holds, undecided, note = _history_runs(
        ctx.history, ent["class"], policy=p, eval_year=ctx.eval_year
    )
    if note:
        ctx.notes.append(note)
    # holds / undecided are indexed like the enterprise table: its rows serve
    row = ent["row"]
    if not holds.index.equals(ent["table"].index):
        row = _rows_of(ctx.ent_keys, holds.index)[ctx.ent_code]
    hit = _at(holds, row, False)
    unknown = ctx.applies & ~hit & _at(undecided, row, True)
    years = p.lowuse_class_years

    def text(m: np.ndarray) -> np.ndarray:
        cls = ent["eval_class"][m].fillna("").to_numpy(dtype=object)
        derived = ent["eval_class_source"][m].to_numpy(dtype=object) == "derived"
        return (
            "评价"
            + cls
            + "类"
            + np.where(derived, "(推算)", "")
            + (f"(连续{years}年)" if years > 1 else "")
        )

    return _Hit(hit, unknown, _where(hit, text))


def _rule_tax_low(ctx: _Context) -> _Hit:
    """``tax_low``: tax per 亩 below ``per_mu_tax_floor_wan`` (when set)."""
    n, floor = ctx.n, ctx.policy.per_mu_tax_floor_wan
    if floor is None:
        return _Hit(np.zeros(n, bool), np.zeros(n, bool), np.full(n, "", dtype=object))
    tax = _enterprise_figures(ctx)["tax_per_mu"]
    with np.errstate(invalid="ignore"):
        hit = ctx.has_ent & (tax < floor - 1e-9)
    detail = _where(
        hit,
        lambda m: join_text(
            "亩均税收", number_arrow(tax[m], 2), "<" + _fmt(floor, 2)[0] + "万元/亩"
        ),
    )
    return _Hit(hit, ctx.applies & np.isnan(tax), detail)


def park_positioning(parks: pd.DataFrame, *, policy: Policy = DEFAULT_POLICY) -> pd.DataFrame:
    """Each park's industrial positioning (产业定位): its leading and related industries.

    A park's positioning is its ``leading_industry`` plus its related and supporting
    industries (相关产业、配套产业): the parks layer's ``related_industries`` (text such
    as ``"新材料、检验检测"``, see :func:`xsland.rules.policy.split_list`) together with
    the project file's ``[policy.related_industries]`` for that park.

    Parameters
    ----------
    parks
        ``park_id``; used when present: ``leading_industry``, ``related_industries``
        (several features of one park are merged).
    policy
        ``related_industries``.

    Returns
    -------
    DataFrame
        One row per park, indexed by ``park_id`` (clean text): ``leading_industry``
        (NA when none), ``related_industries`` (tuple, possibly empty) and
        ``related_text`` (joined by 、, ``""`` when none).
    """
    _require(parks, ("park_id",), what="parks", fix="pass the park layer or park table")
    ids = _key(parks["park_id"])
    lead = (
        _text(parks["leading_industry"])
        if "leading_industry" in parks.columns
        else pd.Series(pd.NA, index=parks.index, dtype="string")
    )
    listed = (
        parks["related_industries"].map(split_list)
        if "related_industries" in parks.columns
        else pd.Series([()] * len(parks), index=parks.index, dtype=object)
    )
    frame = pd.DataFrame({"park_id": ids, "lead": lead, "related": listed}).dropna(
        subset=["park_id"]
    )
    # per park, in the order parks first appear: its first leading industry, and the
    # related industries of all its features (one pass over the features, no pandas
    # group per park)
    found: dict[Any, list] = {}
    for pid, first, item in zip(
        frame["park_id"].tolist(), frame["lead"].tolist(), frame["related"].tolist(), strict=True
    ):
        entry = found.setdefault(pid, [pd.NA, ()])
        if pd.isna(entry[0]) and not pd.isna(first):
            entry[0] = first
        entry[1] += tuple(item)
    rows = {}
    for pid, (leading, names) in found.items():
        names += policy.related_industries.get(str(pid), ())
        has = not pd.isna(leading)
        related = tuple(n for n in dict.fromkeys(names) if not has or n != leading)
        rows[pid] = {"leading_industry": leading, "related_industries": related}
    out = pd.DataFrame.from_dict(
        rows, orient="index", columns=["leading_industry", "related_industries"]
    )
    out["leading_industry"] = out["leading_industry"].astype("string")
    out["related_text"] = out["related_industries"].map("、".join).astype("str")
    out.index = pd.Index(out.index.astype(object), name="park_id")
    return out


def _cells(values: pd.Series, rows: np.ndarray) -> pa.Array:
    """The text cells of ``values`` at positions ``rows`` as Arrow ``large_string``,
    ``""`` where missing (``values[rows].fillna("")``, taken in Arrow)."""
    if _arrow_text(values.array):
        text = pa.array(values.array)
        if isinstance(text, pa.ChunkedArray):
            text = text.combine_chunks()
    else:
        text = arrow_text(values.to_numpy(dtype=object))
    return pc.fill_null(text.take(rows), "").cast(pa.large_string())


def _conforms(industry: pd.Series, park_row: np.ndarray, pos: pd.DataFrame) -> np.ndarray:
    """Whether each row's industry is its park's leading industry or one of its related
    ones, names compared by their normalised key (数字经济(软件) is 数字经济（软件）).

    Row :math:`i` holds the industry key :math:`k_i` (``""`` when missing) and belongs
    to the park of position :math:`g_i` in ``pos`` (-1: none; its leading key
    :math:`l_{g}`, ``""`` for none): it conforms when :math:`k_i = l_{g_i}` or
    :math:`k_i \\ne "" \\wedge \\exists\\, r \\in R_{g_i}: \\mathrm{name\\_key}(r) = k_i`,
    :math:`R_g` the names of ``pos["related_industries"]``. Each distinct industry and
    each park's names are normalised once; every key is numbered (one factorisation of
    all of them) and the rows compare numbers, the (park, key) pairs in one ``isin``.
    """
    code, uniq = pd.factorize(industry)  # missing: -1, the key "" appended last
    ind_key = name_keys(pd.Series(np.append(np.asarray(uniq, dtype=object), None), dtype=object))
    park_key = name_keys(pos["leading_industry"])
    names = pd.Series(list(pos["related_industries"]), dtype=object).explode().dropna()
    rel_key = name_keys(names)
    # every key numbered once; "" last: the key of no industry and of no park
    allkeys = pd.concat([ind_key, park_key, rel_key, pd.Series([""])], ignore_index=True)
    number, _ = pd.factorize(allkeys.astype(object).fillna("").to_numpy(dtype=object))
    a, b, c = len(ind_key), len(ind_key) + len(park_key), len(allkeys) - 1
    empty = number[c]
    ind_n = number[:a][np.where(code < 0, a - 1, code)]
    lead_n = np.append(number[a:b], empty)[park_row]  # row -1 (no park): the last, ""
    k = np.int64(number.max() + 1)
    allowed = names.index.to_numpy(dtype=np.int64) * k + number[b:c]
    related = np.isin(park_row.astype(np.int64) * k + ind_n, allowed) & (ind_n != empty)
    return (ind_n == lead_n) | related


def _rule_industry_mismatch(ctx: _Context) -> _Hit:
    """``industry_mismatch``: the industry is neither the leading nor a related one."""
    n = ctx.n
    industry = _enterprise_figures(ctx)["industry"]
    # each parcel's park: its row of the positioning table (-1: none); the park's figures
    # are worked out once per park and taken by that row
    park_row = np.full(n, -1, dtype=np.intp)
    pos = pd.DataFrame(
        {
            "leading_industry": pd.Series(dtype="string"),
            "related_industries": pd.Series(dtype=object),
            "related_text": pd.Series(dtype="str"),
        }
    )
    if ctx.parks is not None and "park_id" in ctx.parcels.columns:
        pos = park_positioning(ctx.parks, policy=ctx.policy)
        park = _key(ctx.parcels["park_id"]).reset_index(drop=True)
        park_row = _rows_of(park, pd.Index(pos.index.astype("string")))
        bare = pos[pos["leading_industry"].notna() & (pos["related_text"] == "")].index
        if len(bare):
            shown = ", ".join(map(str, bare))
            # the parks' leading industries read from one list, not one .at per park
            bare_lead = pos.loc[bare, "leading_industry"].tolist()
            ctx.notes.append(
                f"industry_mismatch: parks {shown} list no related industries; "
                "only their leading industry conforms"
            )
            ctx.quality.extend(
                quality_record(
                    layer="parks",
                    check="no_related_industries",
                    ids=list(bare),
                    column="related_industries",
                    severity="info",
                    detail=[
                        f"产业定位仅主导产业({lead}); 相关/配套产业"
                        "未列, 可在园区图层 related_industries 列或项目文件 "
                        "[policy.related_industries] 中补充"
                        for lead in bare_lead
                    ],
                )
            )
    leading = _take(pos["leading_industry"].astype("string"), park_row)
    ctx.figures["leading_industry"] = leading
    has_lead = leading.notna().to_numpy(dtype=bool)
    ind_known = industry.notna().to_numpy(dtype=bool)
    conforms = _conforms(industry, park_row, pos)
    hit = has_lead & ind_known & ~conforms
    # the parks' related industries as Arrow text, "" last (for the rows without a park)
    related = arrow_text(np.append(pos["related_text"].fillna("").to_numpy(dtype=object), ""))

    def text(m: np.ndarray) -> np.ndarray:
        rows = np.flatnonzero(m)
        ind, lead = _cells(industry, rows), _cells(leading, rows)
        shown = related.take(np.where(park_row[rows] < 0, len(related) - 1, park_row[rows]))
        return pc.if_else(
            pc.not_equal(shown, ""),
            join_text("产业", ind, "不属产业定位(主导", lead, "; 相关", shown, ")"),
            join_text("产业", ind, "≠主导产业", lead),
        )

    detail = _where(hit, text)
    return _Hit(hit, has_lead & ctx.applies & ~ind_known, detail)


def _rule_plan_nonconforming(ctx: _Context) -> _Hit:
    """``plan_nonconforming``: the dominant planned use is of another class."""
    n, p = ctx.n, ctx.policy
    if ctx.plan is None:
        if "plan_nonconforming" in p.lowuse_rules:
            ctx.notes.append("plan_nonconforming: no plan layer")
        return _Hit(np.zeros(n, bool), np.zeros(n, bool), np.full(n, "", dtype=object))
    if isinstance(ctx.plan, pd.DataFrame) and "plan_covered" in ctx.plan.columns:
        pre = ctx.plan.reindex(ctx.parcels.index)  # plan_overlay, computed apart
        planned_all = pd.Series(pre["planned_use"].to_numpy(), index=range(n), dtype="string")
        share = pre["plan_share"].to_numpy(dtype="float64")
        covered = pre["plan_covered"].to_numpy(dtype="float64")
    else:
        planned_all, share, covered = _plan_use(ctx.parcels, ctx.plan, p)
    planned = planned_all.where(share >= p.plan_dominant_share_min - 1e-9)
    ctx.figures["planned_use"] = planned
    ctx.figures["plan_share"] = np.where(covered > 0, share, np.nan)
    if "land_use" in ctx.parcels.columns:
        own = _code(ctx.parcels["land_use"]).reset_index(drop=True)
    else:
        own = pd.Series(pd.NA, index=range(n), dtype="string")
    fallback = pd.Series(ctx.category).map(_CATEGORY_CLASS).astype("string")
    own_class = use_class(own, policy=p).fillna(fallback)
    plan_class = use_class(planned, policy=p)
    both = (own_class.notna() & plan_class.notna()).to_numpy(dtype=bool)
    hit = both & (own_class.fillna("") != plan_class.fillna("")).to_numpy(dtype=bool)
    shown_own = own.fillna(pd.Series(ctx.category, dtype="string")).fillna("")
    detail = np.where(
        hit,
        "现状"
        + shown_own.to_numpy(dtype=object)
        + "≠规划"
        + planned.fillna("").to_numpy(dtype=object)
        + "(占"
        + _fmt(share * 100, 0)
        + "%)",
        "",
    )
    return _Hit(hit, (covered > 0) & ~both, detail)


def _rule_built_but_bare(ctx: _Context) -> _Hit:
    """``built_but_bare``: declared built, but the land-cover raster sees bare land."""
    n, p = ctx.n, ctx.policy
    if "bare_share" not in ctx.parcels.columns:
        ctx.notes.append("built_but_bare: no land-cover raster (bare_share)")
        return _Hit(np.zeros(n, bool), np.zeros(n, bool), np.full(n, "", dtype=object))
    from xsland.measure.raster import declared_built_but_bare

    parcels = ctx.parcels
    bare = pd.to_numeric(parcels["bare_share"], errors="coerce").to_numpy(dtype=float)
    hit = declared_built_but_bare(parcels, bare_min=p.lowuse_bare_share_min).to_numpy(dtype=bool)
    fa = pd.to_numeric(parcels["floor_area"], errors="coerce").to_numpy(dtype=float)
    detail = np.where(
        hit,
        "裸地占比"
        + _fmt(bare * 100, 0)
        + "%≥"
        + _fmt(np.full(n, p.lowuse_bare_share_min * 100), 0)
        + "%",
        "",
    )
    return _Hit(hit, (fa > 0) & np.isnan(bare), detail)


#: One function per rule (code of :data:`REASONS` -> function of the context).
_RULES = {
    "far_low": _rule_far_low,
    "coverage_low": _rule_coverage_low,
    "idle": _rule_idle,
    "eval_class": _rule_eval_class,
    "tax_low": _rule_tax_low,
    "plan_nonconforming": _rule_plan_nonconforming,
    "industry_mismatch": _rule_industry_mismatch,
    "built_but_bare": _rule_built_but_bare,
}
assert tuple(_RULES) == LOWUSE_RULES


def flag(
    parcels: pd.DataFrame,
    *,
    parks: pd.DataFrame | None = None,
    enterprises: pd.DataFrame | None = None,
    plan: gpd.GeoDataFrame | pd.DataFrame | None = None,
    history: pd.DataFrame | None = None,
    as_of: Any = None,
    eval_year: int | None = None,
    policy: Policy = DEFAULT_POLICY,
    per_enterprise: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Low-efficiency parcels (低效用地), their kinds and every reason that applies.

    Each enabled rule (``policy.lowuse_rules``, see the module docstring and
    :data:`REASONS`) is judged by its own function; each rule belongs to one of the three
    kinds of clause 二(一)3 (:data:`KINDS`, :data:`xsland.rules.policy.LOWUSE_RULE_KIND`):

    - 不符合规划 ``plan``: ``plan_nonconforming`` — the dominant planned use (largest area
      over the parcel, at least ``plan_dominant_share_min`` of it) has another
      :func:`use_class` than the parcel's ``land_use`` (else its category);
    - 不符合产业发展定位 ``industry``: ``industry_mismatch`` — the enterprise's
      ``industry`` is neither the park's ``leading_industry`` nor one of its related
      industries (:func:`park_positioning`);
    - 不符合高效配置原则 ``inefficient``: ``far_low`` (:math:`\\mathrm{FAR} < T_c`, the
      threshold of the parcel's category), ``coverage_low`` (coverage :math:`<`
      ``coverage_min`` on industrial land), ``idle`` (unbuilt and ``as_of`` :math:`\\ge`
      ``idle_since`` = due date + ``idle_after_years``; the due date is
      ``start_deadline``, else ``supply_date`` + ``idle_start_after_supply_months``),
      ``eval_class`` (the enterprise's class — given, else derived when
      ``lowuse_use_derived_class`` — in ``lowuse_classes`` in each of the
      ``lowuse_class_years`` latest evaluations), ``tax_low`` (亩均税收 :math:`<`
      ``per_mu_tax_floor_wan``, when set) and ``built_but_bare``.

    ``lu_<kind>`` is the OR of the kind's rules; a parcel is low-efficiency land when
    one of the kinds the project file counts (``policy.lowuse_kinds``, default all
    three) holds: :math:`\\text{low} = \\bigvee_{k \\in \\text{lowuse\\_kinds}}
    \\text{lu}_k`. Unbuilt parcels not yet idle (inside their construction period) are
    not judged by ``far_low`` and ``coverage_low``.

    Parameters
    ----------
    parcels
        The audit's parcel table (:func:`xsland.judge.audit.parcel_table`): ``parcel_id``,
        ``category``, ``area_m2``, ``far``, ``floor_area``; used when present:
        ``coverage``, ``footprint_m2``, ``supply_date``, ``start_deadline``,
        ``enterprise_id``, ``owner``, ``park_id``, ``land_use`` and the geometry (plan).
    parks
        ``park_id``, ``leading_industry`` and ``related_industries`` (the park layer or
        the audit's park table).
    enterprises
        ``enterprise_id``, ``industry``, ``revenue``, ``tax``, ``eval_class``.
    plan
        规划用地 polygons with ``planned_use``; or :func:`plan_overlay` of these parcels,
        computed apart (a plain DataFrame indexed like ``parcels``).
    history
        Earlier evaluations: ``enterprise_id``, ``year``, ``eval_class``.
    as_of
        The date of the audit (idle land); default today.
    eval_year
        The year of the current evaluation; default the latest year in ``history``. The
        enterprise table's class stands for that year where ``history`` has no row.
    policy
        The rules.
    per_enterprise
        :func:`per_mu` of ``enterprises`` over all the parcels, when ``parcels`` are
        some of them (a partition: an enterprise's land and class are those of all its
        parcels); default :func:`per_mu` of ``parcels``.

    Returns
    -------
    DataFrame
        Indexed like ``parcels`` (:data:`FLAG_COLUMNS`): ``low_efficiency`` (bool);
        ``n_reasons``, ``reasons`` (codes joined by ``;`` in the order of
        :data:`REASONS`, ``""`` when none), ``reasons_zh`` (labels joined by ``；``) and
        ``reasons_detail`` (each with its figure and threshold) — the reasons of the
        counted kinds; ``reasons_unknown`` (codes of enabled rules of counted kinds that
        apply but lack data); ``kinds`` / ``kinds_zh`` (the counted kinds that hold);
        one bool ``lu_<code>`` per rule (all false for disabled rules) and one per kind
        (``lu_plan``, ``lu_industry``, ``lu_inefficient``, whether counted or not); and the
        figures used: ``far_threshold``, ``idle_since``, ``eval_class``,
        ``eval_class_source``, ``tax_per_mu``, ``planned_use``, ``plan_share``,
        ``leading_industry``, ``industry``. ``attrs["notes"]`` lists remarks (rules that
        could not run, evaluation years, parks without related industries);
        ``attrs["quality"]`` data-quality records (``no_related_industries``).

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
    ctx = _context(
        parcels,
        policy,
        _as_of(as_of),
        parks=parks,
        enterprises=enterprises,
        plan=plan,
        history=history,
        eval_year=eval_year,
        per_enterprise=per_enterprise,
    )
    n = ctx.n
    enabled = [c for c in LOWUSE_RULES if c in set(policy.lowuse_rules)]
    results = {c: _RULES[c](ctx) for c in enabled}
    off = _Hit(np.zeros(n, bool), np.zeros(n, bool), np.full(n, "", dtype=object))
    hit = {c: results.get(c, off).hit for c in LOWUSE_RULES}
    kind_hit = {
        k: np.logical_or.reduce([hit[c] for c in LOWUSE_RULES if LOWUSE_RULE_KIND[c] == k])
        for k in LOWUSE_KINDS
    }
    counted = [k for k in LOWUSE_KINDS if k in set(policy.lowuse_kinds)]
    codes = [c for c in enabled if LOWUSE_RULE_KIND[c] in counted]
    any_hit = np.zeros(n, dtype=bool)
    for k in counted:
        any_hit |= kind_hit[k]
    count = np.zeros(n, dtype="int64")
    for c in codes:
        count += hit[c]
    ent = _enterprise_figures(ctx)
    figures = ctx.figures
    none = pd.Series(pd.NA, index=range(n), dtype="string")
    out = pd.DataFrame(
        {
            "low_efficiency": any_hit,
            "n_reasons": count,
            "reasons": _labels([hit[c] for c in codes], codes, ";", n),
            "reasons_zh": _labels([hit[c] for c in codes], [REASONS[c][0] for c in codes], "；", n),
            "reasons_detail": _details([(hit[c], results[c].detail) for c in codes], "；", n),
            "reasons_unknown": _labels(
                [results[c].unknown & ~hit[c] for c in codes], codes, ";", n
            ),
            "kinds": _labels([kind_hit[k] for k in counted], counted, ";", n),
            "kinds_zh": _labels(
                [kind_hit[k] for k in counted], [KINDS[k][0] for k in counted], "；", n
            ),
            **{f"lu_{k}": kind_hit[k] for k in LOWUSE_KINDS},
            **{f"lu_{c}": hit[c] for c in LOWUSE_RULES},
            "far_threshold": figures.get("far_threshold", np.full(n, np.nan)),
            "idle_since": ctx.idle_since.to_numpy(),
            # text columns passed as they are (to_numpy() made object arrays that the
            # frame turned back into text, then astype once more)
            "eval_class": ent["eval_class"].array,
            "eval_class_source": ent["eval_class_source"].array,
            "tax_per_mu": ent["tax_per_mu"],
            "planned_use": figures.get("planned_use", none).array,
            "plan_share": figures.get("plan_share", np.full(n, np.nan)),
            "leading_industry": figures.get("leading_industry", none).array,
            "industry": ent["industry"].array,
        },
        index=parcels.index,
    )
    for col in ("eval_class", "planned_use", "leading_industry", "industry"):
        out[col] = out[col].astype("string")
    out["eval_class_source"] = out["eval_class_source"].astype("str")
    # the columns picked before the attrs are set: picking deep-copies attrs
    out = out[FLAG_COLUMNS]
    out.attrs["notes"] = ctx.notes
    out.attrs["quality"] = ctx.quality
    out.attrs["as_of"] = ctx.today.date().isoformat()
    return out


def _str(values: np.ndarray) -> pd.arrays.ArrowStringArray | Any:
    return pd.array(values, dtype="str")


def _labels(masks: list[np.ndarray], labels: list[str], sep: str, n: int) -> Any:
    """Per row, the labels whose mask holds joined by ``sep`` (``""`` when none), as
    ``str``: row :math:`i` is ``sep.join(labels[j] for j if masks[j][i])``.

    The masks of a row make a code :math:`c_i = \\sum_j 2^j m_{ji}`; the text of each
    code that occurs is joined once and taken by the rows (no text per row).
    """
    code = np.zeros(n, dtype=np.int64)
    for bit, mask in enumerate(masks):
        code |= np.asarray(mask, dtype=bool).astype(np.int64) << bit
    # the codes that occur, in order, and each row's place among them (np.unique of a
    # few hundred possible codes, by counting instead of sorting the rows)
    seen = np.bincount(code, minlength=1 << len(masks)) > 0
    uniq = np.flatnonzero(seen)
    place = np.cumsum(seen) - 1
    texts = [sep.join(t for b, t in enumerate(labels) if c >> b & 1) for c in uniq.tolist()]
    return _str(np.asarray(texts, dtype=object)).take(place[code])


def _details(parts: list[tuple[np.ndarray, Any]], sep: str, n: int) -> Any:
    """Per row, the details of the rules that hold joined by ``sep``, as ``str``:
    ``sep.join(d[i] for hit, d in parts if hit[i] and d[i] != "")``. A detail is
    :class:`_Texts`, Arrow text or an object array; a part that does not hold, or whose
    detail is ``""`` or missing, is skipped.

    Each part's details are taken for its rows only; the pieces are ordered by row
    (stable: a row's pieces keep the order of ``parts``), made one Arrow list per row
    and joined by one ``binary_join`` (a row without a piece: ``""``).
    """
    rows, texts = [], []
    for hit, detail in parts:
        at = np.flatnonzero(hit)
        if not len(at):
            continue
        if isinstance(detail, _Texts):
            d = detail.at(at)
        elif isinstance(detail, pa.Array):
            d = detail.take(at)
        else:
            d = arrow_text(np.asarray(detail, dtype=object)[at])
        keep = pc.fill_null(pc.not_equal(d, ""), False)
        rows.append(at[keep.to_numpy(zero_copy_only=False)])
        texts.append(d.filter(keep))
    if not texts:
        return _str(arrow_text([""]).take(np.zeros(n, dtype=np.int64)))
    row = np.concatenate(rows)
    text = pa.concat_arrays(texts).take(np.argsort(row, kind="stable"))
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(row, minlength=n), out=offsets[1:])
    lists = pa.LargeListArray.from_arrays(pa.array(offsets), text)
    return _str(pc.binary_join(lists, pa.scalar(sep, pa.large_string())))


def _mask(flags: pd.DataFrame, col: str) -> np.ndarray:
    if col not in flags.columns:
        return np.zeros(len(flags), dtype=bool)
    return flags[col].fillna(False).to_numpy(dtype=bool)


def _only(flags: pd.DataFrame, kind: str, kinds: tuple[str, ...]) -> np.ndarray:
    """Parcels for which ``kind`` is the only one of ``kinds`` that holds."""
    out = _mask(flags, f"lu_{kind}")
    for k in kinds:
        if k != kind:
            out = out & ~_mask(flags, f"lu_{k}")
    return out


def summary(
    parcels: pd.DataFrame,
    flags: pd.DataFrame,
    *,
    by: str = "park_id",
    policy: Policy = DEFAULT_POLICY,
) -> pd.DataFrame:
    """Low-efficiency land per park (or town): counts, areas, shares, by kind and reason.

    :func:`summary_combine` of one :func:`summary_partial` of all the parcels: the audit of
    a partitioned dataset combines one partial table per partition, to the same numbers
    (sums kept exactly, :mod:`xsland._sums`).

    Parameters
    ----------
    parcels
        The audit's parcel table (``area_mu`` and the ``by`` column).
    flags
        :func:`flag` of the same parcels.
    by
        The grouping column (``park_id``, ``town`` …); parcels without a value are left
        out.
    policy
        ``lowuse_kinds``: "only" means the only one of the counted kinds.

    Returns
    -------
    DataFrame
        One row per group: ``n_parcels``, ``area_mu``, ``n_low_efficiency``,
        ``low_efficiency_mu``, ``low_efficiency_share`` (of the parcels' area),
        ``idle_mu``; per kind :math:`k` of :data:`KINDS`: ``n_lu_<k>`` and ``lu_<k>_mu``
        (parcels of that kind) and ``n_only_<k>`` and ``only_<k>_mu`` (of that kind only);
        and ``n_<reason>`` for each reason of :data:`REASONS`.
    """
    return summary_combine([summary_partial(parcels, flags, by=by, policy=policy)], by=by)


def _summary_kinds() -> dict[str, str]:
    kinds = {
        "n_parcels": sums.COUNT,
        "area_mu": sums.SUM,
        "n_low_efficiency": sums.COUNT,
        "low_efficiency_mu": sums.SUM,
        "idle_mu": sums.SUM,
    }
    for k in LOWUSE_KINDS:
        kinds |= {f"n_lu_{k}": sums.COUNT, f"lu_{k}_mu": sums.SUM}
        kinds |= {f"n_only_{k}": sums.COUNT, f"only_{k}_mu": sums.SUM}
    return kinds | {f"n_{c}": sums.COUNT for c in LOWUSE_RULES}


def summary_partial(
    parcels: pd.DataFrame,
    flags: pd.DataFrame,
    *,
    by: str = "park_id",
    policy: Policy = DEFAULT_POLICY,
    groups: sums.Groups | None = None,
) -> pd.DataFrame:
    """The partial table of :func:`summary` for some of the parcels (one partition).

    Per group, the counts and the exact area sums (:func:`xsland._sums.partial`) of the
    parcels given; :func:`summary_combine` of the partial tables of disjoint sets of
    parcels is :func:`summary` of their union. ``groups`` are the parcels grouped by
    ``by`` (:func:`xsland._sums.groups`), when the caller has them.
    """
    _require(parcels, (by, "area_mu"), what="parcels", fix="pass the audit's parcel table")
    fl = flags.reindex(parcels.index) if not flags.index.equals(parcels.index) else flags
    mu = pd.to_numeric(parcels["area_mu"]).to_numpy(dtype="float64")
    low = _mask(fl, "low_efficiency")
    kinds: dict[str, Any] = {}
    counted = tuple(k for k in LOWUSE_KINDS if k in policy.lowuse_kinds)
    for k in LOWUSE_KINDS:
        hit = _mask(fl, f"lu_{k}")
        only = _only(fl, k, counted) if k in counted else np.zeros(len(fl), bool)
        kinds[f"n_lu_{k}"] = hit
        kinds[f"lu_{k}_mu"] = np.where(hit, mu, 0.0)
        kinds[f"n_only_{k}"] = only
        kinds[f"only_{k}_mu"] = np.where(only, mu, 0.0)
    columns = {
        "n_parcels": np.ones(len(mu), dtype="int64"),
        "area_mu": mu,
        "n_low_efficiency": low,
        "low_efficiency_mu": np.where(low, mu, 0.0),
        "idle_mu": np.where(_mask(fl, "lu_idle"), mu, 0.0),
        **kinds,
        **{f"n_{c}": _mask(fl, f"lu_{c}") for c in LOWUSE_RULES},
    }
    keys = groups if groups is not None else parcels[by].to_numpy()
    return sums.partial(keys, columns, _summary_kinds(), name=by)


def summary_combine(partials: Any, *, by: str = "park_id") -> pd.DataFrame:
    """:func:`summary` from the partial tables (:func:`summary_partial`) of disjoint parcels.

    .. math:: \\text{low\\_efficiency\\_share} = \\frac{\\sum low\\_efficiency\\_mu}{\\sum area\\_mu}
    """
    kinds = _summary_kinds()
    out = sums.reduce(partials, kinds)[list(kinds)]
    out.index.name = by
    with np.errstate(invalid="ignore", divide="ignore"):
        out.insert(
            4,
            "low_efficiency_share",
            out["low_efficiency_mu"] / out["area_mu"].where(out["area_mu"] > 0),
        )
    return out.reset_index()


def kind_breakdown(
    parcels: pd.DataFrame, flags: pd.DataFrame, *, policy: Policy = DEFAULT_POLICY
) -> pd.DataFrame:
    """Low-efficiency land by kind (clause 二(一)3) and by "only" kind, with shares.

    With :math:`I` the industrial land (categories of :data:`INDUSTRIAL_CATEGORIES`) and
    :math:`a(\\cdot)` the area in 亩, each row gives for its kind :math:`k`: the parcels of
    that kind :math:`L_k` (``n_parcels``, ``area_mu``), their industrial part
    (``industrial_mu``, ``industrial_share`` :math:`= a(L_k \\cap I) / a(I)`), and the
    parcels of that kind only (no other counted kind holds: ``n_only``, ``only_mu``,
    ``only_industrial_share``). The last row, ``all``, is the low-efficiency land itself
    (``low_efficiency``; "only" is empty there).

    Parameters
    ----------
    parcels
        The audit's parcel table: ``area_mu``, ``category``.
    flags
        :func:`flag` of the same parcels (or the parcel table, which carries them).
    policy
        ``lowuse_kinds``: which kinds count (``counted``).

    Returns
    -------
    DataFrame
        Rows ``plan``, ``industry``, ``inefficient``, ``all``; columns ``kind``,
        ``label`` (Chinese), ``label_en``, ``counted``, ``n_parcels``, ``area_mu``,
        ``industrial_mu``, ``industrial_share``, ``n_only``, ``only_mu``,
        ``only_industrial_mu``, ``only_industrial_share``.
    """
    _require(parcels, ("area_mu", "category"), what="parcels", fix="pass the audit's parcel table")
    fl = flags.reindex(parcels.index) if not flags.index.equals(parcels.index) else flags
    mu = pd.to_numeric(parcels["area_mu"]).to_numpy(dtype="float64")
    ind = parcels["category"].astype("string").isin(INDUSTRIAL_CATEGORIES).to_numpy(dtype=bool)
    ind_mu = float(mu[ind].sum())
    counted = tuple(k for k in LOWUSE_KINDS if k in policy.lowuse_kinds)

    def share(x: float) -> float:
        return x / ind_mu if ind_mu > 0 else np.nan

    rows = []
    for k in (*LOWUSE_KINDS, "all"):
        hit = _mask(fl, "low_efficiency" if k == "all" else f"lu_{k}")
        only = _only(fl, k, counted) if k in counted else np.zeros(len(fl), bool)
        label = ("低效用地(合计)", "low-efficiency land (all)") if k == "all" else KINDS[k]
        rows.append(
            {
                "kind": k,
                "label": label[0],
                "label_en": label[1],
                "counted": k == "all" or k in counted,
                "n_parcels": int(hit.sum()),
                "area_mu": float(mu[hit].sum()),
                "industrial_mu": float(mu[hit & ind].sum()),
                "industrial_share": share(float(mu[hit & ind].sum())),
                "n_only": int(only.sum()),
                "only_mu": float(mu[only].sum()),
                "only_industrial_mu": float(mu[only & ind].sum()),
                "only_industrial_share": share(float(mu[only & ind].sum())),
            }
        )
    return pd.DataFrame(rows)
