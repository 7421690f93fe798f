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

from xsland.measure.overlay import intersection_areas, overlapping_pairs, park_assignment
from xsland.read.crs import metric_crs
from xsland.read.validate import quality_frame, quality_record
from xsland.rules.policy import DEFAULT_POLICY, Policy

__all__ = [
    "CheckResult",
    "check_files",
    "park_overlaps",
    "parcel_checks",
]


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
    :func:`xsland.measure.overlay.park_assignment`) and a town's area counts shared land once
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


def parcel_checks(
    parcels: gpd.GeoDataFrame,
    *,
    parks: gpd.GeoDataFrame | None = None,
    buildings: gpd.GeoDataFrame | None = None,
    policy: Policy = DEFAULT_POLICY,
    file: str = "",
    crs: Any = None,
    assignment: pd.DataFrame | None = None,
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
    file
        The parcels' file, named in the rows.
    crs
        The run's metric CRS; default :func:`xsland.read.crs.metric_crs` of the parcels.
    assignment
        The audit's park of each parcel (:func:`xsland.measure.overlay.park_assignment`,
        indexed like ``parcels``), so a parcel straddles a park boundary by the same
        figures the audit assigned it with; computed by that function when not given.
        A parcel straddles when more than ``straddle_min_share`` of it lies inside the
        parks (``in_parks_share``) and more than that outside its largest park
        (``1 - park_share``).

    Returns
    -------
    DataFrame
        Data-quality rows (:data:`xsland.read.validate.QUALITY_COLUMNS`).
    """
    rows: list[dict] = []
    crs = crs if crs is not None else metric_crs(parcels)
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
        shares = (
            assignment.reindex(parcels.index)
            if assignment is not None
            else park_assignment(parcels, parks, crs=crs)
        )
        inside = shares["in_parks_share"].to_numpy(dtype=float)
        best = shares["park_share"].to_numpy(dtype=float)
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
                    shares["largest_park"].to_numpy()[straddle],
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
