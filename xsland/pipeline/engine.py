"""The Dask engine: floor area and blocks on spatially partitioned data.

City- and province-scale cadastres (millions of parcels) are cut into compact spatial
partitions (:func:`spatial_partitions`) and each partition is measured on its own, on the
workers of a Dask ``distributed`` cluster (:func:`make_client`: local worker processes,
or an existing cluster by its scheduler address) or, without a client, one after another
in this process. The partitions run the single-process functions themselves, and their
results are stitched so that they are **identical** to the single-process engine's:

- :func:`plot_ratio_dask` equals :func:`xsland.measure.far.plot_ratio`: each partition runs it on
  its own parcels with the buildings whose bounding box meets their extent, so a building
  spanning two partitions is in both, and each partition sums only the pieces
  ``building ∩ parcel`` of its own parcels, each computed from the whole building: nothing
  is counted twice and nothing is lost. The checks of the numbers and the data-quality
  records are made once on the whole layers.
- :func:`find_blocks_dask` equals :func:`xsland.group.blocks.find_blocks`, block IDs included:
  each partition finds the links (:func:`xsland.group.blocks.neighbour_pairs`) of its own
  parcels, those to parcels of other partitions included (a halo of parcels within the
  gap of the partition's extent); the links of all partitions form one graph whose
  connected components are the blocks, so a block crossing partition boundaries is one
  block, with the same parcels, named by the same function.
- :func:`map_parcels` runs any per-parcel function partition by partition, each with the
  features of context layers near its parcels (what :func:`plot_ratio_dask` is made of).

The low-efficiency flags (:func:`xsland.judge.lowuse.flag`) are not partitioned: two of their
rules are not per parcel (亩均税收 sums an enterprise's parcels wherever they lie; derived
evaluation classes rank all enterprises), so partitions would change their answers.

:func:`spatial_partitions` is a k-d bisection of the parcels' centres into tiles of equal
counts, whose extents barely overlap, so few buildings and halo parcels are sent to two
partitions (ranges of a space-filling curve, as in dask-geopandas' ``spatial_shuffle``,
have bounding boxes that can be much larger than their parcels).

Beyond one machine
------------------
:func:`write_partitions` (``xsland partition``) writes parcels and buildings as a
partitioned GeoParquet dataset: one partition per town, large towns cut into k-d tiles,
every file Hilbert-sorted with bounding-box covering columns, and ``partitions.json``
listing each file with its rows and bounds. :func:`plot_ratio_partitioned` and
:func:`find_blocks_partitioned` give each Dask task only a file name: the task reads its
own parcels, and by bounding box the buildings near them or the halo of flagged parcels
within the gap, so this process receives measures and links (pairs of row numbers), never
the geometry; the answers equal the single-process ones.

The whole audit on such a dataset is :func:`xsland.pipeline.partitioned.audit_partitioned`
(``xsland audit --partitions DIR``, with or without ``--engine dask``): tasks measure
and write their own partitions, this process judges on the parcels' attribute table
(no geometry) and gathers the blocks' links and the parcels that need action; the
GeoPackage's parcel layer is appended file by file (see that module for what it holds
and what it does not do yet). Without ``--partitions``, ``--engine dask`` still reads
every layer in this process and ships partitions from memory (:func:`plot_ratio_dask`,
:func:`find_blocks_dask`).

What a cluster run needs
~~~~~~~~~~~~~~~~~~~~~~~~
- **Shared storage** for the dataset and the output: every worker reads
  ``DIR/parcels/part-*.parquet`` and, by bounding box, ``DIR/buildings`` (NFS or a
  shared disk mounted at the same path everywhere; an object store would need fsspec
  ``storage_options``, not wired yet), and writes its part of the parcel table beside
  the output folder (``.<out>.parcels-staging``, moved into ``OUT/parcels.parquet``), so
  the output's parent must be shared too.
- **The same environment** on every worker (xsland and its libraries at one version: a
  container image or a conda environment), and the **scheduler's address**
  (``--scheduler tcp://host:8786``; ``dask scheduler`` and ``dask worker`` started by
  the cluster's own tooling), reachable from this machine.
- **Worker memory per partition**: a worker runs one partition per thread at a time
  (at most two queued). Measured here (``benchmarks/bench_partitioned_audit.py``,
  2026-12-04, 2 cores at a load average of 9): the audit of 200 000 parcels and 400 000
  buildings (867 parks, enterprises, indicators) in eight partitions of 25 000 parcels
  on two workers each capped at 842 MB (Dask's ``memory_limit`` without spilling;
  one process needs 1 447 MB) took 385 s (one process: 205 s) with worker peaks of
  535 MB, and gave identical parks, towns, district, blocks and parcel rows. An idle
  worker holds about 220 MB (the libraries); a partition adds about 1.25 MB per 100
  parcels at its peak, so partitions of 100 000 parcels (the default) need about
  1.5 GB per worker thread.
- **Driver memory**: this process peaked at 1 118 MB in that run (208 MB of libraries),
  when it held the attribute table of all parcels while judging (about 4.5 KB a
  parcel). The judges now run in the partitions' tasks and send back partial tables
  (:mod:`xsland.pipeline.partitioned`): the driver holds the parcels that need action
  (about 5.8 KB each, with geometry) and tables of a row per park, town and enterprise.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from xsland.errors import DataError, EngineError, Problem, ValidationError
from xsland.group.blocks import neighbour_pairs
from xsland.measure.far import contradicted_floor_areas, overfull_parcels, plot_ratio
from xsland.measure.overlay import duplicate_footprints
from xsland.read.crs import get_crs, metric_crs, to_crs
from xsland.read.validate import quality_frame
from xsland.rules.policy import DEFAULT_POLICY, Policy

__all__ = [
    "find_blocks_dask",
    "make_client",
    "map_parcels",
    "plot_ratio_dask",
    "spatial_partitions",
]

#: Parcels per partition the default partition count aims at.
PARCELS_PER_PARTITION = 100_000


# ---------------------------------------------------------------------------
# the cluster
# ---------------------------------------------------------------------------


def make_client(
    workers: int | None = None,
    address: str | None = None,
    *,
    processes: bool = True,
    memory_limit: str | float | None = 0,
) -> Any:
    """A Dask ``distributed`` client: on a new local cluster, or on an existing one.

    Parameters
    ----------
    workers
        Worker processes of a new local cluster, one thread each (default: the number of
        CPUs). Ignored with ``address``.
    address
        The scheduler of an existing cluster (``tcp://host:8786``).
    processes
        Workers in separate processes (default) or as threads of this process.
    memory_limit
        Per worker of a new local cluster, as Dask takes it (``"4GB"``; ``"auto"``: an
        equal share of the machine's). Default 0, no limit: partitions are small already
        (100 000 parcels, a few hundred MB), at most two per worker thread are on a worker
        at a time, and a limit makes Dask spill them to disk, which only slows the run.

    Returns
    -------
    distributed.Client
        Use it as a context manager, or call ``close()``: a local cluster it started is
        shut down with it. A local cluster listens on localhost only (its scheduler's
        HTTP server, for health and metrics, on a free port), without dashboard pages.

    Raises
    ------
    DataError
        ``workers`` below 1, or a ``memory_limit`` that is negative, not a number or not a
        size Dask reads.
    OSError
        The scheduler at ``address`` cannot be reached.
    """
    from distributed import Client

    if address:
        return _connect_scheduler(Client, address)
    n = (os.cpu_count() or 1) if workers is None else int(workers)
    if n < 1:
        raise DataError(
            f"workers={workers}: a cluster needs at least one worker. Fix: give --workers "
            "(workers=) of 1 or more, or leave it out for one per CPU"
        )
    _check_memory_limit(memory_limit)
    return Client(
        n_workers=n,
        threads_per_worker=1,
        processes=processes,
        # the scheduler's HTTP server (health and metrics routes; no dashboard pages) on
        # a free port of localhost: Dask's default 8787 may be another cluster's or a
        # notebook's, and taking another port then printed Dask's warning on every run
        dashboard_address="127.0.0.1:0",
        scheduler_kwargs={"dashboard": False},
        memory_limit=memory_limit,
    )


def _check_memory_limit(limit: Any) -> None:
    """A worker's memory limit Dask can start with (a negative one stops every worker
    with an ``OverflowError`` deep in its messages, and the client waits for them)."""
    if limit is None or (isinstance(limit, str) and limit.strip().lower() == "auto"):
        return
    from dask.utils import parse_bytes

    try:
        value = float(parse_bytes(limit) if isinstance(limit, str) else limit)
    except (TypeError, ValueError):
        value = float("nan")
    if not value >= 0:  # negative, NaN, or text Dask cannot read
        raise DataError(
            f"memory_limit={limit!r}: a worker's memory limit is a size of 0 or more "
            '(bytes, or text such as "4GB"), "auto" or None. Fix: give memory_limit= as '
            "such a size, or leave it out for no limit"
        )


#: Seconds to wait for an existing Dask scheduler before giving up.
SCHEDULER_TIMEOUT_S = 5


def _connect_scheduler(client_class: Any, address: str) -> Any:
    """A client of the scheduler at ``address``, or a named error within a few seconds."""
    import socket
    from urllib.parse import urlsplit

    fix = (
        "Fix: start the scheduler (`dask scheduler`) and check the address given with "
        "--scheduler (tcp://host:8786), or leave --scheduler out to start a local cluster"
    )
    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        host, port = None, None
    if parts.scheme == "tcp" and host and port:
        try:  # fail at once on a refused connection instead of retrying until the timeout
            socket.create_connection((host, port), timeout=SCHEDULER_TIMEOUT_S).close()
        except OSError as exc:
            raise EngineError(
                f"cannot reach the Dask scheduler at {address}: {exc.strerror or exc}. {fix}"
            ) from None
    try:
        return client_class(address, timeout=f"{SCHEDULER_TIMEOUT_S}s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise EngineError(
            f"cannot connect to the Dask scheduler at {address} within "
            f"{SCHEDULER_TIMEOUT_S} s ({type(exc).__name__}: {exc}). {fix}"
        ) from None


def _default_partitions(n: int, client: Any) -> int:
    """Two per worker thread (so a slow partition does not hold the others back), and at
    least one per :data:`PARCELS_PER_PARTITION` parcels; without a cluster only the latter."""
    slots = sum(client.nthreads().values()) if client is not None else 0
    return max(1, min(n, max(2 * slots, math.ceil(n / PARCELS_PER_PARTITION))))


def _run(
    func: Callable[..., Any],
    payloads: Iterable[tuple],
    client: Any,
    *,
    common: tuple = (),
) -> list[Any]:
    """``[func(*p, *common) for p in payloads]`` on the cluster, or here one by one.

    With a client, each payload is scattered as one object (not hashed, so nothing is
    tokenised) to the least loaded worker, which runs it, only when that worker has fewer
    than two partitions per thread: each is released as soon as its result is back, so
    the workers hold a few partitions, never the whole layer, and the payloads (an
    iterable) are built one at a time here too. ``common`` is broadcast once
    to every worker. Without a client the partitions run one after another in this
    process: threads would not help, as the measuring code holds the GIL for much of its
    time.
    """
    if client is None:
        return [func(*p, *common) for p in payloads]
    from distributed import as_completed

    shared = client.scatter(list(common), broadcast=True, hash=False) if common else []
    threads = client.nthreads()
    load = dict.fromkeys(threads, 0)  # partitions on each worker
    results: dict[int, Any] = {}
    running: dict[Any, tuple[int, str]] = {}
    todo = enumerate(payloads)
    done = as_completed()

    def submit_next() -> bool:
        # the least loaded worker gets the next partition, data and task together (a
        # scatter alone would put every partition on the first worker)
        worker = min(load, key=lambda w: load[w] / threads[w])
        if load[worker] >= 2 * threads[worker]:
            return False
        item = next(todo, None)
        if item is None:
            return False
        i, p = item
        [data] = client.scatter([p], workers=[worker], hash=False)
        future = client.submit(
            _apply, func, data, *shared, workers=[worker], allow_other_workers=True, pure=False
        )
        running[future] = (i, worker)
        load[worker] += 1
        done.add(future)
        return True

    while submit_next():
        pass
    for future in done:
        i, worker = running.pop(future)
        results[i] = future.result()  # raises the partition's error
        future.release()
        load[worker] -= 1
        while submit_next():
            pass
    return [results[i] for i in range(len(results))]


def _apply(func: Callable[..., Any], payload: tuple, *common: Any) -> Any:
    return func(*payload, *common)


def _ship(geoms: np.ndarray, client: Any) -> np.ndarray:
    """Geometries as sent to a partition: as they are in this process, as WKB to a cluster
    (one vectorised call instead of pickling each geometry)."""
    return geoms if client is None else shapely.to_wkb(geoms)


def _unship(geoms: np.ndarray) -> np.ndarray:
    arr = np.asarray(geoms, dtype=object)
    if len(arr) and not shapely.is_geometry(arr).any():
        return shapely.from_wkb(arr)
    return arr


# ---------------------------------------------------------------------------
# partitions
# ---------------------------------------------------------------------------


def spatial_partitions(geoms: Any, npartitions: int) -> np.ndarray:
    """Cut geometries into ``npartitions`` compact spatial groups of (nearly) equal size.

    A k-d bisection of the centres of the geometries' bounding boxes: the extent is cut
    across its longer side at the count that splits the partitions in proportion, and each
    half is cut again, until there are ``npartitions`` tiles. Geometries without a bounding
    box (null or empty) go with the centre of the others.

    Parameters
    ----------
    geoms
        A GeoSeries or array of geometries.
    npartitions
        The number of partitions (at most the number of geometries).

    Returns
    -------
    ndarray of int
        The partition (0 … npartitions-1) of each geometry.
    """
    arr = np.asarray(getattr(geoms, "values", geoms), dtype=object)
    n = len(arr)
    k = max(1, min(int(npartitions), n))
    b = shapely.bounds(arr)
    cx, cy = (b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2
    for c in (cx, cy):
        bad = ~np.isfinite(c)
        if bad.any():
            c[bad] = np.median(c[~bad]) if (~bad).any() else 0.0
    labels = np.zeros(n, dtype=np.int64)
    stack = [(np.arange(n), k, 0)]
    while stack:
        idx, parts, first = stack.pop()
        if parts == 1 or len(idx) == 0:
            labels[idx] = first
            continue
        left_parts = parts // 2
        x, y = cx[idx], cy[idx]
        axis = x if np.ptp(x) >= np.ptp(y) else y
        cut = len(idx) * left_parts // parts
        order = np.argsort(axis, kind="stable")
        stack.append((idx[order[:cut]], left_parts, first))
        stack.append((idx[order[cut:]], parts - left_parts, first + left_parts))
    return labels


def _extents(geoms: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """``(k, 4)`` bounds of each partition's geometries (NaN for an empty partition)."""
    b = shapely.bounds(geoms)
    out = np.full((k, 4), np.nan)
    ok = np.isfinite(b).all(axis=1)
    for j, fn in enumerate((np.fmin, np.fmin, np.fmax, np.fmax)):
        init = np.inf if j < 2 else -np.inf
        acc = np.full(k, init)
        fn.at(acc, labels[ok], b[ok, j])
        out[:, j] = np.where(np.isfinite(acc), acc, np.nan)
    return out


def _members(extents: np.ndarray, geoms: np.ndarray, margin: float = 0.0) -> list[np.ndarray]:
    """For each partition extent (grown by ``margin``), the geometries whose box meets it."""
    k = len(extents)
    out = [np.empty(0, dtype=np.int64) for _ in range(k)]
    ok = np.isfinite(extents).all(axis=1)
    if not ok.any() or len(geoms) == 0:
        return out
    boxes = shapely.box(*(extents[ok] + np.array([-margin, -margin, margin, margin])).T)
    g, part = shapely.STRtree(boxes).query(geoms)
    order = np.lexsort((g, part))
    part, g = part[order], g[order]
    cuts = np.searchsorted(part, np.arange(len(boxes) + 1))
    for j, p in enumerate(np.flatnonzero(ok)):
        out[p] = g[cuts[j] : cuts[j + 1]]
    return out


def _groups(labels: np.ndarray, k: int) -> list[np.ndarray]:
    order = np.argsort(labels, kind="stable")
    cuts = np.searchsorted(labels[order], np.arange(k + 1))
    return [order[cuts[j] : cuts[j + 1]] for j in range(k)]


# ---------------------------------------------------------------------------
# any per-parcel function
# ---------------------------------------------------------------------------


def _call_part(
    part: gpd.GeoDataFrame,
    context: Mapping[str, gpd.GeoDataFrame],
    func: Callable[..., Any],
    kwargs: Mapping[str, Any],
) -> Any:
    return func(part, **context, **kwargs)


def map_parcels(
    func: Callable[..., pd.DataFrame | pd.Series],
    parcels: gpd.GeoDataFrame,
    *,
    context: Mapping[str, gpd.GeoDataFrame] | None = None,
    margin_m: float = 0.0,
    client: Any = None,
    npartitions: int | None = None,
    **kwargs: Any,
) -> pd.DataFrame | pd.Series:
    """Run a per-parcel function partition by partition and put the results together.

    ``func(part, **context_parts, **kwargs)`` is called for each spatial partition of
    ``parcels`` (:func:`spatial_partitions`), with each context layer cut to the features
    whose bounding box meets the partition's extent grown by ``margin_m`` (in the parcels'
    CRS units). It must return a DataFrame or Series indexed like ``part``; the results
    are put back in the order and with the index of ``parcels``.

    The result equals ``func(parcels, **context, **kwargs)`` when ``func`` is per parcel:
    each parcel's row depends only on that parcel and on context features that touch it
    (or lie within ``margin_m``) — floor area and coverage, the dominant planned use —
    not on other parcels (ranks, sums per enterprise). A function that chooses its
    measuring CRS from the data's extent (:func:`xsland.read.crs.metric_crs`) must be given
    data in a CRS that every partition keeps (see :func:`plot_ratio_dask`).

    Parameters
    ----------
    func
        The per-parcel function; with a client it is sent to the workers (a module-level
        function, or anything cloudpickle can send).
    parcels
        The parcels (any index).
    context
        ``keyword -> GeoDataFrame`` (``{"buildings": buildings}``), cut in the parcels' CRS.
    margin_m
        How far from a partition's parcels context features are still given to it.
    client
        A ``distributed.Client`` (:func:`make_client`); ``None`` runs the partitions
        one after another in this process.
    npartitions
        Default: two per worker, and at least one per 100 000 parcels.
    **kwargs
        Passed to every call (tables, the policy); sent to each worker once.

    Returns
    -------
    DataFrame or Series
        Indexed like ``parcels``; ``attrs`` are not kept.
    """
    context = dict(context or {})
    if len(parcels) == 0:
        return func(parcels, **context, **kwargs)
    pm = np.asarray(parcels.geometry.to_numpy(), dtype=object)
    k = npartitions or _default_partitions(len(parcels), client)
    labels = spatial_partitions(pm, k)
    k = int(labels.max()) + 1
    groups = _groups(labels, k)
    extents = _extents(pm, labels, k)
    cut: dict[str, list[np.ndarray]] = {}
    for key, layer in context.items():
        geo = layer.geometry
        if parcels.crs is not None and geo.crs is not None and not geo.crs.equals(parcels.crs):
            geo = to_crs(geo, parcels.crs)
        cut[key] = _members(extents, np.asarray(geo.to_numpy(), dtype=object), float(margin_m))
    by_position = parcels.reset_index(drop=True)  # a new frame; the input keeps its index
    payloads = (
        (by_position.iloc[g], {key: context[key].iloc[cut[key][j]] for key in context})
        for j, g in enumerate(groups)
    )
    parts = _run(_call_part, payloads, client, common=(func, kwargs))
    out = pd.concat(parts).sort_index()
    if len(out) != len(parcels) or not (out.index == np.arange(len(parcels))).all():
        raise DataError(
            f"map_parcels: {getattr(func, '__name__', func)} must return one row per parcel, "
            "indexed like the parcels it is given"
        )
    out.index = parcels.index
    out.attrs = {}
    return out


# ---------------------------------------------------------------------------
# plot ratio
# ---------------------------------------------------------------------------


def _measuring_crs(extents: np.ndarray, crs: Any) -> None:
    """Refuse partitions that :func:`xsland.measure.far.plot_ratio` would measure in another CRS."""
    for box in extents:
        if np.isfinite(box).all() and not metric_crs(tuple(box), crs=crs).equals(crs):
            raise DataError(
                f"the Dask engine measures every partition in the CRS of the whole layer, "
                f"{crs.name!r}, but a partition would be measured in another one (the data "
                "spans several Gauss-Kruger zones or lies outside China). Fix: reproject the "
                "layers to one cadastral zone CRS (e.g. EPSG:4549), or use the single-process "
                "engine"
            )


def plot_ratio_dask(
    parcels: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame | None = None,
    *,
    policy: Policy = DEFAULT_POLICY,
    npartitions: int | None = None,
    client: Any = None,
    crs: Any = None,
) -> pd.DataFrame:
    """:func:`xsland.measure.far.plot_ratio`, partition by partition: the same table.

    ``crs`` is the run's metric CRS (default :func:`xsland.read.crs.metric_crs` of the
    parcels).

    Both layers are reprojected once to :func:`xsland.read.crs.metric_crs` of the whole parcel
    layer, parcels are cut into :func:`spatial_partitions`, and each partition is measured
    by :func:`xsland.measure.far.plot_ratio` itself with the buildings whose bounding box meets its
    parcels' extent (:func:`map_parcels`), duplicate footprints dropped on the whole layer
    first (the earlier of two twins is kept, and it may lie outside the partition the
    later one reaches into). A building spanning two partitions goes to both,
    and each partition sums only the pieces ``building ∩ parcel`` of its own parcels, each
    piece computed from the whole building (its area, for ``floor_area`` shares), so
    nothing is counted twice or lost. Floor areas equal the single-process ones up to the
    order of floating-point sums (relative 1e-15); sources and NaNs are identical.

    The numbers of both layers are checked on the whole layers first, so a bad value is
    reported as the single-process engine reports it, and ``attrs["quality"]`` (buildings
    without floors) lists every building once, in order, as there.

    Parameters
    ----------
    parcels, buildings, policy
        As for :func:`xsland.measure.far.plot_ratio`.
    npartitions
        Default: two per worker, and at least one per 100 000 parcels.
    client
        A ``distributed.Client`` (:func:`make_client`); ``None`` runs the partitions
        one after another in this process.

    Returns
    -------
    DataFrame
        As :func:`xsland.measure.far.plot_ratio`: indexed like ``parcels``, ``area_m2``,
        ``footprint_m2``, ``floor_area``, ``far``, ``coverage``, ``floor_area_source``;
        ``attrs["quality"]``.

    Raises
    ------
    DataError
        As :func:`xsland.measure.far.plot_ratio`; and for data whose partitions
        :func:`xsland.measure.far.plot_ratio` would measure in different CRSs (layers spanning
        several Gauss-Krüger zones): reproject them to one zone first.
    """
    if buildings is None or len(parcels) == 0:
        return plot_ratio(parcels, buildings, policy=policy, crs=crs)
    crs = get_crs(crs) if crs is not None else metric_crs(parcels)
    pm_frame = parcels if parcels.crs.equals(crs) else to_crs(parcels, crs)
    bm_frame = buildings if buildings.crs.equals(crs) else to_crs(buildings, crs)
    geoms = np.asarray(pm_frame.geometry.to_numpy(), dtype=object)
    valid = np.flatnonzero(~(shapely.is_missing(geoms) | shapely.is_empty(geoms)))
    if len(valid) == 0:
        return plot_ratio(parcels, buildings, policy=policy, crs=crs)
    k = npartitions or _default_partitions(len(parcels), client)
    if k == 1:
        return plot_ratio(parcels, buildings, policy=policy, crs=crs)
    labels = spatial_partitions(geoms, k)
    _measuring_crs(_extents(geoms, labels, int(labels.max()) + 1), crs)
    # whole-layer checks: the parcels' numbers, and the buildings' (with one parcel), which
    # also gives the data-quality records of every building, once each and in order
    plot_ratio(pm_frame, None, policy=policy)
    quality = plot_ratio(pm_frame.iloc[valid[:1]], bm_frame, policy=policy).attrs["quality"]
    quality = [q for q in quality if q["layer"] == "buildings"]
    # a duplicate footprint is dropped here, on the whole layer: its earlier twin may lie
    # outside the partition it reaches into
    twins = duplicate_footprints(
        np.asarray(bm_frame.geometry.to_numpy(), dtype=object),
        iou_min=policy.duplicate_building_iou_min,
    )
    if len(twins):
        keep = np.ones(len(bm_frame), dtype=bool)
        keep[twins["right"].to_numpy()] = False
        bm_frame = bm_frame[keep]
    out = map_parcels(
        plot_ratio,
        pm_frame,
        context={"buildings": bm_frame},
        client=client,
        npartitions=k,
        policy=policy,
    )
    out.index = parcels.index
    out.attrs = {
        "quality": quality + overfull_parcels(parcels, out) + contradicted_floor_areas(parcels, out)
    }
    return out


# ---------------------------------------------------------------------------
# blocks
# ---------------------------------------------------------------------------


def _barrier_array(barriers: Any, crs: Any) -> np.ndarray:
    """Barrier geometries (GeoDataFrame, GeoSeries or a list of them) in ``crs``."""
    if barriers is None:
        return np.array([], dtype=object)
    items = barriers if isinstance(barriers, list | tuple) else [barriers]
    arrays = []
    for item in items:
        if isinstance(item, gpd.GeoDataFrame | gpd.GeoSeries):
            geo = item.geometry if isinstance(item, gpd.GeoDataFrame) else item
            if geo.crs is not None and not geo.crs.equals(crs):
                geo = to_crs(geo, crs)
            arrays.append(np.asarray(geo.to_numpy(), dtype=object))
        elif isinstance(item, shapely.Geometry):
            arrays.append(np.array([item], dtype=object))
        else:
            arrays.append(np.asarray(item, dtype=object))
    geoms = np.concatenate(arrays) if arrays else np.array([], dtype=object)
    return geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]


def _partition_links(
    geoms: np.ndarray, own: np.ndarray, barriers: np.ndarray, gap_m: float
) -> tuple[np.ndarray, np.ndarray]:
    """The links ``i < j`` (positions in ``geoms``) with at least one own parcel."""
    i, j = neighbour_pairs(_unship(geoms), gap_m=gap_m, barriers=_unship(barriers))
    keep = own[i] | own[j]
    return i[keep], j[keep]


def find_blocks_dask(
    flagged_parcels: gpd.GeoDataFrame,
    *,
    gap_m: float = DEFAULT_POLICY.block_gap_m,
    barriers: Any = None,
    client: Any = None,
    npartitions: int | None = None,
    crs: Any = None,
) -> pd.Series:
    """:func:`xsland.group.blocks.find_blocks`, partition by partition: the same block IDs.

    Parcels are cut into :func:`spatial_partitions`. Each partition receives its own
    parcels, a halo — every parcel of another partition whose bounding box comes within
    ``gap_m`` of the partition's extent — and the barriers near them, and finds the links
    (:func:`xsland.group.blocks.neighbour_pairs`) that involve one of its own parcels, those
    reaching into the halo included. The links of all partitions make one graph over all
    parcels, whose connected components are the blocks, so a block crossing partition
    boundaries is stitched whole. Every link is found by the partition of either of its
    parcels with the same inputs as in one process (both parcels, every barrier near
    them, the same order), so the blocks, their parcels and — named by the same function
    as :func:`~xsland.group.blocks.find_blocks` — their IDs are identical.

    Parameters
    ----------
    flagged_parcels
        The parcels to group (typically the low-efficiency ones), with a CRS; measured in
        :func:`xsland.read.crs.metric_crs`.
    gap_m, barriers
        As for :func:`xsland.group.blocks.find_blocks`.
    client
        A ``distributed.Client`` (:func:`make_client`); ``None`` runs the partitions
        one after another in this process.
    npartitions
        Default: two per worker, and at least one per 100 000 parcels.
    crs
        The run's metric CRS (chosen once by :func:`xsland.pipeline.audit.run`); default
        :func:`xsland.read.crs.metric_crs` of ``flagged_parcels``.

    Returns
    -------
    Series
        ``block_id`` (text) indexed like ``flagged_parcels``; NA for parcels without
        geometry.
    """
    from xsland.group.blocks import _block_names  # the ID scheme of find_blocks

    if not isinstance(flagged_parcels, gpd.GeoDataFrame):
        raise DataError("flagged_parcels: a GeoDataFrame with the parcel polygons is needed")
    if gap_m < 0:
        raise DataError(f"gap_m = {gap_m} must not be negative")
    crs = get_crs(crs) if crs is not None else metric_crs(flagged_parcels.geometry)
    geo = flagged_parcels.geometry
    geo = geo if geo.crs == crs else to_crs(geo, crs)
    g_all = np.asarray(geo.to_numpy(), dtype=object)
    pos = np.flatnonzero(~(shapely.is_missing(g_all) | shapely.is_empty(g_all)))
    out = pd.Series(pd.NA, index=flagged_parcels.index, dtype="string", name="block_id")
    if len(pos) == 0:
        return out
    g = g_all[pos]
    bars = _barrier_array(barriers, crs)
    m = len(g)
    k = npartitions or _default_partitions(m, client)
    labels = spatial_partitions(g, k)
    k = int(labels.max()) + 1
    halos = _members(_extents(g, labels, k), g, margin=float(gap_m))

    def payload(j: int, halo: np.ndarray) -> tuple:
        near = np.empty(0, dtype=np.int64)
        if len(bars) and len(halo):
            # every barrier the link test can look at: within the gap of the halo's extent
            box = np.asarray(shapely.total_bounds(g[halo]))[None, :]
            [near] = _members(box, bars, margin=float(gap_m) + 1.0)
        return (_ship(g[halo], client), labels[halo] == j, _ship(bars[near], client), gap_m)

    links = _run(_partition_links, (payload(j, h) for j, h in enumerate(halos)), client)
    i = np.concatenate([halo[a] for halo, (a, _) in zip(halos, links, strict=True)])
    j = np.concatenate([halo[b] for halo, (_, b) in zip(halos, links, strict=True)])
    graph = coo_matrix((np.ones(len(i), dtype=np.int8), (i, j)), shape=(m, m))
    n_blocks, label = connected_components(graph, directed=False)
    out.iloc[pos] = _block_names(flagged_parcels.iloc[pos], g, label, n_blocks)[label]
    return out


# ---------------------------------------------------------------------------
# a partitioned dataset: workers read their own parcels
# ---------------------------------------------------------------------------

#: The file describing a partitioned dataset (:func:`write_partitions`).
PARTITION_INDEX = "partitions.json"

#: The file of a partitioned dataset listing what reading its layers found (repairs…).
PARTITION_QUALITY = "quality.json"

#: Column holding each parcel's position in the layer the dataset was written from.
ROW = "_row"


def _tiles(geoms: np.ndarray, groups: pd.Series | None, per_part: int) -> np.ndarray:
    """Partition labels: k-d tiles of at most ``per_part`` parcels within each group."""
    labels = np.zeros(len(geoms), dtype=np.int64)
    if groups is None:
        keys = np.zeros(len(geoms), dtype=np.int64)
    else:
        keys = pd.factorize(groups.astype("string").fillna("").to_numpy(), sort=True)[0]
    first = 0
    for key in np.unique(keys):
        idx = np.flatnonzero(keys == key)
        k = max(1, math.ceil(len(idx) / per_part))
        labels[idx] = first + spatial_partitions(geoms[idx], k)
        first += k
    return labels


def _write_layer(frame: gpd.GeoDataFrame, labels: np.ndarray, folder: Any, name: str) -> list:
    """One spatially sorted GeoParquet file per label, with bbox covering columns; a layer
    without rows one empty file, so that its tasks read its columns (an empty buildings
    layer is vacant land, not a dataset without buildings)."""
    out = []
    geo = frame.geometry
    ok = ~(geo.isna() | geo.is_empty).to_numpy()
    order_all = np.full(len(frame), np.iinfo(np.int64).max, dtype=np.int64)  # missing last
    if ok.any():
        order_all[ok] = geo[ok].hilbert_distance(total_bounds=geo[ok].total_bounds).to_numpy()
    (folder / name).mkdir()
    for j, rows in enumerate(_groups(labels, int(labels.max()) + 1 if len(labels) else 1)):
        part = frame.iloc[rows[np.argsort(order_all[rows], kind="stable")]]
        file = f"{name}/part-{j:05d}.parquet"
        part.to_parquet(folder / file, index=False, write_covering_bbox=True, row_group_size=20_000)
        out.append(
            {
                "file": file,
                "rows": len(part),
                # a file without geometries (an empty buildings layer) has no extent:
                # null, so that the index is strict JSON (NaN is not)
                "bounds": [float(v) if np.isfinite(v) else None for v in part.total_bounds],
                "bytes": os.path.getsize(folder / file),  # tells another file in its place
                "footer": footer_digest(folder / file),  # and one of the same size
            }
        )
    return out


#: Columns a partitioned dataset writes into every file, and what they hold.
_RESERVED = {
    ROW: "each row's position in the layer",
    "bbox": "each row's bounding box, by which the tasks read what lies near them",
}


def check_partition_size(parcels_per_partition: int) -> None:
    """Refuse a partition size below one parcel.

    Raises
    ------
    DataError
        When ``parcels_per_partition`` is not a whole number of at least 1.
    """
    n = parcels_per_partition
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise DataError(
            f"parcels per partition = {n!r}: a partition holds at least 1 parcel. Fix: give "
            "--parcels-per-partition (parcels_per_partition=) of 1 or more, or leave it out "
            f"for {PARCELS_PER_PARTITION}"
        )


def write_partitions(
    parcels: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame | None,
    folder: Any,
    *,
    parcels_per_partition: int = PARCELS_PER_PARTITION,
    by: str | pd.Series | None = "town",
    overwrite: bool = False,
    sources: Mapping[str, str] | None = None,
) -> Any:
    """Write parcels and buildings as spatially partitioned, sorted GeoParquet.

    Parcels are cut by ``by`` (a town per partition, when the column exists; or a Series
    of group keys in the order of ``parcels``, written nowhere) and large groups into k-d
    tiles of at most ``parcels_per_partition`` (:func:`spatial_partitions`);
    buildings into tiles of twice that. Every file is sorted along a Hilbert curve and
    carries GeoParquet 1.1 bounding-box covering columns, so a reader asking for an
    extent (``geopandas.read_parquet(..., bbox=...)``) skips the row groups outside it.
    Both layers are reprojected to :func:`xsland.read.crs.metric_crs` of the parcels, in
    which every partition is measured; parcels gain ``_row``, their position in
    ``parcels``, and buildings theirs in ``buildings`` (a task reads them back in that
    order, :func:`buildings_near`, and names a building without ``building_id`` in the
    data-quality table ``row N``, as the in-memory audit does; datasets written before
    it are still read). ``partitions.json`` lists each file with
    its rows and bounds, and ``sources`` (``{"parcels": file, "buildings": file}``, the
    files the layers were read from, when given) so that the audit of the dataset names
    them in the data-quality table as :func:`xsland.pipeline.audit.run` does; what
    reading the layers found (their ``attrs["quality"]``: repaired geometries, renamed
    IDs …) goes to ``quality.json``, which the audit lists as the in-memory one does.

    Layout::

        folder/partitions.json
        folder/parcels/part-00000.parquet …
        folder/buildings/part-00000.parquet …

    Returns
    -------
    Path
        ``folder``.

    Raises
    ------
    DataError
        Parcels spanning several Gauss-Krüger zones (see :func:`plot_ratio_dask`), no
        parcels, or a ``parcels_per_partition`` below 1 (:func:`check_partition_size`).
    ValidationError
        A layer with a column ``_row`` or ``bbox`` of its own.
    """
    from xsland._atomic import atomic_dir

    check_partition_size(parcels_per_partition)
    taken = [
        Problem(
            f"the column {column} is the dataset's own ({what}): its values would be lost",
            fix=f"rename the column {column} in the {kind} layer",
            file=str(((frame.attrs or {}).get("source") or {}).get("file") or ""),
            layer=kind,
            column=column,
        )
        for kind, frame in (("parcels", parcels), ("buildings", buildings))
        if frame is not None
        for column, what in _RESERVED.items()
        if column in frame.columns
    ]
    if taken:
        raise ValidationError(taken, title="a column xsland writes into a partitioned dataset")
    if len(parcels) == 0:
        raise DataError(
            "the parcels layer has no features: there is nothing to partition. Fix: point "
            "[inputs.parcels] (or the layer given) at the layer that holds them"
        )
    crs = metric_crs(parcels)
    pm = parcels if parcels.crs.equals(crs) else to_crs(parcels, crs)
    pm = pm.reset_index(drop=True)
    pm[ROW] = np.arange(len(pm), dtype=np.int64)
    geoms = np.asarray(pm.geometry.to_numpy(), dtype=object)
    if isinstance(by, pd.Series):
        if len(by) != len(pm):
            raise DataError(f"by: {len(by)} group keys for {len(pm)} parcels")
        groups = pd.Series(by.to_numpy(dtype=object), index=pm.index)
    else:
        groups = pm[by] if by and by in pm.columns else None
    labels = _tiles(geoms, groups, parcels_per_partition)
    _measuring_crs(_extents(geoms, labels, int(labels.max()) + 1), crs)
    target = Path(folder)
    with atomic_dir(target, overwrite=overwrite) as tmp:
        index: dict[str, Any] = {
            "crs": crs.to_json_dict(),
            "parcels": _write_layer(pm, labels, tmp, "parcels"),
        }
        if buildings is not None:
            bm = buildings if buildings.crs.equals(crs) else to_crs(buildings, crs)
            bm = bm.reset_index(drop=True)
            bm[ROW] = np.arange(len(bm), dtype=np.int64)
            bg = np.asarray(bm.geometry.to_numpy(), dtype=object)
            k = max(1, math.ceil(len(bm) / (2 * parcels_per_partition)))
            index["buildings"] = _write_layer(bm, spatial_partitions(bg, k), tmp, "buildings")
        if sources:
            index["sources"] = {str(k): str(v) for k, v in sources.items()}
            index["source_files"] = source_signatures(index["sources"])
        found = quality_frame(parcels, buildings).to_dict("records")
        if found:
            text = json.dumps(found, ensure_ascii=False, default=str)
            (tmp / PARTITION_QUALITY).write_text(text, encoding="utf-8")
            index["quality"] = PARTITION_QUALITY
        text = json.dumps(index, indent=1, allow_nan=False)
        (tmp / PARTITION_INDEX).write_text(text, encoding="utf-8")
    return target


def read_partition_index(folder: Any) -> dict[str, Any]:
    """``partitions.json`` of a dataset written by :func:`write_partitions`."""
    path = Path(folder) / PARTITION_INDEX
    if not path.is_file():
        raise DataError(
            f"{folder}: no {PARTITION_INDEX}, so not a partitioned dataset. Fix: write one with "
            "`xsland partition`, or give the folder `xsland partition --out` wrote"
        )
    fix = f"Fix: write the dataset again with `xsland partition` (do not edit {PARTITION_INDEX})"
    try:
        index = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(f"{path}: not a partition index ({exc}). {fix}") from None
    if not isinstance(index, dict):
        raise DataError(f"{path}: not a partition index (no JSON object). {fix}")
    missing = [k for k in ("crs", "parcels") if k not in index]
    entries = index.get("parcels")
    if not missing and not (isinstance(entries, list) and entries and _entries_ok(entries)):
        missing = ["parcels (a list of partitions with 'file' and 'rows')"]
    if missing:
        raise DataError(f"{path}: the partition index lacks {', '.join(missing)}. {fix}")
    return index


def _entries_ok(entries: list) -> bool:
    """Every entry names its file (text) and its rows (a count)."""
    return all(
        isinstance(e, dict)
        and isinstance(e.get("file"), str)
        and isinstance(e.get("rows"), int)
        and not isinstance(e["rows"], bool)
        and e["rows"] >= 0
        for e in entries
    )


def check_partition_files(folder: Any) -> dict[str, Any]:
    """``partitions.json`` of a dataset whose files are the ones it lists, checked before
    any task reads them.

    Every parcel and building file listed must exist and be GeoParquet holding the rows
    recorded and, in a dataset written by this version, as many bytes and the same
    Parquet footer (:func:`footer_digest`: a file of another dataset put in its place
    differs, even of the same size); parcel files must carry ``_row``. No ``*.parquet``
    file may lie in ``parcels/`` or ``buildings/`` unlisted (the tasks read the listed
    files only: its rows would be left out of the audit). The CRS must be readable. Only
    the files' footers are read.

    Returns
    -------
    dict
        The index (:func:`read_partition_index`).

    Raises
    ------
    DataError
        When the index cannot be read (:func:`read_partition_index`).
    ValidationError
        Naming every file that does not match, and the CRS if it cannot be read, at once.
    """
    from pyproj import CRS
    from pyproj.exceptions import CRSError as ProjCRSError

    index = read_partition_index(folder)
    root = Path(folder)
    listing = str(root / PARTITION_INDEX)
    again = "write the dataset again with `xsland partition --overwrite`"
    problems: list[Problem] = []
    try:
        CRS.from_json_dict(index["crs"])
    except (ProjCRSError, TypeError, ValueError):
        problems.append(
            Problem(
                "the crs it records is not a coordinate reference system",
                fix=f"{again} (do not edit {PARTITION_INDEX})",
                file=listing,
            )
        )
    for layer in ("parcels", "buildings"):
        entries = index.get(layer)
        if entries is None and layer == "buildings":
            continue  # a dataset without buildings
        if not (isinstance(entries, list) and entries and _entries_ok(entries)):
            problems.append(
                Problem(
                    f"'{layer}' is not a list of files with 'file' and 'rows'",
                    fix=f"{again} (do not edit {PARTITION_INDEX})",
                    file=listing,
                    layer=layer,
                )
            )
            continue
        listed = set()
        for entry in entries:
            path = root / entry["file"]
            listed.add(os.path.abspath(path))
            problems += _file_problems(path, entry, layer, again)
        if (root / layer).is_dir():
            for path in sorted((root / layer).glob("*.parquet")):
                if os.path.abspath(path) not in listed:
                    problems.append(
                        Problem(
                            f"not listed in {PARTITION_INDEX}: its rows would be left out",
                            fix=f"remove it (from another dataset?), or {again}",
                            file=str(path),
                            layer=layer,
                        )
                    )
    if problems:
        raise ValidationError(
            problems, title=f"{root}: the partitioned dataset does not match {PARTITION_INDEX}"
        )
    return index


def _file_problems(path: Path, entry: Mapping[str, Any], layer: str, again: str) -> list[Problem]:
    """What is wrong with one listed file of a dataset (:func:`check_partition_files`)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    where = {"file": str(path), "layer": layer}
    if not path.is_file():
        return [Problem("missing", fix=f"put the file back, or {again}", **where)]
    try:
        meta = pq.read_metadata(path)
    except (OSError, pa.ArrowException) as exc:
        return [Problem(f"not a Parquet file ({exc})", fix=again, **where)]
    found: list[Problem] = []
    if b"geo" not in (meta.metadata or {}):
        found.append(Problem("not GeoParquet (no 'geo' metadata)", fix=again, **where))
    if layer == "parcels" and ROW not in meta.schema.names:
        found.append(Problem(f"has no {ROW} column", fix=again, **where))
    if meta.num_rows != entry["rows"]:
        found.append(
            Problem(
                f"holds {meta.num_rows} row{'' if meta.num_rows == 1 else 's'}, "
                f"{PARTITION_INDEX} records {entry['rows']}",
                fix=again,
                **where,
            )
        )
    size = path.stat().st_size
    if "bytes" in entry and size != entry["bytes"]:
        found.append(
            Problem(
                f"holds {size} bytes, {PARTITION_INDEX} records {entry['bytes']}: not the "
                "file the dataset was written with",
                fix=again,
                **where,
            )
        )
    elif "footer" in entry and footer_digest(path) != entry["footer"]:
        found.append(
            Problem(
                f"its Parquet footer (schema, row groups, statistics) is not the one "
                f"{PARTITION_INDEX} records: not the file the dataset was written with",
                fix=again,
                **where,
            )
        )
    return found


def footer_digest(path: str | os.PathLike) -> str:
    """The SHA-256 of a Parquet file's footer: its schema, metadata and row groups with
    their offsets and statistics (each column's least and greatest value).

    Two files of equal size and rows written from other data differ in it (their
    ``_row`` and bounding-box statistics, at least), and it is read without the data:
    the last 8 bytes give its length (little-endian) and the magic ``PAR1``.
    """
    with open(path, "rb") as f:
        f.seek(0, os.SEEK_END)
        size = f.tell()
        if size < 12:
            return ""
        f.seek(size - 8)
        tail = f.read(8)
        length = int.from_bytes(tail[:4], "little")
        if tail[4:] != b"PAR1" or length > size - 12:
            return ""
        f.seek(size - 8 - length)
        return hashlib.sha256(f.read(length)).hexdigest()


#: The files beside a Shapefile that hold its attributes, index, CRS and encoding.
_SHAPEFILE_PARTS = (".dbf", ".shx", ".prj", ".cpg")


def source_signatures(sources: Mapping[str, str]) -> dict[str, list[list[Any]]]:
    """``kind -> [[file, bytes, mtime_ns], …]`` of the local files a dataset was written
    from (absolute paths; a Shapefile with its ``.dbf``, ``.shx``, ``.prj`` and ``.cpg``); sources that
    are not local files (a database) are left out. :func:`changed_sources` compares them.
    """
    out: dict[str, list[list[Any]]] = {}
    for kind, file in sources.items():
        path = Path(os.path.abspath(file))  # compared from any folder the audit runs in
        if not path.is_file():
            continue
        parts = [path]
        if path.suffix.lower() == ".shp":
            parts += [p for ext in _SHAPEFILE_PARTS if (p := path.with_suffix(ext)).is_file()]
        out[kind] = [[str(p), p.stat().st_size, p.stat().st_mtime_ns] for p in parts]
    return out


def changed_sources(index: Mapping[str, Any]) -> list[str]:
    """The files a dataset was written from that changed since (size or modification
    time): the dataset then no longer holds what they hold. A file that is not there (a
    dataset copied to a cluster's storage) is not compared.

    Only a dataset written by this version records them (``source_files`` in
    ``partitions.json``); for an older one, and for sources that were not local files,
    nothing is found.

    Returns
    -------
    list of str
        One sentence per changed source, with the fix.
    """
    recorded = index.get("source_files")
    if not isinstance(recorded, dict):
        return []
    again = "Fix: write the dataset again with `xsland partition --overwrite`"
    out = []
    for kind, files in recorded.items():
        if not isinstance(files, list):
            continue
        for item in files:
            if not (isinstance(item, list) and len(item) == 3):
                continue
            file, size, mtime = item
            try:
                st = os.stat(file)
            except (OSError, TypeError, ValueError):
                continue  # not here (a dataset copied to a cluster's storage): nothing to compare
            if (st.st_size, st.st_mtime_ns) != (size, mtime):
                out.append(
                    f"{kind}: {file} changed after the partitioned dataset was written from "
                    f"it: the audit uses the dataset, not the file as it is now. {again}"
                )
    return out


def _read_bbox(folder: Any, layer: str, box: Any, columns: list[str] | None = None) -> Any:
    """The rows of a partitioned layer whose bounding box meets ``box``, from the files
    its ``partitions.json`` lists (never another file put in the layer's folder)."""
    files = [str(Path(folder) / e["file"]) for e in read_partition_index(folder)[layer]]
    return gpd.read_parquet(files, bbox=tuple(float(v) for v in box), columns=columns)


def buildings_near(folder: Any, parcels: gpd.GeoDataFrame) -> gpd.GeoDataFrame | None:
    """The buildings of a partitioned dataset that can count on ``parcels``, in the
    order of the layer the dataset was written from.

    Those whose bounding box meets the parcels' extent, and every building whose box
    meets theirs: of two nearly identical footprints
    :func:`xsland.measure.far.plot_ratio` keeps the one earlier in the layer, and that
    one may lie just outside the extent while its twin reaches in — both must be read
    for the twin to be dropped as in one process. Sorted by the buildings' ``_row``
    (their position in the layer) when the dataset has it (written by this version of
    :func:`write_partitions`), which ``_row`` is then dropped; a dataset written before
    keeps its files' order, in which another twin may be the one kept.

    Returns
    -------
    GeoDataFrame or None
        ``None`` when the dataset has no buildings or ``parcels`` no extent.
    """
    box = np.asarray(parcels.total_bounds, dtype=float)
    if "buildings" not in read_partition_index(folder) or not np.isfinite(box).all():
        return None
    near = _read_bbox(folder, "buildings", box)
    if len(near):
        outer = np.asarray(near.total_bounds, dtype=float)
        grown = np.concatenate([np.fmin(box[:2], outer[:2]), np.fmax(box[2:], outer[2:])])
        if (grown != box).any():
            near = _read_bbox(folder, "buildings", grown)
    if ROW in near.columns:
        near = near.sort_values(ROW, kind="stable").drop(columns=ROW).reset_index(drop=True)
    return near


def _measure_partition(folder: str, entry: dict, policy: Policy) -> pd.DataFrame:
    """Worker: :func:`plot_ratio` of one parcel partition, with the buildings near it."""
    parcels = gpd.read_parquet(Path(folder) / entry["file"])
    buildings = buildings_near(folder, parcels) if len(parcels) else None
    out = plot_ratio(parcels, buildings, policy=policy)
    out.index = parcels[ROW].to_numpy()
    out.attrs = {}
    return out


def plot_ratio_partitioned(
    folder: Any, *, policy: Policy = DEFAULT_POLICY, client: Any = None
) -> pd.DataFrame:
    """:func:`xsland.measure.far.plot_ratio` of a partitioned dataset, each partition
    measured where it is read.

    Every task reads its own parcel file and, through the bounding-box covering, the
    buildings whose box meets its parcels' extent — what :func:`plot_ratio_dask` sends
    it — so the floor areas equal the single-process ones; this process only receives the
    measures (no geometry). ``attrs["quality"]`` is not gathered here.

    Returns
    -------
    DataFrame
        The columns of :func:`xsland.measure.far.plot_ratio`, indexed by ``_row`` (the
        parcels' positions in the layer the dataset was written from), sorted.
    """
    index = check_partition_files(folder)
    payloads = ((str(folder), entry) for entry in index["parcels"])
    parts = _run(_measure_partition, payloads, client, common=(policy,))
    return pd.concat(parts).sort_index()


def _partition_links_read(
    folder: str, entry: dict, flagged: np.ndarray, gap_m: float, barriers: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Worker: the links with at least one flagged parcel of this partition, as ``_row``s.

    Reads the partition and its halo (flagged parcels of any partition whose box comes
    within ``gap_m`` of the partition's extent) from the dataset.
    """
    if None in entry["bounds"]:  # no geometry in the partition: no links
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    x0, y0, x1, y1 = entry["bounds"]
    box = (x0 - gap_m, y0 - gap_m, x1 + gap_m, y1 + gap_m)
    halo = _read_bbox(folder, "parcels", box, columns=[ROW, "geometry"])
    rows = halo[ROW].to_numpy()
    keep = flagged[rows]
    rows = rows[keep]
    order = np.argsort(rows, kind="stable")
    rows = rows[order]
    geoms = np.asarray(halo.geometry.to_numpy(), dtype=object)[keep][order]
    own = np.isin(rows, pd.read_parquet(Path(folder) / entry["file"], columns=[ROW])[ROW])
    bars = _unship(barriers)
    if len(bars) and len(geoms):
        # every barrier a link test can look at: within the gap of the halo's extent
        near = np.asarray(shapely.total_bounds(geoms))[None, :]
        [keep_bars] = _members(near, bars, margin=float(gap_m) + 1.0)
        bars = bars[keep_bars]
    i, j = _partition_links(geoms, own, bars, gap_m)
    return rows[i], rows[j]


def find_blocks_partitioned(
    folder: Any,
    table: pd.DataFrame,
    flagged: Any,
    *,
    gap_m: float = DEFAULT_POLICY.block_gap_m,
    barriers: Any = None,
    client: Any = None,
) -> pd.Series:
    """:func:`xsland.group.blocks.find_blocks` of the flagged parcels of a partitioned
    dataset: each task reads its partition and its halo; the same block IDs.

    Parameters
    ----------
    folder
        A dataset of :func:`write_partitions`.
    table
        The parcels' attributes indexed by ``_row`` (``parcel_id``, ``area_m2``, and when
        present ``park_id``, ``town``: what the block IDs are made of); no geometry
        needed. Only the flagged parcels' rows are read: a table of those alone will do.
    flagged
        Boolean per parcel, in ``_row`` order.
    gap_m, barriers
        As for :func:`xsland.group.blocks.find_blocks` (barriers are reprojected to the
        dataset's CRS and sent to every task near them).

    Returns
    -------
    Series
        ``block_id`` indexed like ``table``; NA for parcels not flagged.
    """
    from pyproj import CRS

    from xsland.group.blocks import _block_names

    if gap_m < 0:
        raise DataError(f"gap_m = {gap_m} must not be negative")
    index = read_partition_index(folder)
    crs = CRS.from_json_dict(index["crs"])
    flag = np.asarray(flagged, dtype=bool)
    n = len(flag)
    bars = _barrier_array(barriers, crs)

    payloads = ((str(folder), entry, flag, float(gap_m)) for entry in index["parcels"])
    links = _run(_partition_links_read, payloads, client, common=(_ship(bars, client),))
    i = np.concatenate([a for a, _ in links]) if links else np.empty(0, np.int64)
    j = np.concatenate([b for _, b in links]) if links else np.empty(0, np.int64)
    graph = coo_matrix((np.ones(len(i), dtype=np.int8), (i, j)), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    out = pd.Series(pd.NA, index=table.index, dtype="string", name="block_id")
    pos = np.flatnonzero(flag)
    if len(pos) == 0:
        return out
    codes, uniq = pd.factorize(label[pos])
    frame = table.loc[pos]
    placeholder = np.full(len(pos), None, dtype=object)
    out.loc[pos] = _block_names(frame, placeholder, codes, len(uniq))[codes]
    return out
