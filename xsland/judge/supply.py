"""批供用 status of each parcel: approved, supplied, started, built, idle.

The natural resources branch follows land from its approval (农用地转用、土地征收批准)
through supply (供地: 出让、划拨) to use (开工、竣工); land approved but not supplied is
批而未供, land supplied but not built on is 供而未用, and land not started a year after
its agreed start date is 闲置 (闲置土地处置办法 第二条). :func:`supply_status` gives each
parcel one status code (:data:`STATUSES`) and writes the rule that decided it;
:func:`supply_rates` rolls the areas up per park or town.

The rule, applied in this order at the audit date ``as_of`` (the first that holds wins):

1. ``built`` (已建成): a completion date (``completion_date``) on or before ``as_of``; or
   buildings on the parcel (floor area or footprint above 0) and neither an actual
   start date (``start_actual``) nor a completion date recorded — a building without
   construction dates is taken as built.
2. ``under_construction`` (在建): started — ``start_actual`` on or before ``as_of``, or
   buildings on the parcel — but not built by rule 1 (completion date missing or later).
3. ``idle`` (闲置): supplied (``supply_date`` on or before ``as_of``), not started, no
   building, and ``as_of`` on or after the due date + ``Policy.idle_after_years``; the due
   date is the agreed start date (``start_deadline``), else ``supply_date`` +
   ``Policy.idle_start_after_supply_months`` — the same rule as the ``idle`` flag of
   :mod:`xsland.judge.lowuse`.
4. ``supplied_not_started`` (供而未用): supplied, no building, not (yet) idle.
5. ``approved_not_supplied`` (批而未供): an approval date (``approval_date``) on or
   before ``as_of`` and no supply by then.
6. ``unknown`` (无法判定): none of the above can be decided — no dates and no building,
   or supplied land whose building state is unknown (neither floor area nor footprint).

Dates after ``as_of`` count as "not yet".
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

import xsland._sums as sums
from xsland.errors import DataError
from xsland.judge.keys import add_months, date_column, number_arrow
from xsland.judge.keys import arrow_text as _text
from xsland.judge.keys import join_text as _cat
from xsland.rules.evaluation_columns import SUPPLY_COLUMNS as COLUMNS
from xsland.rules.evaluation_columns import SUPPLY_STATUSES as STATUSES
from xsland.rules.policy import DEFAULT_POLICY, Policy

__all__ = [
    "COLUMNS",
    "STATUSES",
    "supply_rates",
    "supply_rates_combine",
    "supply_rates_partial",
    "supply_status",
]

_SUPPLIED = ("built", "under_construction", "idle", "supplied_not_started")

#: Output columns: name -> (dtype, unit, Chinese label, English label, description, precision).


def _as_of(as_of: Any) -> pd.Timestamp:
    if as_of is None:
        return pd.Timestamp(_dt.date.today())
    try:
        return pd.Timestamp(as_of).tz_localize(None).normalize()
    except (TypeError, ValueError):
        raise DataError(
            f"as_of = {as_of!r} is not a date. Fix: pass a date such as 2026-01-01"
        ) from None


def _number(parcels: pd.DataFrame, col: str) -> np.ndarray:
    if col not in parcels.columns:
        return np.full(len(parcels), np.nan)
    return pd.to_numeric(parcels[col], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


def _day(dates: pd.Series) -> pa.Array:
    """Dates as ``YYYY-MM-DD`` Arrow text ('' for NaT): ``dates.dt.strftime("%Y-%m-%d")``,
    each distinct date written once (many parcels share a day)."""
    codes, uniq = pd.factorize(dates)
    text = pd.DatetimeIndex(uniq).strftime("%Y-%m-%d").to_numpy(dtype=object)
    # code -1 (NaT): the last, ""
    return _text(np.append(text, "")).take(np.where(codes < 0, len(text), codes))


def _per_code(kind: np.ndarray, table: Mapping[str, str] | None = None) -> Any:
    """``pd.array([table[c] for c in code], dtype="string")`` (``code`` itself without a
    table), ``code`` the status :data:`STATUSES` numbers ``kind`` (0 ``built`` … 5
    ``unknown``): each status looked up and converted once."""
    shown = [table[c] for c in STATUSES] if table is not None else list(STATUSES)
    return pd.array(shown, dtype="string").take(kind)


def supply_status(
    parcels: pd.DataFrame, *, as_of: Any = None, policy: Policy = DEFAULT_POLICY
) -> pd.DataFrame:
    """The 批供用 status of each parcel, and the rule that decided it.

    Parameters
    ----------
    parcels
        The audit's parcel table: optional ``approval_date``, ``supply_date``,
        ``start_deadline``, ``start_actual``, ``completion_date`` (dates), ``floor_area``
        and ``footprint_m2`` (m²).
    as_of
        The audit date (default: today).
    policy
        ``idle_after_years`` and ``idle_start_after_supply_months``.

    Returns
    -------
    DataFrame
        Indexed like ``parcels``: ``supply_status`` (a code of :data:`STATUSES`),
        ``supply_status_zh`` and ``supply_rule`` (the rule, with its dates).

    Raises
    ------
    DataError
        A date column holding values that are not dates, or ``as_of`` not a date.
    """
    today = _as_of(as_of)
    kw = {"what": "parcels", "id_col": "parcel_id"}
    approved = date_column(parcels, "approval_date", **kw)
    supplied = date_column(parcels, "supply_date", **kw)
    deadline = date_column(parcels, "start_deadline", **kw)
    started = date_column(parcels, "start_actual", **kw)
    completed = date_column(parcels, "completion_date", **kw)
    floor_area = _number(parcels, "floor_area")
    footprint = _number(parcels, "footprint_m2")
    # shown in the rule: the floor area, else the footprint
    building = np.where(np.nan_to_num(floor_area) > 0, floor_area, footprint)
    built_known = ~np.isnan(floor_area) | ~np.isnan(footprint)
    # any floor area or footprint: the A of the intensive-use evaluation
    has_building = (np.nan_to_num(floor_area) > 0) | (np.nan_to_num(footprint) > 0)

    def on(dates: pd.Series) -> np.ndarray:
        return (dates.notna() & (dates <= today)).to_numpy(dtype=bool)

    is_completed = on(completed)
    is_started = on(started)
    no_dates = started.isna().to_numpy(dtype=bool) & completed.isna().to_numpy(dtype=bool)
    is_supplied = on(supplied)
    # each distinct date read and moved once (many parcels share a day)
    due = deadline.fillna(add_months(supplied, policy.idle_start_after_supply_months))
    idle_since = add_months(due, round(policy.idle_after_years * 12))
    past_due = on(idle_since)

    built = is_completed | (has_building & no_dates)
    building_now = ~built & (is_started | has_building)
    rest = ~built & ~building_now
    idle = rest & is_supplied & built_known & past_due
    waiting = rest & is_supplied & built_known & ~past_due
    not_supplied = rest & ~is_supplied & on(approved)
    # the status as its number in STATUSES (built, under_construction, idle,
    # supplied_not_started, approved_not_supplied; else unknown): no text per parcel
    kind = np.select([built, building_now, idle, waiting, not_supplied], range(5), 5)
    rule = _rules(
        kind,
        today=today,
        dates={
            "approved": _day(approved),
            "supplied": _day(supplied),
            "due": _day(due),
            "since": _day(idle_since),
            "started": _day(started),
            "completed": _day(completed),
        },
        building=building,
        is_completed=is_completed,
        is_started=is_started,
        is_supplied=is_supplied,
        policy=policy,
    )
    out = pd.DataFrame(
        {
            "supply_status": _per_code(kind),
            "supply_status_zh": _per_code(kind, {c: v[0] for c, v in STATUSES.items()}),
            "supply_rule": pd.array(rule, dtype="string"),  # Arrow text as it is
        }
    )
    out.index = parcels.index
    return out


def _rules(
    kind: np.ndarray,
    *,
    today: pd.Timestamp,
    dates: Mapping[str, pa.Array],
    building: np.ndarray,
    is_completed: np.ndarray,
    is_started: np.ndarray,
    is_supplied: np.ndarray,
    policy: Policy,
) -> pa.Array:
    """The rule text of each parcel (Chinese, with its dates and floor area), Arrow text.

    ``kind`` is each parcel's status as its number in :data:`STATUSES`; ``dates`` are
    :func:`_day` texts. The first branch that holds gives a row its text,
    as :func:`numpy.select` would; each branch's texts are joined in Arrow for its rows
    only (:func:`xsland.judge.keys.join_text`) and one ``take`` puts every row's text in place.
    """
    n = len(kind)
    day = today.strftime("%Y-%m-%d")
    code = {c: kind == i for i, c in enumerate(STATUSES)}  # each status's parcels
    # the floor area as text, only where a rule shows it: built without a completion
    # date on or before the day, under construction without a start date (each distinct
    # floor area written once); "" first, for any other row
    shown = (code["built"] & ~is_completed) | (code["under_construction"] & ~is_started)
    fa = pa.concat_arrays([_text([""]), number_arrow(building[shown], 1)])
    fa_at = np.zeros(n, dtype=np.int64)
    fa_at[shown] = np.arange(1, int(shown.sum()) + 1)
    years = f"{policy.idle_after_years:g}"
    d = dates

    def at(values: Any, rows: np.ndarray) -> pa.Array:
        # the floor areas are kept for the rows that show them: taken by their place
        return values.take(fa_at[rows] if values is fa else rows)

    branches = [
        (
            code["built"] & is_completed,
            lambda r: _cat("竣工日期 ", at(d["completed"], r), " ≤ 评价日 " + day),
        ),
        (code["built"], lambda r: _cat("有建筑(", at(fa, r), " m²)且无开工/竣工日期: 视为建成")),
        (
            code["under_construction"] & is_started,
            lambda r: _cat("实际开工 ", at(d["started"], r), ", 至评价日 " + day + " 未竣工"),
        ),
        (
            code["under_construction"],
            lambda r: _cat(
                "有建筑(",
                at(fa, r),
                " m²), 竣工日期 ",
                pc.if_else(pc.equal(at(d["completed"], r), ""), "未填", at(d["completed"], r)).cast(
                    pa.large_string()
                ),
                " 晚于评价日或未填: 在建",
            ),
        ),
        (
            code["idle"],
            lambda r: _cat(
                "供地 ",
                at(d["supplied"], r),
                ", 应动工 ",
                at(d["due"], r),
                " 后满 " + years + " 年(",
                at(d["since"], r),
                ")未动工: 闲置",
            ),
        ),
        (
            code["supplied_not_started"],
            lambda r: _cat(
                "供地 ",
                at(d["supplied"], r),
                ", 无建筑, 应动工 ",
                at(d["due"], r),
                "+" + years + " 年未到: 供而未用",
            ),
        ),
        (
            code["approved_not_supplied"],
            lambda r: _cat(
                "批准 ", at(d["approved"], r), ", 至评价日 " + day + " 未供地: 批而未供"
            ),
        ),
        (
            code["unknown"] & is_supplied,
            lambda r: _cat("供地 ", at(d["supplied"], r), ", 建设情况未知(无建筑面积和基底面积)"),
        ),
    ]
    # the first branch that holds, as np.select; each row's place among the texts made
    pieces = [_text(["无批准/供地日期且无建筑: 无法判定"])]
    place = np.zeros(n, dtype=np.int64)  # the default text, the first
    size = 1
    taken = np.zeros(n, dtype=bool)
    for holds, make in branches:
        rows = np.flatnonzero(np.asarray(holds, dtype=bool) & ~taken)
        if len(rows):
            pieces.append(make(rows))
            place[rows] = size + np.arange(len(rows))
            size += len(rows)
            taken[rows] = True
    return pa.concat_arrays(pieces).take(place)


def supply_rates(parcels: pd.DataFrame, status: pd.DataFrame, *, by: str) -> pd.DataFrame:
    """Areas per status and the 批而未供 / 供而未用 / 闲置 rates per park or town.

    With :math:`S` the area of each status (ha), approved land
    :math:`P = \\sum_{s \\ne unknown} S_s`, supplied land
    :math:`G = S_{built} + S_{under\\_construction} + S_{idle} + S_{supplied\\_not\\_started}`:

    .. math::

        \\text{批而未供率} = S_{approved\\_not\\_supplied} / P, \\quad
        \\text{供而未用率} = (S_{supplied\\_not\\_started} + S_{idle}) / G, \\quad
        \\text{闲置率} = S_{idle} / G

    each null where its denominator is 0. A rate never leaves 0–100 %: a group holding a
    negative area (only a caller of the API can pass one; areas measured from geometry
    never are) has null rates.

    Parameters
    ----------
    parcels
        ``area_ha`` and the grouping column ``by`` (``park_id`` or ``town``).
    status
        :func:`supply_status` of those parcels (same index).
    by
        The grouping column; parcels where it is empty are left out.

    Returns
    -------
    DataFrame
        One row per group: ``by``, ``ss_<code>_ha`` for each status, ``ss_approved_ha``,
        ``ss_supplied_ha``, ``rate_not_supplied``, ``rate_not_used``, ``rate_idle``.
    """
    return supply_rates_combine([supply_rates_partial(parcels, status, by=by)], by=by)


def _rates_kinds() -> dict[str, str]:
    return {**{code: sums.SUM for code in STATUSES}, "negative": sums.ANY}


def supply_rates_partial(
    parcels: pd.DataFrame, status: pd.DataFrame, *, by: str, groups: sums.Groups | None = None
) -> pd.DataFrame:
    """The partial table of :func:`supply_rates` for some of the parcels (one partition).

    Per group: the exact area sum of each status (:func:`xsland._sums.partial`) and
    whether a negative area is among them; :func:`supply_rates_combine` of the partial
    tables of disjoint sets of parcels is :func:`supply_rates` of their union. ``groups``
    are the parcels grouped by ``by`` (:func:`xsland._sums.groups`), when the caller has
    them.
    """
    # each parcel's status by its code among the distinct ones (no text compared per row)
    found, uniq = pd.factorize(status["supply_status"])
    at = {c: i for i, c in enumerate(uniq.tolist())}
    ha = pd.to_numeric(parcels["area_ha"]).to_numpy(dtype="float64")
    columns = {c: np.where(found == at.get(c, -2), ha, 0.0) for c in STATUSES}
    columns["negative"] = ha < 0
    keys = groups if groups is not None else parcels[by].to_numpy(dtype=object)
    return sums.partial(keys, columns, _rates_kinds(), name=by)


def supply_rates_combine(partials: Any, *, by: str) -> pd.DataFrame:
    """:func:`supply_rates` from the partial tables (:func:`supply_rates_partial`) of
    disjoint sets of parcels."""
    table = sums.reduce(partials, _rates_kinds())
    negative = table["negative"].to_numpy(dtype=bool)
    table = table[list(STATUSES)]
    out = pd.DataFrame(index=table.index)
    for code in STATUSES:
        out[f"ss_{code}_ha"] = table[code]
    out["ss_approved_ha"] = table.drop(columns="unknown").sum(axis=1)
    out["ss_supplied_ha"] = table[list(_SUPPLIED)].sum(axis=1)
    approved = out["ss_approved_ha"].where(out["ss_approved_ha"] > 0)
    supplied = out["ss_supplied_ha"].where(out["ss_supplied_ha"] > 0)
    out["rate_not_supplied"] = out["ss_approved_not_supplied_ha"] / approved
    out["rate_not_used"] = (out["ss_supplied_not_started_ha"] + out["ss_idle_ha"]) / supplied
    out["rate_idle"] = out["ss_idle_ha"] / supplied
    for col in ("rate_not_supplied", "rate_not_used", "rate_idle"):
        out[col] = out[col].where(~negative)
    out.index.name = by
    out = out.reset_index()
    out.columns.name = None
    return out
