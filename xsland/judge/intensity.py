"""Intensive-use evaluation of each park and of the district (开发区土地集约利用评价).

The national evaluation of development zones (开发区土地集约利用评价规程, TD/T 1029) measures
how fully and how densely a zone's land is used. :func:`intensity` computes its indicators
from the audit's parcel table, one row per park and one for the district (all parks):

=========================  ==================================================================
``built_ha``  A            已建成城镇建设用地: parcels with floor area or footprint above 0
``industrial_built_ha`` A2 工矿仓储用地: built parcels of an industrial or logistics category
``residential_built_ha``   住宅用地: built parcels whose land-use code is 07… (2023) or R… (GB)
``supplied_ha``  D         已供应国有建设用地: parcels whose 批供用 status is supplied, started,
                           built or idle (:mod:`xsland.judge.supply`); known only where the
                           park's parcels carry supply dates
``ready_ha``  B21          已达供地条件未供应: unsupplied parcels with ``ready_for_supply``
``idle_ha``  G             闲置土地: parcels of status ``idle``
``supply_rate``            土地供应率 D / (A + B21'), TD/T 1029: of the land that meets the
                           conditions for supply, the share supplied. The standard's B21'
                           (已达到供地条件的其他土地) is every *unbuilt* parcel that is
                           supplied or ready for supply, so A + B21' is the land built,
                           supplied or ready, and the rate never passes 100 %. (``ready_ha``
                           reports only the ready-but-unsupplied part of it.)
``built_rate``             土地建成率 A / D
``industrial_rate``        工业用地率 A2 / A
``far_all``                综合容积率: floor area on A / A
``building_density``       建筑密度: footprint on A / A
``far_industrial``         工业用地综合容积率: floor area on A2 / A2
``coverage_industrial``    工业用地建筑系数: footprint on A2 / A2
``tax_per_ha_industrial``  工业用地地均税收 (万元/ha): tax on A2 / A2
``investment_per_ha``      工业用地固定资产投入强度 (万元/ha): investment on A2 / A2
``idle_rate``              土地闲置率 G / D
=========================  ==================================================================

An enterprise's tax and investment are spread over its parcels in proportion to their area;
tax per ha is the tax on the A2 parcels of enterprises with a known figure over the area
of those parcels (the share of A2 this covers is named in ``missing`` when below 100 %).

Every value is null where its data are missing, never 0, and ``missing`` says why. A share
(the rates, building density and coverage) never leaves 0–100 %: where inconsistent inputs
would put it outside (negative areas, footprints larger than their parcels, built land
that the supply status calls unsupplied), it is null and ``missing`` names the figures.
The zone type is 工业主导型 when A2 / A is above ``Policy.zone_industrial_share_min``
(30 %) and residential land under ``Policy.zone_residential_share_max`` (25 %) of A, else
产城融合型. The score (0–100) weighs each indicator's degree of attainment of its ideal
value (``Policy.ideal_*``, ``Policy.weight_*``; see :func:`score`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

import xsland._sums as sums
from xsland.judge.keys import distinct, distinct_groups
from xsland.judge.supply import supply_status
from xsland.rules.evaluation_columns import INTENSITY_COLUMNS as COLUMNS
from xsland.rules.landuse import land_use_codes
from xsland.rules.policy import DEFAULT_POLICY, Policy

__all__ = [
    "COLUMNS",
    "INDICATORS",
    "SHARES",
    "ZONE_TYPES",
    "intensity",
    "intensity_combine",
    "intensity_partial",
    "land_combine",
    "land_partial",
    "score",
]

_INDUSTRIAL = (
    "new_industrial",
    "standard_factory",
    "new_type_industrial",
    "industrial",
    "logistics",
)
_SUPPLIED = ("built", "under_construction", "idle", "supplied_not_started")

#: Zone types (开发区类型) of TD/T 1029.
ZONE_TYPES: Mapping[str, str] = {"industrial": "工业主导型", "mixed": "产城融合型"}

#: Indicators scored against an ideal value, in order; ``idle_rate`` is lower-is-better.
INDICATORS = (
    "supply_rate",
    "built_rate",
    "industrial_rate",
    "far_all",
    "building_density",
    "far_industrial",
    "coverage_industrial",
    "tax_per_ha_industrial",
    "investment_per_ha",
    "idle_rate",
)

#: Indicators that are shares (0–1) and the fraction each is, for ``missing``.
SHARES: Mapping[str, str] = {
    "supply_rate": "D / (A + B21')",
    "built_rate": "A / D",
    "industrial_rate": "A2 / A",
    "residential_rate": "R / A",
    "building_density": "footprint on A / A",
    "coverage_industrial": "footprint on A2 / A2",
    "idle_rate": "G / D",
}

_T = tuple[str, str, str, str, str, int | None]

#: Output columns: name -> (dtype, unit, Chinese label, English label, description, precision).


def _num(frame: pd.DataFrame, col: str) -> np.ndarray:
    if col not in frame.columns:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


def _key(values: pd.Series) -> pd.Series:
    """IDs as clean text: ``12.0`` from a spreadsheet is ``"12"``, blanks are NA.

    Each distinct text is cleaned once (an enterprise stands on several parcels) and
    taken by its rows.
    """
    code, uniq = pd.factorize(values.astype("string").str.strip())
    text = pd.Series(uniq, dtype="string").str.replace(r"^(\d+)\.0+$", r"\1", regex=True)
    text = text.where(text != "")
    return pd.Series(text.array.take(code, allow_fill=True), index=values.index, name=values.name)


def _flag(frame: pd.DataFrame, col: str) -> np.ndarray:
    values = frame[col]
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.fillna(False).to_numpy(dtype=bool)
    text = values.astype("string").str.strip().str.lower()
    return text.isin({"true", "1", "1.0", "yes", "y", "t", "是", "√", "有"}).to_numpy(dtype=bool)


def _per_parcel(
    parcels: pd.DataFrame,
    enterprises: pd.DataFrame | None,
    *,
    land: pd.Series,
    as_of: Any,
    policy: Policy,
) -> dict[str, np.ndarray]:
    """The parcel facts the indicators add up (one value per parcel)."""
    area = _num(parcels, "area_ha")
    floor = _num(parcels, "floor_area")
    foot = _num(parcels, "footprint_m2")
    built = (np.nan_to_num(floor) > 0) | (np.nan_to_num(foot) > 0)
    cat = parcels["category"].astype("string") if "category" in parcels else None
    industrial = (
        cat.isin(_INDUSTRIAL).fillna(False).to_numpy(dtype=bool)
        if cat is not None
        else np.zeros(len(parcels), bool)
    )
    code = (  # codes or names, read by the one land-use vocabulary
        land_use_codes(parcels["land_use"])[0].astype("string")
        if "land_use" in parcels
        else pd.Series(pd.NA, index=parcels.index, dtype="string")
    )
    residential = code.str.match(r"^(07|R)").fillna(False).to_numpy(dtype=bool)
    status = (
        parcels["supply_status"]
        if "supply_status" in parcels.columns
        else supply_status(parcels, as_of=as_of, policy=policy)["supply_status"]
    )
    supplied = status.isin(_SUPPLIED).to_numpy(dtype=bool)
    has_date = (
        parcels["supply_date"].notna().to_numpy(dtype=bool)
        if "supply_date" in parcels
        else np.zeros(len(parcels), bool)
    )
    ready = (
        _flag(parcels, "ready_for_supply") & ~supplied
        if "ready_for_supply" in parcels
        else np.zeros(len(parcels), bool)
    )
    out = {
        "area": area,
        "A": np.where(built, area, 0.0),
        "A2": np.where(built & industrial, area, 0.0),
        "R": np.where(built & residential, area, 0.0),
        "D": np.where(supplied, area, 0.0),
        "B21": np.where(ready, area, 0.0),
        # A + B21' of TD/T 1029: built, or unbuilt and supplied or ready for supply
        "A_B21": np.where(built | supplied | ready, area, 0.0),
        "G": np.where(status.eq("idle").fillna(False).to_numpy(dtype=bool), area, 0.0),
        "dated": has_date,
        "floor_A": np.where(built, floor, 0.0),
        "foot_A": np.where(built, foot, 0.0),
        "A2_flag": built & industrial,
    }
    for col, (share, known) in _spread(parcels, enterprises, ("tax", "investment"), land):
        out[f"{col}_A2"] = np.where(out["A2_flag"], share, 0.0)
        out[f"{col}_known_A2"] = np.where(out["A2_flag"] & known, area, 0.0)
    return out


def _spread(
    parcels: pd.DataFrame,
    enterprises: pd.DataFrame | None,
    cols: tuple[str, ...],
    land: pd.Series,
) -> list[tuple[str, tuple[np.ndarray, np.ndarray]]]:
    """Enterprise figures spread over their parcels by area; and where each is known.

    Per column :math:`c` of ``cols``, parcel :math:`i` of enterprise :math:`e` gets
    :math:`c_e \\, a_i / L_e` (:math:`a_i` its area, :math:`L_e` the enterprise's land)
    where :math:`c_e` is known and :math:`L_e > 0`, else 0. ``land`` is each
    enterprise's land (ha) over all parcels (:func:`land_combine`). Each distinct
    ``enterprise_id`` is cleaned (``_key``) and looked up once for all columns
    (:func:`xsland.judge.keys.distinct`), and each parcel takes its ID's answers.
    """
    n = len(parcels)
    given = [col for col in cols if enterprises is not None and col in enterprises]
    if enterprises is None or "enterprise_id" not in parcels or not given:
        return [(col, (np.zeros(n), np.zeros(n, bool))) for col in cols]
    found = distinct(parcels["enterprise_id"])
    cells, rows = found if found is not None else (parcels["enterprise_id"], np.arange(n))
    ids = _key(cells)
    figures = pd.DataFrame(
        {
            c: pd.to_numeric(enterprises[c], errors="coerce").to_numpy(dtype="float64")
            for c in given
        },
        index=_key(enterprises["enterprise_id"]).to_numpy(),
    )
    figures = figures[~figures.index.duplicated()]
    # each ID's row of the figures, looked up once for all columns as ids.map(figure)
    # looks up each (the same index)
    where = ids.map(pd.Series(np.arange(len(figures)), index=figures.index))
    where = where.to_numpy(dtype="float64", na_value=np.nan)
    at = np.where(np.isnan(where), -1, where).astype("int64")[rows]
    area = _num(parcels, "area_ha")
    # every parcel's _key(enterprise_id).astype(object).map(land)
    total = ids.astype(object).map(land).to_numpy(dtype="float64", na_value=np.nan)[rows]
    out = []
    for col in cols:
        if col not in given:
            out.append((col, (np.zeros(n), np.zeros(n, bool))))
            continue
        value = np.full(n, np.nan)
        value[at >= 0] = figures[col].to_numpy()[at[at >= 0]]
        known = ~np.isnan(value) & (total > 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(known, value * area / np.where(total > 0, total, 1), 0.0)
        out.append((col, (share, known)))
    return out


def land_partial(parcels: pd.DataFrame, *, rows: Any = None) -> pd.DataFrame:
    """Each enterprise's land (ha) on some of the parcels, summed exactly
    (:func:`xsland._sums.partial`): the figures of :func:`intensity` spread over an
    enterprise's parcels in proportion to their area need its land on all of them."""
    if "enterprise_id" not in parcels:
        keys = np.full(len(parcels), None, dtype=object)
    else:  # each distinct ID cleaned once, the parcels grouped by their IDs' keys
        keys = distinct_groups(parcels["enterprise_id"], lambda u: _key(u).astype(object))
    area = {"land_ha": _num(parcels, "area_ha")}
    return sums.partial(keys, area, {"land_ha": sums.SUM}, rows=rows, name="enterprise_id")


def land_combine(partials: Any) -> pd.Series:
    """Each enterprise's land (ha) on all parcels, from :func:`land_partial` tables."""
    return sums.reduce(partials, {"land_ha": sums.SUM})["land_ha"]


def _ratio(num: float, den: float) -> float:
    return num / den if den > 0 else np.nan


_BASES = (
    ("far_all", "floor_A", "A"),
    ("building_density", "foot_A", "A"),
    ("far_industrial", "floor_A", "A2"),
    ("coverage_industrial", "foot_A", "A2"),
)


def _kinds() -> dict[str, str]:
    kinds = {c: sums.SUM for c in ("A", "A2", "R", "D", "B21", "A_B21", "G")}
    kinds["dated"] = sums.ANY
    for _, num, base in _BASES:
        kinds |= {f"{num}_{base}": sums.SUM, f"{num}_{base}_nan": sums.COUNT}
    for col in ("tax", "investment"):
        kinds |= {f"{col}_A2": sums.SUM, f"{col}_known_A2": sums.SUM}
    return kinds | {"first": sums.FIRST}


def _indicators(g: Mapping[str, Any], *, has: Mapping[str, bool]) -> dict[str, Any]:
    """The indicators of one group of parcels from their sums, and why any is null."""
    a, a2, r = g["A"], g["A2"], g["R"]
    why: dict[str, str] = {}
    d_known = bool(g["dated"])
    d = g["D"] if d_known else np.nan
    g_ha = g["G"] if d_known else np.nan
    if not d_known:
        why["supplied_ha"] = "no supply_date on the parcels"
    b21 = g["B21"] if has["ready"] else np.nan
    if not has["ready"]:
        why["ready_ha"] = "no ready_for_supply column (已达供地条件)"
    row: dict[str, Any] = {
        "built_ha": a,
        "industrial_built_ha": a2,
        "residential_built_ha": r,
        "supplied_ha": d,
        "ready_ha": b21,
        "idle_ha": g_ha,
        "supply_rate": _ratio(d, g["A_B21"]) if has["ready"] else np.nan,
        "built_rate": _ratio(a, d),
        "industrial_rate": _ratio(a2, a),
        "residential_rate": _ratio(r, a),
    }
    for name, num, base in _BASES:
        den = a if base == "A" else a2
        if g[f"{num}_{base}_nan"]:
            what = "floor area" if num == "floor_A" else "footprint"
            why[name] = f"{what} unknown on {int(g[f'{num}_{base}_nan'])} parcel(s) of {base}"
            row[name] = np.nan
        else:
            row[name] = _ratio(g[f"{num}_{base}"] / 10_000, den)
    for name, col in (("tax_per_ha_industrial", "tax"), ("investment_per_ha", "investment")):
        covered = g[f"{col}_known_A2"]
        row[name] = _ratio(g[f"{col}_A2"], covered)
        if not has[col]:
            why[name] = f"no enterprise {col} column"
        elif covered == 0:
            why[name] = f"no enterprise with {col} on industrial land"
        elif covered < a2 - 1e-9:
            why[name] = f"{col} known on {100 * covered / a2:.1f} % of A2 (rate over that part)"
    row["idle_rate"] = _ratio(g_ha, d)
    for name, fraction in SHARES.items():
        value = row[name]
        if np.isfinite(value) and not -1e-9 <= value <= 1 + 1e-9:
            why[name] = (
                f"{fraction} = {100 * value:.1f} % is outside 0–100 %: inconsistent inputs "
                "(negative areas, footprints larger than their parcels, or built land "
                "whose supply status is not supplied); not used"
            )
            row[name] = np.nan
    for name in INDICATORS:
        if np.isnan(row[name]) and name not in why:
            why[name] = _why_ratio(name, why, a)
    row["_why"] = why
    return row


def _why_ratio(name: str, why: Mapping[str, str], a: float) -> str:
    if name == "supply_rate":
        parts = [k for k in ("supplied_ha", "ready_ha") if k in why]
        return "needs " + " and ".join(parts) if parts else "A + B21' = 0"
    if name in ("built_rate", "idle_rate"):
        return "needs supplied_ha" if "supplied_ha" in why else "D = 0"
    return "no built land (A = 0)" if a == 0 else "unknown"


def score(values: Mapping[str, float], *, policy: Policy = DEFAULT_POLICY) -> tuple[float, float]:
    """The intensity score (0–100) and the share of the weight it rests on.

    For an indicator :math:`k` with value :math:`x_k`, ideal :math:`I_k` (``ideal_<k>``)
    and weight :math:`w_k` (``weight_<k>``), its attainment (理想值实现度) is

    .. math::

        s_k = \\min(x_k / I_k,\\ 1) \\quad (s_k = 1 \\text{ when } I_k = 0), \\qquad
        s_{idle} = \\max\\Big(0,\\ 1 - \\frac{\\max(x - I, 0)}{1 - I}\\Big)

    (the idle rate is lower-is-better), and the score is
    :math:`100 \\sum_k w_k s_k / \\sum_k w_k` over the indicators with a value and a
    weight above 0; the second number is that :math:`\\sum w_k` over the sum of all
    weights. Both are NaN when no weighted indicator has a value.
    """
    total = known = points = 0.0
    for k in INDICATORS:
        w = float(getattr(policy, f"weight_{k}"))
        ideal = float(getattr(policy, f"ideal_{k}"))
        total += w
        x = values.get(k, np.nan)
        if w == 0 or x is None or not np.isfinite(x):
            continue
        if k == "idle_rate":
            s = max(0.0, 1.0 - max(x - ideal, 0.0) / (1.0 - ideal))
        else:
            s = 1.0 if ideal == 0 else min(max(x, 0.0) / ideal, 1.0)
        known += w
        points += w * s
    if known == 0:
        return np.nan, (np.nan if total == 0 else 0.0)
    return 100.0 * points / known, known / total


def intensity(
    parcels: pd.DataFrame,
    *,
    parks: pd.DataFrame | None = None,
    enterprises: pd.DataFrame | None = None,
    as_of: Any = None,
    policy: Policy = DEFAULT_POLICY,
) -> pd.DataFrame:
    """The intensive-use indicators, zone type and score per park and for the district.

    Parameters
    ----------
    parcels
        The audit's parcel table: ``park_id``, ``area_ha``, ``floor_area``,
        ``footprint_m2``, ``category``; optional ``land_use``, ``supply_date``,
        ``supply_status`` (computed by :func:`xsland.judge.supply.supply_status` when
        absent), ``ready_for_supply`` and ``enterprise_id``.
    parks
        ``park_id`` and ``name``: every park gets a row, in this order (parks without
        parcels have A = 0 and null ratios).
    enterprises
        ``enterprise_id`` with ``tax`` and ``investment`` (万元), when known.
    as_of
        The audit date, for the supply status when it has to be computed.
    policy
        ``zone_*``, ``ideal_*`` and ``weight_*``.

    Returns
    -------
    DataFrame
        The columns of :data:`COLUMNS`, one row per park then one ``district`` row (all
        parcels inside a park).
    """
    partial = intensity_partial(
        parcels, enterprises, land=land_combine([land_partial(parcels)]), as_of=as_of, policy=policy
    )
    return intensity_combine(
        [partial],
        parks=parks,
        enterprises=enterprises,
        ready="ready_for_supply" in parcels.columns,
        policy=policy,
    )


def intensity_partial(
    parcels: pd.DataFrame,
    enterprises: pd.DataFrame | None = None,
    *,
    land: pd.Series,
    as_of: Any = None,
    policy: Policy = DEFAULT_POLICY,
    rows: Any = None,
    groups: sums.Groups | None = None,
) -> pd.DataFrame:
    """The partial table of :func:`intensity` for some of the parcels (one partition).

    Per park, the exact sums (:func:`xsland._sums.partial`) of A, A2, R, D, B21,
    A + B21', G, the floor area and footprint on A and A2 (and how many of those are
    unknown), the enterprises' tax and investment spread on A2 and the area they cover;
    whether a parcel has a supply date; its first row. ``land`` is every enterprise's
    land on all parcels (:func:`land_combine` of the :func:`land_partial` tables), as an
    enterprise's figures are spread over all its parcels. :func:`intensity_combine` of
    the partial tables of disjoint sets of parcels is :func:`intensity` of their union.
    ``groups`` are the parcels grouped by ``park_id`` (:func:`xsland._sums.groups`), when
    the caller has them.
    """
    facts = _per_parcel(parcels, enterprises, land=land, as_of=as_of, policy=policy)
    cols: dict[str, Any] = {c: facts[c] for c in ("A", "A2", "R", "D", "B21", "A_B21", "G")}
    cols["dated"] = facts["dated"]
    for _, num, base in _BASES:
        sel = facts[base] > 0
        value = facts[num].astype("float64")
        cols[f"{num}_{base}"] = np.where(sel, value, np.nan)
        cols[f"{num}_{base}_nan"] = sel & np.isnan(value)
    for col in ("tax", "investment"):
        cols |= {f"{col}_A2": facts[f"{col}_A2"], f"{col}_known_A2": facts[f"{col}_known_A2"]}
    cols["first"] = None
    keys: Any = groups
    if keys is None:  # the park IDs as a column of the parcels infers them
        keys = pd.Series(parcels["park_id"].to_numpy(dtype=object)).to_numpy(dtype=object)
    return sums.partial(keys, cols, _kinds(), rows=rows, name="park_id")


def intensity_combine(
    partials: Any,
    *,
    parks: pd.DataFrame | None = None,
    enterprises: pd.DataFrame | None = None,
    ready: bool,
    policy: Policy = DEFAULT_POLICY,
) -> pd.DataFrame:
    """:func:`intensity` from the partial tables (:func:`intensity_partial`) of disjoint
    sets of parcels; ``ready`` tells whether the parcels have ``ready_for_supply``.

    The district row adds up the parts of every park (the parcels inside a park).
    """
    has = {
        "ready": ready,
        "tax": enterprises is not None and "tax" in enterprises.columns,
        "investment": enterprises is not None and "investment" in enterprises.columns,
    }
    partials = [p for p in partials if len(p)]
    kinds = _kinds()
    per_park = sums.reduce(partials, kinds)
    if parks is not None:
        ids = list(dict.fromkeys(parks["park_id"].astype(object)))
        names = parks.drop_duplicates("park_id").set_index("park_id")["name"]
    else:
        ids = list(per_park.sort_values("first", kind="stable").index)
        names = pd.Series(dtype=object)
    empty = {k: 0.0 for k in kinds} | {"dated": False}
    # each park's sums as a dict of Python values (what Series.to_dict gives), read
    # from the columns once rather than from a pandas row per park
    values = {c: per_park[c].tolist() for c in per_park.columns}
    where = {pid: i for i, pid in enumerate(per_park.index.tolist())}
    rows = []
    for pid in ids:
        i = where.get(pid)
        totals = {c: v[i] for c, v in values.items()} if i is not None else empty
        row = _indicators(totals, has=has)
        rows.append({"park_id": pid, "name": names.get(pid), "level": "park", **row})
    everything = [p.set_axis(["district"] * len(p), axis=0) for p in partials]
    whole = sums.reduce(everything, kinds)
    totals = whole.loc["district"].to_dict() if len(whole) else empty
    row = _indicators(totals, has=has)
    rows.append({"park_id": "district", "name": "全区", "level": "district", **row})
    for row in rows:
        why = row.pop("_why")
        a = row["built_ha"]
        if a > 0 and (np.isnan(row["industrial_rate"]) or np.isnan(row["residential_rate"])):
            row["zone_type"] = None
            why.setdefault("zone_type", "needs industrial_rate and residential_rate")
        elif a > 0:
            industrial = row["industrial_rate"] > policy.zone_industrial_share_min
            homes = row["residential_rate"] < policy.zone_residential_share_max
            row["zone_type"] = ZONE_TYPES["industrial" if industrial and homes else "mixed"]
        else:
            row["zone_type"] = None
            why.setdefault("zone_type", "no built land (A = 0)")
        row["score"], row["score_weight_share"] = score(row, policy=policy)
        row["missing"] = "; ".join(f"{k}: {v}" for k, v in why.items()) or None
    out = pd.DataFrame(rows)
    for col, (dtype, *_rest) in COLUMNS.items():
        out[col] = out[col].astype(dtype) if dtype == "float64" else out[col].astype("string")
    return out[list(COLUMNS)].reset_index(drop=True)
