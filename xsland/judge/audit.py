"""The park audit: every rule of SPEC §2, per park and per town.

:func:`run` takes validated layers (see :mod:`xsland.read.io`) and returns an
:class:`AuditResult` of tables. Every park check is ``pass``, ``fail``,
``unknown`` (the data it needs is missing — never a silent pass) or ``n/a``
(the rule cannot apply by definition: the 3 km² limit to a carrier-type park, a
FAR minimum or the coverage rule to a park none of whose parcels is of that
category *when every parcel's category is known*, the fund rule to a park that
has set up no fund). A park without parcels, parcels without category or
land-use code, and industrial parcels without a supply date (new or existing
land?) make the checks they could change ``unknown``, and are listed in the
data-quality table (``park_without_parcels``, ``category_unknown``,
``supply_date_missing``). Beside each ``chk_*`` column stands the measured
value (``val_*``) and the threshold comes from the :class:`~xsland.rules.policy.Policy`.

Checks with partial data are decided only when the missing data could not
change the answer: 9 chain leaders known and 2 enterprises without the flag
is a pass; 6 innovation platforms known and one park without a figure is
``unknown``.
"""

from __future__ import annotations

import itertools
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

import xsland._sums as sums
from xsland.judge.keys import add_months, date_column, id_codes, per_distinct
from xsland.measure.area import M2_PER_KM2, M2_PER_MU, areas, union_area_m2
from xsland.measure.far import categorise, plot_ratio
from xsland.measure.overlay import park_assignment
from xsland.read.crs import metric_crs
from xsland.read.validate import quality_record
from xsland.read.values import name_keys, normalise_ids
from xsland.rules.columns import CHECK_COLUMNS, render
from xsland.rules.policy import DEFAULT_POLICY, Policy, split_list

__all__ = [
    "CHECKS",
    "INDUSTRIAL_CATEGORIES",
    "STATUS_ZH",
    "assign_parks",
    "check_labels",
    "parcel_table",
    "park_checks",
    "park_checks_combine",
    "park_partial",
    "not_built_yet",
    "town_partial",
    "town_rollup",
    "town_rollup_combine",
    "undetermined",
]

PASS, FAIL, UNKNOWN, NA = "pass", "fail", "unknown", "n/a"

#: How a check's status is shown to readers (symbols survive black-and-white print).
STATUS_ZH = {PASS: "✔ 达标", FAIL: "✘ 不达标", UNKNOWN: "? 数据不足", NA: "– 不适用"}

#: Categories that count as industrial land for coverage and area-weighted FAR.
INDUSTRIAL_CATEGORIES = ("new_industrial", "standard_factory", "new_type_industrial", "industrial")

#: Park checks: column -> (Chinese label at the default policy, policy field). Outputs
#: show :func:`check_labels` of the policy applied, never these defaults.
CHECKS: dict[str, tuple[str, str]] = {
    "chk_area": ("片区型园区面积≤3平方公里", "district_park_max_km2"),
    "chk_far_new": ("新增工业用地容积率≥1.5", "far_min_new_industrial"),
    "chk_far_standard": ("高标准厂房用地容积率≥2.0", "far_min_standard_factory"),
    "chk_far_m0": ("新型产业用地容积率≥2.5", "far_min_new_type_industrial"),
    "chk_coverage": ("工业用地建筑系数≥30%", "coverage_min"),
    "chk_leading_revenue": ("主导产业营收占比≥60%", "leading_revenue_share_min"),
    "chk_leading_count": ("主导产业企业数占比≥60%", "leading_count_share_min"),
    "chk_chain_leader": ("链主企业≥1家", "chain_leaders_min"),
    "chk_promotion": ("年招商活动≥2场", "promotion_events_min"),
    "chk_fund": ("产业基金≥5000万元(设立时)", "industry_fund_min_wan"),
}


def check_labels(policy: Policy = DEFAULT_POLICY) -> dict[str, str]:
    """Park check column -> its Chinese label with the thresholds of ``policy``.

    >>> check_labels(DEFAULT_POLICY.replace(far_min_new_industrial=1.2))["chk_far_new"]
    '新增工业用地容积率≥1.2'
    """
    return {c: render(CHECK_COLUMNS[c], policy) for c in CHECKS}


# -- parcels ----------------------------------------------------------------------------


#: The park (and zone) of each parcel: the one definition of "parcel in park",
#: :func:`xsland.measure.overlay.park_assignment` (kept here under its former name).
assign_parks = park_assignment


def parcel_table(
    parcels: gpd.GeoDataFrame,
    parks: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame | None = None,
    *,
    policy: Policy = DEFAULT_POLICY,
    quality: list | None = None,
    measures: pd.DataFrame | None = None,
    crs: Any = None,
    assignment: pd.DataFrame | None = None,
    meets: list | None = None,
) -> gpd.GeoDataFrame:
    """Every parcel with its park, category, areas, floor area, FAR and coverage.

    ``crs`` is the run's metric CRS (default :func:`xsland.read.crs.metric_crs` of the
    parcels), chosen once per run by :func:`xsland.pipeline.audit.run`; ``assignment``
    the parcels' :func:`~xsland.measure.overlay.park_assignment` in it, when the caller
    has it (the same one then feeds the data-quality checks).

    ``quality``, when given, is a list that receives the data-quality records
    found while measuring (buildings without floors or height). ``measures``, when
    given, is the result of :func:`xsland.measure.far.plot_ratio` for these parcels
    in the metric CRS, computed elsewhere (the Dask engine computes it partition by
    partition: the same numbers). ``meets``, when given and the floor areas are measured
    here (no ``measures``), receives per building whether it meets a parcel (the
    ``meets`` of :func:`xsland.measure.far.plot_ratio`).

    ``far_min`` is the minimum of clause 二(一)1 for the parcel's category
    (1.5 new industrial, 2.0 high-standard factory, 2.5 new-type industrial),
    ``far_ok`` is ``far >= far_min`` — null where no minimum applies or the
    FAR is unknown. Geometry is returned in the metric CRS.
    """
    crs = crs if crs is not None else metric_crs(parcels)
    base = parcels.to_crs(crs)
    cat = categorise(base, policy=policy, explain=True)
    if measures is None:
        fa = plot_ratio(base, buildings, policy=policy, crs=crs, meets=meets)
    else:
        fa = measures
    fa_quality = fa.attrs.get("quality", [])
    where = assignment if assignment is not None else park_assignment(base, parks, crs=crs)
    area = areas(base, crs=crs)
    # every column taken of a frame deep-copies its attrs (thousands of quality records
    # at scale): the columns are read from views without them
    c_cat, c_fa, c_where, c_area = (pd.DataFrame(x, copy=False) for x in (cat, fa, where, area))
    out = base.drop(
        columns=[c for c in ("category", "park_id", "zone", "floor_area") if c in base.columns]
    )
    out = out.rename(columns={"floor_area": "floor_area_declared"})
    if "floor_area" in base.columns:
        out["floor_area_declared"] = base["floor_area"]
    out["park_id"] = c_where["park_id"]
    out["zone"] = c_where["zone"]
    out["park_share"] = c_where["park_share"]
    out["category"] = c_cat["category"]
    out["category_source"] = c_cat["category_source"]
    for col in ("area_m2", "area_mu", "area_ha"):
        out[col] = c_area[col]
    out["footprint_m2"] = c_fa["footprint_m2"]
    out["floor_area"] = c_fa["floor_area"]
    out["floor_area_source"] = c_fa["floor_area_source"]
    out["far"] = c_fa["far"]
    out["coverage"] = c_fa["coverage"]
    minimum = {
        c: policy.far_min(c) for c in ("new_industrial", "standard_factory", "new_type_industrial")
    }
    # the minimum of each distinct category, taken by its parcels (NaN: none applies)
    code, uniq = pd.factorize(out["category"])
    per = [minimum.get(c) for c in uniq]
    per = np.array([np.nan if m is None else m for m in per] + [np.nan], dtype="float64")
    out["far_min"] = pd.Series(per[code], index=out.index)  # code -1 (no category): the last
    ok = pd.Series(pd.NA, index=out.index, dtype="boolean")
    known = out["far_min"].notna() & out["far"].notna()
    ok[known] = (out["far"][known] >= out["far_min"][known] - 1e-9).to_numpy()
    out["far_ok"] = ok
    # attrs are deep-copied by every pandas operation: keep big lists out of them
    out.attrs = {}
    if quality is not None:
        quality.extend(cat.attrs.get("quality", []))  # land-use values no standard knows
        quality.extend(fa_quality)
        quality.extend(_category_records(out, policy))
    return out.set_geometry(out.geometry.name)


def undetermined(parcels: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Parcels whose category is unknown, and industrial ones that may be new or existing.

    - *category unknown*: no ``category`` and no ``land_use`` code (``category_source``
      ``"none"`` and an empty ``land_use``) — any category is possible;
    - *undated industrial*: industrial by land-use code, without supply date or
      high-standard-factory flag (``category`` ``industrial`` from ``land_use`` alone),
      so it may be new industrial project land (clause 二(一)1) or existing land.

    Parcels without ``category_source`` (not from :func:`parcel_table`) count as known.
    """
    n = len(parcels)
    if "category_source" not in parcels.columns:
        return np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    source = parcels["category_source"].astype("string").fillna("none")
    if "land_use" in parcels.columns:
        code = parcels["land_use"].astype("string").str.strip()
        no_code = (code.isna() | (code == "")).to_numpy(dtype=bool)
    else:
        no_code = np.ones(n, dtype=bool)
    unknown = (source == "none").to_numpy(dtype=bool) & no_code
    undated = ((parcels["category"] == "industrial") & (source == "land_use")).to_numpy(dtype=bool)
    return unknown, undated


def _category_records(parcels: pd.DataFrame, policy: Policy) -> list[dict[str, Any]]:
    """Data-quality records for parcels whose category cannot be fully decided."""
    unknown, undated = undetermined(parcels)

    def ids(rows: np.ndarray) -> np.ndarray:  # the IDs as text of those parcels only
        return parcels["parcel_id"][rows].astype("string").fillna("").to_numpy(dtype=object)

    records = quality_record(
        layer="parcels",
        check="category_unknown",
        ids=ids(unknown),
        column="land_use",
        detail="无用地类别和用地分类代码: 按其他用地处理, 所在园区的容积率下限和建筑系数检查为数据不足",
    )
    records += quality_record(
        layer="parcels",
        check="supply_date_missing",
        ids=ids(undated),
        column="supply_date",
        detail=f"工业用地无供地日期: 无法判定是否新增工业项目用地(容积率≥"
        f"{policy.far_min_new_industrial:g}), "
        "按存量工业用地处理, 所在园区的新增工业用地容积率检查为数据不足",
    )
    return records


# -- parks ------------------------------------------------------------------------------


def _status_min(value: float | None, minimum: float, *, known: bool = True) -> str:
    if value is None or not known or (isinstance(value, float) and np.isnan(value)):
        return UNKNOWN
    return PASS if value >= minimum - 1e-12 else FAIL


def _far_check(
    n: int, pending: int, n_known: int, n_ok: int, failing: list, maybe: int = 0
) -> tuple[str, str, str]:
    """Status, measured value (share meeting) and failing IDs for one category.

    Of the park's ``n`` parcels of the category, ``pending`` are not built yet (unbuilt,
    still inside their construction period: no plot ratio to judge, they neither pass
    nor fail and keep the park from passing); of the built ones, ``n_known`` have a
    known ``far_ok``, ``n_ok`` meet their minimum and ``failing`` (IDs, in row order)
    do not. ``maybe`` parcels of the park might be of the category (category unknown,
    or industrial without supply date): a failing parcel still fails the park, but a
    pass or ``n/a`` needs them decided (``unknown``).
    """
    extra = f" (+{maybe} category unknown)" if maybe else ""
    if n == 0:
        return (UNKNOWN, "0/0" + extra, "") if maybe else (NA, "", "")
    built = n - pending
    value = (
        f"{n_ok}/{n_known}"
        + (f" (+{built - n_known} unknown)" if n_known < built else "")
        + (f" (+{pending} not built yet)" if pending else "")
        + extra
    )
    if len(failing):
        status = FAIL
    elif n_known < built or maybe or pending:
        status = UNKNOWN
    else:
        status = PASS
    return status, value, ", ".join(map(str, failing))


def not_built_yet(
    parcels: pd.DataFrame, *, as_of: Any = None, policy: Policy = DEFAULT_POLICY
) -> np.ndarray:
    """Parcels without any building that are still inside their construction period.

    Unbuilt (``floor_area`` 0) and ``as_of`` before the date land becomes idle — the
    agreed start date (``start_deadline``), else ``supply_date`` +
    ``idle_start_after_supply_months``, plus ``idle_after_years`` (闲置土地处置办法
    第二条). Their plot ratio of 0 means "not built yet", not "below the minimum".
    Parcels without either date are not counted (their status cannot be told).
    """
    n = len(parcels)
    if "floor_area" not in parcels.columns:
        return np.zeros(n, dtype=bool)
    today = pd.Timestamp(as_of if as_of is not None else pd.Timestamp.today()).normalize()
    what = "parcels"
    # each distinct date read and moved once (many parcels share a day)
    deadline = date_column(parcels, "start_deadline", what=what, id_col="parcel_id")
    supplied = date_column(parcels, "supply_date", what=what, id_col="parcel_id")
    months = policy.idle_start_after_supply_months + round(policy.idle_after_years * 12)
    idle_from = add_months(deadline, round(policy.idle_after_years * 12)).fillna(
        add_months(supplied, months)
    )
    unbuilt = (pd.to_numeric(parcels["floor_area"], errors="coerce") == 0).to_numpy(dtype=bool)
    return unbuilt & (idle_from > today).fillna(False).to_numpy(dtype=bool)


def park_checks(
    parks: gpd.GeoDataFrame,
    parcels: gpd.GeoDataFrame,
    *,
    enterprises: pd.DataFrame | None = None,
    indicators: pd.DataFrame | None = None,
    policy: Policy = DEFAULT_POLICY,
    year: int | None = None,
    quality: list | None = None,
    as_of: Any = None,
) -> gpd.GeoDataFrame:
    """One row per park with its areas, measures and every ``chk_*`` column.

    A park without parcels gets ``unknown`` for the FAR and coverage checks (and a
    ``park_without_parcels`` record in ``quality``); ``n/a`` only where the rule cannot
    apply (see the module docstring).

    Parameters
    ----------
    parks
        Park features (several per park: zones).
    parcels
        The output of :func:`parcel_table`.
    enterprises, indicators
        Optional tables; without them the checks that need them are
        ``unknown``.
    year
        Year of the indicators to judge; default the latest in the table.
    quality
        A list that receives the data-quality records (parks without parcels).
    as_of
        The date of the audit (default today): land not built yet (:func:`not_built_yet`)
        is left out of the FAR minima, which are then ``unknown`` unless a built parcel
        fails.

    :func:`park_checks_combine` of one :func:`park_partial` of all the parcels: the
    audit of a partitioned dataset combines one partial table per partition, to the same
    answers (sums kept exactly, :mod:`xsland._sums`).
    """
    return park_checks_combine(
        parks,
        [park_partial(parcels, as_of=as_of, policy=policy)],
        crs=getattr(parcels, "crs", None),
        enterprises=enterprises,
        indicators=indicators,
        policy=policy,
        year=year,
        quality=quality,
    )


_FAR_KEYS = (
    ("new_industrial", "new"),
    ("standard_factory", "standard"),
    ("new_type_industrial", "m0"),
)


def _park_kinds() -> dict[str, str]:
    kinds = {
        "n": sums.COUNT,
        "area": sums.SUM,
        "floor": sums.SUM,
        "floor_known": sums.COUNT,
        "ind_area": sums.SUM,
        "n_ind": sums.COUNT,
        "kfar_floor": sums.SUM,
        "kfar_area": sums.SUM,
        "n_kfar": sums.COUNT,
        "cov_num": sums.SUM,
        "cov_den": sums.SUM,
        "n_cov": sums.COUNT,
        "built_area": sums.SUM,
        "n_unknown": sums.COUNT,
        "n_undated": sums.COUNT,
    }
    for _, key in _FAR_KEYS:
        kinds |= {f"n_{key}": sums.COUNT, f"pending_{key}": sums.COUNT}
        kinds |= {f"known_{key}": sums.COUNT, f"ok_{key}": sums.COUNT, f"fail_{key}": sums.IDS}
    return kinds


def _industrial_far(parcels: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Industrial parcels with a plot ratio (the area-weighted FAR of a park or town):
    which, their floor area and their area (NaN elsewhere)."""
    industrial = parcels["category"].isin(INDUSTRIAL_CATEGORIES).to_numpy(dtype=bool)
    known = industrial & parcels["far"].notna().to_numpy(dtype=bool)
    floor = pd.to_numeric(parcels["floor_area"]).to_numpy(dtype="float64")
    area = pd.to_numeric(parcels["area_m2"]).to_numpy(dtype="float64")
    return known, np.where(known, floor, np.nan), np.where(known, area, np.nan)


def _ids(values: pd.Series) -> pd.Series:
    """:func:`xsland.read.values.normalise_ids` of each cell (object dtype, ``None`` when
    empty): run by :func:`xsland.judge.keys.per_distinct` on the distinct IDs."""
    return normalise_ids(values)[0]


def park_partial(
    parcels: pd.DataFrame,
    *,
    as_of: Any = None,
    policy: Policy = DEFAULT_POLICY,
    rows: Any = None,
) -> dict[str, pd.DataFrame]:
    """The partial tables of :func:`park_checks` for some of the parcels (one partition).

    ``"parks"``: per park, the counts and exact sums (:func:`xsland._sums.partial`) the
    checks are made of — parcels, areas, floor areas, the industrial land with a FAR or
    a coverage, parcels of unknown category, and per FAR category the parcels not built
    yet, known, meeting and failing (their IDs); ``"links"``: the park–enterprise pairs
    with the first row of each. ``rows`` are the parcels' numbers among all parcels
    (default 0…n-1): the order of the failing IDs. :func:`park_checks_combine` of the
    partial tables of disjoint sets of parcels is :func:`park_checks` of their union.
    """
    n = len(parcels)
    number = np.arange(n) if rows is None else np.asarray(rows, dtype="int64")
    unknown, undated = undetermined(parcels)
    pending = not_built_yet(parcels, as_of=as_of, policy=policy)
    category = parcels["category"]
    industrial = category.isin(INDUSTRIAL_CATEGORIES).to_numpy(dtype=bool)
    area = pd.to_numeric(parcels["area_m2"]).to_numpy(dtype="float64")
    floor = pd.to_numeric(parcels["floor_area"]).to_numpy(dtype="float64")
    coverage = pd.to_numeric(parcels["coverage"]).to_numpy(dtype="float64")
    kfar, kfar_floor, kfar_area = _industrial_far(parcels)
    cov = industrial & ~np.isnan(coverage)
    cols: dict[str, Any] = {
        "n": np.ones(n, dtype="int64"),
        "area": area,
        "floor": floor,
        "floor_known": ~np.isnan(floor),
        "ind_area": np.where(industrial, area, np.nan),
        "n_ind": industrial,
        "kfar_floor": kfar_floor,
        "kfar_area": kfar_area,
        "n_kfar": kfar,
        "cov_num": np.where(cov, coverage * area, np.nan),
        "cov_den": np.where(cov, area, np.nan),
        "n_cov": cov,
        "built_area": np.where(floor > 0, area, np.nan),
        "n_unknown": unknown,
        "n_undated": undated,
    }
    ok = parcels["far_ok"].astype("boolean")
    # far_ok known, true and false, read once for the three categories
    ok_known = ok.notna().to_numpy(dtype=bool)
    ok_true = ok.fillna(False).to_numpy(dtype=bool)
    ok_false = ok_known & ~ok_true
    ids = parcels["parcel_id"].to_numpy(dtype=object)
    for cat, key in _FAR_KEYS:
        mine = (category == cat).to_numpy(dtype=bool)
        built = mine & ~pending
        cols[f"n_{key}"] = mine
        cols[f"pending_{key}"] = mine & pending
        cols[f"known_{key}"] = built & ok_known
        cols[f"ok_{key}"] = built & ok_true
        cols[f"fail_{key}"] = np.where(built & ok_false, ids, None)
    park = parcels["park_id"].to_numpy(dtype=object)
    per_park = sums.partial(park, cols, _park_kinds(), rows=number, name="park_id")
    links = pd.DataFrame(columns=["park_id", "enterprise_id", "row"])
    if "enterprise_id" in parcels.columns:
        # one ID normalisation on both sides of the join (an integer column against text
        # IDs with trailing spaces joins)
        # each distinct ID normalised once (integer IDs against text IDs with trailing
        # spaces join); the parcels keep the code of their normalised ID
        raw, keys = id_codes(parcels["enterprise_id"])
        key_code, ent = pd.factorize(keys.astype(object))  # missing: -1
        links = _first_links(pd.factorize(park), (key_code[raw], ent), number)
    return {"parks": per_park, "links": links}


def _first_links(
    park: tuple[np.ndarray, Any], ent: tuple[np.ndarray, Any], number: np.ndarray
) -> pd.DataFrame:
    """The park–enterprise pairs (both known) in the order they first occur, each with
    its least ``number``: the rows of ``frame.groupby(["park_id", "enterprise_id"],
    sort=False)["row"].min().reset_index()``, the IDs kept as object columns.

    ``park`` and ``ent`` are factorised ID columns (each row's code, -1 when missing,
    and the distinct IDs); the pairs are told apart by :math:`p \\cdot |E| + e`, no
    text column made for every parcel.
    """
    (p_code, p_uniq), (e_code, e_uniq) = park, ent
    keep = np.flatnonzero((p_code >= 0) & (e_code >= 0))
    width = max(len(e_uniq), 1)
    code, pair = pd.factorize(p_code[keep].astype(np.int64) * width + e_code[keep])  # in order met
    least = np.full(len(pair), np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(least, code, np.asarray(number, dtype=np.int64)[keep])
    ids = {
        "park_id": np.asarray(p_uniq, dtype=object)[pair // width],
        "enterprise_id": np.asarray(e_uniq, dtype=object)[pair % width],
    }
    return pd.DataFrame({**{c: pd.Series(v, dtype=object) for c, v in ids.items()}, "row": least})


_PAIR = ("park_id", "enterprise_id")


def _links_combine(partials: list[pd.DataFrame]) -> pd.DataFrame:
    """The park–enterprise pairs of all parcels, in the order of their first parcel."""
    frames = [p for p in partials if len(p)]
    if not frames:
        return pd.DataFrame({"park_id": [], "enterprise_id": []}, dtype=object)
    # one partial's pairs are distinct already (park_partial): nothing to reduce
    first = (
        frames[0]
        if len(frames) == 1
        else pd.concat(frames)
        .groupby(["park_id", "enterprise_id"], sort=False)["row"]
        .min()
        .reset_index()
    )
    order = np.argsort(first["row"].to_numpy(), kind="stable")
    return pd.DataFrame(
        {c: pd.Series(first[c].to_numpy(dtype=object)[order], dtype=object) for c in _PAIR}
    )


def park_checks_combine(
    parks: gpd.GeoDataFrame,
    partials: list[dict[str, pd.DataFrame]],
    *,
    crs: Any = None,
    enterprises: pd.DataFrame | None = None,
    indicators: pd.DataFrame | None = None,
    policy: Policy = DEFAULT_POLICY,
    year: int | None = None,
    quality: list | None = None,
) -> gpd.GeoDataFrame:
    """:func:`park_checks` from the partial tables (:func:`park_partial`) of disjoint
    sets of parcels; ``crs`` is the parcels' (metric) CRS, default the parks'.

    Per park :math:`p`, with the sums over its parcels (industrial ones :math:`I`, those
    with a FAR :math:`I_f`, with a coverage :math:`I_c`, built ones :math:`B`):

    .. math:: \\mathrm{FAR}_p = \\frac{\\sum_{I_f} F}{\\sum_{I_f} a}, \\quad
              c_p = \\frac{\\sum_{I_c} c\\,a}{\\sum_{I_c} a}, \\quad
              u_p = \\frac{\\sum_B a}{A_p}
    """
    crs = crs or metric_crs(parks)
    pk = parks.to_crs(crs)
    first = pk.drop_duplicates("park_id").set_index("park_id")
    attrs = [c for c in ("name", "town", "park_type", "leading_industry") if c in pk.columns]
    table = gpd.GeoDataFrame(first[attrs].copy(), geometry=_dissolved(pk, first.index), crs=crs)
    for c in ("town", "park_type", "leading_industry"):
        if c not in table.columns:
            table[c] = None
    table["related_industries"] = _related(pk, table, policy)
    table["area_m2"] = table.geometry.area
    if "zone" in pk.columns:
        zone_area = pk.assign(_a=pk.geometry.area).groupby(["park_id", "zone"])["_a"].sum()
        for zone in ("core", "expansion"):
            table[f"area_{zone}_m2"] = (
                zone_area.xs(zone, level="zone")
                if zone in zone_area.index.get_level_values("zone")
                else pd.Series(dtype=float)
            ).reindex(table.index)
    table["area_km2"] = table["area_m2"] / M2_PER_KM2
    table["area_mu"] = table["area_m2"] / M2_PER_MU

    # area rule: district-type parks (clause 二(一)1)
    kind = table["park_type"]
    table["val_area"] = table["area_km2"].round(4)
    table["chk_area"] = np.where(
        kind == "district",
        np.where(table["area_km2"] <= policy.district_park_max_km2 + 1e-12, PASS, FAIL),
        np.where(kind == "carrier", NA, UNKNOWN),
    )

    agg = sums.reduce([p["parks"] for p in partials], _park_kinds())
    agg = agg.reindex(table.index)
    cols: dict[str, list[Any]] = {
        k: []
        for k in (
            "n_parcels",
            "parcel_area_m2",
            "floor_area",
            "industrial_area_m2",
            "industrial_far",
            "industrial_coverage",
            "land_utilisation",
            "chk_far_new",
            "val_far_new",
            "fail_far_new",
            "chk_far_standard",
            "val_far_standard",
            "fail_far_standard",
            "chk_far_m0",
            "val_far_m0",
            "fail_far_m0",
            "chk_coverage",
            "val_coverage",
        )
    }
    out_of_range: list[tuple[Any, float]] = []
    # each figure of every park as a list, read once (a pandas row per park was slow
    # with thousands of parks); a park without parcels has 0 everywhere, no failing IDs
    present = agg["n"].notna().tolist()
    figures = {
        col: [
            v if here else ([] if col.startswith("fail_") else 0)
            for v, here in zip(agg[col].tolist(), present, strict=True)
        ]
        for col in agg.columns
    }
    park_area = table["area_m2"].tolist()
    for i, pid in enumerate(table.index):
        g = {col: values[i] for col, values in figures.items()}
        n = int(g["n"])
        cols["n_parcels"].append(n)
        cols["parcel_area_m2"].append(float(g["area"]))
        cols["floor_area"].append(float(g["floor"]) if g["floor_known"] else np.nan)
        cols["industrial_area_m2"].append(float(g["ind_area"]))
        cols["industrial_far"].append(
            float(np.float64(g["kfar_floor"]) / np.float64(g["kfar_area"]))
            if g["n_kfar"]
            else np.nan
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            coverage = (
                float(np.float64(g["cov_num"]) / np.float64(g["cov_den"])) if g["n_cov"] else np.nan
            )
        cols["industrial_coverage"].append(coverage)
        used = (
            float(np.float64(g["built_area"]) / np.float64(park_area[i]))
            if g["floor_known"] and park_area[i] > 0
            else np.nan
        )
        if used > 1 + 1e-9:
            # built parcels larger than the park (overlapping or straddling parcels): a
            # share never leaves 0–100 %
            out_of_range.append((pid, used))
            used = np.nan
        cols["land_utilisation"].append(used)
        n_unknown = int(g["n_unknown"])
        for _, key in _FAR_KEYS:
            maybe = n_unknown + (int(g["n_undated"]) if key == "new" else 0)
            status, value, failing = _far_check(
                int(g[f"n_{key}"]),
                int(g[f"pending_{key}"]),
                int(g[f"known_{key}"]),
                int(g[f"ok_{key}"]),
                g[f"fail_{key}"],
                maybe,
            )
            if n == 0:
                status = UNKNOWN  # no parcels: nothing is known, not "does not apply"
            cols[f"chk_far_{key}"].append(status)
            cols[f"val_far_{key}"].append(value)
            cols[f"fail_far_{key}"].append(failing)
        if n == 0 or n_unknown:
            # parcels of unknown category could be industrial land of any coverage
            cols["chk_coverage"].append(UNKNOWN)
        elif not g["n_ind"]:
            cols["chk_coverage"].append(NA)
        elif g["n_cov"] < g["n_ind"]:
            cols["chk_coverage"].append(UNKNOWN)
        else:
            cols["chk_coverage"].append(_status_min(coverage, policy.coverage_min))
        cols["val_coverage"].append(round(coverage, 4) if coverage == coverage else np.nan)
    for k, v in cols.items():
        table[k] = v
    empty_parks = table.index[table["n_parcels"] == 0]
    if quality is not None and len(empty_parks):
        quality.extend(
            quality_record(
                layer="parks",
                check="park_without_parcels",
                ids=[str(pid) for pid in empty_parks],
                column="park_id",
                detail="地块图层中没有落在该园区的地块: 容积率下限和建筑系数检查为数据不足",
            )
        )
    if quality is not None and out_of_range:
        quality.extend(
            quality_record(
                layer="parks",
                check="share_out_of_range",
                ids=[str(pid) for pid, _ in out_of_range],
                column="land_utilisation",
                detail=[
                    f"土地利用率 {100 * v:.1f} % > 100 %: 建成地块面积大于园区面积 (地块重叠或"
                    "跨园区边界), 不予采用 (built parcels larger than the park; not used)"
                    for _, v in out_of_range
                ],
            )
        )
    links = _links_combine([p["links"] for p in partials])
    table = _enterprise_checks(table, links, enterprises, policy, quality=quality)
    table = _indicator_checks(table, indicators, policy, year)
    order = ["name", "town", "park_type", "leading_industry", "related_industries"]
    order += ["area_m2", "area_km2", "area_mu"]
    order += [c for c in table.columns if c.startswith("area_") and c not in order]
    checks = [c for c in CHECKS if c in table.columns]
    rest = [
        c for c in table.columns if c not in order and c not in checks and c != table.geometry.name
    ]
    table = table[order + checks + rest + [table.geometry.name]]
    table.index.name = "park_id"
    return table.reset_index()


def _dissolved(parks: gpd.GeoDataFrame, ids: pd.Index) -> gpd.GeoSeries:
    """Each park's features merged, indexed by ``ids``: the geometry of
    ``parks.dissolve(by="park_id").geometry.reindex(ids)`` — one ``shapely.union_all``
    of each park's features in their order — without a pandas group per park."""
    code, uniq = pd.factorize(parks["park_id"])
    geoms = np.asarray(parks.geometry.values, dtype=object)
    order = np.argsort(code, kind="stable")
    bounds = np.searchsorted(code[order], np.arange(len(uniq) + 1))
    merged = [shapely.union_all(geoms[order[a:b]]) for a, b in itertools.pairwise(bounds)]
    out = pd.Series(merged, index=pd.Index(uniq, name="park_id"), dtype=object)
    return gpd.GeoSeries(out.reindex(ids), crs=parks.crs, name=parks.geometry.name)


def _related(parks: pd.DataFrame, table: pd.DataFrame, policy: Policy) -> list[str]:
    """Per park of ``table``: its related industries, layer and project file, joined by 、."""
    layer: dict[Any, tuple[str, ...]] = {}
    if "related_industries" in parks.columns:
        for pid, value in zip(parks["park_id"], parks["related_industries"], strict=True):
            layer[pid] = layer.get(pid, ()) + split_list(value)
    out = []
    # each park's leading industry read from one list (table.at per park was most of the
    # time with thousands of parks); the index is unique, so it is the same value
    leads = table["leading_industry"].tolist()
    for pid, lead in zip(table.index, leads, strict=True):
        names = layer.get(pid, ()) + policy.related_industries.get(str(pid).strip(), ())
        out.append("、".join(n for n in dict.fromkeys(names) if n != lead))
    return out


def _enterprise_checks(
    table: gpd.GeoDataFrame,
    links: pd.DataFrame,
    enterprises: pd.DataFrame | None,
    policy: Policy,
    *,
    quality: list | None = None,
) -> gpd.GeoDataFrame:
    """Leading-industry shares and chain leaders (clause 二(二)4).

    The enterprises of a park are those owning (``enterprise_id``) a parcel in it:
    ``links``, the park–enterprise pairs in the order of their first parcel.
    Shares are decided only when every such enterprise is in the enterprise table
    with the figure needed (industry; revenue); otherwise ``unknown``. A share never
    leaves 0–100 %: a negative or infinite revenue is not used (the revenue share is
    ``unknown``; ``negative_value`` in ``quality``), and a park whose revenues add up to
    0 has no revenue share (``unknown``; ``share_total_zero``). Chain leaders
    pass as soon as enough are known, and fail only when every flag is known.

    .. math:: s_{rev} = \\frac{\\sum_{e \\in lead} revenue_e}{\\sum_e revenue_e}, \\quad
              s_{n} = \\frac{|lead|}{|E|}
    """
    n = len(table)
    cols = ("n_enterprises", "val_leading_revenue", "val_leading_count", "val_chain_leader")
    for k in cols:
        table[k] = np.nan
    for k in ("chk_leading_revenue", "chk_leading_count", "chk_chain_leader"):
        table[k] = [UNKNOWN] * n
    if enterprises is None or links.empty:
        return table
    ent = pd.DataFrame(enterprises)
    ent = ent.assign(enterprise_id=per_distinct(ent["enterprise_id"], _ids).to_numpy(dtype=object))
    ent = ent.dropna(subset=["enterprise_id"]).drop_duplicates("enterprise_id")
    for c in ("industry", "revenue", "chain_leader"):
        if c not in ent.columns:
            ent[c] = None
    m = links.merge(
        ent[["enterprise_id", "industry", "revenue", "chain_leader"]],
        on="enterprise_id",
        how="left",
        indicator="_listed",
    )
    listed = (m["_listed"] == "both").to_numpy()
    # names compared by their normalised key: 数字经济(软件) is 数字经济（软件）
    # each distinct name normalised once (per_distinct)
    leading = per_distinct(m["park_id"].map(table["leading_industry"]), name_keys)
    industry = per_distinct(m["industry"], name_keys)
    m["ind_ok"] = listed & industry.notna().to_numpy()
    m["is_leading"] = (industry == leading).fillna(False).to_numpy(dtype=bool)
    revenue = pd.to_numeric(m["revenue"], errors="coerce")
    # a quantity that cannot be negative is not used: a share never leaves 0–100 %
    bad = (listed & ((revenue < 0) | np.isinf(revenue)).to_numpy(dtype=bool)).astype(bool)
    revenue = revenue.where(~(revenue < 0) & np.isfinite(revenue))
    if quality is not None and bad.any():
        seen = m.loc[bad, ["enterprise_id", "revenue"]].drop_duplicates("enterprise_id")
        quality.extend(
            quality_record(
                layer="enterprises",
                check="negative_value",
                ids=seen["enterprise_id"].astype(str),
                column="revenue",
                detail=[
                    f"revenue {v}: cannot be negative or infinite; not used, so the "
                    "leading-industry revenue share of its park is unknown"
                    for v in seen["revenue"]
                ],
            )
        )
    m["rev_ok"] = listed & revenue.notna().to_numpy()
    m["rev"] = revenue.fillna(0.0)
    m["lead_rev"] = np.where(m["is_leading"], m["rev"], 0.0)
    flag = m["chain_leader"]
    m["cl_yes"] = (flag == True).fillna(False).to_numpy(dtype=bool) & listed  # noqa: E712
    m["cl_ok"] = listed & flag.notna().to_numpy()
    g = m.groupby("park_id")
    agg = g.agg(
        n=("enterprise_id", "size"),
        ind_ok=("ind_ok", "all"),
        share=("is_leading", "mean"),
        rev_ok=("rev_ok", "all"),
        rev=("rev", "sum"),
        lead_rev=("lead_rev", "sum"),
        cl_yes=("cl_yes", "sum"),
        cl_ok=("cl_ok", "all"),
    ).reindex(table.index)
    has = agg["n"].notna().to_numpy()
    lead_known = table["leading_industry"].notna().to_numpy()
    count_known = has & lead_known & agg["ind_ok"].fillna(False).to_numpy(dtype=bool)
    rev_known = count_known & agg["rev_ok"].fillna(False).to_numpy(dtype=bool)
    zero = rev_known & ~(agg["rev"] > 0).fillna(False).to_numpy(dtype=bool)
    rev_known &= ~zero
    if quality is not None and zero.any():
        quality.extend(
            quality_record(
                layer="parks",
                check="share_total_zero",
                ids=[str(pid) for pid in table.index[zero]],
                column="revenue",
                detail="企业营收合计为 0: 主导产业营收占比无法计算, 判为数据不足 "
                "(the park's enterprises' revenues add up to 0: no revenue share)",
            )
        )
    share = agg["share"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        rshare = (agg["lead_rev"] / agg["rev"]).to_numpy(dtype=float)
    table["n_enterprises"] = agg["n"].to_numpy(dtype=float)
    table["val_leading_count"] = np.where(count_known, np.round(share, 4), np.nan)
    table["val_leading_revenue"] = np.where(rev_known, np.round(rshare, 4), np.nan)
    table["chk_leading_count"] = np.where(
        count_known,
        np.where(share >= policy.leading_count_share_min - 1e-12, PASS, FAIL),
        UNKNOWN,
    )
    table["chk_leading_revenue"] = np.where(
        rev_known,
        np.where(rshare >= policy.leading_revenue_share_min - 1e-12, PASS, FAIL),
        UNKNOWN,
    )
    yes = agg["cl_yes"].fillna(0).to_numpy(dtype=float)
    table["val_chain_leader"] = np.where(has, yes, np.nan)
    table["chk_chain_leader"] = np.where(
        has & (yes >= policy.chain_leaders_min),
        PASS,
        np.where(has & agg["cl_ok"].fillna(False).to_numpy(dtype=bool), FAIL, UNKNOWN),
    )
    return table


def _indicator_checks(
    table: gpd.GeoDataFrame, indicators: pd.DataFrame | None, policy: Policy, year: int | None
) -> gpd.GeoDataFrame:
    """Promotion events (二(二)5) and industry fund (二(四)11) of the audit year."""
    n = len(table)
    table["indicator_year"] = pd.array([pd.NA] * n, dtype="Int64")
    for k in ("val_promotion", "val_fund", "innovation_platforms"):
        table[k] = np.nan
    table["chk_promotion"] = UNKNOWN
    table["chk_fund"] = UNKNOWN
    if indicators is None or indicators.empty:
        return table
    the_year = year if year is not None else int(indicators["year"].max())
    rows = indicators[indicators["year"] == the_year]
    rows = rows.assign(park_id=normalise_ids(rows["park_id"])[0].to_numpy(dtype=object))
    rows = rows.drop_duplicates("park_id")
    rows = rows.set_index("park_id").reindex(table.index)
    table["indicator_year"] = pd.array([the_year] * n, dtype="Int64")
    if "promotion_events" in rows.columns:
        ev = rows["promotion_events"].astype(float)
        table["val_promotion"] = ev.to_numpy()
        table["chk_promotion"] = np.where(
            ev.isna(), UNKNOWN, np.where(ev >= policy.promotion_events_min, PASS, FAIL)
        )
    if "industry_fund_wan" in rows.columns:
        fund = rows["industry_fund_wan"].astype(float)
        table["val_fund"] = fund.to_numpy()
        table["chk_fund"] = np.where(
            fund.isna(),
            UNKNOWN,
            np.where(fund <= 0, NA, np.where(fund >= policy.industry_fund_min_wan, PASS, FAIL)),
        )
    if "innovation_platforms" in rows.columns:
        table["innovation_platforms"] = rows["innovation_platforms"].astype(float).to_numpy()
    return table


def district_checks(parks: pd.DataFrame, *, policy: Policy = DEFAULT_POLICY) -> pd.DataFrame:
    """Checks across all parks: provincial innovation platforms ≥ 7 (clause 二(三)7)."""
    values = parks["innovation_platforms"] if "innovation_platforms" in parks else pd.Series()
    known = float(values.sum(min_count=1)) if values.notna().any() else np.nan
    if known == known and known >= policy.innovation_platforms_min:
        status = PASS
    elif values.isna().any() or values.empty:
        status = UNKNOWN
    else:
        status = FAIL
    return pd.DataFrame(
        [
            {
                "check": "chk_innovation_platforms",
                "label": "全区园区省级以上创新平台≥7家(2027年底)",
                "status": status,
                "value": known,
                "threshold": policy.innovation_platforms_min,
                "missing_parks": ", ".join(map(str, parks.loc[values.isna(), "park_id"]))
                if len(values)
                else "",
                "source": "锡府办规〔2025〕1号 二(三)7",
            }
        ]
    )


def town_rollup(parks: pd.DataFrame, parcels: pd.DataFrame) -> pd.DataFrame:
    """Roll-up per town (镇/街道): areas, measures and the count of each check's outcomes.

    Parcels outside every park count in their own ``town`` column (when given)
    under ``parcels_outside_parks``. :func:`town_rollup_combine` of one
    :func:`town_partial` of all the parcels.
    """
    return town_rollup_combine(parks, [town_partial(parcels)])


_TOWN_KINDS = {"floor": sums.SUM, "area": sums.SUM, "n": sums.COUNT}


def town_partial(parcels: pd.DataFrame, *, rows: Any = None) -> dict[str, pd.DataFrame | None]:
    """The partial tables of :func:`town_rollup` for some of the parcels (one partition).

    ``"far"``: per park, the exact floor area and area sums of its industrial parcels
    with a FAR; ``"outside"``: per own ``town``, the parcels outside every park (``None``
    when the parcels have no ``town`` column).
    """
    known, floor, area = _industrial_far(parcels)
    cols = {"floor": floor, "area": area, "n": known}
    park = parcels["park_id"].to_numpy(dtype=object)
    far = sums.partial(np.where(known, park, None), cols, _TOWN_KINDS, rows=rows, name="park_id")
    outside = None
    if "town" in parcels.columns:
        out = parcels["park_id"].isna().to_numpy(dtype=bool)
        town = parcels["town"].astype(object).where(parcels["town"].notna(), "(未注明)")
        n = {"n": np.ones(int(out.sum()), dtype="int64")}
        outside = sums.partial(town.to_numpy()[out], n, {"n": sums.COUNT}, name="town")
    return {"far": far, "outside": outside}


def town_rollup_combine(
    parks: pd.DataFrame, partials: list[dict[str, pd.DataFrame | None]]
) -> pd.DataFrame:
    """:func:`town_rollup` from the partial tables (:func:`town_partial`) of disjoint
    sets of parcels.

    .. math:: \\mathrm{FAR}_t = \\frac{\\sum_{I_f(t)} F}{\\sum_{I_f(t)} a}

    over the industrial parcels with a FAR in the parks of town :math:`t`.
    """
    p = parks.copy()
    p["town"] = p["town"].fillna("(未注明)")
    g = p.groupby("town", sort=True)
    out = pd.DataFrame(
        {
            "n_parks": g.size(),
            "area_m2": g["area_m2"].sum(),
            "area_km2": g["area_km2"].sum(),
            "area_mu": g["area_mu"].sum(),
            "n_parcels": g["n_parcels"].sum(),
            "industrial_area_m2": g["industrial_area_m2"].sum(),
        }
    )
    if isinstance(p, gpd.GeoDataFrame) and p.crs is not None and p.crs.is_projected:
        union = union_area_m2(p, "town").reindex(out.index)  # overlapping parks count once
        out["area_m2"], out["area_km2"] = union, union / M2_PER_KM2
        out["area_mu"] = union / M2_PER_MU
    # the parks' partial sums regrouped by the town of each park
    town_of = p.drop_duplicates("park_id").set_index("park_id")["town"]
    far = [x["far"] for x in partials]
    far = [f.set_axis(f.index.map(town_of), axis=0) for f in far if len(f)]
    far = [f[f.index.notna()].rename_axis("town") for f in far]
    per_town = sums.reduce(far, _TOWN_KINDS)
    per_town = per_town[per_town["n"] > 0]
    out["industrial_far"] = (per_town["floor"] / per_town["area"]).reindex(out.index)
    for chk in CHECKS:
        if chk not in p.columns:
            continue
        counts = p.groupby(["town", chk]).size().unstack(fill_value=0)
        for st in (PASS, FAIL, UNKNOWN):
            out[f"{chk}_{st}"] = (
                counts[st].reindex(out.index).fillna(0).astype(int) if st in counts.columns else 0
            )
    out["failing_parks"] = g.apply(
        lambda d: ", ".join(
            d.loc[(d[[c for c in CHECKS if c in d]] == FAIL).any(axis=1), "park_id"].astype(str)
        ),
        include_groups=False,
    )
    outside = [x["outside"] for x in partials]
    if outside and all(o is not None for o in outside):
        n = sums.reduce(outside, {"n": sums.COUNT})["n"]
        out["parcels_outside_parks"] = n.reindex(out.index).fillna(0).astype(int)
    out.index.name = "town"
    return out.reset_index()
