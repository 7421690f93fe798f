"""Old and new parcels matched by geometry: the first step of comparing two audits.

Two parcels are linked when they share more than ``min_overlap`` of the smaller one's
area; the connected components of this bipartite graph
(:func:`scipy.sparse.csgraph.connected_components`) are the matches, and their shape
says the change: 1 old – 1 new the same parcel (``unchanged``, ``reshaped``,
``id_changed``), 1 – k ``split``, k – 1 ``merged``, k – l ``reorganised``, 0 – 1
``added``, 1 – 0 ``removed``. :mod:`xsland.compare.diff` builds the tables of change on
these matches.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from xsland.errors import DataError
from xsland.read.crs import metric_crs

__all__ = ["clean_geoms", "match_parcels"]


def clean_geoms(gdf: gpd.GeoDataFrame, crs: Any) -> np.ndarray:
    """Polygons in ``crs`` with invalid ones repaired (a copy; the input is untouched).

    Parameters
    ----------
    gdf
        Polygons with a CRS.
    crs
        The CRS to measure in (a metric one: :func:`xsland.read.crs.metric_crs`).

    Returns
    -------
    numpy.ndarray
        Shapely geometries, one per row.
    """
    geoms = np.asarray(gdf.geometry.to_crs(crs).to_numpy(), dtype=object).copy()
    bad = ~shapely.is_valid(geoms) & ~shapely.is_missing(geoms)
    if bad.any():
        geoms[bad] = shapely.make_valid(geoms[bad])
    return geoms


def _overlapping(
    og: np.ndarray, ng: np.ndarray, a_o: np.ndarray, a_n: np.ndarray, share: float
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (old, new) sharing more than ``share`` of the smaller polygon's area.

    One STRtree query; the overlap of the bounding boxes bounds the shared area from
    above, so neighbours that only touch (nearly every candidate pair) are dropped before
    any intersection; a pair where one polygon covers the other shares the smaller area
    (prepared predicates); only the remaining pairs are intersected, in one call.
    """
    if not len(og) or not len(ng):
        return np.array([], dtype=int), np.array([], dtype=int)
    ri, li = shapely.STRtree(og).query(ng, predicate="intersects")
    bo, bn = shapely.bounds(og[li]), shapely.bounds(ng[ri])
    w = np.minimum(bo[:, 2], bn[:, 2]) - np.maximum(bo[:, 0], bn[:, 0])
    h = np.minimum(bo[:, 3], bn[:, 3]) - np.maximum(bo[:, 1], bn[:, 1])
    need = share * np.minimum(a_o[li], a_n[ri])
    keep = np.clip(w, 0, None) * np.clip(h, 0, None) > need
    li, ri, need = li[keep], ri[keep], need[keep]
    shared = np.full(len(li), np.nan)
    for a, b, small in ((og, ng, a_n), (ng, og, a_o)):
        x, y = (li, ri) if a is og else (ri, li)
        todo = np.isnan(shared)
        was = shapely.is_prepared(a)
        shapely.prepare(a)  # a cache only; removed again below
        try:
            covered = shapely.covers(a[x[todo]], b[y[todo]])
        finally:
            shapely.destroy_prepared(a[~was])
        rows = np.flatnonzero(todo)[covered]
        shared[rows] = small[y[rows]]
    rest = np.isnan(shared)
    shared[rest] = shapely.area(shapely.intersection(og[li[rest]], ng[ri[rest]]))
    keep = shared > need
    return li[keep], ri[keep]


def match_parcels(
    old: gpd.GeoDataFrame,
    new: gpd.GeoDataFrame,
    *,
    min_overlap: float = 0.05,
    tolerance: float = 0.5,
) -> pd.DataFrame:
    """Match old and new parcels by geometry.

    Two parcels are linked when their intersection is larger than ``min_overlap`` of
    the smaller one's area. The connected components of this bipartite graph are the
    matches: 1 old – 1 new is the same parcel, ``unchanged`` when the IDs are equal and
    the Hausdorff distance between the outlines is at most ``tolerance`` metres,
    ``reshaped`` when only the outline moved, ``id_changed`` when the ID differs
    (whether or not the outline moved: see ``geometry_changed``); 1 – k is ``split``,
    k – 1 ``merged``, k – l (k, l > 1) ``reorganised``; 0 – 1 ``added``; 1 – 0 ``removed``.

    Parameters
    ----------
    old, new
        Parcels with ``parcel_id`` and a CRS (any; measured in the metric CRS of ``old``).
    min_overlap
        Share of the smaller parcel two parcels must share to be linked (0 < x < 1).
    tolerance
        Largest Hausdorff distance (m) between outlines still counted as equal.

    Returns
    -------
    DataFrame
        One row per parcel of either side: ``side`` (``old``/``new``), ``row`` (position
        in its layer), ``parcel_id``, ``match_id`` (the component), ``change`` and
        ``geometry_changed``.

    Raises
    ------
    DataError
        If ``min_overlap`` is not between 0 and 1.
    """
    if not 0 < min_overlap < 1:
        raise DataError(f"min_overlap = {min_overlap!r}: use a share between 0 and 1, e.g. 0.05")
    crs = metric_crs(old if len(old) else new)
    og, ng = clean_geoms(old, crs), clean_geoms(new, crs)
    n_o, n_n = len(og), len(ng)
    a_o, a_n = shapely.area(og), shapely.area(ng)
    li, ri = _overlapping(og, ng, a_o, a_n, min_overlap)
    graph = coo_matrix(
        (np.ones(len(li), dtype=np.int8), (li, n_o + ri)), shape=(n_o + n_n, n_o + n_n)
    )
    n_comp, label = connected_components(graph, directed=False)
    lo, ln = label[:n_o], label[n_o:]
    k_old = np.bincount(lo, minlength=n_comp)
    k_new = np.bincount(ln, minlength=n_comp)
    change = np.full(n_comp, "reorganised", dtype=object)
    change[(k_old == 1) & (k_new == 0)] = "removed"
    change[(k_old == 0) & (k_new == 1)] = "added"
    change[(k_old == 1) & (k_new > 1)] = "split"
    change[(k_old > 1) & (k_new == 1)] = "merged"
    moved = np.zeros(n_comp, dtype=bool)
    one = np.flatnonzero((k_old == 1) & (k_new == 1))
    if len(one):
        old_of = np.full(n_comp, -1)
        old_of[lo] = np.arange(n_o)
        new_of = np.full(n_comp, -1)
        new_of[ln] = np.arange(n_n)
        oi, ni = old_of[one], new_of[one]
        old_ids = old["parcel_id"].astype("string").to_numpy(dtype=object, na_value=None)
        new_ids = new["parcel_id"].astype("string").to_numpy(dtype=object, na_value=None)
        same_id = old_ids[oi] == new_ids[ni]
        moved[one] = ~(shapely.hausdorff_distance(og[oi], ng[ni]) <= tolerance)
        change[one] = np.where(
            ~same_id, "id_changed", np.where(moved[one], "reshaped", "unchanged")
        )
    comp = np.concatenate([lo, ln])
    return pd.DataFrame(
        {
            "side": np.repeat(["old", "new"], [n_o, n_n]),
            "row": np.concatenate([np.arange(n_o), np.arange(n_n)]),
            "parcel_id": np.concatenate(
                [
                    old["parcel_id"].astype("string").to_numpy(dtype=object, na_value=None),
                    new["parcel_id"].astype("string").to_numpy(dtype=object, na_value=None),
                ]
            ),
            "match_id": comp,
            "change": change[comp],
            "geometry_changed": moved[comp],
        }
    )
