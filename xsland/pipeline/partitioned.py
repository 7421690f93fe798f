"""The audit of a partitioned dataset: every task reads and judges its own parcels, none
holds them all, and the driver holds no parcel rows but those that need action.

:func:`audit_partitioned` is what ``xsland audit --engine dask --partitions DIR`` runs on a
dataset written by ``xsland partition`` (:func:`xsland.pipeline.engine.write_partitions`).
It gives the tables of :func:`xsland.pipeline.audit.run` on the same parcels — parks,
towns, district, blocks, block members, enterprises, intensity and every parcel row —
equal to the last bit, in three passes over the partitions, each a Dask task per parcel
file. Between the passes each task keeps its partition's table in a staging folder
beside ``parcels_out`` (pickled, so every dtype survives), removed at the end.

1. **measure** (:func:`_measure_partition`): the task reads its parcel file and, by
   bounding box, the buildings near it, and runs :func:`xsland.judge.audit.parcel_table`
   (park, category, areas, floor area, FAR, coverage, ``far_ok``), with a plan
   :func:`xsland.judge.lowuse.plan_overlay`, with a raster the land-cover shares, and
   each parcel's town — each parcel's row depends only on that parcel and what lies over
   it. It sends back *partial tables* (:mod:`xsland._sums`): per park what the park
   checks are made of (:func:`xsland.judge.audit.park_partial`: counts, exact sums of
   areas and floor areas, the IDs of parcels below their FAR minimum with their row
   numbers, the park–enterprise pairs) and per enterprise its parcels and land
   (:func:`xsland.pipeline.audit.land_partials`).
   The task also sends back the spellings of its parcels' own towns (each with its
   first ``_row`` and count), from which the driver chooses each town's one spelling as
   the in-memory audit's :func:`~xsland.read.harmonise.harmonise` does over the parks
   and every parcel (the first met, parks first), with the same ``name_normalised``
   records.
2. **judge** (:func:`_judge_partition`): each parcel's own town takes that spelling;
   the driver reduces the partial tables to the
   park checks (:func:`xsland.judge.audit.park_checks_combine`) and each enterprise's
   land, from which it derives the per-enterprise figures (亩均 taxes over the land of
   all its parcels, classes ranked over all enterprises:
   :func:`xsland.judge.lowuse.per_mu`); those small tables are broadcast to the tasks,
   which run :func:`xsland.pipeline.audit.judge_parcels`
   (:func:`~xsland.judge.lowuse.flag`, :func:`~xsland.judge.supply.supply_status`) on
   their partition and send back the partial tables of every roll-up
   (:func:`xsland.pipeline.audit.roll_up_partial`: low-efficiency land and supply rates
   per park and town, the towns' parcels, the intensive-use sums per park), the row
   numbers of the low-efficiency parcels and the parcels that need action
   (low-efficiency, or below their FAR minimum) with geometry and flags. Blocks are
   found by :func:`xsland.pipeline.engine.find_blocks_partitioned` (each task reads its
   partition and the halo of flagged parcels within the gap; only links come back);
   the roll-ups are reduced by :func:`xsland.pipeline.audit.combine_roll_ups`.
3. **write** (:func:`_write_partition`): each task gets the block IDs of its flagged
   parcels, adds them to its judged table and writes
   ``parcels.parquet/part-NNNNN.parquet`` (GeoParquet with bbox columns) — the full
   parcel table, which the driver never holds.

The in-memory audit runs the same functions on one partial table of all parcels
(``combine(partial(all))``), so there is one implementation of every judge. Float sums
are kept exactly and rounded once (:func:`xsland._sums.exact`, :func:`math.fsum`), so any
split of the parcels adds up to the same bits; the building pieces of each parcel are
added in one order (:func:`xsland.measure.far.plot_ratio`), whatever order a partition
read its buildings in.

The :class:`~xsland.result.AuditResult` carries the parcels that need action in
``parcels`` and the full table's folder in ``parcels_path``; :func:`xsland.write.report.write_audit`
moves that folder into the output and appends the GeoPackage's ``parcels`` layer from it
file by file.

What the driver holds: the parks and park checks, the enterprise table and the
per-enterprise figures, the reduced partial tables (a row per park, town, enterprise
or park–enterprise pair), the links between flagged parcels, and the parcels that need
action with their geometry, flags and block; for a moment, while checking that the
partitions hold every parcel once and for the block tasks, one byte (and the row
numbers, eight bytes) per parcel, and a pointer per parcel that has its own ``town``
while the spelling of its town is chosen (:func:`_town_names`). Measured with ``benchmarks/bench_partitioned_audit.py``
(20 000 and 60 000 parcels, 72 % of them needing action in that synthetic cadastre, two
workers): the driver's peak grew by 4.2 KB per parcel (355 → 523 MB), 5.8 KB per action
parcel, against 4.9 KB per parcel (379 → 575 MB) when it held the attribute table of
every parcel; a parcel that needs no action now costs the driver next to nothing, so the
driver's memory follows the parcels that need action, not the dataset.
At 1 000 000 parcels and 2 000 000 buildings (the same benchmark, each worker's budget
half of what the data needs in one process; 73 % of the parcels need action) the two workers, each capped at 2.38 GB, peaked at 1.24 GB, the
driver at 3.84 GB, against 4.53 GB for :func:`xsland.pipeline.audit.run` in one process;
every table, the data-quality table included, was equal. A cluster run thus needs
workers of about 1.2 GB per 125 000 parcels of a partition, and a driver of about
5 KB per parcel that needs action.

The cross-parcel data-quality checks of :func:`xsland.measure.quality.parcel_checks` run
on the partitions, through the same functions, and give the same rows in the same order
(:func:`xsland.measure.quality.findings_frame`: by check, then by the ``_row`` of the
parcel, park pair or building named). In pass 1 each task checks its parcels on their
own (sliver, multipart, declared area, and straddling a park boundary by the park
assignment its parcel table was made with), finds the overlaps of its parcels with its
halo (the parcels of every partition whose bounding box meets its extent; a pair is
reported by the partition owning its lower ``_row``) and the parcels lying in land two
parks share (the pairs of parks and their shared land are computed once here and sent
to every task; the tasks send back ``_row`` and ID). Then a task per building file
reads the parcels near its buildings and reports those touching none
(``building_outside``). Only findings come back. The findings name their files as the
in-memory audit's do: the inputs' (``attrs["source"]``) and, for parcels and buildings,
the files the dataset was written from (``sources`` in ``partitions.json``, recorded by
``xsland partition``; a dataset without them leaves those empty). What reading the
parcels and buildings found (repaired geometries, renamed IDs …) is kept in the
dataset's ``quality.json`` and listed where the in-memory audit lists it. The rest of the
quality table (what measuring and judging found: buildings without floors, parcels
without a category, …) holds the in-memory audit's rows too, but partition by
partition: compare the two tables after sorting their rows.

The plan layer is sent once to every worker; the raster is read by path.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from xsland._atomic import MARKER, check_replaceable
from xsland._progress import step
from xsland.errors import DataError, StaleDatasetWarning
from xsland.group.blocks import block_members, block_table
from xsland.judge.audit import parcel_table, park_checks_combine, park_partial
from xsland.judge.intensity import land_combine as intensity_land
from xsland.judge.lowuse import land_combine, per_mu, plan_overlay
from xsland.measure.overlay import park_assignment
from xsland.measure.quality import (
    Finding,
    building_findings,
    building_ids,
    buildings_outside,
    findings_frame,
    overlap_findings,
    parcel_findings,
    park_overlap_findings,
    park_overlap_land,
    shared_land_parcels,
)
from xsland.measure.raster import landcover_shares
from xsland.pipeline.audit import (
    combine_roll_ups,
    fill_files,
    judge_parcels,
    land_partials,
    parcel_towns,
    roll_up_partial,
    source_files,
    with_park_landcover,
)
from xsland.read.harmonise import harmonise
from xsland.read.validate import quality_frame
from xsland.result import AuditResult, conform
from xsland.rules.policy import DEFAULT_POLICY, Policy

__all__ = ["PARCELS_DIR", "audit_partitioned"]

#: The folder of the full parcel table (one GeoParquet file per partition) in an output.
PARCELS_DIR = "parcels.parquet"


def _bare(frame: pd.DataFrame | None) -> pd.DataFrame | None:
    if frame is None:
        return None
    out = frame.copy(deep=False)
    out.attrs = {}
    return out


def _stage_file(stage: str, entry: dict) -> Path:
    """Where a partition's measured, then judged, table waits between the passes."""
    return Path(stage) / (Path(entry["file"]).stem + ".pkl")


def _unique(records: list[list]) -> list:
    """The items of several tasks' lists, each once, in the order first seen (every
    task reports the findings and notes that do not depend on its parcels)."""
    seen: set[str] = set()
    out = []
    for items in records:
        for item in items:
            key = json.dumps(item, sort_keys=True, default=str)
            if key not in seen:
                seen.add(key)
                out.append(item)
    return out


def _measure_partition(
    folder: str,
    entry: dict,
    stage: str,
    parks: gpd.GeoDataFrame,
    plan: gpd.GeoDataFrame | None,
    landcover: tuple[Any, dict] | None,
    as_of: Any,
    policy: Policy,
    land: pd.DataFrame,
) -> dict[str, Any]:
    """Task of pass 1: measure one partition, keep its table, send back partial sums.

    The task reads its parcel file and the buildings near it
    (:func:`xsland.pipeline.engine.buildings_near`), and runs
    :func:`xsland.judge.audit.parcel_table`; with a plan
    :func:`xsland.judge.lowuse.plan_overlay`, with a land-cover raster
    :func:`xsland.measure.raster.landcover_shares`; sets each parcel's town
    (:func:`xsland.pipeline.audit.parcel_towns`). The table (with geometry) is pickled
    to ``stage`` for pass 2. Sent back: the parcel table's columns, the data-quality
    records, the ``_row`` numbers, and the partial tables of the park checks, the town
    roll-up's parcels and each enterprise's land.

    And the cross-parcel data-quality findings of its parcels (:func:`_partition_checks`).
    """
    from xsland.pipeline.engine import ROW, buildings_near

    parcels = gpd.read_parquet(Path(folder) / entry["file"])
    rows = parcels[ROW].to_numpy()
    base = parcels.drop(columns=[ROW])
    crs = parcels.crs  # the dataset's: the metric CRS of all its parcels
    buildings = buildings_near(folder, parcels) if len(parcels) else None
    quality: list[dict] = []
    # the one park assignment: the audit's parks and the straddle check both read it
    where = park_assignment(base, parks, crs=crs)
    table = parcel_table(
        base, parks, buildings, policy=policy, quality=quality, crs=crs, assignment=where
    )
    checks = _partition_checks(
        folder, base, rows, where if len(parks) else None, land, policy=policy
    )
    table.index = pd.Index(rows, name=ROW)
    columns = list(table.columns)
    overlay = None
    if plan is not None:
        overlay = plan_overlay(table, plan, policy=policy)
    shares = None
    if landcover is not None:
        raster, lc = landcover
        shares = landcover_shares(
            table,
            raster,
            built_classes=tuple(lc.get("built_classes", (50,))),
            bare_classes=tuple(lc.get("bare_classes", (60,))),
            method=lc.get("method", "exact"),
            band=int(lc.get("band", 1)),
        )
        shares.index = table.index
    park = park_partial(table, as_of=as_of, policy=policy, rows=rows)
    towns = parks if "town" in parks.columns else parks.assign(town=None)
    table["town"] = parcel_towns(table, towns)
    if shares is not None:
        table = table.join(shares)
    own = _own_towns(parcels)
    with open(_stage_file(stage, entry), "wb") as f:
        pickle.dump((table, overlay, own), f, protocol=pickle.HIGHEST_PROTOCOL)
    return {
        "towns": _spellings(own, rows),
        "columns": columns,
        "quality": quality,
        "checks": checks,
        "rows": rows,
        "park": park,
        "land": land_partials(table, rows=rows),
    }


def _own_towns(parcels: pd.DataFrame) -> np.ndarray | None:
    """The parcels' own ``town`` cells (object), or ``None`` without the column."""
    return parcels["town"].to_numpy(dtype=object) if "town" in parcels.columns else None


def _town_codes(own: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Own towns as codes of their distinct texts (-1 where missing), and those texts."""
    codes, uniques = pd.factorize(pd.Series(own, dtype=object).astype("string"))
    return np.asarray(codes, dtype=np.int64), [str(u) for u in uniques]


def _spellings(own: np.ndarray | None, rows: np.ndarray) -> list[tuple[str, int, int]]:
    """Each distinct own town spelling of a partition: (text, first ``_row``, parcels)."""
    if own is None:
        return []
    codes, texts = _town_codes(own)
    present = codes >= 0
    first = np.full(len(texts), np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, codes[present], rows[present])
    counts = np.bincount(codes[present], minlength=len(texts))
    return [(t, int(f), int(c)) for t, f, c in zip(texts, first, counts, strict=True)]


def _town_names(
    parks: pd.DataFrame, enterprises: pd.DataFrame | None, spellings: list[tuple[str, int, int]]
) -> tuple[dict[str, str], list[dict]]:
    """The spelling each parcel's own town takes, and the records of the names matched,
    as :func:`xsland.read.harmonise.harmonise` gives them over parks and every parcel.

    The parcels' towns in ``_row`` order are rebuilt from each spelling's first row and
    count (one pointer per parcel with a town, for this call only), so the spelling
    chosen for a key — the first met, parks first — and the counts are the in-memory
    audit's.
    """
    parcels = None
    if spellings:
        firsts: dict[str, int] = {}
        counts: dict[str, int] = {}
        for text, first, count in spellings:
            firsts[text] = min(first, firsts.get(text, first))
            counts[text] = counts.get(text, 0) + count
        order = sorted(firsts, key=firsts.__getitem__)
        texts = np.array(order, dtype=object)
        towns = np.repeat(texts, [counts[t] for t in order])
        parcels = pd.DataFrame({"town": towns})
    same, records = harmonise({"parks": parks, "parcels": parcels, "enterprises": enterprises})
    mapping: dict[str, str] = {}
    if parcels is not None:
        unified = same["parcels"]["town"].to_numpy(dtype=object)
        starts = np.cumsum([0] + [counts[t] for t in order])[:-1]
        mapping = {t: unified[i] for t, i in zip(order, starts, strict=True) if unified[i] != t}
    return mapping, records


def _partition_checks(
    folder: str,
    parcels: gpd.GeoDataFrame,
    rows: np.ndarray,
    where: pd.DataFrame | None,
    land: pd.DataFrame,
    *,
    policy: Policy,
) -> dict[str, Any]:
    """The cross-parcel data-quality findings of one partition's parcels.

    - each parcel on its own (sliver, multipart, declared area, straddles a park boundary
      by the partition's park assignment ``where``):
      :func:`xsland.measure.quality.parcel_findings`;
    - overlaps: the partition's parcels and its halo (the parcels of every partition whose
      bounding box meets the partition's extent; a parcel overlapping one of ours by a
      positive area always does), in ``_row`` order, through
      :func:`xsland.measure.quality.overlap_findings`; a pair is reported by the
      partition owning its lower ``_row``, so once, and measured as the in-memory audit
      measures it (``intersection(lower, higher)``);
    - the parcels in land two parks share (``land``, computed once by the driver):
      :func:`xsland.measure.quality.shared_land_parcels`, sent back as ``_row`` and ID.
    """
    from xsland.pipeline.engine import ROW, _read_bbox

    found = parcel_findings(parcels, crs=parcels.crs, policy=policy, assignment=where, rows=rows)
    box = parcels.total_bounds
    if len(parcels) and np.isfinite(box).all():
        halo = _read_bbox(folder, "parcels", box, columns=[ROW, "parcel_id", "geometry"])
        halo = halo.sort_values(ROW, kind="stable")
        near = halo[ROW].to_numpy()
        found += overlap_findings(
            halo.geometry.to_numpy(),
            halo["parcel_id"],
            policy=policy,
            rows=near,
            report=np.isin(near, rows),
        )
    hits = shared_land_parcels(parcels.geometry.to_numpy(), land, policy=policy)
    pos = hits["parcel"].to_numpy()
    ids = parcels["parcel_id"].astype(str).to_numpy()
    return {
        "found": found,
        "shared": (hits["pair"].to_numpy(), rows[pos], ids[pos]),
    }


def _building_partition(folder: str, entry: dict, k: int) -> list[Finding]:
    """Task: the buildings of one building file that touch no parcel of any partition.

    Reads the file and the parcels whose bounding box meets its extent (every parcel a
    building can touch), :func:`xsland.measure.quality.buildings_outside`. Buildings are
    named and ordered by their ``_row`` (position in the layer the dataset was written
    from): ``building_id``, else ``row N`` as in the in-memory audit. A dataset written
    before buildings had ``_row`` names them ``part-NNNNN row N`` (their place in this
    file) and orders them by file.
    """
    from xsland.pipeline.engine import ROW, _read_bbox

    buildings = gpd.read_parquet(Path(folder) / entry["file"])
    if not len(buildings):
        return []
    if ROW in buildings.columns:
        rows = buildings[ROW].to_numpy(dtype=np.int64)
        ids = building_ids(buildings, rows)
    else:
        here = np.arange(len(buildings), dtype=np.int64)
        rows = (np.int64(k) << 32) | here
        ids = building_ids(buildings)
        if "building_id" not in buildings.columns:
            ids = np.array([f"{Path(entry['file']).stem} {i}" for i in ids], dtype=object)
    box = buildings.total_bounds
    parcels = np.empty(0, dtype=object)
    if np.isfinite(box).all():
        parcels = _read_bbox(folder, "parcels", box, columns=["geometry"]).geometry.to_numpy()
    outside = buildings_outside(buildings.geometry.to_numpy(), parcels)
    return building_findings(ids, outside, rows=rows)


def _judge_partition(
    stage: str,
    entry: dict,
    parks: pd.DataFrame,
    enterprises: pd.DataFrame | None,
    per_enterprise: pd.DataFrame | None,
    land: pd.Series,
    history: pd.DataFrame | None,
    as_of: Any,
    policy: Policy,
    town_names: Mapping[str, str],
) -> dict[str, Any]:
    """Task of pass 2: judge one partition's parcels, send back the partial roll-ups and
    the parcels that need action.

    First a parcel's own town takes the spelling ``town_names`` gives it
    (:func:`_town_names`: the spelling the in-memory audit's
    :func:`~xsland.read.harmonise.harmonise` chooses over parks and all parcels).

    :func:`xsland.pipeline.audit.judge_parcels` (low-efficiency flags and 批供用 status)
    on the table pass 1 kept, with the park checks and the per-enterprise figures of all
    parcels (``per_enterprise``: land summed over every partition, classes ranked over
    all enterprises) broadcast to every task; then
    :func:`xsland.pipeline.audit.roll_up_partial`. The judged table replaces the
    measured one in ``stage``. Sent back: the partial tables, the notes and findings of
    the flags, the ``_row`` numbers of the low-efficiency parcels, and the parcels that
    need action (low-efficiency or below their FAR minimum) with geometry and flags.
    """
    path = _stage_file(stage, entry)
    with open(path, "rb") as f:
        table, overlay, own = pickle.load(f)
    if own is not None and town_names:
        # the parcel's own town, spelled as the parks (or the first parcel) spell it
        codes, texts = _town_codes(own)
        shown = np.array([town_names.get(t) for t in texts] + [None], dtype=object)[codes]
        renamed = np.flatnonzero(pd.notna(shown))
        if len(renamed):
            table.iloc[renamed, table.columns.get_loc("town")] = shown[renamed]
    quality: list[dict] = []
    judged, flags, status, notes = judge_parcels(
        table, parks, enterprises=enterprises, plan=overlay, history=history, as_of=as_of,
        policy=policy, quality=quality, per_enterprise=per_enterprise,
    )  # fmt: skip
    del table
    rows = judged.index.to_numpy()
    partial = roll_up_partial(
        judged,
        flags=flags,
        status=status,
        enterprises=enterprises,
        land=land,
        as_of=as_of,
        policy=policy,
        rows=rows,
    )
    low = flags["low_efficiency"].to_numpy(dtype=bool)
    need = low | (judged["far_ok"] == False).fillna(False).to_numpy(dtype=bool)  # noqa: E712
    with open(path, "wb") as f:
        pickle.dump(judged, f, protocol=pickle.HIGHEST_PROTOCOL)
    return {
        "partial": partial,
        "notes": notes,
        "quality": quality,
        "low": rows[low],
        "action": judged[need],
        "flags": flags[need],
        "columns": list(judged.columns),
    }


def _write_partition(
    stage: str, entry: dict, block_id: pd.Series, order: list[str], crs: Any, target: str
) -> int:
    """Task of pass 3: one partition's judged rows, with their blocks, as GeoParquet."""
    from xsland.pipeline.engine import ROW

    path = _stage_file(stage, entry)
    with open(path, "rb") as f:
        frame = pickle.load(f)
    frame["block_id"] = block_id.reindex(frame.index).astype(object)
    frame = frame[order].set_crs(crs, allow_override=True)
    frame = conform(frame, "parcels")
    frame.index.name = ROW
    name = Path(entry["file"]).name
    frame.reset_index().to_parquet(Path(target) / name, index=False, write_covering_bbox=True)
    path.unlink()
    return len(frame)


def audit_partitioned(
    folder: str | os.PathLike,
    parks: gpd.GeoDataFrame,
    *,
    enterprises: pd.DataFrame | None = None,
    plan: gpd.GeoDataFrame | None = None,
    indicators: pd.DataFrame | None = None,
    history: pd.DataFrame | None = None,
    barriers: Any = None,
    landcover: Any = None,
    landcover_options: Mapping[str, Any] | None = None,
    policy: Policy = DEFAULT_POLICY,
    year: int | None = None,
    as_of: Any = None,
    client: Any = None,
    parcels_out: str | os.PathLike | None = None,
) -> AuditResult:
    """The audit of a partitioned dataset, each partition measured and written by its task.

    The same tables as :func:`xsland.pipeline.audit.run` on the parcels and buildings the
    dataset was written from (see the module docstring for the three passes and what
    this process holds).

    Parameters
    ----------
    folder
        A dataset of :func:`xsland.pipeline.engine.write_partitions` (``xsland partition``).
    parks, enterprises, indicators, history, barriers, policy, year, as_of
        As for :func:`xsland.pipeline.audit.run`.
    plan
        As for :func:`xsland.pipeline.audit.run`: overlaid on each partition's parcels in
        its task (the layer is sent once to every worker).
    landcover, landcover_options
        As for :func:`xsland.pipeline.audit.run`: the raster's path (every worker must
        read it) is read by each task for its own parcels' shares.
    client
        A ``distributed.Client`` (:func:`xsland.pipeline.engine.make_client`); ``None``
        runs the tasks one after another in this process. The dataset and
        ``parcels_out`` must be on storage every worker can read and write.
    parcels_out
        The folder the tasks write the full parcel table into (one GeoParquet file per
        partition); default ``<folder>.parcels`` beside the dataset. Replaced if it exists
        and is empty or was written by xsland (it carries xsland's output marker), else
        refused.
        The tasks keep their tables between the passes in ``.<name>.stage`` beside it.

    Returns
    -------
    AuditResult
        ``parcels``: the parcels that need action (low-efficiency, or below their FAR
        minimum), with geometry; ``parcels_path``: the folder of the full table, rows in
        ``_row`` order within each file; ``meta["n_parcels"]``: the count of all parcels.
        Every table equals :func:`xsland.pipeline.audit.run`'s to the last bit.

    Raises
    ------
    ValidationError
        Before any task runs, when the dataset's files are not those its
        ``partitions.json`` lists (:func:`xsland.pipeline.engine.check_partition_files`:
        missing, unreadable, of other rows or bytes, or unlisted).
    OutputTargetError
        Before anything is read, when ``parcels_out`` is a file or a folder of files
        xsland did not write.
    Warns
    -----
    StaleDatasetWarning
        When a file the dataset was written from (``xsland partition``'s inputs) is
        still there but changed since (:func:`xsland.pipeline.engine.changed_sources`).
    """
    from pyproj import CRS

    from xsland.pipeline.engine import changed_sources, check_partition_files

    if landcover is not None and not isinstance(landcover, str | os.PathLike):
        raise DataError(
            "landcover: the partitioned audit's tasks open the raster themselves and need "
            "its path, not an open dataset. Fix: pass the file's path ([inputs.landcover])"
        )
    target = _parcels_target(folder, parcels_out)  # before anything is read
    lc = dict(landcover_options or {})
    index = check_partition_files(folder)
    for stale in changed_sources(index):
        warnings.warn(stale, StaleDatasetWarning, stacklevel=2)
    crs = CRS.from_json_dict(index["crs"])
    entries = index["parcels"]
    # what reading found, in the order of the in-memory audit: parks, the dataset's
    # parcels and buildings (recorded by `xsland partition`), plan, enterprises, indicators
    found = quality_frame(parks, _read_quality(folder, index), plan, enterprises, indicators)
    # the files the findings name, as the in-memory audit fills them: the inputs', and
    # the dataset's parcels and buildings (recorded by `xsland partition`)
    given = {"parks": parks, "plan": plan, "enterprises": enterprises, "indicators": indicators}
    files = source_files(given)
    written = index.get("sources")
    if isinstance(written, dict):
        files.update({k: str(v) for k, v in written.items() if k in ("parcels", "buildings")})
    parks, enterprises, indicators, history = (
        _bare(x) for x in (parks, enterprises, indicators, history)
    )
    raw = (parks, enterprises)  # for the names matched over parks and every parcel
    same, _ = harmonise(
        {"parks": parks, "enterprises": enterprises, "indicators": indicators, "history": history}
    )
    parks, enterprises = same["parks"], same["enterprises"]
    indicators, history = same["indicators"], same["history"]
    stage = target.with_name(f".{target.name}.stage")
    if stage.exists():
        shutil.rmtree(stage)
    stage.mkdir(parents=True)
    try:
        return _audit(
            folder, entries, crs=crs, stage=str(stage), target=target, parks=parks,
            enterprises=enterprises, plan=plan, indicators=indicators, history=history,
            barriers=barriers, landcover=landcover, lc=lc, policy=policy, year=year,
            as_of=as_of, client=client, found=found, files=files, raw=raw,
        )  # fmt: skip
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _parcels_target(folder: Any, parcels_out: str | os.PathLike | None) -> Path:
    """The folder of the full parcel table (:func:`audit_partitioned`), checked: an
    existing one is replaced only when empty or written by xsland (its marker
    :data:`xsland._atomic.MARKER`), never a folder of someone else's files.

    Raises
    ------
    OutputTargetError
        When ``parcels_out`` (or ``<folder>.parcels``) is a file, or a folder holding
        files xsland did not write.
    """
    if parcels_out is not None:
        target = Path(parcels_out)
    else:  # beside the dataset, whatever its path ends with ("ds/", ".")
        here = Path(os.path.abspath(folder))
        target = here.with_name(f"{here.name}.parcels")
    check_replaceable(target, what=" (the full parcel table's folder)", option="parcels_out=")
    return target


def _cross_checks(
    folder: Any, checks: list[dict], land: pd.DataFrame, n: int, client: Any
) -> pd.DataFrame:
    """The cross-parcel data-quality table of the whole dataset, as
    :func:`xsland.measure.quality.parcel_checks` gives it for all parcels at once.

    The findings of the measure tasks (:func:`_partition_checks`), the parks sharing land
    with the parcels the tasks found in it (named in ``_row`` order), and the buildings
    touching no parcel (a task per building file, :func:`_building_partition`), in the
    one order of :func:`xsland.measure.quality.findings_frame`.
    """
    from xsland.pipeline import engine

    found: list[Finding] = [f for part in checks for f in part["found"]]
    names = None
    if n:
        pair = np.concatenate([c["shared"][0] for c in checks]).astype(np.int64)
        row = np.concatenate([c["shared"][1] for c in checks]).astype(np.int64)
        ids = np.concatenate([c["shared"][2] for c in checks]).astype(object)
        order = np.lexsort((row, pair))
        pair, ids = pair[order], ids[order]
        names = [list(ids[pair == k]) for k in range(len(land))]
    found += park_overlap_findings(land, names)
    buildings = engine.read_partition_index(folder).get("buildings") or []
    nb = sum(int(e.get("rows", 0)) for e in buildings)
    with step("quality checks", nb, unit="buildings"):
        payloads = ((str(folder), e, k) for k, e in enumerate(buildings))
        for part in engine._run(_building_partition, payloads, client):
            found += part
    return findings_frame(found)


def _read_quality(folder: Any, index: dict) -> list[dict]:
    """The quality records of reading the dataset's layers (``quality.json``), or none."""
    name = index.get("quality")
    if not name:
        return []
    path = Path(folder) / str(name)
    try:
        records = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(
            f"{path}: the dataset's quality records cannot be read ({exc}). Fix: write the "
            "dataset again with `xsland partition`"
        ) from None
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise DataError(
            f"{path}: not a list of quality records. Fix: write the dataset again with "
            "`xsland partition`"
        )
    return records


def _audit(
    folder: Any,
    entries: list[dict],
    *,
    crs: Any,
    stage: str,
    target: Path,
    parks: gpd.GeoDataFrame,
    enterprises: pd.DataFrame | None,
    plan: gpd.GeoDataFrame | None,
    indicators: pd.DataFrame | None,
    history: pd.DataFrame | None,
    barriers: Any,
    landcover: Any,
    lc: dict,
    policy: Policy,
    year: int | None,
    as_of: Any,
    client: Any,
    found: pd.DataFrame,
    files: Mapping[str, str],
    raw: tuple[pd.DataFrame, pd.DataFrame | None],
) -> AuditResult:
    """The three passes of :func:`audit_partitioned` (see the module docstring)."""
    from xsland.pipeline import engine

    _run = engine._run
    n = sum(int(e["rows"]) for e in entries)
    zones = parks.to_crs(crs)
    # land two parks share: small, computed here once, its parcels found by the tasks
    land = park_overlap_land(zones, crs=crs, policy=policy)
    with step("measure", n, unit="parcels"):
        payloads = ((str(folder), e, stage) for e in entries)
        raster = None if landcover is None else (str(landcover), lc)
        common = (zones, _bare(plan), raster, as_of, policy, land)
        measured_parts = _run(_measure_partition, payloads, client, common=common)
    columns = measured_parts[0]["columns"]
    seen = np.zeros(n, dtype=bool)  # 1 byte a parcel, for the check only
    count = 0
    for part in measured_parts:
        rows = part.pop("rows")
        count += len(rows)
        inside = rows[(rows >= 0) & (rows < n)]
        seen[inside] = True
    if count != n or not seen.all():
        raise DataError(
            f"{folder}: the partitions do not hold parcels 0…{n - 1} once each. Fix: write "
            "the dataset again with `xsland partition`"
        )
    del seen
    measured = _unique([p["quality"] for p in measured_parts])
    town_names, matched = _town_names(*raw, [t for p in measured_parts for t in p["towns"]])
    found = quality_frame(found, matched)
    cross = _cross_checks(folder, [p.pop("checks") for p in measured_parts], land, n, client)
    with step("park checks", len(parks), unit="park zones"):
        park_out = park_checks_combine(
            parks,
            [p["park"] for p in measured_parts],
            crs=crs,
            enterprises=enterprises,
            indicators=indicators,
            policy=policy,
            year=year,
            quality=measured,
        )
        if landcover is not None:
            park_out = with_park_landcover(park_out, parks, landcover, options=lc)
    land = land_combine([p["land"]["mu"] for p in measured_parts])
    land_ha = intensity_land([p["land"]["intensity"] for p in measured_parts])
    del measured_parts
    per_enterprise = (
        per_mu(None, enterprises, policy=policy, land=land) if enterprises is not None else None
    )
    with step("judge", n, unit="parcels"):
        shared = pd.DataFrame(park_out.drop(columns=park_out.geometry.name))
        common = (shared, enterprises, per_enterprise, land_ha, history, as_of, policy, town_names)
        judged = _run(_judge_partition, ((stage, e) for e in entries), client, common=common)
    notes = _unique([p["notes"] for p in judged])
    measured.extend(_unique([p["quality"] for p in judged]))
    judged_columns = judged[0]["columns"]
    partials = [p["partial"] for p in judged]
    action = pd.concat([p["action"] for p in judged]).sort_index()
    flags = pd.concat([p["flags"] for p in judged]).sort_index()
    low_rows = np.concatenate([p["low"] for p in judged])
    del judged
    low = np.zeros(n, dtype=bool)  # 1 byte a parcel, for the block tasks
    low[low_rows] = True
    with step("blocks", len(low_rows), unit="flagged parcels"):
        ids = engine.find_blocks_partitioned(
            folder,
            pd.DataFrame(action.drop(columns=action.geometry.name)),
            low,
            gap_m=policy.block_gap_m,
            barriers=barriers,
            client=client,
        )
    del low
    action["block_id"] = ids.astype(object)
    order = [*judged_columns, *([] if "block_id" in judged_columns else ["block_id"])]
    order = columns + [c for c in order if c not in columns]
    action = gpd.GeoDataFrame(action[order], crs=crs).set_crs(crs, allow_override=True)
    with step("block table", len(low_rows), unit="flagged parcels"):
        blocks = block_table(action, action["block_id"], policy=policy, flags=flags, parks=park_out)
        members = block_members(action, action["block_id"], flags=flags)
    with step("roll-ups", len(partials), unit="partitions"):
        park_out, towns, district, per_enterprise, evaluation = combine_roll_ups(
            partials, park_out, blocks=blocks, enterprises=enterprises, land=land,
            ready="ready_for_supply" in judged_columns, as_of=as_of, policy=policy,
        )  # fmt: skip
    with step("write parcels", n, unit="parcels"):
        if target.exists():  # empty, or marked as xsland's: _parcels_target
            shutil.rmtree(target)
        target.mkdir(parents=True)
        (target / MARKER).touch()  # so that the next audit may replace it
        block_ids = action["block_id"].dropna()
        payloads = ((stage, e, block_ids, order, crs.to_wkt(), str(target)) for e in entries)
        _run(_write_partition, payloads, client)
    quality = fill_files(quality_frame(found, measured, cross), files)
    return AuditResult(
        parks=park_out,
        parcels=action,
        towns=towns,
        district=district,
        quality=quality,
        rules=policy.table(),
        policy=policy,
        blocks=blocks,
        block_members=members,
        enterprises=per_enterprise,
        park_zones=zones,
        intensity=evaluation,
        parcels_path=str(target),
        meta={
            "crs": str(crs),
            "year": year,
            "as_of": str(pd.Timestamp(as_of).date()) if as_of is not None else "",
            "lowuse_notes": notes,
            "engine": "dask" if client is not None else "partitioned",
            "n_parcels": n,
        },
    )
