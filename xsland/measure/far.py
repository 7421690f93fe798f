"""Floor area, plot ratio (容积率, FAR) and building coverage (建筑系数) of parcels.

Three public functions, each taking a (Geo)DataFrame and returning a new
Series or DataFrame aligned to its index; inputs are never modified.

- :func:`categorise` — the policy category of each parcel (SPEC §2): from an
  explicit ``category`` column, else from ``land_use`` via
  ``Policy.category_map``, the ``supply_date`` (land supplied on or after
  ``Policy.policy_date`` is *new*, 锡府办规〔2025〕1号) and a ``standard_factory``
  flag (高标准厂房).
- :func:`counted_floors` — the floors a building counts for FAR, with the
  national rule of 工业项目建设用地控制指标: *层高超过 8 米的，在计算容积率时该层
  建筑面积加倍计算* (a storey higher than 8 m counts twice).
- :func:`plot_ratio` — per parcel: area, building footprint, floor area, FAR
  and coverage (SPEC §3), measured in :func:`xsland.read.crs.metric_crs`. A building
  spread over several parcels is split by area, never given whole to one.

Everything is vectorised: one STRtree query and one vectorised intersection
(:func:`xsland.measure.overlay.intersection_areas`) and :func:`numpy.bincount` sums;
the buildings' twins (:func:`xsland.measure.overlay.duplicate_footprints`) are found on
a second thread meanwhile.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal, overload

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from xsland._threads import MIN_CHUNK, cpus, map_parts
from xsland.errors import DataError, format_rows
from xsland.measure.overlay import duplicate_footprints, intersection_areas
from xsland.read.crs import get_crs, metric_crs, to_crs
from xsland.read.validate import quality_record, require_dates, row_ids
from xsland.rules.landuse import category_of, land_use_codes
from xsland.rules.policy import CATEGORIES, DEFAULT_POLICY, Policy

__all__ = [
    "CATEGORY_SOURCES",
    "FLOOR_AREA_SOURCES",
    "INDUSTRIAL_USES",
    "categorise",
    "contradicted_floor_areas",
    "counted_floors",
    "overfull_parcels",
    "plot_ratio",
]

#: How :func:`categorise` decided a parcel's category.
CATEGORY_SOURCES = ("column", "land_use+supply_date", "land_use", "none")

#: Where :func:`plot_ratio` took a parcel's floor area from.
FLOOR_AREA_SOURCES = ("parcel", "buildings", "declared_far", "none")

#: Building uses to which the tall-storey rule applies (matched case-insensitively, as a
#: part of the use: ``"工业厂房"`` and ``"Industrial / warehouse"`` match). A missing use
#: counts as industrial.
INDUSTRIAL_USES = ("industrial", "warehouse", "factory", "工业", "厂房", "仓库", "仓储", "车间")

_TRUE = {"true", "1", "1.0", "yes", "y", "t", "是", "√", "有"}
_FALSE = {"false", "0", "0.0", "no", "n", "f", "否", "×", "无", ""}
#: Relative tolerance on the tall-storey comparison, so 24 m / 3 floors = 8 m is not "over 8".
_EPS = 1e-9


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


_ids = row_ids


def _numeric(frame: pd.DataFrame, col: str, *, layer: str, id_col: str) -> np.ndarray:
    """Column ``col`` as float64 (NaN when absent or empty); bad or negative values raise."""
    if col not in frame.columns:
        return np.full(len(frame), np.nan)
    raw = frame[col]
    if raw.dtype == np.float64:  # as read: one copy, not a round trip through pandas
        values = raw
        text = None
    elif pd.api.types.is_bool_dtype(raw.dtype):
        values = raw.astype("float64")
        text = None
    elif pd.api.types.is_numeric_dtype(raw.dtype):
        values = pd.to_numeric(raw, errors="coerce").astype("float64")
        text = None
    else:
        text = raw.astype("string").str.strip().str.replace(",", "", regex=False)
        values = pd.to_numeric(text, errors="coerce").astype("float64")
    out = values.to_numpy(dtype="float64", na_value=np.nan, copy=True)
    if text is not None:
        bad = (values.isna() & text.notna() & (text != "")).to_numpy(dtype=bool)
        if bad.any():
            raise DataError(
                f"{layer}: column {col!r} has values that are not numbers "
                f"(rows: {format_rows(_ids(frame, bad, id_col))}). Fix: write plain numbers "
                "without units or text, or leave the cell empty"
            )
    neg = out < 0
    if neg.any():
        raise DataError(
            f"{layer}: column {col!r} has negative values "
            f"(rows: {format_rows(_ids(frame, neg, id_col))}). Fix: correct them; "
            "they must be zero or more, or empty when unknown"
        )
    return out


def _flag(frame: pd.DataFrame, col: str, *, layer: str, id_col: str) -> np.ndarray:
    """A yes/no column as bool (missing -> False); values that are not yes/no raise."""
    if col not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    raw = frame[col]
    if pd.api.types.is_bool_dtype(raw.dtype) and not raw.hasnans:
        return raw.to_numpy(dtype=bool)
    text = raw.astype("string").str.strip().str.lower()
    text = text.fillna("")
    is_true = text.isin(_TRUE).to_numpy(dtype=bool)
    bad = ~(is_true | text.isin(_FALSE).to_numpy(dtype=bool))
    if bad.any():
        raise DataError(
            f"{layer}: column {col!r} has values that are not yes/no "
            f"(rows: {format_rows(_ids(frame, bad, id_col))}). Fix: write true/false, 1/0 "
            "or 是/否, or leave the cell empty"
        )
    return is_true


def _dates(frame: pd.DataFrame, col: str, *, layer: str, id_col: str) -> pd.Series:
    """A date column as naive ``datetime64[ns]`` with a RangeIndex; bad values raise."""
    return require_dates(frame, col, what=layer, id_col=id_col)


# ---------------------------------------------------------------------------
# categories
# ---------------------------------------------------------------------------


@overload
def categorise(
    parcels: pd.DataFrame, *, policy: Policy = ..., explain: Literal[False] = ...
) -> pd.Series: ...


@overload
def categorise(
    parcels: pd.DataFrame, *, policy: Policy = ..., explain: Literal[True]
) -> pd.DataFrame: ...


def categorise(
    parcels: pd.DataFrame, *, policy: Policy = DEFAULT_POLICY, explain: bool = False
) -> pd.Series | pd.DataFrame:
    """The policy category of each parcel (SPEC §2).

    In order, for each parcel:

    1. an explicit ``category`` value (one of :data:`xsland.rules.policy.CATEGORIES`, case and
       surrounding spaces ignored) wins — source ``"column"``;
    2. else the ``land_use`` code is looked up in ``policy.category_map``: the exact code,
       else the longest prefix of it that is in the map (``"10010201"`` -> ``"100102"``),
       case-insensitively (``"m1"`` = ``"M1"``). Numbers read from a spreadsheet
       (``100101.0``) are taken as their integer code.

       - base class ``industrial`` with the flag ``standard_factory`` (高标准厂房) true
         -> ``standard_factory`` (source ``"land_use"``);
       - else base class ``industrial`` with ``supply_date >= policy.policy_date``
         -> ``new_industrial`` (新增工业项目用地, 锡府办规〔2025〕1号 二(一)1), with
         ``supply_date`` before it -> ``industrial`` (existing), both with source
         ``"land_use+supply_date"``; without a supply date -> ``industrial``, source
         ``"land_use"``;
       - any other class of the map (``new_type_industrial`` for M0, ``logistics``)
         stays as it is (source ``"land_use"``);
    3. else ``other`` — source ``"none"`` (no usable category or land-use code, or a code
       the map does not know).

    Parameters
    ----------
    parcels
        Parcels with any of the columns ``category``, ``land_use``, ``supply_date``
        (date, or text such as ``2025-08-29`` / ``2025年8月29日``) and ``standard_factory``
        (bool, or yes/no text such as ``是``/``否``).
    policy
        The rules; ``policy.category_map`` and ``policy.policy_date`` are used.
    explain
        When true, return a DataFrame with ``category`` and ``category_source`` (one of
        :data:`CATEGORY_SOURCES`) instead of the Series.

    Returns
    -------
    Series or DataFrame
        ``category`` indexed like ``parcels`` (and ``category_source`` when ``explain``).

    Raises
    ------
    DataError
        If ``category`` holds values that are not categories, or ``supply_date`` or
        ``standard_factory`` cannot be read; the message lists the ``parcel_id``\\ s.
    """
    n = len(parcels)
    category = np.full(n, "other", dtype=object)
    source = np.full(n, "none", dtype=object)
    decided = np.zeros(n, dtype=bool)

    if "category" in parcels.columns:
        # each distinct value read once, then spread to its rows (code -1: missing)
        codes, written = pd.factorize(parcels["category"])
        text = pd.Series(written, dtype=object).astype("string").str.strip().str.lower()
        distinct = text.to_numpy(dtype=object, na_value=None)
        given = np.append((text.notna() & (text != "")).to_numpy(dtype=bool), False)[codes]
        known = np.append(np.isin(distinct, np.asarray(CATEGORIES, dtype=object)), False)[codes]
        values = np.append(distinct, None)[codes]
        bad = given & ~known
        if bad.any():
            shown = [
                f"{r}={v!r}"
                for r, v in zip(
                    _ids(parcels, bad, "parcel_id"),
                    parcels["category"].to_numpy(dtype=object)[bad],
                    strict=True,
                )
            ]
            raise DataError(
                f"parcels: column 'category' has values that are not policy categories "
                f"(rows: {format_rows(shown)}). Fix: use one of {', '.join(CATEGORIES)}, "
                "or leave the cell empty to take the category from land_use"
            )
        category[given] = values[given]
        source[given] = "column"
        decided |= given

    quality: list[dict[str, Any]] = []
    if "land_use" in parcels.columns:
        codes, unknown = land_use_codes(parcels["land_use"], extra=policy.category_map)
        quality = _unknown_land_use(parcels, unknown, decided, policy)
        base = category_of(codes, category_map=policy.category_map)
        mapped = ~decided & (base != "")
        category[mapped] = base[mapped]
        source[mapped] = "land_use"
        industrial = mapped & (base == "industrial")
        flag = _flag(parcels, "standard_factory", layer="parcels", id_col="parcel_id")
        supplied = _dates(parcels, "supply_date", layer="parcels", id_col="parcel_id")
        dated = supplied.notna().to_numpy(dtype=bool)
        new = (supplied >= pd.Timestamp(policy.policy_date)).to_numpy(dtype=bool)
        by_date = industrial & ~flag & dated
        category[by_date & new] = "new_industrial"
        source[by_date] = "land_use+supply_date"
        category[industrial & flag] = "standard_factory"

    result = pd.Series(category, index=parcels.index, name="category", dtype="str")
    if not explain:
        return result
    out = pd.DataFrame(
        {"category": result, "category_source": pd.Series(source, index=parcels.index, dtype="str")}
    )
    out.attrs["quality"] = quality
    return out


def _unknown_land_use(
    parcels: pd.DataFrame, unknown: np.ndarray, decided: np.ndarray, policy: Policy
) -> list[dict[str, Any]]:
    """Quality rows for land-use values no standard knows; an error when most are.

    One row per distinct value with its count and parcels. When more than
    ``policy.land_use_unknown_share_max`` of the parcels whose category comes from
    ``land_use`` (no ``category`` value) hold an unknown value, the land use cannot be
    judged: a :class:`DataError` shows the commonest values and the project-file table
    that maps them.
    """
    if not unknown.any():
        return []
    raw = parcels["land_use"].astype("string").str.strip().to_numpy(dtype=object)
    ids = np.asarray(_ids(parcels, np.ones(len(parcels), bool), "parcel_id"), dtype=object)
    counts = pd.Series(raw[unknown]).value_counts()
    quality: list[dict[str, Any]] = []
    for value, n in counts.items():
        rows = ids[unknown & (raw == value)]
        quality += quality_record(
            layer="parcels",
            check="unknown_land_use",
            column="land_use",
            detail=f"{value!r} × {n}: no land-use code or name of GB 50137-2011, the 2023 "
            f"national classification or M0 (parcels: {format_rows(rows)}); categorised "
            "as other",
        )
    has_value = pd.Series(raw).fillna("").to_numpy(dtype=str) != ""
    judged = ~decided & has_value
    share = (unknown & judged).sum() / max(judged.sum(), 1)
    if judged.any() and share > policy.land_use_unknown_share_max:
        top = ", ".join(f"{v!r} × {n}" for v, n in counts.head(8).items())
        example = counts.index[0]
        raise DataError(
            f"parcels: column 'land_use': {int((unknown & judged).sum())} of "
            f"{int(judged.sum())} parcels ({share:.0%}) have a land use that is no code or "
            f"name of GB 50137-2011, the 2023 national classification (国土空间调查、规划、"
            f"用途管制用地用海分类) or M0; the commonest: {top}. Fix: map them in the project "
            f'file\'s [policy.category_map] table, e.g. "{example}" = "industrial" '
            f"(categories: {', '.join(CATEGORIES)}), or correct the column"
        )
    return quality


# ---------------------------------------------------------------------------
# floors
# ---------------------------------------------------------------------------


def _industrial_use(buildings: pd.DataFrame) -> np.ndarray:
    """True where the building's ``use`` is industrial-like or missing (all without ``use``).

    Each distinct use is judged once (a layer has a handful), then spread to its rows.
    """
    if "use" not in buildings.columns:
        return np.ones(len(buildings), dtype=bool)
    codes, uses = pd.factorize(buildings["use"])  # missing: code -1
    text = pd.Series(uses, dtype=object).astype("string").str.strip().str.lower()
    pattern = "|".join(re.escape(u) for u in INDUSTRIAL_USES)
    hit = text.str.contains(pattern, regex=True)
    judged = (text.isna() | (text == "") | hit.fillna(False).astype(bool)).to_numpy(dtype=bool)
    return np.append(judged, True)[codes]  # code -1: the appended True (missing)


def _floors_and_storey(buildings: pd.DataFrame, policy: Policy) -> tuple[np.ndarray, np.ndarray]:
    """Physical floors and storey height (NaN when unknown) of each building."""
    floors = _numeric(buildings, "floors", layer="buildings", id_col="building_id")
    height = _numeric(buildings, "height", layer="buildings", id_col="building_id")
    storey = _numeric(buildings, "storey_height", layer="buildings", id_col="building_id")
    # zero floors / height / storey height mean "not recorded", as in most cadastral exports
    floors = np.where(floors > 0, floors, np.nan)
    height = np.where(height > 0, height, np.nan)
    storey = np.where(storey > 0, storey, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        step = np.where(np.isnan(storey), policy.default_storey_height_m, storey)
        from_height = np.maximum(1.0, np.floor(height / step + 0.5))
        physical = np.where(np.isnan(floors), from_height, floors)
        storey_known = np.where(np.isnan(storey), height / floors, storey)
    return physical, storey_known


def counted_floors(buildings: pd.DataFrame, *, policy: Policy = DEFAULT_POLICY) -> pd.Series:
    """The number of floors each building counts for the plot ratio.

    Physical floors :math:`f` are ``floors`` when given, else
    :math:`\\max(1, \\lfloor h / s + 1/2 \\rceil)` from ``height`` :math:`h` with storey
    height :math:`s` = ``storey_height`` when given, else
    ``policy.default_storey_height_m`` (rounded half up: 13.5 m / 4.5 m = 3 floors).

    The national rule 工业项目建设用地控制指标 (层高超过 8 米的，在计算容积率时该层建筑面积
    加倍计算): when ``policy.tall_storey_counts_double``, a building whose storey height
    exceeds ``policy.tall_storey_m`` counts :math:`2f`. The storey height is
    ``storey_height`` when given, else ``height / floors`` when both are given, else
    unknown (never doubled). The rule applies to industrial buildings only: rows whose
    ``use`` contains one of :data:`INDUSTRIAL_USES` or is missing, or every row when
    there is no ``use`` column.

    Zero or empty ``floors``, ``height`` and ``storey_height`` count as not recorded.

    Parameters
    ----------
    buildings
        Buildings with ``floors`` and/or ``height``, optionally ``storey_height`` and
        ``use``.
    policy
        ``tall_storey_m``, ``tall_storey_counts_double`` and ``default_storey_height_m``
        are used.

    Returns
    -------
    Series
        ``counted_floors`` (float) indexed like ``buildings``; NaN for buildings with
        neither floors nor height.

    Raises
    ------
    DataError
        If ``floors``, ``height`` or ``storey_height`` hold text or negative numbers; the
        message lists the ``building_id``\\ s.
    """
    physical, storey = _floors_and_storey(buildings, policy)
    counted = physical
    if policy.tall_storey_counts_double:
        tall = storey > policy.tall_storey_m * (1 + _EPS)
        counted = np.where(tall & _industrial_use(buildings), 2.0 * physical, physical)
    return pd.Series(counted, index=buildings.index, name="counted_floors", dtype="float64")


# ---------------------------------------------------------------------------
# plot ratio
# ---------------------------------------------------------------------------


def _pieces(bm: np.ndarray, pm: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Building position, parcel position and area of every ``building ∩ parcel ≠ ∅``.

    :func:`xsland.measure.overlay.intersection_areas` with ``touching``: one STRtree
    query (bounding boxes); where the prepared parcel covers the whole building — most
    pairs in real data — the piece is the building and its area is known without an
    intersection; only the other pairs that meet (straddling a boundary, partly outside
    every parcel) are intersected, in one vectorised call per CPU thread. Pairs that
    only touch are kept with area 0 (the buildings meeting some parcel are those in a
    pair: :func:`xsland.measure.quality.buildings_outside`).
    """
    pairs = intersection_areas(bm, pm, touching=True)
    bi = pairs["left"].to_numpy()
    pi = pairs["right"].to_numpy()
    area = pairs["area"].to_numpy()
    return bi, pi, area


def _duplicates(buildings: pd.DataFrame, pairs: pd.DataFrame, quality: list) -> np.ndarray:
    """Buildings with nearly identical footprints (all but the first of each), listed.

    ``pairs`` is :func:`xsland.measure.overlay.duplicate_footprints` of the buildings.
    """
    n = len(buildings)
    dup = np.zeros(n, dtype=bool)
    if pairs.empty:
        return dup
    dup[pairs["right"].to_numpy()] = True
    first = pairs.drop_duplicates("right")
    right, left = first["right"].to_numpy(), first["left"].to_numpy()
    # the IDs of the rows named only (a layer of millions has a few twins)
    named = np.unique(np.concatenate([right, left]))
    rows = np.zeros(n, dtype=bool)
    rows[named] = True
    ids = np.asarray(_ids(buildings, rows, "building_id"), dtype=object)  # in row order
    quality += quality_record(
        layer="buildings",
        check="duplicate_building",
        ids=ids[np.searchsorted(named, right)],
        detail=[
            f"same footprint as {a} (intersection over union {iou:.3f}): counted once"
            for a, iou in zip(ids[np.searchsorted(named, left)], first["iou"], strict=True)
        ],
    )
    return dup


def _building_figures(
    buildings: pd.DataFrame, bm: np.ndarray, policy: Policy
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each building's :func:`counted_floors`, own floor area (NaN when not recorded:
    empty, or 0 where its floors are known) and footprint area :math:`a(B)`.

    Building by building (each row's figures depend on that row alone), so those of a
    subset of rows are the subset of these.
    """
    counted = counted_floors(buildings, policy=policy).to_numpy()
    b_own = _numeric(buildings, "floor_area", layer="buildings", id_col="building_id")
    # 0 on record for a building with floors is "not recorded": its floors count
    b_own = np.where((b_own == 0) & ~np.isnan(counted), np.nan, b_own)
    return counted, b_own, shapely.area(bm)


def _piece_order(pi: np.ndarray, piece: np.ndarray, piece_fa: np.ndarray, n: int) -> np.ndarray:
    """``np.lexsort((piece_fa, piece, pi))``, cut by parcel on one thread per CPU.

    The pieces of parcels :math:`[cn/k, (c+1)n/k)` form part :math:`c` (their positions
    in the order given); each part is sorted on its own thread (NumPy's sort releases
    the GIL) and the parts are concatenated. The parcel is the first key and the sort
    is stable, so this is the order of one sort of all pieces, to the last tie.
    """
    k = min(cpus(), len(pi) // MIN_CHUNK)
    if k <= 1:
        return np.lexsort((piece_fa, piece, pi))
    part = pi * k // max(n, 1)
    at = [np.flatnonzero(part == c) for c in range(k)]
    parts = map_parts(lambda i: i[np.lexsort((piece_fa[i], piece[i], pi[i]))], at)
    return np.concatenate(parts)


def contradicted_floor_areas(parcels: pd.DataFrame, measures: pd.DataFrame) -> list[dict[str, Any]]:
    """Quality rows for the parcels whose recorded floor area their buildings contradict.

    ``measures`` is the result of :func:`plot_ratio` for ``parcels``: a parcel with its own
    ``floor_area`` whose ``floor_area_source`` is not ``"parcel"`` had it replaced there
    (rule 1). One row per parcel (check ``floor_area_contradicted``).
    """
    own = _numeric(parcels, "floor_area", layer="parcels", id_col="parcel_id")
    mask = ~np.isnan(own) & (measures["floor_area_source"].to_numpy(dtype=object) != "parcel")
    if not mask.any():
        return []
    footprint = measures["footprint_m2"].to_numpy(dtype=float)
    used = measures["floor_area"].to_numpy(dtype=float)
    details = [
        f"floor_area {o:,.0f} m² on record, but its buildings cover {f:,.0f} m² of it: "
        + (f"{u:,.0f} m² from the buildings used" if u == u else "floor area unknown")
        for o, f, u in zip(own[mask], footprint[mask], used[mask], strict=True)
    ]
    return quality_record(
        layer="parcels",
        check="floor_area_contradicted",
        column="floor_area",
        ids=_ids(parcels, mask, "parcel_id"),
        detail=details,
    )


def overfull_parcels(parcels: pd.DataFrame, measures: pd.DataFrame) -> list[dict[str, Any]]:
    """Quality rows for the parcels whose buildings cover more than their land.

    ``measures`` is the result of :func:`plot_ratio` for ``parcels``: where
    ``footprint_m2`` exceeds ``area_m2`` (overlapping buildings), coverage is a share
    above 100 %, so :func:`plot_ratio` leaves it unknown. One row per parcel (check
    ``share_out_of_range``, column ``coverage``).
    """
    footprint = measures["footprint_m2"].to_numpy(dtype=float)
    area = measures["area_m2"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        over = (area > 0) & (footprint > area * (1 + 1e-9))
    if not over.any():
        return []
    return quality_record(
        layer="parcels",
        check="share_out_of_range",
        column="coverage",
        ids=_ids(parcels, over, "parcel_id"),
        detail=[
            f"buildings cover {f:,.0f} m² of {a:,.0f} m² of land ({100 * f / a:.1f} %: "
            "overlapping footprints); coverage unknown, not capped"
            for f, a in zip(footprint[over], area[over], strict=True)
        ],
    )


def plot_ratio(
    parcels: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame | None = None,
    *,
    policy: Policy = DEFAULT_POLICY,
    crs: Any = None,
    meets: list | None = None,
) -> pd.DataFrame:
    """Floor area, plot ratio (容积率) and building coverage (建筑系数) of each parcel.

    Both layers are reprojected to :func:`xsland.read.crs.metric_crs` of ``parcels``
    (SPEC §2), and with :math:`P` a parcel, :math:`B` a building,
    :math:`a(B \\cap P)` the area of their intersection:

    - ``area_m2`` :math:`= a(P)`;
    - ``footprint_m2`` :math:`= \\sum_B a(B \\cap P)`;
    - ``floor_area``, the first that applies (``floor_area_source``):

      1. ``"parcel"``: the parcel's own ``floor_area`` — unless its buildings contradict
         it: 0 where buildings stand on the parcel, or less than
         :math:`(1 - t)\\sum_B a(B \\cap P)` (a floor area below the ground floor's
         footprint, :math:`t` = ``policy.floor_area_footprint_tolerance``); then the
         buildings' figure of rule 2 is used, or NaN when their floors are unknown, and
         the parcel is listed (``floor_area_contradicted``);
      2. ``"buildings"``: :math:`\\sum_B a(B \\cap P)\\, c_B`, with :math:`c_B` the
         :func:`counted_floors` (a storey over 8 m counts twice, 工业项目建设用地控制指标),
         or, for a building with its own ``floor_area`` :math:`F_B`,
         :math:`F_B\\, a(B \\cap P) / a(B)` — a building spread over several parcels is
         split by area. Used when at least one building with a known floor area overlaps
         the parcel; buildings with neither floors nor height add nothing;
      3. ``"declared_far"``: ``declared_far`` :math:`\\times a(P)`;
      4. ``"buildings"`` with 0 (vacant land) when a buildings layer is given and no
         building overlaps the parcel;
      5. ``"none"``: NaN — no buildings layer, or only buildings of unknown floors;

    - ``far`` :math:`=` ``floor_area`` / ``area_m2`` (SPEC §3);
    - ``coverage`` :math:`=` ``footprint_m2`` / ``area_m2`` (建筑系数, the national
      工业项目建设用地控制指标); NaN without a buildings layer. A share never leaves
      0–100 %: where overlapping buildings add up to more footprint than the parcel has
      land, coverage is NaN (unknown, never capped to a pass) and listed
      (``share_out_of_range``).

    Recorded figures that carry no information are dropped first, each listed in
    ``attrs["quality"]``: a building ``floor_area`` of 0 where its floors are known (a
    whole column of zeros is read as not recorded by
    :func:`xsland.read.validate.validate_layer`), and buildings whose footprints are nearly identical to an earlier one (intersection over
    union above ``policy.duplicate_building_iou_min``: the same building delivered twice,
    ``duplicate_building``) — counted once.

    A parcel with a null or empty geometry cannot be measured: its ``area_m2``,
    ``footprint_m2``, ``far`` and ``coverage`` are NaN, and its floor area is its own
    ``floor_area`` or NaN (never 0). Overlapping buildings both count (their footprint
    may exceed the built area; coverage is then unknown, see above); a building in two
    overlapping parcels counts in each.

    Parameters
    ----------
    parcels
        Parcel polygons with a CRS; optional ``floor_area`` (m²) and ``declared_far``.
    buildings
        Building polygons with a CRS (any; reprojected) and ``floors`` and/or ``height``,
        optionally ``storey_height``, ``use``, ``floor_area`` (m²), ``building_id``.
    policy
        The FAR counting rules of :func:`counted_floors`.
    crs
        The run's metric CRS (:func:`xsland.pipeline.audit.run` chooses it once); default
        :func:`xsland.read.crs.metric_crs` of ``parcels``.
    meets
        When given (with ``buildings``), a list that receives one boolean array, per
        building of ``buildings`` (duplicates too): it intersects some parcel
        (:math:`B \\cap P \\ne \\emptyset`, touching counts) — read off the overlay
        measured here, the negation of :func:`xsland.measure.quality.buildings_outside`,
        which :func:`xsland.measure.quality.parcel_checks` then takes instead of querying
        the layers again.

    Returns
    -------
    DataFrame
        Indexed like ``parcels``: ``area_m2``, ``footprint_m2``, ``floor_area``, ``far``,
        ``coverage``, ``floor_area_source``. ``attrs["quality"]`` holds data-quality
        records (:func:`xsland.read.validate.quality_record`, check ``missing_floors``) for
        buildings with neither floors, height nor floor area.

    Raises
    ------
    CRSError
        If a layer has no CRS.
    DataError
        If numeric columns hold text or negative numbers.
    """
    crs = get_crs(crs) if crs is not None else metric_crs(parcels)
    pm = np.asarray(to_crs(parcels.geometry, crs).to_numpy(), dtype=object)
    n = len(parcels)
    area = shapely.area(pm)
    # a parcel without geometry (or of zero area) cannot be measured: NaN, never 0
    with np.errstate(invalid="ignore"):
        measured = area > 0
    quality: list[dict[str, Any]] = []
    own = _numeric(parcels, "floor_area", layer="parcels", id_col="parcel_id")
    declared = _numeric(parcels, "declared_far", layer="parcels", id_col="parcel_id")

    floor_area = np.full(n, np.nan)
    source = np.full(n, "none", dtype=object)
    footprint = np.full(n, np.nan)

    has_own = ~np.isnan(own)
    floor_area[has_own] = own[has_own]
    source[has_own] = "parcel"

    if buildings is not None:
        bm = np.asarray(to_crs(buildings.geometry, crs).to_numpy(), dtype=object)
        # two independent GEOS passes over the buildings, one thread each (both release
        # the GIL): their twins, and every building meeting a parcel (duplicates too,
        # touching pairs with area 0); meanwhile each building's figures, here
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="xsland-geos") as pool:
            twins_job = pool.submit(
                duplicate_footprints, bm, iou_min=policy.duplicate_building_iou_min
            )
            pieces_job = pool.submit(_pieces, bm, pm)
            try:
                figures = _building_figures(buildings, bm, policy)
            except DataError:  # raised below if a building counted holds the bad value
                figures = None
            twins, (bi, pi, piece) = twins_job.result(), pieces_job.result()
        dup = _duplicates(buildings, twins, quality)
        if meets is not None:
            meets.append(np.bincount(bi, minlength=len(bm)) > 0)
        # the pieces of positive area of the buildings counted (duplicates once)
        counts = (piece > 0) & ~dup[bi]
        bi, pi, piece = (np.cumsum(~dup) - 1)[bi[counts]], pi[counts], piece[counts]
        if figures is None:
            counted, b_own, b_area = _building_figures(buildings[~dup], bm[~dup], policy)
        else:  # figures of each building on its own: those of the buildings counted
            counted, b_own, b_area = (x[~dup] for x in figures)
        with np.errstate(invalid="ignore", divide="ignore"):
            by_share = b_own[bi] * piece / b_area[bi]
        piece_fa = np.where(np.isnan(b_own[bi]), piece * counted[bi], by_share)
        known = ~np.isnan(piece_fa)
        # each parcel's pieces added smallest first: the same sums, to the last bit,
        # whatever the order the buildings came in (a partition reads those near it)
        order = _piece_order(pi, piece, piece_fa, n)
        bi, pi, piece, piece_fa, known = (
            bi[order],
            pi[order],
            piece[order],
            piece_fa[order],
            known[order],
        )
        footprint = np.bincount(pi, weights=piece, minlength=n).astype("float64")
        footprint[~measured] = np.nan
        from_buildings = np.bincount(pi[known], weights=piece_fa[known], minlength=n)
        built = np.bincount(pi[known], minlength=n) > 0
        overlapped = np.bincount(pi, minlength=n) > 0
        use = ~has_own & built
        floor_area[use] = from_buildings[use]
        source[use] = "buildings"
        with np.errstate(invalid="ignore"):
            low = own < footprint * (1.0 - policy.floor_area_footprint_tolerance)
        contradicted = has_own & measured & ((own == 0) & overlapped | low)
        floor_area[contradicted] = np.where(built, from_buildings, np.nan)[contradicted]
        source[contradicted] = np.where(built, "buildings", "none")[contradicted]
        unknown = np.isnan(counted) & np.isnan(b_own)
        if unknown.any():
            if "building_id" in buildings.columns:  # the IDs of those rows, in order
                rows = np.zeros(len(dup), dtype=bool)
                rows[np.flatnonzero(~dup)[unknown]] = True
                ids = _ids(buildings, rows, "building_id")
            else:  # "#i", i among the buildings counted
                ids = _ids(buildings[~dup], unknown, "building_id")
            quality += quality_record(
                layer="buildings",
                check="missing_floors",
                column="floors",
                ids=ids,
                detail="no floors, height or floor_area: adds no floor area to its parcels",
            )
    decl = np.isnan(floor_area) & ~np.isnan(declared) & measured
    with np.errstate(invalid="ignore"):
        floor_area[decl] = declared[decl] * area[decl]
    source[decl] = "declared_far"
    if buildings is not None:
        vacant = np.isnan(floor_area) & ~overlapped & measured
        floor_area[vacant] = 0.0
        source[vacant] = "buildings"

    with np.errstate(invalid="ignore", divide="ignore"):
        safe = np.where(measured, area, 1.0)
        far = np.where(measured, floor_area / safe, np.nan)
        coverage = np.where(measured, footprint / safe, np.nan)
    coverage = np.where(coverage > 1 + 1e-9, np.nan, coverage)  # listed by overfull_parcels
    result = pd.DataFrame(
        {
            "area_m2": area,
            "footprint_m2": footprint,
            "floor_area": floor_area,
            "far": far,
            "coverage": coverage,
            "floor_area_source": pd.array(source, dtype="str"),
        },
        index=parcels.index,
    )
    result.attrs["quality"] = (
        quality + overfull_parcels(parcels, result) + contradicted_floor_areas(parcels, result)
    )
    return result
