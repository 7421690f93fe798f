"""Data-quality checks across layers (SPEC §3, "Data quality").

These checks never raise: each finding is a row of the data-quality table
(see :data:`xsland.read.validate.QUALITY_COLUMNS`), with a stable ``check`` code,
the ID, and a detail that gives the measured figure. Thresholds come from the
:class:`~xsland.rules.policy.Policy`:

- **sliver** — area < ``sliver_max_area_m2`` or mean width ``2A/P`` <
  ``sliver_min_width_m``;
- **overlap** — two parcels sharing more than ``overlap_min_m2``;
- **straddles_park** — a parcel with more than ``straddle_min_share`` of its
  area on each side of a park boundary;
- **building_outside** — a building touching no parcel;
- **declared_area_mismatch** — ``|declared − measured| / measured`` >
  ``declared_area_tolerance`` (用地面积核查);
- **multipart** — a parcel stored in several parts (information only).

All areas are measured in the metric CRS of :func:`xsland.read.crs.metric_crs`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from xsland.read.crs import metric_crs
from xsland.read.validate import quality_frame, quality_record
from xsland.rules.policy import DEFAULT_POLICY, Policy

__all__ = [
    "CheckResult",
    "check_files",
    "duplicate_footprints",
    "intersection_areas",
    "overlapping_pairs",
    "park_overlaps",
    "parcel_checks",
    "straddle_shares",
]


def intersection_areas(left: gpd.GeoSeries, right: gpd.GeoSeries) -> pd.DataFrame:
    """Areas of the pairwise intersections of two polygon layers (same CRS).

    One STRtree query on ``right`` finds the candidate pairs. Where the right
    geometry covers the left one — a parcel inside its park, a building inside
    its parcel: most pairs in real data — the piece is the left geometry and its
    area is known without an intersection (the test uses prepared right
    geometries); the other pairs go through one vectorised
    ``shapely.intersection``. Pairs that only touch are dropped.

    Returns
    -------
    DataFrame
        ``left`` and ``right`` (positions, not labels) and ``area`` (in the
        units of the CRS squared), one row per pair with a positive area.
    """
    lg = np.asarray(left.to_numpy() if hasattr(left, "to_numpy") else left, dtype=object)
    rg = np.asarray(right.to_numpy() if hasattr(right, "to_numpy") else right, dtype=object)
    tree = shapely.STRtree(rg)
    li, ri = tree.query(lg, predicate="intersects")
    if len(li) == 0:
        return pd.DataFrame(
            {"left": np.array([], int), "right": np.array([], int), "area": np.array([], float)}
        )
    was_prepared = shapely.is_prepared(rg)
    shapely.prepare(rg)  # a cache only: the geometries' values do not change
    try:
        covered = shapely.covers(rg[ri], lg[li])
    finally:
        shapely.destroy_prepared(rg[~was_prepared])
    area = np.empty(len(li))
    area[covered] = shapely.area(lg[li[covered]])
    rest = ~covered
    area[rest] = shapely.area(shapely.intersection(lg[li[rest]], rg[ri[rest]]))
    keep = area > 0
    return pd.DataFrame({"left": li[keep], "right": ri[keep], "area": area[keep]})


def overlapping_pairs(geoms: np.ndarray) -> pd.DataFrame:
    """Pairs ``i < j`` of polygons whose interiors intersect, with the shared area.

    Neighbours that share only an edge — nearly every pair of adjacent parcels —
    are excluded by the predicates (``overlaps`` or ``contains``) before any
    intersection is computed.
    """
    g = np.asarray(geoms, dtype=object)
    li, ri = shapely.STRtree(g).query(g, predicate="intersects")
    keep = li < ri
    a, b = li[keep], ri[keep]
    was_prepared = shapely.is_prepared(g)
    shapely.prepare(g)  # a cache only; removed again below
    try:
        inner = shapely.overlaps(g[a], g[b]) | shapely.contains(g[a], g[b])
        inner |= shapely.contains(g[b], g[a])
    finally:
        shapely.destroy_prepared(g[~was_prepared])
    a, b = a[inner], b[inner]
    order = np.lexsort((b, a))
    a, b = a[order], b[order]
    area = shapely.area(shapely.intersection(g[a], g[b]))
    return pd.DataFrame({"left": a, "right": b, "area": area})


def duplicate_footprints(geoms: np.ndarray, *, iou_min: float) -> pd.DataFrame:
    """Pairs of nearly identical polygons: the same building delivered twice.

    For polygons :math:`A, B` whose interiors intersect (:func:`overlapping_pairs`),
    the intersection over union :math:`|A \\cap B| / (|A| + |B| - |A \\cap B|)` above
    ``iou_min`` makes ``right`` (the later) a duplicate of ``left``.

    Returns
    -------
    DataFrame
        ``left``, ``right`` (positions, ``left < right``) and ``iou``.
    """
    g = np.asarray(geoms, dtype=object)
    empty = pd.DataFrame({"left": np.array([], int), "right": np.array([], int), "iou": []})
    if len(g) < 2:
        return empty
    present = ~(shapely.is_missing(g) | shapely.is_empty(g))
    idx = np.flatnonzero(present)
    pairs = overlapping_pairs(g[idx])
    if pairs.empty:
        return empty
    a, b = idx[pairs["left"].to_numpy()], idx[pairs["right"].to_numpy()]
    inter = pairs["area"].to_numpy()
    union = shapely.area(g[a]) + shapely.area(g[b]) - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        iou = np.where(union > 0, inter / union, 0.0)
    hit = iou > iou_min
    return pd.DataFrame({"left": a[hit], "right": b[hit], "iou": iou[hit]})


def park_overlaps(
    parks: gpd.GeoDataFrame,
    parcels: gpd.GeoDataFrame | None = None,
    *,
    crs: Any = None,
    policy: Policy = DEFAULT_POLICY,
    file: str = "",
) -> list[dict[str, Any]]:
    """Quality rows for parks whose land overlaps another park's, naming shared parcels.

    Each park is the union of its features; two parks sharing more than
    ``policy.overlap_min_m2`` give one row per park (check ``parks_overlap``) with the
    shared area and the parcels that lie in the shared land by more than that area.
    Each parcel still counts in one park only (the larger part, see
    :func:`straddle_shares`) and a town's area counts shared land once
    (:func:`xsland.measure.area.union_area_m2`).
    """
    crs = crs or metric_crs(parks)
    pk = parks.to_crs(crs)
    pk = pk[~(pk.geometry.isna() | pk.geometry.is_empty)]
    if "park_id" not in pk.columns or pk["park_id"].nunique() < 2:
        return []
    merged = pk.dissolve(by="park_id")
    ids = merged.index.astype(str).to_numpy()
    geoms = merged.geometry.to_numpy()
    pairs = overlapping_pairs(geoms)
    pairs = pairs[pairs["area"] > policy.overlap_min_m2]
    rows: list[dict[str, Any]] = []
    pg = pid = None
    if parcels is not None and len(parcels):
        pg = np.asarray(parcels.geometry.to_crs(crs).to_numpy(), dtype=object)
        pid = parcels["parcel_id"].astype(str).to_numpy()
    for a, b, shared in pairs.itertuples(index=False):
        names = ""
        if pg is not None:
            common = shapely.intersection(geoms[a], geoms[b])
            inside = intersection_areas(pg, np.array([common], dtype=object))
            hit = inside.loc[inside["area"] > policy.overlap_min_m2, "left"].to_numpy()
            names = f"; parcels in the shared land: {', '.join(pid[np.sort(hit)]) or 'none'}"
        for me, other in ((a, b), (b, a)):
            rows += quality_record(
                layer="parks",
                check="parks_overlap",
                ids=[ids[me]],
                file=file,
                detail=f"overlaps park {ids[other]} by {shared:,.1f} m²{names}",
            )
    return rows


def straddle_shares(parcels: gpd.GeoDataFrame, parks: gpd.GeoDataFrame) -> pd.DataFrame:
    """For each parcel, the park holding the larger part of it and that part's share.

    Park features are dissolved by ``park_id`` first (core and expansion zones
    of one park count together).

    Returns
    -------
    DataFrame
        Indexed like ``parcels``: ``park_id`` (the park with the largest part,
        NA when none), ``share`` (that part / parcel area) and ``inside``
        (share of the parcel inside any park).
    """
    crs = metric_crs(parcels)
    pm = parcels.geometry.to_crs(crs)
    dissolved = parks[["park_id", parks.geometry.name]].dissolve(by="park_id")
    kg = dissolved.geometry.to_crs(crs)
    pairs = intersection_areas(pm, kg)
    area = shapely.area(pm.to_numpy())
    n = len(parcels)
    out = pd.DataFrame(
        {"park_id": pd.Series([None] * n, dtype=object), "share": 0.0, "inside": 0.0}
    )
    if len(pairs):
        pairs = pairs.sort_values(["left", "area"], ascending=[True, False])
        best = pairs.drop_duplicates("left")
        with np.errstate(invalid="ignore", divide="ignore"):
            out.loc[best["left"].to_numpy(), "park_id"] = dissolved.index.to_numpy()[
                best["right"].to_numpy()
            ]
            out.loc[best["left"].to_numpy(), "share"] = (
                best["area"].to_numpy() / area[best["left"].to_numpy()]
            )
            inside = np.bincount(pairs["left"], weights=pairs["area"], minlength=n)
            out["inside"] = np.where(area > 0, inside / area, 0.0)
    out.index = parcels.index
    return out


def parcel_checks(
    parcels: gpd.GeoDataFrame,
    *,
    parks: gpd.GeoDataFrame | None = None,
    buildings: gpd.GeoDataFrame | None = None,
    policy: Policy = DEFAULT_POLICY,
    file: str = "",
) -> pd.DataFrame:
    """Run the cross-layer data-quality checks on validated layers.

    Parameters
    ----------
    parcels
        Validated parcels (``parcel_id`` and polygons).
    parks, buildings
        Optional; enable the park-boundary and building checks.
    policy
        Tolerances (``sliver_*``, ``overlap_min_m2``, ``straddle_min_share``,
        ``declared_area_tolerance``).

    Returns
    -------
    DataFrame
        Data-quality rows (:data:`xsland.read.validate.QUALITY_COLUMNS`).
    """
    rows: list[dict] = []
    crs = metric_crs(parcels)
    geoms = parcels.geometry.to_crs(crs).to_numpy()
    ids = parcels["parcel_id"].astype(str).to_numpy()
    area = shapely.area(geoms)
    perim = shapely.length(geoms)
    with np.errstate(invalid="ignore", divide="ignore"):
        width = np.where(perim > 0, 2 * area / perim, 0.0)
    sliver = (area < policy.sliver_max_area_m2) | (width < policy.sliver_min_width_m)
    rows += quality_record(
        layer="parcels",
        check="sliver",
        ids=ids[sliver],
        file=file,
        severity="warning",
        detail=[
            f"area {a:.1f} m², mean width {w:.2f} m"
            for a, w in zip(area[sliver], width[sliver], strict=True)
        ],
    )
    parts = shapely.get_num_geometries(geoms)
    multi = parts > 1
    rows += quality_record(
        layer="parcels",
        check="multipart",
        ids=ids[multi],
        file=file,
        severity="info",
        detail=[f"{p} parts" for p in parts[multi]],
    )
    # overlaps between parcels
    pairs = overlapping_pairs(geoms)
    pairs = pairs[pairs["area"] > policy.overlap_min_m2]
    if len(pairs):
        a, b, s = pairs["left"].to_numpy(), pairs["right"].to_numpy(), pairs["area"].to_numpy()
        rows += quality_record(
            layer="parcels",
            check="overlap",
            ids=np.concatenate([ids[a], ids[b]]),
            file=file,
            severity="warning",
            detail=[
                f"overlaps {o} by {x:.1f} m²"
                for o, x in zip(
                    np.concatenate([ids[b], ids[a]]), np.concatenate([s, s]), strict=True
                )
            ],
        )
    # declared area (用地面积核查)
    if "declared_area" in parcels.columns:
        declared = parcels["declared_area"].to_numpy(dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            rel = (declared - area) / area
        bad = np.abs(rel) > policy.declared_area_tolerance
        rows += quality_record(
            layer="parcels",
            check="declared_area_mismatch",
            ids=ids[bad],
            file=file,
            column="declared_area",
            severity="warning",
            detail=[
                f"declared {d:.1f} m², measured {m:.1f} m² ({r:+.1%})"
                for d, m, r in zip(declared[bad], area[bad], rel[bad], strict=True)
            ],
        )
    if parks is not None and len(parks):
        rows += park_overlaps(parks, parcels, crs=crs, policy=policy, file=file)
        shares = straddle_shares(parcels, parks)
        inside = shares["inside"].to_numpy()
        best = shares["share"].to_numpy()
        t = policy.straddle_min_share
        straddle = (inside > t) & (1 - best > t)
        rows += quality_record(
            layer="parcels",
            check="straddles_park",
            ids=ids[straddle],
            file=file,
            severity="warning",
            detail=[
                f"{b:.1%} in park {p}, {1 - i:.1%} outside every park"
                for b, p, i in zip(
                    best[straddle],
                    shares["park_id"].to_numpy()[straddle],
                    inside[straddle],
                    strict=True,
                )
            ],
        )
    if buildings is not None and len(buildings):
        bg = buildings.geometry.to_crs(crs).to_numpy()
        tree = shapely.STRtree(geoms)
        hit, _ = tree.query(bg, predicate="intersects")
        outside = np.ones(len(bg), bool)
        outside[hit] = False
        bids = (
            buildings["building_id"].astype(str).to_numpy()
            if "building_id" in buildings.columns
            else np.array([f"row {i + 1}" for i in range(len(bg))])
        )
        rows += quality_record(
            layer="buildings",
            check="building_outside",
            ids=bids[outside],
            severity="warning",
            detail="touches no parcel",
        )
    return quality_frame(rows)


@dataclass(frozen=True)
class CheckResult:
    """What :func:`check_files` read and found."""

    layers: dict[str, gpd.GeoDataFrame | pd.DataFrame]
    inputs: list[dict[str, Any]]
    skipped: list[str]
    quality: pd.DataFrame


def check_files(
    files: list[Path],
    *,
    crs: Any = None,
    policy: Policy = DEFAULT_POLICY,
) -> CheckResult:
    """Validate input files without stopping at the first problem.

    Each file — or each layer of a GeoPackage — is recognised as a kind
    (:func:`xsland.read.io.detect_kind`), read and validated with ``collect=True``
    (problems become quality rows of severity ``error``, duplicate IDs are
    reported, not renamed), then the cross-layer checks of
    :func:`parcel_checks` run on what was found.
    """
    from xsland.read.io import TABLE_SUFFIXES, detect_kind, list_layers, read_layer, read_table

    layers: dict[str, Any] = {}
    inputs: list[dict[str, Any]] = []
    skipped: list[str] = []
    frames = []
    parcel_inputs: list[tuple[str, gpd.GeoDataFrame]] = []
    for f in files:
        is_table = f.suffix.lower() in TABLE_SUFFIXES
        names = [None] if is_table or f.suffix.lower() != ".gpkg" else list_layers(f)
        for name in names:
            kind = detect_kind(f, layer=name)
            label = f"{f}" + (f" [{name}]" if name else "")
            if kind is None:
                skipped.append(label + " (not a known kind)")
                continue
            if is_table:
                data = read_table(f, kind=kind, collect=True)
            else:
                data = read_layer(f, kind=kind, layer=name, crs=crs, collect=True)
            layers.setdefault(kind, data)
            frames.append(data)
            if kind == "parcels":
                parcel_inputs.append((label, data))
            inputs.append({"kind": kind, "file": str(f), "layer": name or "", "rows": len(data)})
    quality = quality_frame(*frames)
    # every parcels input against the parks; buildings against the largest parcels input
    largest = max(parcel_inputs, key=lambda item: len(item[1]))[0] if parcel_inputs else None
    for label, parcels in parcel_inputs:
        usable = parcels[~(parcels.geometry.is_empty | parcels.geometry.isna())]
        usable = usable[usable.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
        cross = parcel_checks(
            usable,
            parks=layers.get("parks"),
            buildings=layers.get("buildings") if label == largest else None,
            policy=policy,
            file=label,
        )
        quality = quality_frame(quality, cross)
    return CheckResult(layers=layers, inputs=inputs, skipped=skipped, quality=quality)
