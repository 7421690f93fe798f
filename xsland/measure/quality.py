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
- **multipart** — a parcel stored in several parts (information only);
- **parks_overlap** — two parks sharing more than ``overlap_min_m2``, naming the parcels
  in the shared land.

All areas are measured in the metric CRS of :func:`xsland.read.crs.metric_crs`.

:func:`parcel_checks` runs them all on whole layers. Its parts take any set of parcels,
so the audit of a partitioned dataset (:mod:`xsland.pipeline.partitioned`) runs the same
code on each partition: :func:`parcel_findings` (each parcel on its own),
:func:`overlap_findings` (the pairs of a partition and its halo whose lower row the
partition owns), :func:`park_overlap_land` / :func:`shared_land_parcels` /
:func:`park_overlap_findings`, :func:`buildings_outside` / :func:`building_findings`.
Each gives :data:`Finding` pairs keyed by check and row, and :func:`findings_frame` lists
them in one order, whatever the split.
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
    "CROSS_CHECKS",
    "CheckResult",
    "Finding",
    "building_findings",
    "building_ids",
    "buildings_outside",
    "check_files",
    "findings_frame",
    "overlap_findings",
    "park_overlap_findings",
    "park_overlap_land",
    "park_overlaps",
    "parcel_checks",
    "parcel_findings",
    "shared_land_parcels",
]


#: The cross-parcel checks of :func:`parcel_checks`, in the order the data-quality table
#: lists them (:func:`findings_frame`).
CROSS_CHECKS = (
    "sliver",
    "multipart",
    "overlap",
    "declared_area_mismatch",
    "parks_overlap",
    "straddles_park",
    "building_outside",
)

#: A quality row with its place in the table: ``((check, position, other), record)``.
Finding = tuple[tuple[int, int, int], dict[str, Any]]


def _keyed(
    check: str, records: list[dict[str, Any]], positions: Any, others: Any = None
) -> list[Finding]:
    """Each record with its sort key: the check's rank in :data:`CROSS_CHECKS`, then the
    position of what it names, then the position of the other one (overlaps)."""
    rank = CROSS_CHECKS.index(check)
    pos = np.asarray(positions, dtype=np.int64).reshape(-1)
    other = np.zeros(len(pos), np.int64) if others is None else np.asarray(others, np.int64)
    return [
        ((rank, int(p), int(o)), r)
        for p, o, r in zip(pos.tolist(), other.tolist(), records, strict=True)
    ]


def findings_frame(*findings: list[Finding]) -> pd.DataFrame:
    """The data-quality table of cross-parcel findings, in their one canonical order.

    Rows are sorted by check (the order of :data:`CROSS_CHECKS`), then by the position of
    the parcel (building, park pair) a row names in its layer, then, for an overlap, by
    the position of the other parcel. Positions are the rows of the layers as given
    (``_row`` in a partitioned dataset), so findings computed on any split of the parcels
    give the same table.

    Parameters
    ----------
    *findings
        Lists of :data:`Finding` pairs (of :func:`parcel_findings`,
        :func:`overlap_findings`, :func:`park_overlap_findings`, :func:`building_findings`).

    Returns
    -------
    DataFrame
        Data-quality rows (:data:`xsland.read.validate.QUALITY_COLUMNS`).
    """
    items = sorted((f for part in findings for f in part), key=lambda f: f[0])
    return quality_frame([record for _, record in items])


def _positions(n: int, rows: Any) -> np.ndarray:
    return np.arange(n, dtype=np.int64) if rows is None else np.asarray(rows, dtype=np.int64)


def parcel_findings(
    parcels: gpd.GeoDataFrame,
    *,
    crs: Any,
    policy: Policy = DEFAULT_POLICY,
    file: str = "",
    parks: gpd.GeoDataFrame | None = None,
    assignment: pd.DataFrame | None = None,
    rows: Any = None,
) -> list[Finding]:
    """The checks of each parcel on its own: sliver, multipart, declared area, straddles.

    With :math:`A` the area and :math:`P` the perimeter in ``crs``: **sliver** when
    :math:`A <` ``sliver_max_area_m2`` or :math:`2A/P <` ``sliver_min_width_m``;
    **multipart** when stored in several parts; **declared_area_mismatch** when
    :math:`|d - A| / A >` ``declared_area_tolerance`` (用地面积核查); **straddles_park**
    when ``in_parks_share`` :math:`> t` and :math:`1 -` ``park_share`` :math:`> t`,
    :math:`t` = ``straddle_min_share`` (SPEC §2, the parcel's park assignment).

    Parameters
    ----------
    parcels
        Parcels (``parcel_id``, polygons, optionally ``declared_area``); any subset of a
        layer (a partition): each row's findings depend on that row alone.
    crs
        The run's metric CRS.
    policy, file
        As for :func:`parcel_checks`.
    parks, assignment
        The straddle check runs when either is given: on ``assignment``
        (:func:`xsland.measure.overlay.park_assignment` of these parcels, indexed like
        them), else on the assignment to ``parks``.
    rows
        Each parcel's position in its layer (the sort key of :func:`findings_frame`);
        default ``0 … n-1``.

    Returns
    -------
    list
        :data:`Finding` pairs; :func:`findings_frame` makes them a table.
    """
    geoms = parcels.geometry.to_crs(crs).to_numpy()
    ids = parcels["parcel_id"].astype(str).to_numpy()
    pos = _positions(len(parcels), rows)
    out: list[Finding] = []
    area = shapely.area(geoms)
    perim = shapely.length(geoms)
    with np.errstate(invalid="ignore", divide="ignore"):
        width = np.where(perim > 0, 2 * area / perim, 0.0)
    sliver = (area < policy.sliver_max_area_m2) | (width < policy.sliver_min_width_m)
    records = quality_record(
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
    out += _keyed("sliver", records, pos[sliver])
    parts = shapely.get_num_geometries(geoms)
    multi = parts > 1
    records = quality_record(
        layer="parcels",
        check="multipart",
        ids=ids[multi],
        file=file,
        severity="info",
        detail=[f"{p} parts" for p in parts[multi]],
    )
    out += _keyed("multipart", records, pos[multi])
    if "declared_area" in parcels.columns:
        declared = parcels["declared_area"].to_numpy(dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            rel = (declared - area) / area
        bad = np.abs(rel) > policy.declared_area_tolerance
        records = quality_record(
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
        out += _keyed("declared_area_mismatch", records, pos[bad])
    if assignment is None and (parks is None or not len(parks)):
        return out
    shares = (
        assignment.reindex(parcels.index)
        if assignment is not None
        else park_assignment(parcels, parks, crs=crs)
    )
    inside = shares["in_parks_share"].to_numpy(dtype=float)
    best = shares["park_share"].to_numpy(dtype=float)
    t = policy.straddle_min_share
    straddle = (inside > t) & (1 - best > t)
    records = quality_record(
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
    return out + _keyed("straddles_park", records, pos[straddle])


def overlap_findings(
    geoms: Any,
    ids: Any,
    *,
    policy: Policy = DEFAULT_POLICY,
    file: str = "",
    rows: Any = None,
    report: Any = None,
) -> list[Finding]:
    """Parcels overlapping each other by more than ``overlap_min_m2``: two rows a pair.

    The pairs and their shared areas :math:`|P_i \\cap P_j|` are
    :func:`xsland.measure.overlay.overlapping_pairs` of ``geoms``; each pair gives a row
    for either parcel ("overlaps *other* by *x* m²").

    Parameters
    ----------
    geoms, ids
        Polygons in the run's metric CRS and their ``parcel_id``, in the order of
        ``rows`` (so a pair is measured as ``intersection(lower, higher)`` whatever the
        set they were found in).
    policy, file
        As for :func:`parcel_checks`.
    rows
        Each polygon's position in its layer (``_row``), ascending; default ``0 … n-1``.
    report
        Boolean per polygon: only pairs whose lower polygon is marked are reported
        (a partition with its halo marks its own parcels, so each pair is reported by
        exactly one partition); default all.

    Returns
    -------
    list
        :data:`Finding` pairs (:func:`findings_frame`).
    """
    g = np.asarray(geoms, dtype=object)
    ids = pd.Series(np.asarray(ids, dtype=object)).astype(str).to_numpy()
    pos = _positions(len(g), rows)
    pairs = overlapping_pairs(g)
    pairs = pairs[pairs["area"] > policy.overlap_min_m2]
    if report is not None:
        pairs = pairs[np.asarray(report, dtype=bool)[pairs["left"].to_numpy()]]
    if not len(pairs):
        return []
    a, b, s = pairs["left"].to_numpy(), pairs["right"].to_numpy(), pairs["area"].to_numpy()
    me, other = np.concatenate([a, b]), np.concatenate([b, a])
    records = quality_record(
        layer="parcels",
        check="overlap",
        ids=ids[me],
        file=file,
        severity="warning",
        detail=[f"overlaps {o} by {x:.1f} m²" for o, x in zip(ids[other], [*s, *s], strict=True)],
    )
    return _keyed("overlap", records, pos[me], pos[other])


def park_overlap_land(
    parks: gpd.GeoDataFrame, *, crs: Any = None, policy: Policy = DEFAULT_POLICY
) -> pd.DataFrame:
    """Pairs of parks sharing more than ``overlap_min_m2``, with the land they share.

    Each park is the union of its features :math:`K_k`; the pairs and their areas
    :math:`|K_a \\cap K_b|` are :func:`xsland.measure.overlay.overlapping_pairs` of the
    parks, the shared land is :math:`K_a \\cap K_b`.

    Returns
    -------
    DataFrame
        ``park``, ``other`` (the two ``park_id``), ``area`` (m²) and ``land`` (the shared
        polygon, in ``crs``), one row per pair, in the order of ``overlapping_pairs``.
    """
    crs = crs or metric_crs(parks)
    empty = pd.DataFrame(
        {"park": pd.Series([], dtype=object), "other": pd.Series([], dtype=object),
         "area": pd.Series([], dtype=float), "land": pd.Series([], dtype=object)}
    )  # fmt: skip
    pk = parks.to_crs(crs)
    pk = pk[~(pk.geometry.isna() | pk.geometry.is_empty)]
    if "park_id" not in pk.columns or pk["park_id"].nunique() < 2:
        return empty
    merged = pk.dissolve(by="park_id")
    ids = merged.index.astype(str).to_numpy()
    geoms = np.asarray(merged.geometry.to_numpy(), dtype=object)
    pairs = overlapping_pairs(geoms)
    pairs = pairs[pairs["area"] > policy.overlap_min_m2]
    if not len(pairs):
        return empty
    a, b = pairs["left"].to_numpy(), pairs["right"].to_numpy()
    return pd.DataFrame(
        {
            "park": ids[a],
            "other": ids[b],
            "area": pairs["area"].to_numpy(),
            "land": shapely.intersection(geoms[a], geoms[b]),
        }
    )


def shared_land_parcels(
    geoms: Any, land: pd.DataFrame, *, policy: Policy = DEFAULT_POLICY
) -> pd.DataFrame:
    """The parcels lying in land two parks share by more than ``overlap_min_m2``.

    Parameters
    ----------
    geoms
        Parcel polygons in the CRS of ``land`` (any subset of the layer: each parcel is
        measured on its own).
    land
        :func:`park_overlap_land`.

    Returns
    -------
    DataFrame
        ``pair`` (row of ``land``) and ``parcel`` (position in ``geoms``), one row per
        parcel with :math:`|P_i \\cap (K_a \\cap K_b)| >` ``overlap_min_m2``.
    """
    if not len(land) or not len(geoms):
        return pd.DataFrame({"pair": np.array([], int), "parcel": np.array([], int)})
    inside = intersection_areas(
        np.asarray(geoms, dtype=object), np.asarray(land["land"].to_numpy(), dtype=object)
    )
    hit = inside[inside["area"] > policy.overlap_min_m2]
    return pd.DataFrame(
        {"pair": hit["right"].to_numpy(), "parcel": hit["left"].to_numpy()}
    ).sort_values(["pair", "parcel"], ignore_index=True)


def park_overlap_findings(
    land: pd.DataFrame, names: list[list[str]] | None = None, *, file: str = ""
) -> list[Finding]:
    """Two ``parks_overlap`` rows a pair of :func:`park_overlap_land`, one per park.

    Parameters
    ----------
    land
        :func:`park_overlap_land`: the pairs, each sharing :math:`|K_a \\cap K_b| >`
        ``overlap_min_m2``.
    names
        Per pair, the ``parcel_id`` of the parcels in the shared land
        (:func:`shared_land_parcels`) in their layer's order, or ``None`` when the run has
        no parcels (the detail then names none).
    file
        The parks' file, named in the rows.

    Returns
    -------
    list
        :data:`Finding` pairs, keyed by the pair's row in ``land`` and the side.
    """
    out: list[Finding] = []
    for k, (a, b, shared) in enumerate(land[["park", "other", "area"]].itertuples(index=False)):
        tail = ""
        if names is not None:
            tail = f"; parcels in the shared land: {', '.join(names[k]) or 'none'}"
        for side, (me, other) in enumerate(((a, b), (b, a))):
            records = quality_record(
                layer="parks",
                check="parks_overlap",
                ids=[me],
                file=file,
                detail=f"overlaps park {other} by {shared:,.1f} m²{tail}",
            )
            out += _keyed("parks_overlap", records, [k], [side])
    return out


def buildings_outside(building_geoms: Any, parcel_geoms: Any) -> np.ndarray:
    """Boolean per building: it intersects none of ``parcel_geoms`` (same CRS).

    A building :math:`B` is outside when :math:`B \\cap P_i = \\emptyset` for every
    parcel :math:`P_i` of the whole layer (touching counts as meeting): a caller with
    part of the parcels must pass every parcel whose bounding box meets the buildings'.

    Returns
    -------
    ndarray of bool
        One per building.
    """
    bg = np.asarray(building_geoms, dtype=object)
    outside = np.ones(len(bg), bool)
    if len(bg) and len(parcel_geoms):
        hit, _ = shapely.STRtree(np.asarray(parcel_geoms, dtype=object)).query(
            bg, predicate="intersects"
        )
        outside[hit] = False
    return outside


def building_ids(buildings: pd.DataFrame, rows: Any = None) -> np.ndarray:
    """Each building's name in the quality table: ``building_id``, else ``row N``.

    Parameters
    ----------
    buildings
        The buildings (any part of the layer).
    rows
        Their 0-based positions in the layer (``_row``); ``N`` is ``rows + 1``. Default
        ``0 … n-1``.

    Returns
    -------
    ndarray of str
    """
    if "building_id" in buildings.columns:
        return buildings["building_id"].astype(str).to_numpy()
    pos = _positions(len(buildings), rows)
    return np.array([f"row {i + 1}" for i in pos.tolist()], dtype=object)


def building_findings(ids: Any, outside: Any, *, rows: Any = None) -> list[Finding]:
    """``building_outside`` rows for the buildings under ``outside``.

    Parameters
    ----------
    ids
        :func:`building_ids` of the buildings.
    outside
        :func:`buildings_outside` of the buildings.
    rows
        Their positions in the layer (the sort key of :func:`findings_frame`); default
        ``0 … n-1``.

    Returns
    -------
    list
        :data:`Finding` pairs.
    """
    mask = np.asarray(outside, dtype=bool)
    pos = _positions(len(mask), rows)
    records = quality_record(
        layer="buildings",
        check="building_outside",
        ids=np.asarray(ids, dtype=object)[mask],
        severity="warning",
        detail="touches no parcel",
    )
    return _keyed("building_outside", records, pos[mask])


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
    shared area and the parcels that lie in the shared land by more than that area
    (:func:`park_overlap_land`, :func:`shared_land_parcels`, :func:`park_overlap_findings`).
    Each parcel still counts in one park only (the larger part, see
    :func:`xsland.measure.overlay.park_assignment`) and a town's area counts shared land once
    (:func:`xsland.measure.area.union_area_m2`).
    """
    found = _park_overlaps(parks, parcels, crs=crs or metric_crs(parks), policy=policy, file=file)
    return [record for _, record in found]


def _park_overlaps(
    parks: gpd.GeoDataFrame,
    parcels: gpd.GeoDataFrame | None,
    *,
    crs: Any,
    policy: Policy,
    file: str,
) -> list[Finding]:
    land = park_overlap_land(parks, crs=crs, policy=policy)
    names = None
    if parcels is not None and len(parcels):
        pg = np.asarray(parcels.geometry.to_crs(crs).to_numpy(), dtype=object)
        pid = parcels["parcel_id"].astype(str).to_numpy()
        hits = shared_land_parcels(pg, land, policy=policy)
        names = [list(pid[hits.loc[hits["pair"] == k, "parcel"]]) for k in range(len(land))]
    return park_overlap_findings(land, names, file=file)


def parcel_checks(
    parcels: gpd.GeoDataFrame,
    *,
    parks: gpd.GeoDataFrame | None = None,
    buildings: gpd.GeoDataFrame | None = None,
    policy: Policy = DEFAULT_POLICY,
    file: str = "",
    crs: Any = None,
    assignment: pd.DataFrame | None = None,
    buildings_meeting: Any = None,
) -> pd.DataFrame:
    """Run the cross-layer data-quality checks on validated layers.

    The checks of each parcel (:func:`parcel_findings`), the overlaps between parcels
    (:func:`overlap_findings`), the parks sharing land (:func:`park_overlap_findings`)
    and the buildings touching no parcel (:func:`building_findings`): the same functions
    the partitioned audit (:mod:`xsland.pipeline.partitioned`) runs on its partitions.

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
    buildings_meeting
        Per building, whether it intersects some parcel: the ``meets`` of
        :func:`xsland.measure.far.plot_ratio` for these layers in ``crs``, which measured
        the same pairs; its negation is :func:`buildings_outside`, computed (one STRtree
        query) when not given.

    Returns
    -------
    DataFrame
        Data-quality rows (:data:`xsland.read.validate.QUALITY_COLUMNS`) in the order of
        :func:`findings_frame`: by check (:data:`CROSS_CHECKS`), then by the row of the
        parcel, park pair or building named.
    """
    crs = crs if crs is not None else metric_crs(parcels)
    with_parks = parks is not None and len(parks) > 0
    found = parcel_findings(
        parcels,
        crs=crs,
        policy=policy,
        file=file,
        parks=parks if with_parks else None,
        assignment=assignment if with_parks else None,
    )
    geoms = parcels.geometry.to_crs(crs).to_numpy()
    found += overlap_findings(geoms, parcels["parcel_id"], policy=policy, file=file)
    if with_parks:
        found += _park_overlaps(parks, parcels, crs=crs, policy=policy, file=file)
    if buildings is not None and len(buildings):
        if buildings_meeting is not None:
            outside = ~np.asarray(buildings_meeting, dtype=bool)
        else:
            outside = buildings_outside(buildings.geometry.to_crs(crs).to_numpy(), geoms)
        found += building_findings(building_ids(buildings), outside)
    return findings_frame(found)


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
