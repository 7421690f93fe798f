"""A typed GeoPackage that QGIS opens looking like the map.

:func:`write_gpkg` writes every layer through pyogrio with Arrow, typed from the output
schema (:mod:`xsland.rules.columns`): booleans are GeoPackage booleans (``INTEGER``
with the ``BOOLEAN`` subtype, nullable), integers, reals, dates and text as declared.
It then adds

- Chinese field aliases in ``gpkg_data_columns`` (the GeoPackage schema extension; the
  ``name`` column is unique across the file, as GeoPackage 1.2 declares it), and
- a ``layer_styles`` table with default QGIS styles (QML): parcels by status with the
  map's colours and legend words, blocks outlined and labelled with ID and 亩, parks
  and their core / expansion zones. Each style also carries the Chinese aliases
  (``<aliases>``), which is where QGIS built on GDAL < 3.7 reads them.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from xsland._atomic import atomic_file
from xsland.errors import Problem, ValidationError
from xsland.rules.columns import TABLES
from xsland.rules.policy import DEFAULT_POLICY, Policy
from xsland.write import worker
from xsland.write.maps import STATUSES

__all__ = [
    "FIRST_LAYERS",
    "PARCEL_STATUS_EXPRESSION",
    "WORKER_MIN_ROWS",
    "GpkgStart",
    "gpkg_start",
    "gpkg_writing",
    "layer_qml",
    "write_gpkg",
]

#: The QGIS expression of :func:`xsland.write.maps.parcel_status`.
PARCEL_STATUS_EXPRESSION = (
    "CASE WHEN \"low_efficiency\" THEN 'low' "
    'WHEN "far_ok" IS NOT NULL AND NOT "far_ok" THEN \'below\' '
    "WHEN \"far_ok\" THEN 'ok' "
    'WHEN "far" IS NOT NULL AND "far_min" IS NULL THEN \'exempt\' '
    "ELSE 'nodata' END"
)

#: Zone styles of the parks (the map's colours): zone -> (outline, fill, dashed).
_ZONES = {
    "core": ("核心启动区", "#08306b", "#6baed6", False),
    "expansion": ("拓展功能区", "#2171b5", "#9ecae1", True),
}
_BLOCK_LINE, _BLOCK_HALO = "#ffe600", "#111111"


def _gpkg_frame(df: pd.DataFrame, name: str) -> pd.DataFrame:
    """The table as pyogrio/Arrow should write it: dates as dates, nullable types kept."""
    from xsland.result import conform

    out = conform(df, name) if name in TABLES else df.copy(deep=False)
    spec = TABLES.get(name)
    for col in out.columns:
        declared = spec.column(str(col)) if spec is not None else None
        if declared is not None and declared.dtype == "date":
            out[col] = _dates(out[col])
        elif str(out[col].dtype) == "object" and col != getattr(out, "_geometry_column_name", ""):
            out[col] = out[col].where(out[col].isna(), out[col].astype(str)).astype("str")
    return out


def _dates(values: pd.Series) -> pd.Series:
    """A date column as GDAL's Date field takes it: calendar days, missing ones null.

    A ``datetime64`` column (the schema's dates) becomes Arrow ``date32`` at once, from
    its numbers (the day a time falls on, as :attr:`~pandas.Series.dt.date` gives it);
    any other (time zones, objects) becomes ``datetime.date`` objects, which Arrow reads
    as the same ``date32``.
    """
    import pyarrow as pa

    if pd.api.types.is_datetime64_dtype(values.dtype):
        days = values.to_numpy().astype("datetime64[D]")
        array = pa.array(days, type=pa.date32(), from_pandas=True)
        return pd.Series(array, index=values.index, dtype=pd.ArrowDtype(pa.date32()))
    dates = values.dt.date.astype(object)
    return dates.where(values.notna(), None)


def write_gpkg(
    layers: Mapping[str, pd.DataFrame],
    path: str | os.PathLike,
    *,
    overwrite: bool = True,
    policy: Policy = DEFAULT_POLICY,
    schema: bool = False,
    styles: bool = True,
) -> Path:
    """Write several layers (GeoDataFrames or plain tables) to one GeoPackage.

    With ``schema`` (the layers of an audit), layers declared in
    :data:`xsland.rules.columns.TABLES` get their schema types, Chinese aliases (labels
    rendered from ``policy``) and, with ``styles``, default QGIS styles. Other layers
    (a diff's, which reuse some names) are written as they are.

    A layer given as a folder (path) of GeoParquet files — the full parcel table of a
    partitioned audit (:attr:`xsland.result.AuditResult.parcels_path`) — is written file
    by file, each appended to the layer, so it is never in memory whole.
    """
    _check_names(layers)
    target = Path(path)
    with atomic_file(target, overwrite=overwrite) as tmp:
        columns = _write_layers(layers, tmp, schema=schema)
        _describe(tmp, columns, policy=policy, schema=schema, styles=styles)
    return target


def _write_layers(layers: Mapping[str, Any], path: Path, *, schema: bool) -> dict[str, list[str]]:
    """Write the layers (tables, or folders of GeoParquet written file by file) to the
    GeoPackage at ``path``, made by the first (GeoPackage 1.2) or added to it; each
    layer's columns, in the order given (for the aliases of :func:`_describe`)."""
    import pyogrio

    columns: dict[str, list[str]] = {n: [] for n in layers}
    for name, df in _in_order(layers, schema=schema).items():
        parts = _parts(df) if isinstance(df, os.PathLike | str) else [(df, {})]
        for part, options in parts:
            frame = _gpkg_frame(part, name if schema else "")
            columns[name] = columns[name] or list(part.columns)
            geometry = getattr(frame, "_geometry_column_name", None) in frame.columns
            first = not path.exists()
            pyogrio.write_dataframe(
                frame if geometry else pd.DataFrame(frame),
                path,
                layer=name,
                driver="GPKG",
                append=not first,
                use_arrow=True,
                # GeoPackage 1.2: what QGIS on GDAL 3.6 (Debian 12) reads without a warning
                dataset_options={"VERSION": "1.2"} if first else None,
                layer_options=_fid_option(frame.columns),
                **options,
            )
    return columns


def _check_names(layers: Mapping[str, Any]) -> None:
    """Refuse, before anything is written, a table with two columns whose names differ
    only in case (``Note`` and ``NOTE``): a GeoPackage's column names ignore case, and
    GDAL stopped on the second ("A field with the same name already exists") with the
    file half-written. The audit's readers rename such input columns (``NAME_2``, listed
    as ``column_renamed``); a table made by other means is named here, every clash at
    once. A layer given as a folder of GeoParquet files is not looked into.

    Raises
    ------
    ValidationError
        Naming each layer and its clashing columns.
    """
    problems = []
    for name, df in layers.items():
        if isinstance(df, os.PathLike | str):
            continue
        first: dict[str, str] = {}
        for col in map(str, df.columns):
            other = first.setdefault(col.casefold(), col)
            if other != col:
                problems.append(
                    Problem(
                        f"the columns {other!r} and {col!r} differ only in case, which a "
                        "GeoPackage cannot hold (its column names ignore case)",
                        fix="rename one of them, or read the layer with xsland.read_layer, "
                        "which renames the later one NAME_2 and lists it",
                        layer=str(name),
                        column=col,
                    )
                )
    if problems:
        raise ValidationError(problems, title="the GeoPackage cannot be written")


def _fid_option(columns: Any) -> dict[str, str] | None:
    """The layer option naming the GeoPackage's feature ID column, when a column of the
    table is called ``fid`` (in any case).

    GDAL takes a column named like the ID column (``fid``) for the feature IDs: a text
    one is refused, whole numbers given twice break the insert, and unique ones vanish
    into the IDs (a reader no longer sees the column). The ID column is then named
    ``xsland_fid`` (``xsland_fid2`` … when taken), so the table's ``fid`` is a column
    like any other. ``None`` (GDAL's ``fid``) otherwise.
    """
    taken = {str(c).casefold() for c in columns}
    if "fid" not in taken:
        return None
    name, n = "xsland_fid", 2
    while name in taken:
        name, n = f"xsland_fid{n}", n + 1
    return {"FID": name}


def _describe(
    path: Path, columns: Mapping[str, list[str]], *, policy: Policy, schema: bool, styles: bool
) -> None:
    """The Chinese aliases and QGIS styles of the declared layers (``schema``)."""
    declared = {n: c for n, c in columns.items() if schema and n in TABLES}
    if declared:
        with sqlite3.connect(path) as con:
            _data_columns(con, declared, policy)
            if styles:
                _layer_styles(con, declared, policy)
        con.close()


#: Rows (all layers together) from which :func:`gpkg_writing` writes the GeoPackage in a
#: worker process: about a second of GDAL's inserts, well above the worker's start.
WORKER_MIN_ROWS = 100_000

#: The layers of an audit written first: final once the blocks are numbered, so that
#: :func:`gpkg_start` can write them while the rest of the audit is worked out.
FIRST_LAYERS = ("parcels", "block_members")


def _in_order(layers: Mapping[str, Any], *, schema: bool) -> dict[str, Any]:
    """The layers in the order they are written: an audit's :data:`FIRST_LAYERS` first."""
    first = [n for n in FIRST_LAYERS if schema and n in layers]
    return {**{n: layers[n] for n in first}, **{n: v for n, v in layers.items() if n not in first}}


class GpkgStart:
    """The first layers of an audit's GeoPackage, written by a worker ahead of the rest.

    Made by :func:`gpkg_start`; :func:`gpkg_writing` (``started=``) adds the other
    layers to the same file and moves it into place. :meth:`stop` ends the worker when
    the audit does not get that far (the file is left for the caller's folder to remove).

    Attributes
    ----------
    layers
        ``name -> table`` as given (their names, columns, types and rows are checked
        against the audit's own when the rest is added).
    path
        The file being written.
    job
        The worker (:class:`xsland.write.worker.Worker`, started with ``more``).
    """

    def __init__(self, layers: dict[str, pd.DataFrame], path: Path, job: worker.Worker) -> None:
        self.layers, self.path, self.job = layers, path, job
        self.ended = False

    def matches(self, layers: Mapping[str, Any]) -> bool:
        """Whether ``layers`` hold these very tables (names, columns, dtypes, rows, shapes)."""
        for name, mine in self.layers.items():
            theirs = layers.get(name)
            if not isinstance(theirs, pd.DataFrame) or len(theirs) != len(mine):
                return False
            if list(theirs.columns) != list(mine.columns) or list(theirs.dtypes) != list(
                mine.dtypes
            ):
                return False
            geom = getattr(mine, "_geometry_column_name", None)
            if geom in mine.columns and not np.shares_memory(
                np.asarray(mine[geom].values), np.asarray(theirs[geom].values)
            ):
                return False
        return True

    def stop(self) -> None:
        """Stop the worker (nothing is written after); again is nothing."""
        if not self.ended:
            self.ended = True
            self.job.stop()


def gpkg_start(
    layers: Mapping[str, pd.DataFrame],
    path: str | os.PathLike,
    *,
    worker_min_rows: int | None = None,
) -> GpkgStart | None:
    """Start writing an audit's first layers (:data:`FIRST_LAYERS`) to ``path`` by a worker.

    The layers are typed and planned as :func:`gpkg_writing` does, and a worker
    process (:func:`xsland.write.worker.start` with ``more``) inserts them while the
    caller goes on; :func:`gpkg_writing` with ``started=`` then adds the rest of the
    audit's layers to the same file. ``path`` is best on the file system of the final
    GeoPackage (it is moved there: a rename, else a copy); the caller removes it, with
    its folder, if the audit fails. ``None`` (nothing started) for fewer than ``worker_min_rows`` rows in
    all (default :data:`WORKER_MIN_ROWS`), a layer the plan does not cover, a layer not
    in :data:`FIRST_LAYERS`, or no worker (one core).
    """
    _check_names(layers)
    least = WORKER_MIN_ROWS if worker_min_rows is None else worker_min_rows
    if set(layers) - set(FIRST_LAYERS) or sum(len(df) for df in layers.values()) < least:
        return None
    ordered = _in_order(layers, schema=True)
    plan = _arrow_plan({name: _gpkg_frame(df, name) for name, df in ordered.items()})
    if plan is None:
        return None
    job = worker.start("gpkg", *plan, Path(path), more=True)
    return None if job is None else GpkgStart(ordered, Path(path), job)


@contextmanager
def gpkg_writing(
    layers: Mapping[str, pd.DataFrame],
    path: str | os.PathLike,
    *,
    overwrite: bool = True,
    policy: Policy = DEFAULT_POLICY,
    schema: bool = False,
    styles: bool = True,
    worker_min_rows: int | None = None,
    started: GpkgStart | None = None,
) -> Iterator[Path]:
    """The GeoPackage of :func:`write_gpkg`, written while the block runs.

    The layers are typed and turned into Arrow tables here, as
    :func:`pyogrio.write_dataframe` would pass them to GDAL (:func:`_arrow_plan`); with
    at least ``worker_min_rows`` rows in all (default :data:`WORKER_MIN_ROWS`) a worker
    process (:func:`xsland.write.worker.start`) inserts them on another core while the
    block runs, and the aliases and styles are added when it is done. A smaller
    GeoPackage, one with a layer given as a folder of GeoParquet files, or one with a
    column the plan does not cover (mixed 2D/3D or single/multi geometries, datetimes with
    time zones, objects Arrow cannot hold) is written at once by :func:`write_gpkg`. The
    file is complete, and in place, when the block ends; it reads back the same either
    way. When the block raises, the worker is stopped and nothing is left behind; when the
    worker cannot start or fails, the layers are written here instead (its error logged).

    ``started``: the first layers, already being written (:func:`gpkg_start`); the
    worker writing them adds the others to that file, which is moved to ``path`` when
    the block ends. It is stopped, and all layers written here, when its layers are not
    those of ``layers`` (see :meth:`GpkgStart.matches`).

    Yields
    ------
    Path
        ``path``.
    """
    _check_names(layers)
    target = Path(path)
    if started is not None:
        if started.matches(layers) and schema:
            with _adding(started, layers, target, overwrite=overwrite, policy=policy):
                yield target
            return
        started.stop()
    least = WORKER_MIN_ROWS if worker_min_rows is None else worker_min_rows
    streamed = any(isinstance(df, os.PathLike | str) for df in layers.values())
    plan = None
    if not streamed and sum(len(df) for df in layers.values()) >= least:
        ordered = _in_order(layers, schema=schema)
        frames = {name: _gpkg_frame(df, name if schema else "") for name, df in ordered.items()}
        plan = _arrow_plan(frames)
    if plan is None:
        write_gpkg(layers, target, overwrite=overwrite, policy=policy, schema=schema, styles=styles)
        yield target
        return
    tables, spec = plan
    del plan, frames
    columns = {name: list(df.columns) for name, df in layers.items()}
    with atomic_file(target, overwrite=overwrite) as tmp:
        with worker.writing("gpkg", tables, spec, tmp):
            del tables  # the worker has them (and this process, if it fails, from its plan)
            yield target
        _describe(tmp, columns, policy=policy, schema=schema, styles=styles)


@contextmanager
def _adding(
    started: GpkgStart,
    layers: Mapping[str, Any],
    target: Path,
    *,
    overwrite: bool,
    policy: Policy,
) -> Iterator[None]:
    """:func:`gpkg_writing` of an audit whose first layers ``started`` is writing."""
    rest = {n: df for n, df in layers.items() if n not in started.layers}
    streamed = any(isinstance(df, os.PathLike | str) for df in rest.values())
    frames = {} if streamed else {n: _gpkg_frame(df, n) for n, df in rest.items()}
    plan = None if streamed else _arrow_plan(frames, first=False)
    planned = plan is not None
    del frames
    try:
        with atomic_file(target, overwrite=overwrite) as tmp:
            if planned:
                started.job.add(*plan)
            del plan
            with worker.Writing(started.job):  # finished here, stopped on an error
                yield
            started.ended = True
            if not planned:  # added here, after the worker's layers
                _write_layers(rest, started.path, schema=True)
            columns = {n: list(df.columns) for n, df in layers.items()}
            _describe(started.path, columns, policy=policy, schema=True, styles=True)
            shutil.move(started.path, tmp)  # a rename on the same file system
    finally:
        started.stop()  # the output refused, or an error: the worker ends (else nothing)


def _arrow_plan(
    frames: Mapping[str, pd.DataFrame],
    *,
    first: bool = True,
) -> tuple[list[tuple[str, Any]], dict[str, Any]] | None:
    """The layers as Arrow tables with the keywords of :func:`pyogrio.raw.write_arrow`.

    What :func:`pyogrio.write_dataframe` (``use_arrow=True``) passes to GDAL for the typed
    frames of :func:`_gpkg_frame`: geometries as WKB, the layer's geometry type (the one
    type of its geometries, ``Unknown`` when none or several, `` Z`` with heights), the
    CRS as ``EPSG:n`` or WKT1, ``VERSION=1.2`` on the first layer (none is first, all
    are appended, when not ``first``: the file exists). ``None`` when a frame holds what
    that function would convert first (see :func:`gpkg_writing`).
    """
    import pyarrow as pa
    import shapely

    tables: list[tuple[str, Any]] = []
    options: list[dict[str, Any]] = []
    for i, (name, frame) in enumerate(frames.items()):
        geom = getattr(frame, "_geometry_column_name", None)
        geom = geom if geom in frame.columns else None
        kind, crs = None, None
        data = pd.DataFrame(frame, copy=False)
        if geom is not None:
            values = np.asarray(frame[geom].values, dtype=object)
            kind = _geometry_type(values)
            if kind is None:
                return None
            if frame.crs is not None:
                epsg = frame.crs.to_epsg()
                crs = f"EPSG:{epsg}" if epsg else frame.crs.to_wkt("WKT1_GDAL")
            data = data.copy(deep=False)
            data[geom] = shapely.to_wkb(values)
        for col, dtype in data.dtypes.items():
            if col == geom:
                continue
            if isinstance(dtype, pd.DatetimeTZDtype) and str(dtype.tz) != "UTC":
                return None
            if dtype == "object":
                inferred = pd.api.types.infer_dtype(data[col])
                if inferred == "datetime":
                    return None
                if inferred != "string":
                    try:
                        pa.Schema.from_pandas(data[[col]])
                    except pa.ArrowInvalid:
                        return None
        try:
            table = pa.Table.from_pandas(data, preserve_index=False)
        except (pa.ArrowException, TypeError, ValueError):  # for pyogrio to report
            return None
        for index, field in enumerate(table.schema):  # GDAL has no null type: text
            if pa.types.is_null(field.type):
                table = table.set_column(
                    index, field.with_type(pa.string()), table[index].cast(pa.string())
                )
            elif pa.types.is_dictionary(field.type) and pa.types.is_null(field.type.value_type):
                words = pa.dictionary(field.type.index_type, pa.string())
                table = table.set_column(index, field.with_type(words), table[index].cast(words))
        if geom is not None:
            field = table.schema.field(geom)
            if not (pa.types.is_binary(field.type) or pa.types.is_large_binary(field.type)):
                index = table.schema.get_field_index(geom)
                table = table.set_column(
                    index, field.with_type(pa.binary()), table[geom].cast(pa.binary())
                )
        tables.append((name, table))
        options.append(
            {
                "layer": name,
                "driver": "GPKG",
                "geometry_name": geom,
                "geometry_type": kind,
                "crs": crs,
                "append": i > 0 or not first,
                # GeoPackage 1.2: what QGIS on GDAL 3.6 (Debian 12) reads without a warning
                "dataset_options": {"VERSION": "1.2"} if i == 0 and first else None,
                "layer_options": _fid_option(table.schema.names),
            }
        )
    return tables, {"layers": options}


def _geometry_type(values: np.ndarray) -> str | None:
    """The geometry type :func:`pyogrio.write_dataframe` gives a GeoPackage layer.

    The one type of the geometries, empty ones included (``Unknown`` when there is none
    or several), with `` Z`` when any non-empty one has heights; ``None`` for what it
    would change first (single and multi geometries of one kind: promoted to multi) or
    refuse (2D mixed with 3D).
    """
    import shapely

    present = values[~shapely.is_missing(values)]
    has_z = shapely.has_z(present[~shapely.is_empty(present)])
    if has_z.any() and not has_z.all():
        return None
    kinds = {int(k) for k in np.unique(shapely.get_type_id(present))}
    if kinds in ({0, 4}, {1, 5}, {3, 6}):
        return None
    kind = _TYPE_NAMES[kinds.pop()] if len(kinds) == 1 else "Unknown"
    return f"{kind} Z" if has_z.any() and kind != "Unknown" else kind


#: GeoPandas' names of shapely's geometry type ids (``GeoSeries.geom_type``).
_TYPE_NAMES = {
    0: "Point",
    1: "LineString",
    2: "LinearRing",
    3: "Polygon",
    4: "MultiPoint",
    5: "MultiLineString",
    6: "MultiPolygon",
    7: "GeometryCollection",
}


def _parts(folder: str | os.PathLike):
    """The GeoParquet files of a folder, one frame at a time, for one layer.

    Every part is written as multi-polygons, so that parts with and without
    multi-polygons make one layer; the ``_row`` column of the partitions is left out.
    """
    import geopandas as gpd

    files = sorted(Path(folder).glob("*.parquet"))
    for file in files:
        frame = gpd.read_parquet(file)
        frame = frame.drop(columns=[c for c in ("_row",) if c in frame.columns])
        yield frame, {"promote_to_multi": True, "geometry_type": "MultiPolygon"}


# -- gpkg_data_columns --------------------------------------------------------------------

_DATA_COLUMNS_SQL = """
CREATE TABLE IF NOT EXISTS gpkg_data_columns (
  table_name TEXT NOT NULL, column_name TEXT NOT NULL, name TEXT UNIQUE, title TEXT,
  description TEXT, mime_type TEXT, constraint_name TEXT,
  CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name),
  CONSTRAINT gdc_tn UNIQUE (table_name, name))
"""
_CONSTRAINTS_SQL = """
CREATE TABLE IF NOT EXISTS gpkg_data_column_constraints (
  constraint_name TEXT NOT NULL, constraint_type TEXT NOT NULL, value TEXT, min NUMERIC,
  min_is_inclusive BOOLEAN, max NUMERIC, max_is_inclusive BOOLEAN, description TEXT,
  CONSTRAINT gdcc_ntv UNIQUE (constraint_name, constraint_type, value))
"""
_EXTENSIONS_SQL = """
CREATE TABLE IF NOT EXISTS gpkg_extensions (
  table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL, definition TEXT NOT NULL,
  scope TEXT NOT NULL, CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name))
"""
_SCHEMA_EXT = "http://www.geopackage.org/spec120/#extension_schema"

#: Tables whose plain labels win the unique ``name`` (others get a layer suffix on a clash).
_NAME_ORDER = ("parcels", "blocks", "parks")


def _data_columns(con: sqlite3.Connection, layers: Mapping[str, list[str]], policy: Policy) -> None:
    """Chinese aliases (``name``, ``title``) and descriptions of every declared column."""
    con.execute(_DATA_COLUMNS_SQL)
    con.execute(_CONSTRAINTS_SQL)
    con.execute(_EXTENSIONS_SQL)
    for table in ("gpkg_data_columns", "gpkg_data_column_constraints"):
        con.execute(
            "INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, "
            "scope) SELECT ?, NULL, 'gpkg_schema', ?, 'read-write' WHERE NOT EXISTS (SELECT 1 "
            "FROM gpkg_extensions WHERE table_name = ? AND extension_name = 'gpkg_schema')",
            (table, _SCHEMA_EXT, table),
        )
    used = {row[0] for row in con.execute("SELECT name FROM gpkg_data_columns")}
    order = [n for n in _NAME_ORDER if n in layers] + [n for n in layers if n not in _NAME_ORDER]
    rows = []
    for name in order:
        spec = TABLES[name]
        for col in layers[name]:
            declared = spec.column(str(col))
            if declared is None:
                continue
            title = declared.label(policy)
            unique = title if title not in used else f"{title}·{spec.zh}"
            n = 2
            while unique in used:
                unique, n = f"{title}·{spec.zh}{n}", n + 1
            used.add(unique)
            description = declared.description + (f" [{declared.unit}]" if declared.unit else "")
            rows.append((name, str(col), unique, title, description))
    con.executemany(
        "INSERT OR REPLACE INTO gpkg_data_columns (table_name, column_name, name, title, "
        "description) VALUES (?, ?, ?, ?, ?)",
        rows,
    )


# -- layer_styles (QGIS) ------------------------------------------------------------------

_LAYER_STYLES_SQL = """
CREATE TABLE IF NOT EXISTS layer_styles (
  id INTEGER PRIMARY KEY AUTOINCREMENT, f_table_catalog TEXT(256), f_table_schema TEXT(256),
  f_table_name TEXT(256), f_geometry_column TEXT(256), styleName TEXT(30), styleQML TEXT,
  styleSLD TEXT, useAsDefault BOOLEAN, description TEXT, owner TEXT(30), ui TEXT(30),
  update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))
"""


def _rgb(hex_colour: str, alpha: int = 255) -> str:
    """``#c51b7d`` → ``197,27,125,255`` (QGIS colour text)."""
    h = hex_colour.lstrip("#")
    return ",".join(str(int(h[i : i + 2], 16)) for i in (0, 2, 4)) + f",{alpha}"


def _options(parent: ET.Element, values: Mapping[str, str]) -> None:
    opt = ET.SubElement(parent, "Option", type="Map")
    for key, value in values.items():
        ET.SubElement(opt, "Option", type="QString", name=key, value=str(value))


def _fill_symbol(name: str, fill: str | None, line: str, *, width=0.26, dashed=False, halo=None):
    symbol = ET.Element(
        "symbol", type="fill", name=name, alpha="1", clip_to_extent="1", force_rhr="0"
    )
    if halo:
        layer = ET.SubElement(symbol, "layer", {"class": "SimpleLine", "enabled": "1", "pass": "0"})
        _options(layer, {"line_color": _rgb(halo, 190), "line_width": "1.2",
                         "line_width_unit": "MM", "line_style": "solid"})  # fmt: skip
    layer = ET.SubElement(symbol, "layer", {"class": "SimpleFill", "enabled": "1", "pass": "0"})
    _options(
        layer,
        {
            "color": _rgb(fill, 160) if fill else "0,0,0,0",
            "style": "solid" if fill else "no",
            "outline_color": _rgb(line),
            "outline_style": "dash" if dashed else "solid",
            "outline_width": str(width),
            "outline_width_unit": "MM",
        },
    )
    return symbol


def _categorized(root: ET.Element, attr: str, cats: list[tuple[str, str, ET.Element]]) -> None:
    renderer = ET.SubElement(
        root, "renderer-v2", type="categorizedSymbol", attr=attr, symbollevels="0",
        forceraster="0", enableorderby="0",
    )  # fmt: skip
    categories = ET.SubElement(renderer, "categories")
    symbols = ET.SubElement(renderer, "symbols")
    for i, (value, label, symbol) in enumerate(cats):
        ET.SubElement(
            categories, "category", symbol=str(i), value=value, label=label, render="true"
        )
        symbol.set("name", str(i))
        symbols.append(symbol)


def _single(root: ET.Element, symbol: ET.Element) -> None:
    renderer = ET.SubElement(root, "renderer-v2", type="singleSymbol", symbollevels="0",
                             forceraster="0", enableorderby="0")  # fmt: skip
    symbols = ET.SubElement(renderer, "symbols")
    symbol.set("name", "0")
    symbols.append(symbol)


def _labels(root: ET.Element, expression: str, *, size: float = 9.0) -> None:
    root.set("labelsEnabled", "1")
    labeling = ET.SubElement(root, "labeling", type="simple")
    settings = ET.SubElement(labeling, "settings", calloutType="simple")
    ET.SubElement(settings, "text-style", fieldName=expression, isExpression="1",
                  fontSize=str(size), fontFamily="Noto Sans CJK SC", textColor="17,17,17,255",
                  multilineAlign="1")  # fmt: skip
    ET.SubElement(settings, "text-format", wrapChar="", multilineAlign="1")
    ET.SubElement(settings, "text-buffer", bufferDraw="1", bufferSize="1",
                  bufferSizeUnits="MM", bufferColor="255,255,255,255")  # fmt: skip
    ET.SubElement(settings, "placement", placement="0", centroidInside="1")
    ET.SubElement(settings, "rendering", obstacle="1", drawLabels="1")


def _aliases(root: ET.Element, layer: str, columns: list[str], policy: Policy) -> None:
    spec = TABLES[layer]
    aliases = ET.SubElement(root, "aliases")
    for i, col in enumerate(columns):
        declared = spec.column(str(col))
        if declared is not None:
            ET.SubElement(
                aliases, "alias", field=str(col), index=str(i), name=declared.label(policy)
            )


def layer_qml(layer: str, columns: list[str], *, policy: Policy = DEFAULT_POLICY) -> str | None:
    """The default QGIS style (QML text) of an audit layer; ``None`` for plain tables.

    ``parcels``: categorised by :data:`PARCEL_STATUS_EXPRESSION` with the map's colours
    and legend words (:data:`xsland.write.maps.STATUSES`); ``blocks``: outlined in the
    map's yellow over a dark halo, labelled with the block ID and its 亩; ``parks``:
    the park outline labelled with its name; ``park_zones``: core and expansion zones.
    Every style carries the Chinese aliases of the layer's columns.
    """
    if layer not in ("parcels", "blocks", "parks", "park_zones"):
        return None
    root = ET.Element("qgis", version="3.22.16-Białowieża", styleCategories="AllStyleCategories")
    root.set("labelsEnabled", "0")
    if layer == "parcels":
        cats = [(s.key, s.label, _fill_symbol("", s.fill, s.stroke)) for s in STATUSES]
        _categorized(root, PARCEL_STATUS_EXPRESSION, cats)
    elif layer == "blocks":
        _single(root, _fill_symbol("", None, _BLOCK_LINE, width=0.6, dashed=True, halo=_BLOCK_HALO))
        _labels(root, "\"block_id\" || '\\n' || format_number(\"area_mu\", 1) || ' 亩'")
    elif layer == "park_zones":
        cats = [
            (zone, label, _fill_symbol("", fill, line, width=0.7, dashed=dashed))
            for zone, (label, line, fill, dashed) in _ZONES.items()
        ]
        _categorized(root, "zone", cats)
    else:
        label, line, fill, _ = _ZONES["core"]
        _single(root, _fill_symbol("", None, line, width=0.8))
        _labels(root, '"park_id" || \' \' || "name"', size=10.0)
    _aliases(root, layer, columns, policy)
    ET.SubElement(root, "layerGeometryType").text = "2"
    body = ET.tostring(root, encoding="unicode")
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + body


def _layer_styles(con: sqlite3.Connection, layers: Mapping[str, list[str]], policy: Policy) -> None:
    """The ``layer_styles`` table QGIS reads default styles from."""
    con.execute(_LAYER_STYLES_SQL)
    con.execute(
        "INSERT OR REPLACE INTO gpkg_contents (table_name, data_type, identifier, description, "
        "last_change) VALUES ('layer_styles', 'attributes', 'layer_styles', "
        "'QGIS default styles', strftime('%Y-%m-%dT%H:%M:%fZ','now'))"
    )
    geom = dict(con.execute("SELECT table_name, column_name FROM gpkg_geometry_columns"))
    for name, columns in layers.items():
        qml = layer_qml(name, columns, policy=policy)
        if qml is None or name not in geom:
            continue
        con.execute("DELETE FROM layer_styles WHERE f_table_name = ?", (name,))
        con.execute(
            "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, "
            "f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description, "
            "owner, ui) VALUES ('', '', ?, ?, ?, ?, '', 1, ?, '', '')",
            (name, geom[name], f"xsland {name}", qml, f"xsland default style of {name}"),
        )
