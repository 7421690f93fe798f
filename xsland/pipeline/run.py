"""Read → validate → measure → judge → group → write, for one project.

:func:`run_project` is what ``xsland audit`` and ``xsland demo`` call: it
reads every input of a :class:`~xsland.rules.project.Project`, runs the audit
(park checks, low-efficiency land, contiguous blocks) and writes the output
folder atomically — and, when asked, the same layers to PostGIS (one
transaction) and GeoParquet.
"""

from __future__ import annotations

import contextvars
import dataclasses
import datetime as dt
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, nullcontext
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from tqdm.auto import tqdm

from xsland._atomic import scratch_dir
from xsland._gc import fewer_collections
from xsland._progress import Step, reporting, step
from xsland._redact import is_postgres_uri, redact
from xsland._threads import cpus
from xsland.errors import DataError, InputFileError
from xsland.pipeline.audit import run, source_files
from xsland.read.io import read_layer, read_table
from xsland.result import AuditResult
from xsland.rules.project import Project
from xsland.write.report import write_audit
from xsland.write.worker import cores

__all__ = [
    "describe_inputs",
    "partition_project",
    "partitioned_input",
    "read_inputs",
    "rerun_blocks",
    "run_project",
]


def describe_inputs(project: Project, data: dict[str, Any]) -> dict[str, str]:
    """``kind -> "file [layer] — N rows"`` for the report; passwords never shown."""
    from xsland.read.postgis import redact

    out: dict[str, str] = {}
    for kind, item in project.inputs.items():
        where = ", ".join(redact(str(p)) for p in (item.paths or (item.path,)))
        if item.layer:
            where += f" [{item.layer}]"
        if item.table:
            where += f" table {item.table}"
        if item.sql:
            where += " (SQL query)"
        value = data.get(kind)
        if isinstance(value, list):
            where += f" — {sum(len(v) for v in value)} features"
        elif value is not None and hasattr(value, "__len__") and kind != "landcover":
            where += f" — {len(value)} rows"
            crs = getattr(value, "crs", None)
            if crs is not None:
                where += f", {crs.to_string()}"
        out[kind] = where
    return out


def run_project(
    project: Project,
    *,
    out: str | Path | None = None,
    overwrite: bool = False,
    progress: bool | Callable[[Step], None] | None = None,
    echo: Callable[[str], None] | None = None,
    engine: str = "single",
    workers: int | None = None,
    scheduler: str | None = None,
    partitions: str | Path | None = None,
    to_postgis: str | None = None,
    schema: str = "xsland",
    geoparquet: bool = False,
    as_of: Any = None,
) -> tuple[AuditResult, list[Path]]:
    """Run the audit a project describes and write its output folder.

    Parameters
    ----------
    project
        A loaded project (:func:`xsland.rules.project.load_project`).
    out
        Output folder; default the project's ``out``.
    overwrite
        Replace an existing output folder (only once the new one is complete), and
        existing PostGIS tables.
    progress
        Show a progress bar with each step and its count (``None``: only on a
        terminal), or a callable receiving each :class:`xsland._progress.Step` (the
        start and the end, with its duration, of reading each input, measuring,
        judging, blocks, and each writer).
    engine, workers, scheduler
        ``"dask"`` runs floor areas and block finding on a Dask cluster — a local one
        with ``workers`` processes, or the one at ``scheduler`` — with the same results.
    to_postgis, schema
        Also write the audit layers to this PostGIS database, in one transaction.
    geoparquet
        Also write the layers as GeoParquet files into ``<out>/parquet``.
    as_of
        Date idle land is judged at; default the project's ``as_of``, else today.

    Returns
    -------
    (AuditResult, list of Path)

    Notes
    -----
    Python's garbage collector runs with :data:`xsland._gc.RUN_THRESHOLDS` meanwhile
    (fewer, larger collections; the process's thresholds are restored at the end).
    """
    target = Path(out) if out is not None else project.out
    if target is None:
        raise ValueError("no output folder: pass out= (--out) or set project.out")
    if engine not in ("single", "dask"):
        raise ValueError(f"engine {engine!r}: use 'single' or 'dask'")
    when = as_of if as_of is not None else project.as_of
    if partitions is None:
        partitions = partitioned_input(project)
    if partitions is not None and to_postgis:
        raise DataError(
            "--to-postgis writes the whole parcel table from memory, which a partitioned "
            "audit never holds. Fix: leave out --to-postgis with --partitions, and load "
            "OUT/parcels.parquet into PostGIS (ogr2ogr)"
        )
    if partitions is not None:  # a damaged dataset is named before a cluster starts
        from xsland.pipeline.engine import check_partition_files

        check_partition_files(partitions)
    cluster: Any = nullcontext(None)
    if engine == "dask":
        from xsland.pipeline.engine import make_client

        cluster = make_client(workers, address=scheduler)
    callback, close = _progress_callback(progress)
    try:
        with reporting(callback), fewer_collections():
            result, written = _run_steps(
                project,
                target,
                cluster=cluster,
                when=when,
                engine=engine,
                workers=workers,
                partitions=partitions,
                overwrite=overwrite,
                to_postgis=to_postgis,
                schema=schema,
                geoparquet=geoparquet,
            )
    finally:
        close()
    if echo:
        echo(f"wrote {target}")
    return result, written


def _progress_callback(
    progress: bool | Callable[[Step], None] | None,
) -> tuple[Callable[[Step], None] | None, Callable[[], None]]:
    """The step callback for ``progress`` and a function closing what it opened.

    A callable is used as it is; otherwise a :mod:`tqdm` bar counting finished steps,
    showing the running one with its count, and printing a line per finished step
    (``None``: only on a terminal, as tqdm decides; ``False``: nothing).
    """
    if callable(progress):
        return progress, lambda: None
    if progress is False:
        return None, lambda: None
    bar = tqdm(total=None, disable=None if progress is None else False, unit="step", desc="xsland")
    if bar.disable:
        bar.close()
        return None, lambda: None

    def show(s: Step) -> None:
        count = "" if s.count is None else f" {s.count:,} {s.unit}"
        if not s.done:
            bar.set_postfix_str(s.name + count)
            return
        bar.update()
        status = "failed" if s.failed else f"{s.seconds:.1f} s"
        bar.write(f"  {s.name}{count}: {status}")

    return show, bar.close


def _run_steps(
    project: Project,
    target: Path,
    *,
    cluster: Any,
    when: Any,
    engine: str,
    workers: int | None,
    partitions: str | Path | None,
    overwrite: bool,
    to_postgis: str | None,
    schema: str,
    geoparquet: bool,
) -> tuple[AuditResult, list[Path]]:
    """Read, audit and write (the body of :func:`run_project`), each step reported."""
    if partitions is not None:
        return _run_partitioned(
            project,
            target,
            Path(partitions),
            cluster=cluster,
            when=when,
            engine=engine,
            workers=workers,
            overwrite=overwrite,
            geoparquet=geoparquet,
        )
    with ExitStack() as stack:  # a failure stops the GeoPackage's worker, removes its file
        return _audit_and_write(
            project,
            target,
            stack,
            cluster=cluster,
            when=when,
            engine=engine,
            workers=workers,
            overwrite=overwrite,
            to_postgis=to_postgis,
            schema=schema,
            geoparquet=geoparquet,
        )


def _audit_and_write(
    project: Project,
    target: Path,
    stack: ExitStack,
    *,
    cluster: Any,
    when: Any,
    engine: str,
    workers: int | None,
    overwrite: bool,
    to_postgis: str | None,
    schema: str,
    geoparquet: bool,
) -> tuple[AuditResult, list[Path]]:
    """:func:`_run_steps` in one process (no partitions)."""
    first = _FirstLayers(stack, target)
    with cluster as client:
        data = read_inputs(project)
        drawing = _draw_ahead(project, data["parcels"])
        result = run(
            data["parks"],
            data["parcels"],
            data.get("buildings"),
            enterprises=data.get("enterprises"),
            plan=data.get("plan"),
            indicators=data.get("indicators"),
            history=data.get("history"),
            barriers=data.get("barriers"),
            landcover=data.get("landcover"),
            landcover_options=dict(project.raster),
            policy=project.policy,
            year=project.year,
            as_of=when,
            client=client,
            parcels_ready=first if client is None else None,
        )
    inputs = describe_inputs(project, data)
    run_at = dt.datetime.now().isoformat(timespec="seconds")
    inputs["run"] = run_at
    inputs["idle judged at"] = str(result.meta.get("as_of") or dt.date.today())
    inputs["metric CRS"] = str(result.parcels.crs.name if result.parcels.crs else "")
    inputs["engine"] = engine + (f" ({workers or 'auto'} workers)" if engine == "dask" else "")
    result = dataclasses.replace(
        result,
        meta={
            **result.meta,
            "title": project.name,
            "run": run_at,
            "as_of": str(result.meta.get("as_of") or dt.date.today()),
            "engine": inputs["engine"],
        },
        inputs=inputs,
    )
    if to_postgis:
        # first: a database refusing the write (connection, existing tables without
        # overwrite) must not leave a new output folder behind
        from xsland.write.postgis import write_postgis

        with step("write PostGIS", len(result.parcels), unit="parcels"):
            write_postgis(result, to_postgis, schema=schema, overwrite=overwrite)
    written = write_audit(
        result,
        target,
        overwrite=overwrite,
        maps=project.maps,
        html_report=project.report,
        basemap=project.basemap,
        tianditu_key=project.tianditu_key,
        geoparquet=geoparquet,
        parcel_drawing=drawing,
        gpkg_started=first.started,
    )
    return result, written


class _FirstLayers:
    """The audit's ``parcels_ready``: its GeoPackage's first layers start being written.

    Called with the final parcels and block members (:func:`xsland.pipeline.audit.run`,
    before its block table and roll-ups), it starts a worker writing them
    (:func:`xsland.write.gpkg.gpkg_start`) into a temporary folder beside the output
    (:func:`xsland._atomic.scratch_dir`), so that the inserts of a large GeoPackage run
    during the roll-ups rather than beside the maps and the workbook. ``started`` stays
    ``None`` (the GeoPackage is then written as without it) for a small audit, on one
    core, or when the folder cannot be made. When the run ends, however it ends,
    ``stack`` calls :meth:`close`: the worker is stopped and the folder removed, and a
    call that comes later (the audit failed meanwhile) starts nothing.
    """

    def __init__(self, stack: ExitStack, target: Path) -> None:
        self.target = target
        self.started: Any = None
        self._own = ExitStack()
        self._lock = threading.Lock()
        self._closed = False
        stack.callback(self.close)

    def __call__(self, layers: dict[str, Any]) -> None:
        from xsland.write.gpkg import WORKER_MIN_ROWS, gpkg_start

        rows = sum(len(df) for df in layers.values())
        if rows < WORKER_MIN_ROWS or cores() < 2:
            return
        with self._lock:
            if self._closed:
                return
            try:
                folder = self._own.enter_context(scratch_dir(self.target))
            except OSError:  # no parent folder, no room: the GeoPackage is written later
                return
            with step("write audit.gpkg (parcels)", len(layers["parcels"]), unit="parcels"):
                self.started = gpkg_start(layers, folder / "audit.gpkg")
            if self.started is not None:
                self._own.callback(self.started.stop)

    def close(self) -> None:
        """Stop the worker and remove the folder; later calls start nothing."""
        with self._lock:
            self._closed = True
            self._own.close()


def _draw_ahead(project: Project, parcels: gpd.GeoDataFrame) -> Any:
    """The parcels' map geometries, being converted on a thread of their own.

    The drawable lon/lat polygons of the maps (:func:`xsland.write.maps.draw_parcels`,
    with the project's basemap) depend on the parcel geometries alone, which the audit
    does not change: they are converted while the audit runs, mostly on one core, by a
    thread of lower priority, and :func:`~xsland.write.maps.write_maps` takes them instead
    of converting them while the workbook's and the GeoPackage's workers use the other
    core. Shapely and pyproj release Python's lock while they compute. ``None`` without
    maps, without parcels, on a single CPU (nothing to overlap) or when it cannot start
    (the maps then say why). The maps are the same whether the thread finishes, fails
    (the maps convert then, as without it) or is not started.
    """
    if not project.maps or not len(parcels) or cpus() < 2:
        return None
    from xsland.write.maps import draw_parcels

    try:
        return draw_parcels(parcels, basemap=project.basemap, tianditu_key=project.tianditu_key)
    except Exception:  # an unknown basemap, no thread: write_maps says or does without
        return None


def partitioned_input(project: Project) -> Path | None:
    """The folder of a partitioned dataset when the project's parcels input names one.

    ``[inputs.parcels] path = "ds"`` where ``ds/partitions.json`` exists (written by
    ``xsland partition``): the audit then reads parcels and buildings from the dataset,
    each task its own partitions.
    """
    item = project.inputs.get("parcels")
    if item is None or item.is_postgis:
        return None
    path = Path(item.path)
    from xsland.pipeline.engine import PARTITION_INDEX

    return path if path.is_dir() and (path / PARTITION_INDEX).is_file() else None


def _run_partitioned(
    project: Project,
    target: Path,
    partitions: Path,
    *,
    cluster: Any,
    when: Any,
    engine: str,
    workers: int | None,
    overwrite: bool,
    geoparquet: bool,
) -> tuple[AuditResult, list[Path]]:
    """:func:`_run_steps` on a partitioned dataset (``run_project(partitions=...)``)."""
    import shutil
    from types import MappingProxyType

    from xsland.pipeline.engine import read_partition_index
    from xsland.pipeline.partitioned import audit_partitioned
    from xsland.write.report import PARCELS_PARQUET

    index = read_partition_index(partitions)  # its files checked by run_project
    others = {k: v for k, v in project.inputs.items() if k not in ("parcels", "buildings")}
    project = dataclasses.replace(project, inputs=MappingProxyType(others))
    staging = target.parent / f".{target.name}.parcels-staging"
    try:
        with cluster as client:
            data = read_inputs(project)
            result = audit_partitioned(
                partitions,
                data["parks"],
                enterprises=data.get("enterprises"),
                plan=data.get("plan"),
                indicators=data.get("indicators"),
                history=data.get("history"),
                barriers=data.get("barriers"),
                landcover=data.get("landcover"),
                landcover_options=dict(project.raster),
                policy=project.policy,
                year=project.year,
                as_of=when,
                client=client,
                parcels_out=staging,
            )
        inputs = describe_inputs(project, data)
        n = sum(int(e["rows"]) for e in index["parcels"])
        inputs["parcels"] = f"{partitions} (partitioned dataset) — {n} rows"
        if "buildings" in index:
            rows = sum(int(e["rows"]) for e in index["buildings"])
            inputs["buildings"] = f"{partitions} (partitioned dataset) — {rows} rows"
        run_at = dt.datetime.now().isoformat(timespec="seconds")
        inputs["run"] = run_at
        inputs["idle judged at"] = str(result.meta.get("as_of") or dt.date.today())
        inputs["metric CRS"] = str(result.parcels.crs.name if result.parcels.crs else "")
        inputs["engine"] = (
            engine
            + (f" ({workers or 'auto'} workers)" if engine == "dask" else "")
            + f", {len(index['parcels'])} partitions"
        )
        result = dataclasses.replace(
            result,
            meta={
                **result.meta,
                "title": project.name,
                "run": run_at,
                "as_of": str(result.meta.get("as_of") or dt.date.today()),
                "engine": inputs["engine"],
            },
            inputs=inputs,
        )
        written = write_audit(
            result,
            target,
            overwrite=overwrite,
            maps=project.maps,
            html_report=project.report,
            basemap=project.basemap,
            tianditu_key=project.tianditu_key,
            geoparquet=geoparquet,
        )
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return dataclasses.replace(result, parcels_path=str(target / PARCELS_PARQUET)), written


def partition_project(
    project: Project,
    out: str | Path,
    *,
    parcels_per_partition: int | None = None,
    overwrite: bool = False,
    progress: bool | Callable[[Step], None] | None = None,
) -> Path:
    """Write a project's parcels and buildings as a partitioned GeoParquet dataset.

    Reads (and validates) the ``parcels`` and ``buildings`` inputs only, and calls
    :func:`xsland.pipeline.engine.write_partitions`: a partition per town (a parcel
    without a town goes with the town of the park its centre lies in, when parks are
    given; its own ``town`` is left empty, for the audit gives it its park's town by the
    park it assigns it to, :func:`~xsland.pipeline.audit.parcel_towns`), large towns cut
    into tiles, every file Hilbert-sorted with bounding-box covering columns, for the
    Dask tasks that read their own partitions
    (:func:`~xsland.pipeline.engine.plot_ratio_partitioned`,
    :func:`~xsland.pipeline.engine.find_blocks_partitioned`).

    Returns
    -------
    Path
        ``out``.
    """
    import dataclasses
    from types import MappingProxyType

    from xsland.pipeline.engine import (
        PARCELS_PER_PARTITION,
        check_partition_size,
        write_partitions,
    )

    if "parcels" not in project.inputs:
        raise DataError("the project has no parcels input. Fix: add [inputs.parcels]")
    if parcels_per_partition is None:
        parcels_per_partition = PARCELS_PER_PARTITION
    check_partition_size(parcels_per_partition)  # before any data is read
    kinds = ("parks", "parcels", "buildings")
    subset = dataclasses.replace(
        project,
        inputs=MappingProxyType({k: v for k, v in project.inputs.items() if k in kinds}),
    )
    callback, close = _progress_callback(progress)
    try:
        with reporting(callback):
            data = read_inputs(subset)
            parcels = data["parcels"]
            parks = data.get("parks")
            by: str | pd.Series = "town"
            if parks is not None and "town" in parks.columns:
                by = _town_keys(parcels, parks)
            with step("write partitions", len(parcels), unit="parcels"):
                return write_partitions(
                    parcels,
                    data.get("buildings"),
                    out,
                    parcels_per_partition=parcels_per_partition,
                    by=by,
                    overwrite=overwrite,
                    sources=source_files(
                        {"parcels": data["parcels"], "buildings": data.get("buildings")}
                    ),
                )
    finally:
        close()


def _town_keys(parcels: gpd.GeoDataFrame, parks: gpd.GeoDataFrame) -> pd.Series:
    """The town each parcel is partitioned with: its own ``town``, else the town of the
    park its centre lies in (for the partitions only: the audit gives a parcel without a
    town the town of the park it assigns it to, which may be another)."""
    own = parcels["town"] if "town" in parcels.columns else None
    centres = gpd.GeoDataFrame(
        geometry=parcels.geometry.representative_point(), crs=parcels.crs
    ).reset_index(drop=True)
    zones = parks[["town", "geometry"]].to_crs(parcels.crs)
    hit = gpd.sjoin(centres, zones, how="left", predicate="within")
    town = pd.Series(hit[~hit.index.duplicated()]["town"].to_numpy(dtype=object))
    if own is None:
        return town
    own = pd.Series(own.to_numpy(dtype=object))
    return own.where(own.notna(), town)


def rerun_blocks(
    result: AuditResult,
    *,
    policy: Any = None,
    barriers: Any = None,
) -> AuditResult:
    """The contiguous blocks of a finished audit again, with other parameters.

    The low-efficiency flags are kept; only block finding (``block_gap_m``, barriers),
    the outlines (``block_hole_fill_m2``), the minimum area (``block_min_mu``), routes and
    rewards are redone with ``policy``.

    Returns
    -------
    AuditResult
        A copy with new ``parcels.block_id``, ``blocks`` and ``block_members``, the town
        block counts and the rules used.
    """
    import dataclasses

    from xsland.errors import DataError
    from xsland.group.blocks import block_members, block_table, find_blocks
    from xsland.judge.lowuse import FLAG_COLUMNS

    policy = policy or result.policy
    parcels = result.parcels.copy()
    if "low_efficiency" not in parcels.columns:
        raise DataError(
            "the audit's parcels have no low_efficiency column; run `xsland audit` again "
            "with this version of xsland"
        )
    low = parcels["low_efficiency"].fillna(False).astype(bool).to_numpy()
    crs = result.metric_crs  # the audit's own, chosen once by its run
    parcels["block_id"] = find_blocks(
        parcels, gap_m=policy.block_gap_m, barriers=barriers, mask=low, crs=crs
    )
    flags = parcels[[c for c in FLAG_COLUMNS if c in parcels.columns]]
    blocks = block_table(
        parcels, parcels["block_id"], policy=policy, flags=flags, parks=result.parks, crs=crs
    )
    members = block_members(parcels, parcels["block_id"], flags=flags)
    towns = result.towns.copy()
    if towns is not None and "town" in towns.columns:
        counts = blocks.groupby("town").size() if len(blocks) else {}
        towns["n_blocks"] = towns["town"].map(counts).fillna(0).astype(int)
    return dataclasses.replace(
        result,
        parcels=parcels,
        blocks=blocks,
        block_members=members,
        towns=towns,
        rules=policy.table(),
        policy=policy,
    )


def read_inputs(project: Any) -> dict[str, Any]:
    """Read and validate every input a :class:`~xsland.rules.project.Project` names.

    Problems in several inputs are gathered and raised together as one
    :class:`~xsland.errors.ValidationError`, so one run shows everything to
    fix. ``postgresql://`` inputs are read with
    :func:`xsland.read.postgis.read_postgis_layer` (same aliases and validation).

    Two inputs are read at a time, on two threads (one on a single CPU): GDAL reads
    without holding Python's lock, so the parcels and the buildings, the largest
    layers, are read side by side, started first (the other inputs follow on whichever
    thread is free). Each input is read and validated on its own, so the
    results are those of reading one after the other; one step, ``read inputs``,
    spans them all, and each input reports its own ``read <kind>`` step inside it.

    Returns
    -------
    dict
        ``kind -> GeoDataFrame or DataFrame`` (no entry for inputs not given);
        ``barriers`` is a list of GeoDataFrames, ``landcover`` the raster's path.
    """
    from xsland.errors import Problem, ValidationError

    out: dict[str, Any] = {}
    problems: list[Problem] = []
    options = {"duplicates": project.duplicates, "policy": project.policy}
    items = list(project.inputs.items())
    with (
        step("read inputs", len(items), unit="inputs"),
        ThreadPoolExecutor(min(2, cpus()), thread_name_prefix="xsland-read") as pool,
    ):
        # the largest layers first, so the longest read (the buildings) starts at once
        first = ("buildings", "parcels")
        order = sorted(items, key=lambda ki: first.index(ki[0]) if ki[0] in first else 2)
        # each read in a copy of this context: the progress callback goes along
        reads = {
            kind: pool.submit(
                contextvars.copy_context().run, _read_step, kind, item, project, options
            )
            for kind, item in order
        }
        for kind, item in items:
            read = reads[kind]
            try:
                out[kind] = read.result()
            except ValidationError as exc:
                problems.extend(exc.problems)
            except (DataError, InputFileError) as exc:
                problems.append(Problem(message=str(exc), file=redact(str(item.path))))
    if problems:
        raise ValidationError(
            problems,
            title=f"{len(problems)} problem{'s' if len(problems) > 1 else ''} in the inputs",
        )
    return out


def _read_step(kind: str, item: Any, project: Any, options: dict[str, Any]) -> Any:
    """:func:`_read_one`, reported as the step ``read <kind>`` with the rows read."""
    with step(f"read {kind}", unit="rows") as running:
        value = _read_one(kind, item, project, options)
        if isinstance(value, list):
            running.count = sum(len(v) for v in value)
        elif kind != "landcover":
            running.count = len(value)
    return value


def _read_one(kind: str, item: Any, project: Any, options: dict[str, Any]) -> Any:
    """One input of a project, read and validated (see :func:`read_inputs`)."""
    from xsland.rules.schema import get_kind

    if kind == "landcover":
        return item.path
    if kind == "barriers":
        return [_read_any(p, item, project) for p in (item.paths or (item.path,))]
    if item.is_postgis:
        from xsland.read.postgis import read_postgis_layer

        extra = (
            {} if get_kind(kind).geometry is None else {"empty_geometry": project.empty_geometry}
        )
        return read_postgis_layer(
            str(item.path),
            table=item.table,
            sql=item.sql,
            geometry_column=item.geometry_column,
            kind=kind,
            columns=item.columns,
            crs=item.crs or project.crs,
            override_crs=item.override_crs,
            units=item.units,
            **options,
            **extra,
        )
    if get_kind(kind).geometry is None:
        return read_table(
            item.path,
            kind=kind,
            columns=item.columns,
            sheet=item.sheet,
            units=item.units,
            **options,
        )
    return read_layer(
        item.path,
        kind=kind,
        layer=item.layer,
        columns=item.columns,
        crs=item.crs or project.crs,
        override_crs=item.override_crs,
        empty_geometry=project.empty_geometry,
        units=item.units,
        **options,
    )


def _read_any(path: Any, item: Any, project: Any) -> gpd.GeoDataFrame:
    """A layer of any geometry (barriers), from a file or PostGIS."""
    if is_postgres_uri(str(path)):
        from xsland.read.postgis import read_postgis_layer

        return read_postgis_layer(
            str(path),
            table=item.table,
            sql=item.sql,
            geometry_column=item.geometry_column,
            crs=item.crs or project.crs,
        )
    return read_layer(
        path, layer=item.layer, crs=item.crs or project.crs, override_crs=item.override_crs
    )
