"""Contiguous redevelopment blocks (连片): neighbour graph, components, outlines, routes.

锡府办规〔2025〕1号 clause 二(一)3 asks to clear low-efficiency land *通过连片改造、置换盘活、
收储盘活等路径* and rewards the bodies that form *连片净地*. This module groups the
low-efficiency parcels (:func:`xsland.judge.lowuse.flag`) into blocks and describes each one.

Public functions (inputs are never modified):

- :func:`find_blocks` — the block of every parcel (a Series of IDs aligned to the input);
- :func:`neighbour_pairs` — the links between parcels that the blocks are made of;
- :func:`block_outlines` — one outline per block;
- :func:`block_table` — one row per block: park, town, parcels, owners, areas, outline,
  compactness, floor area today and at the target FAR, route and reward;
- :func:`block_members` — one row per parcel of a block.

Definitions
-----------
**Link.** Two parcels are linked when the distance between them is at most the gap
tolerance :math:`g` (``Policy.block_gap_m``, 15 m, so that a branch road does not split a
block) — candidate pairs from a NumPy grid hash of the bounding boxes (an
:class:`shapely.STRtree` query when a few huge parcels make the grid coarse) and one
vectorised ``dwithin`` over them — unless a barrier separates them. Blocks are the connected components of the links
(:func:`scipy.sparse.csgraph.connected_components`); no buffering or dissolving is involved.
Since :math:`d(A, B) \\le g \\iff (A \\oplus D_{g/2}) \\cap (B \\oplus D_{g/2}) \\ne
\\emptyset` (:math:`D_r` the disc of radius :math:`r`), the partition is that of libpysal's
``fuzzy_contiguity(buffering=True, buffer=g/2)``.

**Barrier.** Rivers, trunk roads and the like (polygons or lines; lines count as 1 cm
wide) may not be crossed. Two parcels :math:`A, B` within the tolerance are separated when
no connected piece of their *link zone* minus the barriers,
:math:`Z = \\big((A \\oplus D_{g/2}) \\cup (B \\oplus D_{g/2})\\big) \\setminus
\\bigcup \\text{barriers}`, touches both. So a river or trunk road running between them
separates them; a barrier that ends between them (a road ending, a pond) or runs along
one side of both does not. Only pairs whose link zone meets a barrier's bounding box are
tested, with vectorised shapely operations.

**Block ID.** ``B-<park>-NNN``: the park holding the largest part of the block's area
(else the town, else ``OUT``), and the rank of the block in it by area (largest first,
ties by the smallest ``parcel_id``). It depends on the parcels and their geometry only,
never on row order. ``key_parcel`` (the smallest ``parcel_id``) stays the same when the
areas of other blocks change, for comparing two audits.

**Outline.** :math:`\\big(\\bigcup_i P_i \\oplus_\\square g/2\\big) \\ominus_\\square g/2`,
the union of the members buffered outward by :math:`g/2` and then inward by :math:`g/2`,
with mitre joins (corners stay square): gaps up to :math:`g` between the members (and
notches narrower than :math:`g`) are closed. Holes smaller than
``Policy.block_hole_fill_m2`` are filled. Computed for all blocks at once with vectorised
shapely calls: the union of each block (:func:`shapely.coverage_union_all` where the
members tile with matching vertices, checked by area and validity, else ``buffer(…, 0)`` of
the block as a GeometryCollection); then, since the complement of a closing is the opening
of the complement, the closing of the union's outer shells minus the opening
:math:`(Q \\ominus g/2) \\oplus g/2` of the free space :math:`Q` of each of its holes (the
hole minus the parts lying in it), so that no buffer ever runs over a polygon with
thousands of holes (a multipolygon of fewer than 256 vertices is closed as a whole: finding
its holes would cost more). The closing of a convex set (a ring turning one way, once) is
the set itself. For parcels with right-angled corners this equals dissolving the members'
mitre buffers and shrinking the result (tested against that on random tilings).

**Target FAR.** The FAR minimum of the parcel's category (clause 二(一)1: 1.5 new
industrial, 2.0 high-standard factory, 2.5 new-type industrial); existing industrial,
logistics and other land is re-supplied as new industrial project land (新增工业项目用地)
and gets 1.5.

**Route** (:data:`ROUTES`), first rule that holds. A parcel is *industry-only* when it is
low-efficiency for its industry alone (``lu_industry`` without ``lu_inefficient`` or
``lu_plan``: efficient land, an enterprise outside the park's positioning); such land is
never *reservable*: the buildings are kept, the user changes.

1. 收储盘活 (``reserve``, government buy-back): the *reservable* parcels — idle, unbuilt,
   of an enterprise evaluated in a low class (``lowuse_classes``), or without owner and
   enterprise, and not industry-only — cover at least ``route_reserve_share_min`` (50 %)
   of the block;
2. 置换盘活 (``swap``, swap the user, keep the buildings): industry-only parcels cover at
   least ``route_industry_share_min`` (50 %) of the block — so a block of industry-only
   parcels is always swapped, never bought back;
3. 连片改造 (``redevelop``, the owners redevelop together): the block reaches
   ``block_min_mu`` (30 亩) and has at most ``route_redevelop_owners_max`` (3) owners;
4. 置换盘活 (``swap``, land swap / relocation): otherwise — many owners with enterprises
   still operating, or a block too small to redevelop on its own.

``route_rule`` names the rule that chose the route once (``规则2: …``) and writes it out
with the block's figures; ``route_zh`` holds the route's name.

**Reward.** ``area_mu`` × ``reward_per_mu_wan`` (锡政办规〔2025〕1号, by the re-supplied
industrial land area) for blocks that reach ``block_min_mu``; 0 below it; NaN while the
rate is unset.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from functools import partial
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from shapely.errors import GEOSException

from xsland._threads import cpus, later, map_chunks, map_parts
from xsland.errors import DataError, format_rows
from xsland.judge.keys import per_distinct
from xsland.read.crs import get_crs, metric_crs, to_crs
from xsland.rules.policy import DEFAULT_POLICY, LOWUSE_RULES, Policy
from xsland.rules.units import M2_PER_MU  # re-exported

__all__ = [
    "BLOCK_COLUMNS",
    "COLUMN_LABELS",
    "M2_PER_MU",
    "ROUTES",
    "block_links",
    "block_members",
    "block_outlines",
    "block_table",
    "find_blocks",
    "neighbour_pairs",
    "target_far",
]


#: Route code -> (Chinese name, what it means).
ROUTES = {
    "reserve": ("收储盘活", "government buys back and re-supplies the land"),
    "redevelop": ("连片改造", "the owners redevelop the contiguous block together"),
    "swap": ("置换盘活", "land swap or relocation consolidates the block"),
}

#: Columns of :func:`block_table` (besides the geometry), in order.
BLOCK_COLUMNS = [
    "block_id",
    "park_id",
    "town",
    "rank",
    "key_parcel",
    "n_parcels",
    "parcel_ids",
    "n_owners",
    "owners",
    "n_enterprises",
    "area_m2",
    "area_mu",
    "outline_area_m2",
    "perimeter_m",
    "compactness",
    "floor_area",
    "far",
    "n_floor_area_unknown",
    "target_far",
    "floor_area_target",
    "floor_area_gain",
    "idle_mu",
    "reserve_mu",
    "reserve_share",
    "industry_only_mu",
    "industry_only_share",
    "below_threshold",
    "route",
    "route_zh",
    "route_rule",
    "reward_wan",
]

#: Chinese headers of the columns of :func:`block_table` and :func:`block_members`.
COLUMN_LABELS = {
    "block_id": "连片编号",
    "park_id": "园区编号",
    "town": "所属镇街",
    "rank": "园区内面积排序",
    "key_parcel": "最小地块编号",
    "n_parcels": "地块数",
    "parcel_ids": "地块编号",
    "n_owners": "权利人数",
    "owners": "权利人",
    "n_enterprises": "企业数",
    "area_m2": "用地面积(平方米)",
    "area_mu": "用地面积(亩)",
    "outline_area_m2": "轮廓面积(平方米)",
    "perimeter_m": "轮廓周长(米)",
    "compactness": "紧凑度(4πA/P²)",
    "floor_area": "现状建筑面积(平方米)",
    "far": "现状容积率",
    "n_floor_area_unknown": "建筑面积未知地块数",
    "target_far": "目标容积率",
    "floor_area_target": "目标建筑面积(平方米)",
    "floor_area_gain": "可增建筑面积(平方米)",
    "idle_mu": "闲置土地(亩)",
    "reserve_mu": "收储类用地(亩)",
    "reserve_share": "收储类用地占比",
    "industry_only_mu": "仅产业定位不符用地(亩)",
    "industry_only_share": "仅产业定位不符用地占比",
    "below_threshold": "低于连片面积下限",
    "route": "盘活路径代码",
    "route_zh": "建议盘活路径",
    "route_rule": "路径判定依据",
    "reward_wan": "预计奖励(万元)",
    "parcel_id": "地块编号",
    "owner": "权利人",
    "enterprise_id": "企业编号",
    "category": "用地类别",
    "reasons": "认定理由代码",
    "reasons_zh": "低效认定理由",
}

_LINE_BARRIER_WIDTH = 0.01  # m: a barrier line counts as a strip this wide
_QUAD_SEGS = 8
_COVERAGE_MIN_ROWS = 1024  # rows of a failed coverage union not split further
_COVERAGE_PROBE = 64  # groups tried one by one before the coverage unions
_COVERAGE_PROBE_MISSES = 0.1  # share of the probe that may fail for the coverage unions
_HOLED_MIN_COORDS = 256  # vertices of a multipolygon closed through its holes (if any)
_GEOS_CHUNK = 2_000  # fewest unions or buffers per thread (each costs tens of µs)


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def _key(values: pd.Series) -> pd.Series:
    """IDs as clean text (``12.0`` -> ``"12"``, blanks -> NA), same index.

    Each distinct text is cleaned once (a park or town ID stands on thousands of
    parcels) and taken by its rows.
    """
    code, uniq = pd.factorize(values.astype("string").str.strip())
    text = pd.Series(uniq, dtype="string").str.replace(r"^(\d+)\.0+$", r"\1", regex=True)
    text = text.where(text != "")
    return pd.Series(text.array.take(code, allow_fill=True), index=values.index, name=values.name)


def _align(values: Any, parcels: pd.DataFrame) -> pd.Series:
    """``values`` (block IDs) as a text Series aligned to ``parcels``' rows."""
    if isinstance(values, pd.Series):
        if values.index.equals(parcels.index):
            out = values
        elif values.index.is_unique and parcels.index.is_unique:
            out = values.reindex(parcels.index)
        else:
            raise DataError(
                "block_ids: its index does not match the parcels'. Fix: pass the Series "
                "find_blocks returned for these parcels"
            )
    else:
        arr = np.asarray(values, dtype=object)
        if arr.shape != (len(parcels),):
            raise DataError(f"block_ids: {len(arr)} values for {len(parcels)} parcels")
        out = pd.Series(arr, index=parcels.index)
    return out.astype("string")


def _metric(parcels: Any, crs: Any = None) -> tuple[gpd.GeoSeries, Any]:
    """The parcel geometry in ``crs`` (the run's metric CRS), by default in the metric
    CRS of :func:`xsland.read.crs.metric_crs`."""
    if not isinstance(parcels, gpd.GeoDataFrame | gpd.GeoSeries):
        raise DataError(
            "parcels: a GeoDataFrame with the parcel polygons is needed. Fix: pass the "
            "parcel table of xsland.judge.audit.parcel_table (AuditResult.parcels)"
        )
    geom = parcels.geometry if isinstance(parcels, gpd.GeoDataFrame) else parcels
    crs = get_crs(crs) if crs is not None else metric_crs(geom)
    if geom.crs != crs:
        geom = to_crs(geom, crs)
    return geom, crs


def _positions(parcels: pd.DataFrame, mask: Any) -> np.ndarray:
    """Boolean array of the parcels taking part (``mask`` aligned by index or position)."""
    n = len(parcels)
    if mask is None:
        return np.ones(n, dtype=bool)
    if isinstance(mask, pd.Series):
        if mask.index.equals(parcels.index):
            values = mask
        elif parcels.index.is_unique and mask.index.is_unique:
            values = mask.reindex(parcels.index)
        else:
            raise DataError(
                "mask: its index does not match the parcels'. Fix: pass a boolean Series "
                "with the parcels' index, or a plain array in the parcels' order"
            )
        return values.fillna(False).astype(bool).to_numpy()
    arr = np.asarray(mask)
    if arr.shape != (n,):
        raise DataError(f"mask: {arr.shape[0] if arr.ndim else 0} values for {n} parcels")
    if arr.dtype != bool:
        arr = pd.Series(arr).fillna(False).astype(bool).to_numpy()
    return arr


def _barrier_geoms(barriers: Any, crs: Any) -> np.ndarray:
    """All barrier geometries as polygons in ``crs`` (lines widened to 1 cm)."""
    if barriers is None:
        return np.array([], dtype=object)
    if isinstance(barriers, gpd.GeoDataFrame | gpd.GeoSeries) or not isinstance(barriers, Iterable):
        barriers = [barriers]
    items = list(barriers)
    if items and all(isinstance(b, shapely.Geometry) or b is None for b in items):
        items = [np.asarray(items, dtype=object)]
    arrays = []
    for item in items:
        if isinstance(item, gpd.GeoDataFrame | gpd.GeoSeries):
            geom = item.geometry if isinstance(item, gpd.GeoDataFrame) else item
            if geom.crs is not None and crs is not None and geom.crs != crs:
                geom = to_crs(geom, crs)
            arrays.append(np.asarray(geom.to_numpy(), dtype=object))
        elif isinstance(item, shapely.Geometry):
            arrays.append(np.array([item], dtype=object))
        else:
            arrays.append(np.asarray(item, dtype=object))
    geoms = np.concatenate(arrays) if arrays else np.array([], dtype=object)
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    dim = shapely.get_dimensions(geoms)
    thin = dim < 2
    geoms = geoms.copy()
    geoms[thin] = shapely.buffer(geoms[thin], _LINE_BARRIER_WIDTH / 2, quad_segs=2)
    return geoms


def _grouped_union(geoms: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """Union of ``geoms`` per group (0 … n_groups-1), vectorised by size buckets.

    Groups of one keep their geometry; larger groups are unioned row-wise with
    :func:`shapely.union_all` (``axis=1``) over None-padded arrays, one call per
    power-of-two size class.
    """
    order = np.argsort(groups, kind="stable")
    sizes = np.bincount(groups, minlength=n_groups)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    ordered = geoms[order]
    out = np.empty(n_groups, dtype=object)
    single = sizes == 1
    out[single] = ordered[starts[single]]
    bucket = np.ceil(np.log2(np.maximum(sizes, 1))).astype(int)
    for b in np.unique(bucket[sizes > 1]):
        ids = np.flatnonzero((bucket == b) & (sizes > 1))
        width = int(sizes[ids].max())
        rows = np.repeat(np.arange(len(ids)), sizes[ids])
        cols = np.arange(len(rows)) - np.repeat(np.cumsum(sizes[ids]) - sizes[ids], sizes[ids])
        table = np.full((len(ids), width), None, dtype=object)
        table[rows, cols] = ordered[np.repeat(starts[ids], sizes[ids]) + cols]
        out[ids] = shapely.union_all(table, axis=1)
    return out


def _dominant(group: np.ndarray, values: pd.Series, weight: np.ndarray) -> pd.Series:
    """Per group, the non-null value with the largest total weight (ties: smallest value).

    Vectorised: values are ranked by :func:`pandas.factorize` (``sort=True``), the weight of
    each (group, value) pair summed with :func:`numpy.bincount`, and the best pair of each
    group picked by one :func:`numpy.lexsort`.
    """
    code, uniq = pd.factorize(values.astype("string").array, sort=True)
    ok = code >= 0
    if not ok.any():
        return pd.Series(dtype=object)
    code = code[ok]
    g = np.asarray(group)[ok].astype(np.int64)
    key = g * len(uniq) + code
    pairs, inverse = np.unique(key, return_inverse=True)
    sums = np.bincount(inverse, weights=np.nan_to_num(weight)[ok], minlength=len(pairs))
    pg, pv = pairs // len(uniq), pairs % len(uniq)
    order = np.lexsort((pv, -sums, pg))
    first = order[np.r_[True, pg[order][1:] != pg[order][:-1]]]
    return pd.Series(np.asarray(uniq, dtype=object)[pv[first]], index=pg[first])


# ---------------------------------------------------------------------------
# links and blocks
# ---------------------------------------------------------------------------


def _separated(
    geoms: np.ndarray, i: np.ndarray, j: np.ndarray, gap: float, barriers: np.ndarray
) -> np.ndarray:
    """For each pair (i, j), whether the barriers separate the two parcels (see module doc)."""
    cut = np.zeros(len(i), dtype=bool)
    if len(barriers) == 0 or len(i) == 0:
        return cut
    # circumscribed polygonal buffers: they contain the exact ones, so parcels within the
    # tolerance always have overlapping zones
    r = gap / 2 / math.cos(math.pi / (4 * _QUAD_SEGS)) + 1e-6
    bi = shapely.bounds(geoms[i])
    bj = shapely.bounds(geoms[j])
    env = shapely.box(
        np.minimum(bi[:, 0], bj[:, 0]) - r,
        np.minimum(bi[:, 1], bj[:, 1]) - r,
        np.maximum(bi[:, 2], bj[:, 2]) + r,
        np.maximum(bi[:, 3], bj[:, 3]) + r,
    )
    tree = shapely.STRtree(barriers)
    pair_pos, bar_pos = tree.query(env, predicate="intersects")
    if len(pair_pos) == 0:
        return cut
    cand, local = np.unique(pair_pos, return_inverse=True)
    bar_union = _grouped_union(barriers[bar_pos], local, len(cand))
    a, b = geoms[i[cand]], geoms[j[cand]]
    zone = shapely.union(
        shapely.buffer(a, r, quad_segs=_QUAD_SEGS), shapely.buffer(b, r, quad_segs=_QUAD_SEGS)
    )
    free = shapely.difference(zone, bar_union)
    parts, owner = shapely.get_parts(free, return_index=True)
    joins = shapely.intersects(parts, a[owner]) & shapely.intersects(parts, b[owner])
    linked = np.bincount(owner[joins], minlength=len(cand)) > 0
    cut[cand] = ~linked
    return cut


def _grid_pairs(b: np.ndarray, gap: float) -> tuple[np.ndarray, np.ndarray] | None:
    """Pairs ``i < j`` whose bounding boxes ``b`` come within ``gap`` on both axes.

    A uniform grid hash in NumPy, without building any geometry: each box, grown by
    ``gap / 2`` (and 1 µm, so rounding never drops a pair) on every side, is listed in
    the cells it covers (cells as wide as 90 % of the grown boxes); the boxes sharing a
    cell are paired, the pairs whose grown boxes meet are kept, each once — in the cell
    holding the lower-left corner of the two boxes' intersection. A superset of the
    pairs within ``gap`` (the exact test follows). ``None`` when a few huge boxes would
    cover too many cells (then the STRtree does it).
    """
    n = len(b)
    half = gap / 2 + 1e-6
    lo, hi = b[:, :2] - half, b[:, 2:] + half
    cell = float(np.quantile((hi - lo).max(axis=1), 0.9))
    if not (np.isfinite(cell) and cell > 0):
        return None
    origin = lo.min(axis=0)
    c0 = np.floor((lo - origin) / cell).astype(np.int64)
    c1 = np.floor((hi - origin) / cell).astype(np.int64)
    span = c1 - c0 + 1
    count = span[:, 0] * span[:, 1]
    total = int(count.sum())
    if total > 8 * n + 10_000:
        return None
    item = np.repeat(np.arange(n), count)
    k = np.arange(total) - np.repeat(np.cumsum(count) - count, count)
    ncx = int(c1[:, 0].max()) + 1
    cellid = (c0[item, 1] + k // span[item, 0]) * ncx + c0[item, 0] + k % span[item, 0]
    order = np.argsort(cellid, kind="stable")  # items stay ascending within a cell
    item, cellid = item[order], cellid[order]
    starts = np.flatnonzero(np.r_[True, cellid[1:] != cellid[:-1]])
    sizes = np.diff(np.r_[starts, total])
    after = np.repeat(starts + sizes, sizes) - np.arange(total) - 1  # later items, same cell
    a = np.repeat(np.arange(total), after)
    c = np.arange(len(a)) - np.repeat(np.cumsum(after) - after, after) + a + 1
    i, j, cid = item[a], item[c], cellid[a]
    x0, y0, x1, y1 = lo[:, 0], lo[:, 1], hi[:, 0], hi[:, 1]
    meet = (x0[i] <= x1[j]) & (x0[j] <= x1[i]) & (y0[i] <= y1[j]) & (y0[j] <= y1[i])
    i, j, cid = i[meet], j[meet], cid[meet]
    cx = np.floor((np.maximum(x0[i], x0[j]) - origin[0]) / cell).astype(np.int64)
    cy = np.floor((np.maximum(y0[i], y0[j]) - origin[1]) / cell).astype(np.int64)
    once = cy * ncx + cx == cid
    return i[once], j[once]


def _links(
    g: np.ndarray, gap: float, barriers: np.ndarray, *, bounds: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Linked pairs ``i < j`` of ``g`` (barriers already polygons in the same CRS).

    Candidate pairs are those whose bounding boxes come within ``gap`` of each other
    (:func:`_grid_pairs`, or an STRtree query when a few huge parcels would make the grid
    too coarse); the exact ``dwithin`` test then runs once per unordered pair (``i < j``),
    vectorised and cut into chunks on a thread per CPU (:func:`xsland._threads.map_chunks`)
    — the same pairs as ``STRtree.query(g, predicate="dwithin", distance=gap)``, in a
    fraction of the time.
    """
    b = shapely.bounds(g) if bounds is None else bounds
    found = _grid_pairs(b, gap) if len(g) > 1 else (np.empty(0, np.int64),) * 2
    if found is None:
        tree = shapely.STRtree(g)
        # the grown boxes as their diagonals: a query without predicate compares
        # envelopes only, and a two-point line is cheaper to build than a box
        i, j = tree.query(shapely.linestrings(np.stack([b[:, :2] - gap, b[:, 2:] + gap], 1)))
        keep = i < j
        i, j = i[keep], j[keep]
    else:
        i, j = found
    # element-wise, so cut into chunks on a thread per CPU (GEOS releases the GIL)
    near = map_chunks(partial(shapely.dwithin, distance=gap), g[i], g[j])
    i, j = i[near], j[near]
    if len(barriers):
        cut = _separated(g, i, j, gap, barriers)
        i, j = i[~cut], j[~cut]
    return i, j


def neighbour_pairs(
    geoms: Any, *, gap_m: float = DEFAULT_POLICY.block_gap_m, barriers: Any = None
) -> tuple[np.ndarray, np.ndarray]:
    """The links between parcels: pairs within ``gap_m`` not separated by a barrier.

    Parameters
    ----------
    geoms
        Parcel polygons in a metric CRS (array of shapely geometries or a GeoSeries).
    gap_m
        Gap tolerance :math:`g` in metres; pairs with :math:`d(A, B) \\le g` are linked.
    barriers
        Barrier geometries in the same CRS (see :func:`find_blocks`; not reprojected).

    Returns
    -------
    (ndarray, ndarray)
        Positions ``i < j`` of every linked pair.
    """
    if gap_m < 0:
        raise DataError(f"gap_m = {gap_m} must not be negative")
    g = np.asarray(geoms.to_numpy() if hasattr(geoms, "to_numpy") else geoms, dtype=object)
    ok = ~(shapely.is_missing(g) | shapely.is_empty(g))
    pos = np.flatnonzero(ok)
    i, j = _links(g[ok], float(gap_m), _barrier_geoms(barriers, None))
    return pos[i], pos[j]


def _metric_geoms(parcels: Any, crs: Any) -> tuple[np.ndarray, np.ndarray, Any]:
    """The parcels' geometries in the metric CRS, their bounds (NaN for missing and empty
    geometries) and that CRS (``crs``, default :func:`xsland.read.crs.metric_crs`)."""
    if not isinstance(parcels, gpd.GeoDataFrame | gpd.GeoSeries):
        _metric(parcels)  # raises the error for anything else
    geom = parcels.geometry if isinstance(parcels, gpd.GeoDataFrame) else parcels
    g_all = np.asarray(geom.to_numpy(), dtype=object)
    b_all = shapely.bounds(g_all).reshape(-1, 4)  # (0, 4) for an empty layer
    if crs is not None:
        crs = get_crs(crs)
    elif len(g_all):
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices
            total = (*np.nanmin(b_all[:, :2], axis=0), *np.nanmax(b_all[:, 2:], axis=0))
        crs = metric_crs(tuple(total), crs=geom.crs)
    else:
        crs = metric_crs(geom, crs=geom.crs)
    if geom.crs is None or not geom.crs.equals(crs):
        g_all = np.asarray(to_crs(geom, crs).to_numpy(), dtype=object)
        b_all = shapely.bounds(g_all)
    return g_all, b_all, crs


def block_links(
    parcels: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    gap_m: float = DEFAULT_POLICY.block_gap_m,
    barriers: Any = None,
    crs: Any = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The links between all parcels, as :func:`find_blocks` works them out.

    Two parcels are linked when :math:`d(A, B) \\le g` and no barrier separates them
    (see the module docstring); a link depends on its two parcels alone, so the links
    between the parcels of any subset are those of all parcels between two members of
    it. :func:`find_blocks` takes them (``links``) and keeps those between the parcels
    taking part: the audit works them out on a second thread while the parcels are
    judged, before it knows which are low-efficiency.

    Parameters
    ----------
    parcels, gap_m, barriers, crs
        As for :func:`find_blocks` (every parcel passed in; no mask).

    Returns
    -------
    (ndarray, ndarray)
        Positions ``i < j`` in ``parcels`` of every linked pair (parcels without geometry
        are in none).
    """
    if gap_m < 0:
        raise DataError(f"gap_m = {gap_m} must not be negative")
    g_all, b_all, crs = _metric_geoms(parcels, crs)
    pos = np.flatnonzero(~np.isnan(b_all[:, 0]))
    if len(pos) == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    i, j = _links(g_all[pos], float(gap_m), _barrier_geoms(barriers, crs), bounds=b_all[pos])
    return pos[i], pos[j]


def find_blocks(
    parcels: gpd.GeoDataFrame,
    *,
    gap_m: float = DEFAULT_POLICY.block_gap_m,
    barriers: Any = None,
    mask: Any = None,
    crs: Any = None,
    links: tuple[np.ndarray, np.ndarray] | None = None,
) -> pd.Series:
    """The contiguous block (连片) of each parcel.

    Parcels that touch or lie within ``gap_m`` of each other, and are not separated by a
    barrier, form one block (the connected components of :func:`neighbour_pairs`; see the
    module docstring for the definitions of link, barrier and block ID).

    Parameters
    ----------
    parcels
        Parcel polygons with a CRS (any; measured in :func:`xsland.read.crs.metric_crs`).
        Used when present: ``parcel_id`` (ID order; else the index), ``park_id`` and
        ``town`` (the ID prefix), ``area_m2`` (else the geometry's area).
    gap_m
        Gap tolerance :math:`g` (m); ``Policy.block_gap_m`` is 15.
    barriers
        Layers the blocks may not cross (rivers, trunk roads): a GeoDataFrame or
        GeoSeries, or a list of them (reprojected to the parcels' metric CRS), or shapely
        geometries in that CRS. Lines count as 1 cm wide.
    mask
        Which parcels take part: a boolean Series (aligned by index) or array (by
        position) — typically ``flags["low_efficiency"]`` of :func:`xsland.judge.lowuse.flag`.
        Default: every parcel passed in.
    crs
        The run's metric CRS (:func:`xsland.pipeline.audit.run` chooses it once); default
        :func:`xsland.read.crs.metric_crs` of every parcel passed in.
    links
        The links between all ``parcels`` passed in, as :func:`block_links` gives them
        for the same ``parcels``, ``gap_m``, ``barriers`` and ``crs`` (worked out
        beforehand, for instance on a second thread while the parcels are judged); those
        between two parcels taking part are the links of the blocks. Default: worked out
        here for the parcels taking part only. The blocks are the same either way (a
        link depends on its two parcels alone).

    Returns
    -------
    Series
        ``block_id`` (text) indexed like ``parcels``; missing (NA) for parcels not taking
        part or without geometry. A parcel alone is a block of one.
    """
    if not isinstance(parcels, gpd.GeoDataFrame | gpd.GeoSeries):
        _metric(parcels)  # raises the error for anything else
    take = _positions(parcels, mask)
    g_all, b_all, crs = _metric_geoms(parcels, crs)
    take = take & ~np.isnan(b_all[:, 0])
    pos = np.flatnonzero(take)
    if len(pos) == 0:
        return pd.Series(pd.NA, index=parcels.index, dtype="string", name="block_id")
    g = g_all[pos]
    if gap_m < 0:
        raise DataError(f"gap_m = {gap_m} must not be negative")
    if links is None:
        i, j = _links(g, float(gap_m), _barrier_geoms(barriers, crs), bounds=b_all[pos])
    else:  # the pairs of every parcel: those of two parcels taking part, renumbered
        li, lj = (np.asarray(k, dtype=np.int64).ravel() for k in links)
        if len(li) != len(lj) or (
            len(li) and (min(li.min(), lj.min()) < 0 or max(li.max(), lj.max()) >= len(parcels))
        ):
            raise DataError(
                f"links: {len(li)} and {len(lj)} positions, not pairs of the {len(parcels)} "
                "parcels passed. Fix: pass block_links of these very parcels, or links=None"
            )
        local = np.full(len(parcels), -1, dtype=np.int64)
        local[pos] = np.arange(len(pos))
        i, j = local[li], local[lj]
        both = (i >= 0) & (j >= 0)
        i, j = i[both], j[both]
    m = len(pos)
    graph = coo_matrix((np.ones(len(i), dtype=np.int8), (i, j)), shape=(m, m))
    n_blocks, label = connected_components(graph, directed=False)
    # the columns the names read, of the parcels taking part (not every column)
    frame = None
    if isinstance(parcels, gpd.GeoDataFrame):
        named = [c for c in ("parcel_id", "area_m2", "town", "park_id") if c in parcels.columns]
        frame = pd.DataFrame(parcels[named]).iloc[pos]
    return _as_ids(_block_names(frame, g, label, n_blocks), label, pos, parcels.index)


def _as_ids(names: np.ndarray, label: np.ndarray, pos: np.ndarray, index: pd.Index) -> pd.Series:
    """``block_id`` of every row: the name of its block at ``pos``, NA elsewhere.

    Built in Arrow (the names taken by label, a null where no block) rather than from a
    Python object per row.
    """
    import pyarrow as pa

    take = np.full(len(index), -1, dtype=np.int64)
    take[pos] = label
    picked = pa.array(names, type=pa.large_string()).take(
        pa.array(take, mask=take < 0, type=pa.int64())
    )
    values = pd.array(picked, dtype=pd.StringDtype("pyarrow"))
    return pd.Series(values, index=index, name="block_id").astype("string")


def _block_names(
    frame: pd.DataFrame | None, g: np.ndarray, label: np.ndarray, n_blocks: int
) -> np.ndarray:
    """``B-<park|town|OUT>-NNN`` of each block (indexed by its component label).

    Within a park (town, ``OUT``) blocks rank by total area, largest first; blocks of
    equal area by their smallest parcel ID. Vectorised: strings are ranked by
    :func:`pandas.factorize` with ``sort=True`` (a smaller code is a smaller string) and
    every per-block figure is a NumPy reduction. The parcel IDs are ranked only for
    the blocks whose park and area tie with another's (:func:`_first_ids`): in most
    districts few do, and ranking every member's ID took 0.05 s of the 0.56 s CPU of
    :func:`find_blocks` on the 200,987 flagged parcels of ``benchmarks/bench_blocks.py``.
    """
    m = len(g)
    cols = frame.columns if frame is not None else []
    area = np.full(m, np.nan)
    if "area_m2" in cols:
        area = pd.to_numeric(frame["area_m2"], errors="coerce").to_numpy(dtype="float64")
    bad = ~np.isfinite(area)
    if bad.any():
        area = area.copy()
        area[bad] = shapely.area(g[bad])
    group = np.full(n_blocks, "OUT", dtype=object)
    for col in ("town", "park_id"):  # park wins over town
        if col in cols:
            # a few parks and towns over many parcels: each cleaned once
            best = _dominant(label, per_distinct(frame[col], _key), area)
            group[best.index.to_numpy(dtype=np.int64)] = best.to_numpy(dtype=object)
    total = np.round(np.bincount(label, weights=area, minlength=n_blocks), 6)
    group_code, _ = pd.factorize(pd.array(group, dtype="str"), sort=True)
    order = np.lexsort((-total, group_code))
    og, ot = group_code[order], total[order]
    # a block whose park and area equal its neighbour's in that order: its rank needs IDs
    # (areas are finite: a missing or non-finite area_m2 was replaced by the geometry's)
    same = (og[1:] == og[:-1]) & (ot[1:] == ot[:-1])
    if same.any():
        tied = np.zeros(n_blocks, dtype=bool)
        tied[order[1:][same]] = tied[order[:-1][same]] = True
        first = np.zeros(n_blocks, dtype=np.int64)
        first[tied] = _first_ids(frame, label, tied, m)[tied]
        order = np.lexsort((first, -total, group_code))
    ordered = group_code[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    rank = np.empty(n_blocks, dtype=np.int64)
    rank[order] = np.arange(n_blocks) - np.repeat(starts, np.diff(np.r_[starts, n_blocks]))
    rank += 1
    return (
        "B-" + pd.Series(group, dtype="str") + "-" + pd.Series(rank).astype(str).str.zfill(3)
    ).to_numpy(dtype=object)


def _first_ids(
    frame: pd.DataFrame | None, label: np.ndarray, tied: np.ndarray, m: int
) -> np.ndarray:
    """Per block, the rank of its smallest parcel ID among the members of the ``tied``
    blocks (others: ``iinfo.max``); a missing ID ranks first (-1), as the empty text it
    stands for. IDs as :func:`_key` cleans them, else the frame's index as text."""
    rows = np.flatnonzero(tied[label])
    cols = frame.columns if frame is not None else []
    if "parcel_id" in cols:
        code, _ = pd.factorize(_key(frame["parcel_id"].iloc[rows]).array, sort=True)
    else:
        index = frame.index if frame is not None else pd.RangeIndex(m)
        code, _ = pd.factorize(np.asarray([str(v) for v in index[rows]]), sort=True)
    first = np.full(len(tied), np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, label[rows], code)
    return first


# ---------------------------------------------------------------------------
# outlines
# ---------------------------------------------------------------------------


def _with_holes(geoms: np.ndarray) -> np.ndarray:
    """Positions of the (multi)polygons with an interior ring; parts split only for the
    multipolygons (:func:`shapely.get_parts` over thousands of polygons costs more than
    the ring count)."""
    has = shapely.get_num_interior_rings(geoms) > 0  # polygons; multipolygons give 0
    multi = np.flatnonzero(shapely.get_type_id(geoms) == 6)
    if len(multi):
        parts, owner = shapely.get_parts(geoms[multi], return_index=True)
        has[multi[np.unique(owner[shapely.get_num_interior_rings(parts) > 0])]] = True
    return np.flatnonzero(has)


def _fill_holes(geoms: np.ndarray, max_area: float) -> np.ndarray:
    """Polygons with their interior rings smaller than ``max_area`` removed (vectorised)."""
    out = geoms.copy()
    if max_area <= 0 or len(geoms) == 0:
        return out
    todo = _with_holes(geoms)
    if len(todo) == 0:
        return out
    parts, owner = shapely.get_parts(geoms[todo], return_index=True)
    owner = todo[owner]
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    shell = np.concatenate([[True], ring_part[1:] != ring_part[:-1]])
    keep = shell | (shapely.area(shapely.polygons(rings)) >= max_area)
    filled = shapely.polygons(rings[keep], indices=ring_part[keep])
    multi = np.bincount(owner, minlength=len(geoms))[todo] > 1
    local = np.searchsorted(todo, owner)
    merged = shapely.multipolygons(filled, indices=local)
    single = shapely.get_geometry(merged, 0)
    out[todo] = np.where(multi, merged, single)
    return out


def _convex(geoms: np.ndarray) -> np.ndarray:
    """Whether each geometry is a single convex polygon without holes (empty: True).

    From the coordinates, no convex hull: the ring turns one way at every vertex (the
    sine of a turn the other way at most ``1e-9``: collinear up to rounding) and once
    around in all (turning angles summing to :math:`\\pm 2\\pi`, so a ring that winds
    twice is not convex). A vertex closer to the next than 1e-9 of the ring's length
    is left out first: the direction of so short an edge is rounding noise. A polygon passing the test differs from its hull, and so from
    its closing, by slivers of relative area about ``1e-9``.
    """
    out = (shapely.get_type_id(geoms) == 3) & (shapely.get_num_interior_rings(geoms) == 0)
    pos = np.flatnonzero(out)
    counts = shapely.get_num_coordinates(geoms[pos])
    pos = pos[counts > 0]  # empty polygons stay True
    if len(pos) == 0:
        return out
    xy, owner = shapely.get_coordinates(geoms[pos], return_index=True)
    counts = np.bincount(owner, minlength=len(pos))
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])
    closing = np.zeros(len(xy), dtype=bool)
    closing[first + counts - 1] = True  # a ring's last point repeats its first
    xy, owner = xy[~closing], owner[~closing]
    counts -= 1
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])
    xy = xy - xy[first][owner]  # local coordinates: no cancellation at 3 400 000 m
    # a vertex whose edge to the next one is shorter than 1e-9 of the ring's length (a
    # near-duplicate, as GEOS's overlays leave) has no direction of its own: dropped
    length = np.hypot(*(xy[_next_in_ring(first, counts)] - xy).T)
    real = length > 1e-9 * np.bincount(owner, weights=length, minlength=len(pos))[owner]
    xy, owner = xy[real], owner[real]
    counts = np.bincount(owner, minlength=len(pos))
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])
    nxt = _next_in_ring(first, counts)
    edge = xy[nxt] - xy
    after = edge[nxt]
    cross = edge[:, 0] * after[:, 1] - edge[:, 1] * after[:, 0]
    dot = (edge * after).sum(axis=1)
    tol = 1e-9 * np.hypot(edge[:, 0], edge[:, 1]) * np.hypot(after[:, 0], after[:, 1])
    n = len(pos)
    left = np.bincount(owner, weights=cross > tol, minlength=n) == 0
    right = np.bincount(owner, weights=cross < -tol, minlength=n) == 0
    turns = np.abs(np.bincount(owner, weights=np.arctan2(cross, dot), minlength=n))
    out[pos] = (left | right) & (np.abs(turns - 2 * np.pi) < 1e-6)
    return out


def _next_in_ring(first: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Position of each vertex's successor, rings stored one after another (``first``
    vertex and ``counts`` vertices each, the closing one left out)."""
    nxt = np.arange(1, int(counts.sum()) + 1)
    nxt[(first + counts - 1)[counts > 0]] = first[counts > 0]
    return nxt


def _coverage_unions(table: np.ndarray, min_rows: int) -> np.ndarray:
    """``coverage_union_all(table, axis=1)``; ``None`` for the rows of a call that fails.

    GEOS raises for a whole call when one row is not correctly noded; the rows are then
    tried in halves down to ``min_rows``, below which all of them are ``None`` (left to
    the general union).
    """
    if len(table) > max(min_rows, 2 * _GEOS_CHUNK) and cpus() > 1:
        # the two halves a failed call is split into, on two threads: the rows are
        # independent, and a call that fails here would have been split the same way
        half = len(table) // 2
        parts = map_parts(lambda t: _coverage_unions(t, min_rows), [table[:half], table[half:]])
        return np.concatenate(parts)
    try:
        return shapely.coverage_union_all(table, axis=1)
    except GEOSException:
        if len(table) <= min_rows:
            return np.full(len(table), None, dtype=object)
        half = len(table) // 2
        return np.concatenate(
            [_coverage_unions(table[:half], min_rows), _coverage_unions(table[half:], min_rows)]
        )


def _unions(g: np.ndarray, codes: np.ndarray, n: int) -> np.ndarray:
    """The union of each group's members, vectorised over the groups.

    Cadastral parcels tile: where the members of a group form a correctly noded coverage
    (shared edges with the same vertices), :func:`shapely.coverage_union_all` (``axis=1``
    over None-padded rows, one call per power-of-two size class) merges them by dropping
    the shared edges. Its result is kept only when it is valid and its area is the sum of
    the members' areas (no overlap); the other groups (T-junctions, overlaps, gaps in
    the noding) get the general union, one ``buffer(…, 0)`` of all of them as
    GeometryCollections. A probe of :data:`_COVERAGE_PROBE` groups spread over all of
    them decides first: when more than a tenth of them are not noded (T-junctions: GEOS
    raises or returns an invalid union), every group goes straight to the general union,
    so that failed attempts cost nothing.
    """
    sizes = np.bincount(codes, minlength=n)
    order = np.argsort(codes, kind="stable")
    ordered, grouped = g[order], codes[order]
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    single = sizes == 1
    out = np.full(n, None, dtype=object)
    out[single] = ordered[starts[single]]

    def table(ids: np.ndarray) -> np.ndarray:
        width = int(sizes[ids].max())
        rows = np.repeat(np.arange(len(ids)), sizes[ids])
        cols = np.arange(len(rows)) - np.repeat(np.cumsum(sizes[ids]) - sizes[ids], sizes[ids])
        padded = np.full((len(ids), width), None, dtype=object)
        padded[rows, cols] = ordered[np.repeat(starts[ids], sizes[ids]) + cols]
        return padded

    multi = np.flatnonzero(~single)
    probe = multi[:: max(1, len(multi) // _COVERAGE_PROBE)][:_COVERAGE_PROBE]
    small = probe[sizes[probe] <= 64]
    tried = _coverage_unions(table(small), 1) if len(small) else np.array([], dtype=object)
    missed = shapely.is_missing(tried) | ~shapely.is_valid(tried)
    if not len(small) or missed.mean() <= _COVERAGE_PROBE_MISSES:
        bucket = np.ceil(np.log2(np.maximum(sizes, 1))).astype(int)
        for b in np.unique(bucket[~single]):
            ids = np.flatnonzero((bucket == b) & ~single)
            out[ids] = _coverage_unions(table(ids), _COVERAGE_MIN_ROWS)
    want = np.bincount(grouped, weights=shapely.area(ordered), minlength=n)
    bad = ~single & ~(np.abs(shapely.area(out) - want) <= 1e-9 * want)
    check = ~single & ~bad
    bad[check] = ~shapely.is_valid(out[check])
    if bad.any():
        rows = bad[grouped]
        local = np.cumsum(bad) - 1
        coll = shapely.geometrycollections(ordered[rows], indices=local[grouped[rows]])
        out[bad] = map_chunks(_union_of_collection, coll, min_chunk=_GEOS_CHUNK)
    return out


def _union_of_collection(coll: np.ndarray) -> np.ndarray:
    """The union of each GeometryCollection's members (``buffer(…, 0)``)."""
    return shapely.buffer(coll, 0)


def _mitre(geoms: np.ndarray, first: float) -> np.ndarray:
    """Grow each geometry by ``first`` then by ``-first`` (mitre joins): a closing for
    ``first`` > 0, an opening for ``first`` < 0."""
    grown = shapely.buffer(geoms, first, join_style="mitre")
    return shapely.buffer(grown, -first, join_style="mitre")


def _close(geoms: np.ndarray, r: float, max_area: float) -> np.ndarray:
    """Mitre closing (grow by ``r``, shrink by ``r``) of each geometry, holes smaller than
    ``max_area`` filled; convex ones kept as they are (their own closing, no holes).
    The buffers run on one thread per CPU (:func:`xsland._threads.map_chunks`)."""
    out = geoms.copy()
    todo = ~_convex(geoms)
    closed = map_chunks(_mitre, geoms[todo], np.full(int(todo.sum()), r), min_chunk=_GEOS_CHUNK)
    out[todo] = _fill_holes(closed, max_area)
    return out


def _innermost(
    points: np.ndarray,
    point_group: np.ndarray,
    areas: np.ndarray,
    shells: np.ndarray,
    shell_group: np.ndarray,
) -> np.ndarray:
    """For each point, the smallest shell of its group that contains it (-1: none)."""
    pt, sh = shapely.STRtree(shells).query(points, predicate="within")
    keep = point_group[pt] == shell_group[sh]
    pt, sh = pt[keep], sh[keep]
    order = np.lexsort((areas[sh], pt))
    pt, sh = pt[order], sh[order]
    first = np.ones(len(pt), dtype=bool)
    first[1:] = pt[1:] != pt[:-1]
    out = np.full(len(points), -1, dtype=np.int64)
    out[pt[first]] = sh[first]
    return out


def _closings(g: np.ndarray, codes: np.ndarray, n: int, r: float, max_area: float) -> np.ndarray:
    """Per group: the mitre closing of the members' union, holes < ``max_area`` filled.

    The complement of a closing is the opening of the complement, and the opening of a
    union of separate pieces is the union of their openings. So the closing of a union
    :math:`U` is the closing of its outer shells (the *top-level* parts with their holes
    filled) minus, for every hole :math:`H` of :math:`U`, the opening
    :math:`(Q_H \\ominus r) \\oplus r` of the free space in it, :math:`Q_H` = the hole
    minus the parts lying in it (islands). The shells are simple and the holes small, so
    these buffers are much cheaper than buffering :math:`U` with its (thousands of) holes;
    one vectorised ``difference`` puts them together. An opened hole whose ring encloses
    less than ``max_area`` is not cut out: that hole is filled, with everything in it.
    Islands are the parts whose ``point_on_surface`` lies in a hole of the same group
    (the innermost one when holes nest).
    """
    union = _unions(g, codes, n)
    if r <= 0:
        return _fill_holes(union, max_area)
    # the shortcut through the holes only where it pays: polygons with holes (their ring
    # count is free) and multipolygons of many vertices with holes; the others, holes or
    # not, are closed as a whole (the definition), sparing get_parts over them all
    cand = np.flatnonzero(
        (shapely.get_type_id(union) == 3)
        | (shapely.get_num_coordinates(union) >= _HOLED_MIN_COORDS)
    )
    with_holes = np.zeros(n, dtype=bool)
    with_holes[cand[_with_holes(union[cand])]] = True
    out = np.empty(n, dtype=object)
    out[~with_holes] = _close(union[~with_holes], r, max_area)
    if with_holes.any():
        out[with_holes] = _closings_of_holed(union[with_holes], r, max_area)
    return out


def _closings_of_holed(union: np.ndarray, r: float, max_area: float) -> np.ndarray:
    """:func:`_closings` of unions that have holes (see there)."""
    n = len(union)
    parts, owner = shapely.get_parts(union, return_index=True)
    holed = shapely.get_num_interior_rings(parts) > 0
    # the holes, and the islands (parts inside a hole of the same group)
    rings, ring_part = shapely.get_rings(parts[holed], return_index=True)
    is_shell = np.r_[True, ring_part[1:] != ring_part[:-1]]
    holes = shapely.polygons(rings[~is_shell])
    hole_group = owner[holed][ring_part[~is_shell]]
    in_holed = np.isin(owner, np.unique(hole_group))
    cand = np.flatnonzero(in_holed)
    parent = np.full(len(parts), -1, dtype=np.int64)
    parent[cand] = _innermost(
        shapely.point_on_surface(parts[cand]), owner[cand], shapely.area(holes), holes, hole_group
    )
    shells = shapely.get_exterior_ring(parts)
    top = parent < 0
    # closing of the top-level shells, per group
    fused = np.empty(n, dtype=object)
    one = np.bincount(owner[top], minlength=n) == 1
    fused[:] = shapely.multipolygons(shapely.polygons(shells[top]), indices=owner[top])
    fused[one] = shapely.polygons(shells[top][np.searchsorted(owner[top], np.flatnonzero(one))])
    closed = _close(fused, r, max_area)
    # the free space of each hole (hole minus its islands' shells), opened
    island = np.flatnonzero(~top)
    space_rings = np.concatenate([rings[~is_shell], shells[island]])
    space_idx = np.concatenate([np.arange(len(holes)), parent[island]])
    o = np.argsort(space_idx, kind="stable")
    space = shapely.polygons(space_rings[o], indices=space_idx[o])
    opened = map_chunks(_mitre, space, np.full(len(space), -r), min_chunk=_GEOS_CHUNK)
    op, op_hole = shapely.get_parts(opened, return_index=True)
    op_group = hole_group[op_hole]
    keep = shapely.area(shapely.polygons(shapely.get_exterior_ring(op))) >= max_area
    op, op_group = op[keep], op_group[keep]
    if len(op) == 0:
        return closed
    # the closing: the closed shells minus the opened holes (one vectorised difference)
    o = np.argsort(op_group, kind="stable")
    op, op_group = op[o], op_group[o]
    groups = np.unique(op_group)
    cut = shapely.multipolygons(op, indices=np.searchsorted(groups, op_group))
    out = closed.copy()
    out[groups] = shapely.difference(closed[groups], cut)
    return out


def block_outlines(
    parcels: gpd.GeoDataFrame,
    block_ids: pd.Series,
    *,
    gap_m: float = DEFAULT_POLICY.block_gap_m,
    hole_fill_m2: float = DEFAULT_POLICY.block_hole_fill_m2,
    crs: Any = None,
) -> gpd.GeoSeries:
    """The outline of each block: members merged, gaps up to ``gap_m`` closed.

    .. math::

        O_b = \\Big(\\bigcup_{i \\in b} P_i \\oplus_\\square \\tfrac g2\\Big)
              \\ominus_\\square \\tfrac g2

    (shapely ``buffer`` with ``join_style="mitre"``: corners stay square), then holes
    smaller than ``hole_fill_m2`` filled. Vectorised over all blocks, no loop over blocks
    or rows: the unions by coverage union where the parcels tile with matching vertices
    (else ``buffer(…, 0)`` over GeometryCollections); the closing of the unions' outer
    shells (a convex union is its own closing) minus the openings of the free space in
    their holes, one ``difference`` call (see the module docstring).

    The unions and buffers, element-wise over the blocks, run on one thread per CPU
    (:mod:`xsland._threads`; the outlines are those of one thread, to the bit).

    Speed, and what bounds it (CPU seconds, one thread): three GEOS passes take most of
    the time and none can be left out — the union of every block of two or more parcels, and the mitre grow and
    shrink of every union that is not convex. On the 667 000-parcel district of
    ``benchmarks/bench_blocks.py`` (200 987 flagged parcels, 69 734 blocks; 40 079 blocks
    of 2+ parcels holding 171 332 parcels, with T-junctions, so ``buffer(…, 0)``; 34 296
    unions not convex) they took 1.09 s, 0.92 s and 0.60 s CPU (best of 2, one process,
    shared 2-core machine); this function 4.1 s in all (the rest: building the
    collections, splitting parts, convexity, hole filling, freeing some 500 000 GEOS
    geometries), against 6.5 s for the reference ``buffer(7.5, mitre)`` → ``dissolve`` →
    ``buffer(-7.5, mitre)``, whose first step alone, the mitre buffer of every parcel,
    took 1.04 s. For one block of 12 095 parcels: 0.18 s against 0.67 s, of which the
    coverage union of its parcels takes 0.066 s and its validity check 0.019 s. A
    speed-up of 10 over the dissolve (0.65 s and 0.067 s) is thus below the cost of the
    unions alone: not reachable by a closing built from GEOS unions and buffers
    (simplifying the unions first, or other ``quad_segs``, did not make the buffers
    cheaper; growing the parcels' GeometryCollection directly cost more than union then
    grow).

    Parameters
    ----------
    parcels
        Parcel polygons with a CRS.
    block_ids
        :func:`find_blocks` (aligned to ``parcels``; NA = no block).
    gap_m, hole_fill_m2
        ``Policy.block_gap_m`` and ``Policy.block_hole_fill_m2``.
    crs
        The run's metric CRS; default :func:`xsland.read.crs.metric_crs` of ``parcels``.

    Returns
    -------
    GeoSeries
        Indexed by ``block_id`` (sorted), in the metric CRS.
    """
    geom, crs = _metric(parcels, crs)
    ids = _align(block_ids, parcels)
    member = ids.notna().to_numpy(dtype=bool)
    g = np.asarray(geom.to_numpy(), dtype=object)[member]
    codes, names = pd.factorize(ids[member].to_numpy(dtype=object), sort=True)
    n = len(names)
    if n == 0:
        return gpd.GeoSeries([], index=pd.Index([], name="block_id"), crs=crs)
    out = _closings(g, codes, n, float(gap_m) / 2, float(hole_fill_m2))
    return gpd.GeoSeries(out, index=pd.Index(names, name="block_id"), crs=crs)


# ---------------------------------------------------------------------------
# the block table
# ---------------------------------------------------------------------------


def target_far(category: pd.Series, *, policy: Policy = DEFAULT_POLICY) -> pd.Series:
    """The FAR a parcel is redeveloped to: its category's minimum of clause 二(一)1.

    1.5 for new industrial, 2.0 for high-standard factory, 2.5 for new-type industrial
    land; existing industrial, logistics and other land is re-supplied as new industrial
    project land (新增工业项目用地) and gets ``far_min_new_industrial`` (1.5).

    Returns
    -------
    Series
        Float, indexed like ``category``.
    """
    cats = ("new_industrial", "standard_factory", "new_type_industrial")
    table = {c: policy.far_min(c) for c in cats}
    out = category.astype("string").map(table).astype("float64")
    return out.fillna(policy.far_min_new_industrial)


#: The parcel columns :func:`block_table` reads (besides the geometry and the flags).
_BLOCK_TABLE_INPUTS = (
    "parcel_id",
    "area_m2",
    "floor_area",
    "category",
    "park_id",
    "town",
    "owner",
    "enterprise_id",
)


def _flag_columns(parcels: pd.DataFrame, flags: pd.DataFrame | None) -> pd.DataFrame:
    """The flag columns used by the block table (from ``flags`` or ``parcels``)."""
    source = flags if flags is not None else parcels
    if flags is not None and not flags.index.equals(parcels.index):
        source = flags.reindex(parcels.index)
    cols = [c for c in source.columns if c.startswith("lu_")]
    cols += [c for c in ("eval_class", "reasons", "reasons_zh") if c in source.columns]
    return source[cols]


def _joined(block: np.ndarray, text: np.ndarray, nb: int) -> np.ndarray:
    """The texts of each block 0…nb-1 joined by ``;`` (``""`` for none).

    ``block`` is sorted, and the texts (an object array of ``str``) within a block in the
    order they are to be shown. Slices of one list, not a pandas group per block.
    """
    values = text.tolist()
    bounds = np.searchsorted(block, np.arange(nb + 1)).tolist()
    return np.array(
        [";".join(values[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)],
        dtype=object,
    )


def _ranked(text: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Codes of ``text`` that sort as the texts do (NA: -1), and the distinct texts.

    :func:`pandas.factorize` with ``sort=True``: code :math:`a < b` exactly when text
    :math:`a` sorts before text :math:`b` (by code point, as ``sort_values`` orders them;
    numbers, in a column of numbers, by value).
    """
    extension = isinstance(text.dtype, pd.api.extensions.ExtensionDtype)
    values = text.array if extension else text.to_numpy()  # NumPy: no wrapper array
    code, uniq = pd.factorize(values, sort=True)
    return code.astype(np.int64), np.asarray(uniq, dtype=object)


def _pairs(block: np.ndarray, code: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct ``(block, code)`` pairs with a code (``code >= 0``), sorted by block,
    then code: ``block * k + code`` sorted once, repeats dropped, instead of a pandas
    ``drop_duplicates`` and ``sort_values`` on texts."""
    ok = code >= 0
    k = int(code.max()) + 1 if ok.any() else 1
    key = np.sort(block[ok].astype(np.int64) * k + code[ok])
    first = np.ones(len(key), dtype=bool)  # np.unique (no inverse) was 5× slower
    first[1:] = key[1:] != key[:-1]
    key = key[first]
    return key // k, key % k


def block_table(
    parcels: gpd.GeoDataFrame,
    block_ids: pd.Series,
    *,
    policy: Policy = DEFAULT_POLICY,
    flags: pd.DataFrame | None = None,
    parks: pd.DataFrame | None = None,
    crs: Any = None,
) -> gpd.GeoDataFrame:
    """One row per block (连片), with its outline, figures, route and reward.

    With :math:`A_i` the parcels' ``area_m2``, :math:`F_i` their floor area (NaN when
    unknown) and :math:`t_i` their :func:`target_far`:

    - ``area_m2`` :math:`= \\sum A_i` (the parcels' land, not the outline), ``area_mu``;
    - ``compactness`` :math:`= 4 \\pi a(O) / p(O)^2` (Polsby–Popper) of the outline
      :math:`O` (:func:`block_outlines`), 1 for a disc, 0.785 for a square;
    - ``floor_area`` :math:`= \\sum F_i` over known :math:`F_i`
      (``n_floor_area_unknown`` parcels left out), ``far`` = that / their area;
    - ``floor_area_target`` :math:`= \\sum A_i t_i`, ``target_far`` = that / ``area_m2``;
    - ``floor_area_gain`` :math:`= \\sum \\max(A_i t_i - F_i, 0)` over known :math:`F_i`;
    - ``reserve_share``: share of the area that is reservable (idle, unbuilt, enterprise
      in a low class, or neither owner nor enterprise; never industry-only land);
      ``idle_mu``, ``reserve_mu``;
    - ``industry_only_share``: share of the area low-efficiency for its industry alone
      (``lu_industry`` and neither ``lu_inefficient`` nor ``lu_plan``), ``industry_only_mu``;
    - ``below_threshold``: ``area_mu`` < ``block_min_mu`` (kept, marked);
    - ``route``, ``route_zh``, ``route_rule``: see the module docstring;
    - ``reward_wan`` :math:`=` ``area_mu`` × ``reward_per_mu_wan`` (0 below the
      threshold, NaN while the rate is unset);
    - ``n_<reason>``: members flagged for each reason (when flags are given).

    Parameters
    ----------
    parcels
        The audit's parcel table (``parcel_id``, ``area_m2``, ``category``,
        ``floor_area``; used when present: ``park_id``, ``town``, ``owner``,
        ``enterprise_id``, and the flag columns of :func:`xsland.judge.lowuse.flag`).
    block_ids
        :func:`find_blocks`.
    policy
        ``block_gap_m``, ``block_hole_fill_m2``, ``block_min_mu``, ``reward_per_mu_wan``,
        ``route_*``, ``lowuse_classes`` and the FAR minima.
    flags
        :func:`xsland.judge.lowuse.flag` of the same parcels (else taken from ``parcels``).
    parks
        ``park_id`` and ``town``: the town of blocks whose parcels have no ``town``.

    crs
        The run's metric CRS, for the outlines; default
        :func:`xsland.read.crs.metric_crs` of the block members.

    Returns
    -------
    GeoDataFrame
        :data:`BLOCK_COLUMNS` (+ ``n_<reason>``) and the outline as geometry, sorted by
        ``block_id``; in the parcels' metric CRS.
    """
    missing = [c for c in ("parcel_id", "area_m2", "category", "floor_area") if c not in parcels]
    if missing:
        raise DataError(
            f"parcels: column(s) {', '.join(map(repr, missing))} missing. Fix: pass the "
            "audit's parcel table (xsland.judge.audit.parcel_table / AuditResult.parcels)"
        )
    ids = _align(block_ids, parcels)
    member = ids.notna().to_numpy(dtype=bool)
    used = [c for c in _BLOCK_TABLE_INPUTS if c in parcels.columns]
    p = parcels[[*used, parcels.geometry.name]].loc[member]  # only what is read, then cut
    fl = _flag_columns(parcels, flags).loc[member]
    # the outlines (GEOS, which releases the GIL) on a second thread while the figures
    # are worked out here; both number the blocks by their sorted IDs
    outlining = later(
        block_outlines,
        p,
        ids[member],
        gap_m=policy.block_gap_m,
        hole_fill_m2=policy.block_hole_fill_m2,
        crs=crs,
    )
    code, uniques = pd.factorize(ids[member].to_numpy(dtype=object), sort=True)
    names = pd.Index(uniques, dtype=object, name="block_id")
    nb = len(names)

    def col(name: str) -> pd.Series:
        if name in ("park_id", "town") and name in p.columns:
            # a few parks and towns over many parcels: each cleaned once
            return per_distinct(p[name], _key).reset_index(drop=True)
        if name in p.columns:
            return _key(p[name]).reset_index(drop=True)
        return pd.Series(pd.NA, index=range(len(p)), dtype="string")

    area = pd.to_numeric(p["area_m2"]).to_numpy(dtype="float64")
    fa = pd.to_numeric(p["floor_area"]).to_numpy(dtype="float64")
    tf = target_far(p["category"], policy=policy).to_numpy()
    known = ~np.isnan(fa)
    pid = col("parcel_id")
    ent = col("enterprise_id")
    own = col("owner")
    owner = own.fillna("企业:" + ent)

    def total(values: np.ndarray) -> np.ndarray:
        return np.bincount(code, weights=np.nan_to_num(values), minlength=nb)

    # IDs and owners ranked once: per-block first, lists and counts are NumPy on codes
    pid_code, pid_text = _ranked(pid)
    owner_code, owner_text = _ranked(owner)
    ent_code, _ = pd.factorize(ent.array)
    out = pd.DataFrame(index=pd.RangeIndex(nb))
    out["block_id"] = names.to_numpy(dtype=object)
    park = _dominant(code, col("park_id"), area)
    out["park_id"] = park.reindex(range(nb)).to_numpy(dtype=object)
    town = _dominant(code, col("town"), area).reindex(range(nb))
    if parks is not None and {"park_id", "town"} <= set(parks.columns):
        park_town = (
            pd.DataFrame({"k": _key(parks["park_id"]), "t": _key(parks["town"])})
            .dropna()
            .drop_duplicates("k")
            .set_index("k")["t"]
        )
        town = town.fillna(out["park_id"].map(park_town))
    out["town"] = town.to_numpy(dtype=object)
    out["rank"] = names.str.rsplit("-", n=1).str[-1].astype("int64")
    named = np.flatnonzero(pid_code >= 0)
    named = named[np.lexsort((pid_code[named], code[named]))]  # by block, then ID
    b_named, pid_named = code[named], pid_text[pid_code[named]]
    has_id = np.bincount(b_named, minlength=nb) > 0
    key_parcel = np.full(nb, pd.NA, dtype=object)  # the smallest ID (NA: none has one)
    key_parcel[has_id] = pid_named[np.searchsorted(b_named, np.flatnonzero(has_id))]
    out["key_parcel"] = key_parcel
    out["n_parcels"] = np.bincount(code, minlength=nb)
    out["parcel_ids"] = _joined(b_named, pid_named, nb)
    ob, oc = _pairs(code, owner_code)
    out["n_owners"] = np.bincount(ob, minlength=nb)
    out["owners"] = _joined(ob, owner_text[oc], nb)
    out["n_enterprises"] = np.bincount(_pairs(code, ent_code)[0], minlength=nb)
    out["area_m2"] = total(area)
    out["area_mu"] = out["area_m2"] / M2_PER_MU
    outline = outlining.result()
    geoms = outline.to_numpy()
    out["outline_area_m2"] = shapely.area(geoms)
    out["perimeter_m"] = shapely.length(geoms)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["compactness"] = 4 * np.pi * out["outline_area_m2"] / out["perimeter_m"] ** 2
    out["floor_area"] = np.where(
        np.bincount(code, weights=known, minlength=nb) > 0, total(np.where(known, fa, 0)), np.nan
    )
    known_area = total(np.where(known, area, 0))
    with np.errstate(invalid="ignore", divide="ignore"):
        out["far"] = out["floor_area"] / np.where(known_area > 0, known_area, np.nan)
    out["n_floor_area_unknown"] = np.bincount(code, weights=~known, minlength=nb).astype("int64")
    out["floor_area_target"] = total(area * tf)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["target_far"] = out["floor_area_target"] / out["area_m2"]
    out["floor_area_gain"] = total(np.where(known, np.maximum(area * tf - fa, 0), 0))

    # reservable land (收储类): idle, unbuilt, low-class enterprise, no owner or enterprise
    idle = _lu(fl, "lu_idle")
    low = (
        fl["eval_class"].astype("string").isin(policy.lowuse_classes).fillna(False)
        if "eval_class" in fl
        else pd.Series(False, index=fl.index)
    ).to_numpy(dtype=bool)
    nobody = (own.isna() & ent.isna()).to_numpy(dtype=bool)
    industry_only = _lu(fl, "lu_industry") & ~_lu(fl, "lu_inefficient") & ~_lu(fl, "lu_plan")
    reserve = (idle | (known & (fa == 0)) | low | nobody) & ~industry_only
    out["idle_mu"] = total(np.where(idle, area, 0)) / M2_PER_MU
    out["reserve_mu"] = total(np.where(reserve, area, 0)) / M2_PER_MU
    out["industry_only_mu"] = total(np.where(industry_only, area, 0)) / M2_PER_MU
    with np.errstate(invalid="ignore", divide="ignore"):
        out["reserve_share"] = out["reserve_mu"] / out["area_mu"]
        out["industry_only_share"] = out["industry_only_mu"] / out["area_mu"]
    out["below_threshold"] = out["area_mu"] < policy.block_min_mu - 1e-9
    _routes(out, policy)
    rate = policy.reward_per_mu_wan
    out["reward_wan"] = (
        np.nan if rate is None else np.where(out["below_threshold"], 0.0, out["area_mu"] * rate)
    )
    counts = []
    for c in [c for c in LOWUSE_RULES if f"lu_{c}" in fl.columns]:
        hit = fl[f"lu_{c}"].fillna(False).to_numpy(dtype=bool)
        out["n_" + c] = np.bincount(code, weights=hit, minlength=nb).astype("int64")
        counts.append("n_" + c)
    out = out[BLOCK_COLUMNS + counts]
    result = gpd.GeoDataFrame(out, geometry=geoms, crs=outline.crs)
    return result.sort_values("block_id", kind="stable").reset_index(drop=True)


def _pct(x: pd.Series) -> pd.Series:
    return (x * 100).round(0).astype("Int64").astype("string") + "%"


def _num(x: pd.Series, digits: int = 1) -> pd.Series:
    return x.round(digits).astype("string")


def _lu(flags: pd.DataFrame, col: str) -> np.ndarray:
    """A flag column as a bool array (all false when absent)."""
    if col not in flags.columns:
        return np.zeros(len(flags), dtype=bool)
    return flags[col].fillna(False).to_numpy(dtype=bool)


def _texts(values: pd.Series) -> list[str | None]:
    """Text cells as a list, ``None`` for a missing one."""
    return [None if v is pd.NA or v is None or v != v else v for v in values.tolist()]


def _rule(
    k: int,
    shown: str | None,
    ind: str | None,
    mu: str | None,
    owners: str | None,
    below: bool,
    *,
    floor: str,
    ind_floor: str,
    min_mu: str,
    owners_max: Any,
) -> str | None:
    """The text of route rule ``k`` (1–4) of one block; ``None`` when a figure it shows is
    missing (as pandas' concatenation of text with a missing value)."""
    if k == 1:
        return None if shown is None else f"规则1: 闲置/未建/低效类别/无主体用地占{shown} ≥ {floor}"
    if shown is None or ind is None:
        return None
    not_r1 = f"收储类用地占{shown} < {floor}"
    ind_shown = f"仅产业定位不符(用地高效)的用地占{ind}"
    if k == 2:
        return f"规则2: {not_r1}, {ind_shown} ≥ {ind_floor}: 换企业、留厂房"
    not_r2 = f"{ind_shown} < {ind_floor}"
    if k == 3:
        if mu is None or owners is None:
            return None
        return (
            f"规则3: {not_r1}, {not_r2}, 面积{mu}亩 ≥ {min_mu}亩, 权利人{owners}个 ≤ {owners_max}个"
        )
    if (mu if below else owners) is None:
        return None
    why = f"面积{mu}亩 < {min_mu}亩" if below else f"权利人{owners}个 > {owners_max}个"
    return f"规则4: {not_r1}, {not_r2}, {why}"


def _routes(out: pd.DataFrame, policy: Policy) -> None:
    """``route``, ``route_zh`` and ``route_rule`` (first rule that holds; module doc)."""
    share_min = policy.route_reserve_share_min
    industry_min = policy.route_industry_share_min
    owners_max = policy.route_redevelop_owners_max
    share = out["reserve_share"].fillna(0.0)
    ind = out["industry_only_share"].fillna(0.0)
    reserve = share >= share_min - 1e-12
    industry = ~reserve & (ind >= industry_min - 1e-12) & (ind > 0)
    redevelop = ~reserve & ~industry & ~out["below_threshold"] & (out["n_owners"] <= owners_max)
    route = np.where(reserve | redevelop, np.where(reserve, "reserve", "redevelop"), "swap")
    out["route"] = pd.array(route, dtype="str")
    out["route_zh"] = out["route"].map({k: v[0] for k, v in ROUTES.items()}).astype("str")
    # numbers as text vectorised (_pct, _num); each row's rule joined in Python, only
    # the rule that holds (one pass over lists, not ~40 pandas string operations)
    shown, ind_shown, mu = (_texts(x) for x in (_pct(share), _pct(ind), _num(out["area_mu"])))
    owners = _texts(out["n_owners"].astype("string"))
    floor, ind_floor = (_pct(pd.Series([v]))[0] for v in (share_min, industry_min))
    min_mu = _num(pd.Series([policy.block_min_mu]))[0]
    rule = [
        _rule(k, *row, floor=floor, ind_floor=ind_floor, min_mu=min_mu, owners_max=owners_max)
        for k, *row in zip(
            np.where(reserve, 1, np.where(industry, 2, np.where(redevelop, 3, 4))).tolist(),
            shown,
            ind_shown,
            mu,
            owners,
            out["below_threshold"].to_numpy(dtype=bool).tolist(),
            strict=True,
        )
    ]
    out["route_rule"] = pd.array(rule, dtype="str")


def block_members(
    parcels: pd.DataFrame, block_ids: pd.Series, *, flags: pd.DataFrame | None = None
) -> pd.DataFrame:
    """One row per parcel of a block: the membership table (连片地块清单).

    Returns
    -------
    DataFrame
        ``block_id``, ``parcel_id`` and, when present, ``park_id``, ``town``, ``owner``,
        ``enterprise_id``, ``category``, ``area_m2``, ``area_mu``, ``floor_area``,
        ``far``, ``reasons``, ``reasons_zh`` (from ``flags`` or ``parcels``); sorted by
        ``block_id`` and ``parcel_id``, without geometry.
    """
    if "parcel_id" not in parcels.columns:
        raise DataError("parcels: column 'parcel_id' missing. Fix: pass the parcel table")
    ids = _align(block_ids, parcels)
    member = ids.notna().to_numpy(dtype=bool)
    cols = [
        c
        for c in (
            "parcel_id",
            "park_id",
            "town",
            "owner",
            "enterprise_id",
            "category",
            "area_m2",
            "area_mu",
            "floor_area",
            "far",
        )
        if c in parcels.columns
    ]
    out = pd.DataFrame(parcels.loc[member, cols])
    fl = _flag_columns(parcels, flags).loc[member]
    for c in ("reasons", "reasons_zh"):
        if c in fl.columns:
            out[c] = fl[c]
    out.insert(0, "block_id", ids[member])
    out = out.sort_values(["block_id", "parcel_id"], kind="stable").reset_index(drop=True)
    bad = out["parcel_id"].isna().to_numpy(dtype=bool)
    if bad.any():
        raise DataError(
            f"parcels: empty parcel_id in blocks {format_rows(out.loc[bad, 'block_id'])}. "
            "Fix: give every parcel an ID"
        )
    return out
