"""亩均效益 classes of enterprises, the Wuxi way ("4+T": A/B/C/D, and T not yet evaluated).

Wuxi and the other Jiangsu cities class industrial enterprises by their resource-use
performance (工业企业资源集约利用综合评价, 亩均效益评价): each indicator is scored against a
benchmark, the points are summed with bonus and minus items, the enterprises are ranked and
cut into classes by rank share, and enterprises too new to judge (or exempted) are class T.
:func:`mujun` does this from the audit's per-mu table (:func:`xsland.judge.lowuse.per_mu`).

Indicators :math:`k` (used when their weight ``Policy.mujun_weight_<k>`` is above 0 and the
enterprises table has the figures):

========================  ==================================================  ============
``tax_per_mu``            亩均税收 = tax / land (万元/亩)                       ``tax``
``revenue_per_mu``        亩均营收 = revenue / land (万元/亩)                   ``revenue``
``revenue_per_energy``    单位能耗营收 = revenue / energy (万元/吨标煤)          ``energy``
``rd_share``              研发经费占营收比重 = rd_spend / revenue               ``rd_spend``
========================  ==================================================  ============

Score of enterprise :math:`e`, with benchmark :math:`B_k` (``Policy.mujun_benchmark_<k>``,
else the district figure :math:`\\sum_e num_e / \\sum_e den_e` over the enterprises with
both known — e.g. total tax over total 亩), weight :math:`w_k` (points) and cap :math:`c`
(``mujun_ratio_cap``):

.. math::

    S_e = \\sum_k w_k \\min\\big(\\max(x_{k,e}, 0) / B_k,\\ c\\big) + bonus_e - minus_e

bonus: ``mujun_bonus_chain_leader`` for a chain leader (链主), ``mujun_bonus_high_tech`` for
a high-tech enterprise (``high_tech``); minus: ``mujun_minus_violation`` for an enterprise
with a ``violation`` on record. An enterprise missing a used indicator gets no score
(``mj_note`` says which).

Class T: ``exempt`` is true, or the enterprise was founded (``founded``) less than
``mujun_exempt_years`` years before the audit date. The other scored enterprises are ranked
(1 = highest score; ties share the better rank) and, with :math:`n` ranked and rank
:math:`r`: A when :math:`r / n \\le a`, B when :math:`\\le a + b`, C when
:math:`\\le a + b + c`, else D (:math:`a, b, c` = ``mujun_share_a/b/c``).

A class on record (``eval_class``) wins: ``mj_class`` is the given class where there is
one (``mj_class_source = "given"``), else the derived one (``"derived"``), else none.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from xsland.errors import DataError
from xsland.judge.lowuse import per_mu
from xsland.read.validate import require_dates
from xsland.rules.evaluation_columns import MUJUN_COLUMNS as COLUMNS
from xsland.rules.policy import DEFAULT_POLICY, Policy

__all__ = ["COLUMNS", "INDICATORS", "benchmarks", "mujun"]

#: Indicator -> (numerator column, denominator column, Chinese label).
INDICATORS: Mapping[str, tuple[str, str, str]] = {
    "tax_per_mu": ("tax", "land_mu", "亩均税收"),
    "revenue_per_mu": ("revenue", "land_mu", "亩均营收"),
    "revenue_per_energy": ("revenue", "energy", "单位能耗营收"),
    "rd_share": ("rd_spend", "revenue", "研发经费占营收比重"),
}

_T = tuple[str, str, str, str, str, int | None]

#: Output columns: name -> (dtype, unit, Chinese label, English label, description, precision).

_TRUE = {"true", "1", "1.0", "yes", "y", "t", "是", "√", "有"}


def _flag(frame: pd.DataFrame, col: str) -> np.ndarray:
    if col not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    values = frame[col]
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.fillna(False).to_numpy(dtype=bool)
    return values.astype("string").str.strip().str.lower().isin(_TRUE).to_numpy(dtype=bool)


def _num(frame: pd.DataFrame, col: str) -> np.ndarray:
    if col not in frame.columns:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


def _values(table: pd.DataFrame) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per indicator: value, numerator, denominator (NaN where unknown).

    A negative numerator (tax, revenue, R&D spend cannot be negative; only a caller of
    the API can pass one, the readers list and drop them) gives no value: a share such
    as ``rd_share`` never goes below 0, and the enterprise's note names the indicator.
    """
    out = {}
    for k, (num_col, den_col, _) in INDICATORS.items():
        num, den = _num(table, num_col), _num(table, den_col)
        num = np.where(num < 0, np.nan, num)
        with np.errstate(invalid="ignore", divide="ignore"):
            value = np.where(den > 0, num / den, np.nan)
        out[k] = (value, num, den)
    return out


def _used(enterprises: pd.DataFrame, policy: Policy) -> list[str]:
    """Indicators with a weight above 0 whose source columns exist."""
    cols = set(enterprises.columns) | {"land_mu"}
    return [
        k
        for k, (num, den, _) in INDICATORS.items()
        if getattr(policy, f"mujun_weight_{k}") > 0 and num in cols and den in cols
    ]


def benchmarks(
    table: pd.DataFrame, *, used: list[str], policy: Policy = DEFAULT_POLICY
) -> dict[str, float]:
    """The benchmark of each used indicator: the policy's value, else the district figure.

    The district figure is :math:`\\sum num / \\sum den` over the enterprises with both
    known and den > 0 (total tax over total 亩 …); NaN when there is none.
    """
    values = _values(table)
    out = {}
    for k in used:
        given = getattr(policy, f"mujun_benchmark_{k}")
        if given is not None:
            out[k] = float(given)
            continue
        _, num, den = values[k]
        ok = np.isfinite(num) & np.isfinite(den) & (den > 0)
        out[k] = float(num[ok].sum() / den[ok].sum()) if ok.any() else np.nan
    return out


def _exempt(
    enterprises: pd.DataFrame, today: pd.Timestamp, years: int
) -> tuple[np.ndarray, np.ndarray]:
    """Class T and its reason per enterprise."""
    flagged = _flag(enterprises, "exempt")
    if "founded" in enterprises.columns:
        founded = require_dates(enterprises, "founded", what="enterprises", id_col="enterprise_id")
        cut = today - pd.DateOffset(years=years)
        new = (founded.notna() & (founded > cut)).to_numpy(dtype=bool)
        day = founded.dt.strftime("%Y-%m-%d").fillna("").to_numpy(dtype=object)
    else:
        new = np.zeros(len(enterprises), dtype=bool)
        day = np.full(len(enterprises), "", dtype=object)
    reason = np.where(
        flagged,
        "T: 暂不评价(标记)",
        np.where(new, "T: 成立/投产 " + day + " 不满 " + str(years) + " 年", ""),
    )
    return flagged | new, reason.astype(object)


def _as_of(as_of: Any) -> pd.Timestamp:
    if as_of is None:
        return pd.Timestamp(_dt.date.today())
    try:
        return pd.Timestamp(as_of).tz_localize(None).normalize()
    except (TypeError, ValueError):
        raise DataError(
            f"as_of = {as_of!r} is not a date. Fix: pass a date such as 2026-01-01"
        ) from None


def _classes(
    score: np.ndarray, ranked: np.ndarray, policy: Policy
) -> tuple[np.ndarray, np.ndarray]:
    """Rank (1 = best, ties share the better rank) and class A–D by rank share."""
    s = pd.Series(np.where(ranked, score, np.nan))
    rank = s.rank(method="min", ascending=False).to_numpy()
    n = int(ranked.sum())
    pos = rank / n if n else rank
    a = policy.mujun_share_a
    b = a + policy.mujun_share_b
    c = b + policy.mujun_share_c
    eps = 1e-9
    cls = np.select([pos <= a + eps, pos <= b + eps, pos <= c + eps], ["A", "B", "C"], "D")
    cls = np.where(ranked, cls, None).astype(object)
    return rank, cls


def mujun(
    parcels: pd.DataFrame,
    enterprises: pd.DataFrame,
    *,
    as_of: Any = None,
    policy: Policy = DEFAULT_POLICY,
    land: pd.DataFrame | None = None,
    per_enterprise: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The per-mu table of :func:`xsland.judge.lowuse.per_mu` with the Wuxi-way class.

    Parameters
    ----------
    parcels
        The audit's parcel table (``enterprise_id``, ``area_m2``); or ``None`` with
        ``land``.
    enterprises
        ``enterprise_id``; ``tax``, ``revenue`` (万元), optional ``energy`` (吨标煤),
        ``rd_spend`` (万元), ``chain_leader``, ``high_tech``, ``violation``, ``exempt``
        (flags), ``founded`` (date) and ``eval_class`` (the class on record).
    as_of
        The audit date (class T by founding date); default today.
    policy
        ``mujun_*``.
    land
        Each enterprise's parcels and land (:func:`xsland.judge.lowuse.land_combine`),
        when summed elsewhere (partition by partition); default those of ``parcels``.
        The classes rank all enterprises, so they are derived from these sums, never from
        part of the parcels.
    per_enterprise
        ``per_mu(parcels, enterprises, policy=policy, land=land)``, when the caller has
        it (the audit computes it once for the flags and the classes); it is not changed.

    Returns
    -------
    DataFrame
        :func:`per_mu`'s columns, then :data:`COLUMNS`.
    """
    base = (
        per_enterprise
        if per_enterprise is not None
        else per_mu(parcels, enterprises, policy=policy, land=land)
    )
    today = _as_of(as_of)
    src = enterprises.reset_index(drop=True)
    table = base.reset_index(drop=True).copy()
    for col in ("energy", "rd_spend"):
        if col in src.columns:
            table[col] = _num(src, col)
    used = _used(src, policy)
    bench = benchmarks(table, used=used, policy=policy)
    values = _values(table)
    n = len(table)
    points = np.zeros(n)
    missing = np.full(n, "", dtype=object)
    for k in used:
        x = values[k][0]
        b = bench[k] if bench[k] > 0 else np.nan
        with np.errstate(invalid="ignore"):
            ratio = np.minimum(np.maximum(x, 0.0) / b, policy.mujun_ratio_cap)
        points = points + getattr(policy, f"mujun_weight_{k}") * ratio
        gap = ~np.isfinite(ratio)
        missing = np.where(
            gap, missing + np.where(missing == "", "", ", ") + INDICATORS[k][2], missing
        )
    bonus = (
        policy.mujun_bonus_chain_leader * _flag(src, "chain_leader")
        + policy.mujun_bonus_high_tech * _flag(src, "high_tech")
        - policy.mujun_minus_violation * _flag(src, "violation")
    )
    is_t, t_reason = _exempt(src, today, policy.mujun_exempt_years)
    scored = np.isfinite(points) & bool(used)
    score = np.where(scored, points + bonus, np.nan)
    rank, cls = _classes(score, scored & ~is_t, policy)
    derived = np.where(is_t, "T", cls).astype(object)
    given = table["eval_class_given"].astype("string")
    out = table.drop(columns=[c for c in ("energy", "rd_spend") if c in table.columns])
    out["revenue_per_energy"] = values["revenue_per_energy"][0] if "energy" in src else np.nan
    out["rd_share"] = values["rd_share"][0] if "rd_spend" in src else np.nan
    out["mj_bonus"] = bonus.astype("float64")
    out["mj_score"] = score
    out["mj_rank"] = pd.array(np.where(np.isnan(rank), None, rank), dtype="Int64")
    out["mj_class_derived"] = pd.array(derived, dtype="string")
    out["mj_class"] = given.fillna(out["mj_class_derived"])
    out["mj_class_source"] = pd.array(
        np.where(given.notna(), "given", np.where(out["mj_class"].notna(), "derived", "none")),
        dtype="string",
    )
    note = np.where(t_reason != "", t_reason, np.where(missing != "", "缺指标: " + missing, ""))
    out["mj_note"] = pd.array(np.where(note == "", None, note), dtype="string")
    out.index = base.index
    return out
