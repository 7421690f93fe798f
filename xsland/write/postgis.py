"""The audit as PostGIS tables, typed from the output schema, in one transaction.

:func:`write_postgis` writes every layer of an :class:`~xsland.result.AuditResult`
(:meth:`~xsland.result.AuditResult.layers`: the tables, ``meta`` with the policy, and
``inputs``) as tables of one schema. Each column declared in
:mod:`xsland.rules.columns` gets the PostgreSQL type of its dtype (:data:`SQL_TYPES`):
boolean → ``boolean``, integer → ``bigint``, float → ``double precision``, date →
``date``, text → ``text``; every column is nullable (the schema declares no column that
must always hold a value). A parcel layer's own extra columns keep the type their values
suggest.

:func:`write_tables` is the machinery underneath, for any tables: each is loaded into a
new table under a temporary name, and only then, still inside the transaction, are the
old tables dropped, the new ones renamed into place and given GiST indexes. Anything that
fails rolls the whole transaction back, so the previous tables stay as they were.
Geometries keep their SRID (EPSG:4549 …). Connections and their messages come from
:mod:`xsland.read.postgis` (libpq; passwords never shown).
"""

from __future__ import annotations

import secrets
import warnings
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from xsland.errors import DataError, OutputExistsError
from xsland.read.postgis import MAX_NAME, PostGISError, connect, describe_server, scrub
from xsland.read.values import as_bool
from xsland.result import AuditResult
from xsland.rules.columns import TABLES

__all__ = ["SQL_TYPES", "declared_types", "write_postgis", "write_tables"]

#: PostgreSQL type of each dtype of the output schema.
SQL_TYPES: Mapping[str, str] = MappingProxyType(
    {
        "boolean": "boolean",
        "integer": "bigint",
        "float": "double precision",
        "date": "date",
        "text": "text",
    }
)
#: Rows sent to the server per ``COPY`` block.
_CHUNK_ROWS = 50_000

_SCALARS = (str, bool, int, float, Decimal, date, datetime, np.generic)


def _unsupported(layer: str, col: str, what: str) -> DataError:
    return DataError(
        f"layer {layer!r}: column {col!r} holds {what}, which a database table cannot store; "
        "convert it to numbers, text or dates (or drop it) before writing"
    )


def _sql_type(s: pd.Series, layer: str, col: str) -> tuple[str, pd.Series]:
    """The PostgreSQL type of a column, and the column prepared for :func:`_copy_text`."""
    dtype = s.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        s = s.astype(object)
        dtype = s.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean", s
    if pd.api.types.is_integer_dtype(dtype):
        return ("numeric" if str(dtype).lower() == "uint64" else "bigint"), s
    if pd.api.types.is_float_dtype(dtype):
        return "double precision", s
    if isinstance(dtype, pd.DatetimeTZDtype):
        return "timestamptz", s
    if pd.api.types.is_datetime64_dtype(dtype):
        return "timestamp", s
    if pd.api.types.is_string_dtype(dtype) and not pd.api.types.is_object_dtype(dtype):
        return "text", s
    if not pd.api.types.is_object_dtype(dtype):
        return "", s  # timedelta, complex, period, interval …: refused by the caller
    inferred = pd.api.types.infer_dtype(s, skipna=True)
    if inferred in ("string", "empty"):
        return "text", s
    if inferred == "boolean":
        return "boolean", s
    if inferred == "integer":
        return "bigint", s
    if inferred in ("floating", "mixed-integer-float"):
        return "double precision", s
    if inferred == "decimal":
        return "numeric", s
    if inferred == "date":
        return "date", s
    if inferred == "datetime":
        return "timestamp", pd.to_datetime(s)
    if inferred == "bytes":
        return "bytea", s
    bad = [type(v).__name__ for v in s.dropna() if not isinstance(v, _SCALARS)]
    if bad:
        raise _unsupported(layer, col, f"{bad[0]} values")
    return "text", s.map(lambda v: None if v is None or v != v else str(v))  # mixed: as text


def _escape(text: pd.Series) -> pd.Series:
    """Text escaped for ``COPY … FROM STDIN`` (text format)."""
    return (
        text.str.replace("\\", "\\\\", regex=False)
        .str.replace("\t", "\\t", regex=False)
        .str.replace("\n", "\\n", regex=False)
        .str.replace("\r", "\\r", regex=False)
    )


def _copy_text(s: pd.Series, sql_type: str) -> pd.Series:
    """One column as the text of ``COPY``: ``\\N`` for missing values.

    Floats are written as their shortest repr, which reads back as the same double.
    """

    def each(fn: Any) -> pd.Series:
        return s.map(lambda v: None if v is None or v is pd.NA or v != v else fn(v))

    missing = s.isna().to_numpy(dtype=bool)
    if sql_type == "boolean":
        truth = as_bool(s).fillna(False).to_numpy(dtype=bool)
        out = pd.Series(np.where(truth, "t", "f"), index=s.index)
    elif sql_type == "bigint" and s.dtype != object:
        out = s.astype("string")
    elif sql_type == "bigint":
        out = each(lambda v: str(int(v)))
    elif sql_type == "double precision":
        out = s.astype("float64").astype("string")
    elif sql_type == "numeric":
        out = s.astype("string") if s.dtype != object else each(str)
    elif sql_type == "timestamp":
        out = s.dt.strftime("%Y-%m-%d %H:%M:%S.%f")
    elif sql_type == "timestamptz":
        out = s.dt.tz_convert("UTC").dt.strftime("%Y-%m-%d %H:%M:%S.%f+00")
    elif sql_type == "date" and pd.api.types.is_datetime64_any_dtype(s.dtype):
        out = s.dt.strftime("%Y-%m-%d")
    elif sql_type == "date":
        out = each(lambda v: v.isoformat()[:10])
    elif sql_type == "bytea":
        out = each(lambda v: "\\\\x" + bytes(v).hex())
    else:
        out = _escape(s.astype("string"))
    out = pd.Series(out.astype(object).to_numpy(), index=s.index, dtype=object)
    out[missing] = "\\N"
    return out


def _geometry_text(geoms: gpd.GeoSeries, srid: int) -> pd.Series:
    """Geometries as hex EWKB with their SRID; ``\\N`` for null ones."""
    arr = np.asarray(geoms.to_numpy(), dtype=object)
    if srid:
        arr = shapely.set_srid(arr, srid)
    hexed = shapely.to_wkb(arr, hex=True, include_srid=bool(srid), flavor="extended")
    out = pd.Series(hexed, index=geoms.index, dtype=object)
    out[shapely.is_missing(arr)] = "\\N"
    return out


def _geometry_type(geoms: gpd.GeoSeries) -> str:
    """The PostGIS type modifier: the one geometry type of the column, else ``Geometry``."""
    arr = np.asarray(geoms.to_numpy(), dtype=object)
    types = set(shapely.get_type_id(arr[~shapely.is_missing(arr)]).tolist())
    names = {
        0: "Point",
        1: "LineString",
        3: "Polygon",
        4: "MultiPoint",
        5: "MultiLineString",
        6: "MultiPolygon",
        7: "GeometryCollection",
    }
    if len(types) == 1 and next(iter(types)) in names:
        return names[next(iter(types))]
    return "Geometry"


def _srid(cur: Any, crs: Any) -> int:
    """The SRID of a CRS in ``spatial_ref_sys``, added there (as ``xsland``) when missing."""
    if crs is None:
        return 0
    epsg = crs.to_epsg()
    if epsg:
        cur.execute(
            "SELECT srid FROM spatial_ref_sys WHERE upper(auth_name) = 'EPSG' AND auth_srid = %s",
            (epsg,),
        )
        row = cur.fetchone()
        if row:
            return int(row[0])
    wkt = crs.to_wkt()
    cur.execute("SELECT srid FROM spatial_ref_sys WHERE srtext = %s", (wkt,))
    row = cur.fetchone()
    if row:
        return int(row[0])
    with warnings.catch_warnings():  # PROJ strings lose detail; PostGIS reads srtext first
        warnings.simplefilter("ignore", UserWarning)
        proj4 = crs.to_proj4() or ""
    cur.execute(
        "SELECT COALESCE(MAX(srid), 909999) + 1 FROM spatial_ref_sys "
        "WHERE srid BETWEEN 910000 AND 998999"
    )
    srid = int(cur.fetchone()[0])
    cur.execute(
        "INSERT INTO spatial_ref_sys (srid, auth_name, auth_srid, srtext, proj4text) "
        "VALUES (%s, 'xsland', %s, %s, %s)",
        (srid, srid, wkt, proj4),
    )
    return srid


def _check_name(name: str, what: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise DataError(f"{what} {name!r} is not a valid name; use letters, digits and _")
    if len(name.encode("utf-8")) > MAX_NAME:
        raise DataError(
            f"{what} {name!r} is longer than PostgreSQL's {MAX_NAME} bytes; use a shorter name"
        )
    return name


def _load_table(
    cur: Any,
    schema: str,
    tmp: str,
    name: str,
    df: pd.DataFrame,
    declared: Mapping[str, str] | None = None,
) -> list[str]:
    """Create ``schema.tmp`` with the columns of ``df`` and copy its rows in.

    A column named in ``declared`` (``column -> schema dtype``) gets the type of
    :data:`SQL_TYPES`; any other column the type its pandas dtype suggests.

    Returns the names of its geometry columns.
    """
    from psycopg import sql as q

    geo_cols = [c for c in df.columns if isinstance(df[c].dtype, gpd.array.GeometryDtype)]
    defs, texts = [], []
    for col in df.columns:
        _check_name(str(col), f"layer {name!r}: column")
        if col in geo_cols:
            gs = gpd.GeoSeries(df[col])
            srid = _srid(cur, gs.crs)
            sql_type = q.SQL("geometry({}, {})").format(q.SQL(_geometry_type(gs)), q.Literal(srid))
            texts.append(_geometry_text(gs, srid))
        else:
            dtype = (declared or {}).get(str(col))
            if dtype is not None:
                type_name, prepared = SQL_TYPES[dtype], df[col]
            else:
                type_name, prepared = _sql_type(df[col], name, str(col))
            if not type_name:
                raise _unsupported(name, str(col), f"{df[col].dtype} values")
            sql_type = q.SQL(type_name)
            texts.append(_copy_text(prepared, type_name))
        defs.append(q.SQL("{} {}").format(q.Identifier(str(col)), sql_type))
    cur.execute(
        q.SQL("CREATE TABLE {}.{} ({})").format(
            q.Identifier(schema), q.Identifier(tmp), q.SQL(", ").join(defs)
        )
    )
    if not len(df) or not texts:
        return geo_cols
    copy_sql = q.SQL("COPY {}.{} ({}) FROM STDIN").format(
        q.Identifier(schema),
        q.Identifier(tmp),
        q.SQL(", ").join(q.Identifier(str(c)) for c in df.columns),
    )
    with cur.copy(copy_sql) as copy:
        for start in range(0, len(df), _CHUNK_ROWS):
            block = [t.iloc[start : start + _CHUNK_ROWS] for t in texts]
            lines = block[0].str.cat(block[1:], sep="\t") if len(block) > 1 else block[0]
            copy.write(("\n".join(lines.tolist()) + "\n").encode("utf-8"))
    return geo_cols


def _create_index(cur: Any, schema: str, name: str, column: str) -> None:
    """A GiST index on one geometry column of ``schema.name``."""
    from psycopg import sql as q

    index = f"{name}_{column}_gist"
    if len(index.encode("utf-8")) > MAX_NAME:
        index = f"xsland_{secrets.token_hex(6)}_gist"
    cur.execute(
        q.SQL("CREATE INDEX {} ON {}.{} USING GIST ({})").format(
            q.Identifier(index), q.Identifier(schema), q.Identifier(name), q.Identifier(column)
        )
    )


def write_tables(
    layers: Mapping[str, pd.DataFrame],
    uri: str,
    *,
    schema: str,
    overwrite: bool = True,
    declared: Mapping[str, Mapping[str, str]] | None = None,
) -> list[str]:
    """Write layers as tables of ``schema``, all in one transaction.

    Each layer is copied into a new table under a temporary name; then, inside the same
    transaction, each old table is dropped, the new one renamed into its place and given a
    GiST index per geometry column, and the tables are analysed. If anything fails — a
    column that cannot be stored, a lost connection, a constraint — the transaction is
    rolled back: the schema holds exactly what it held before.

    Geometries are written with their layer's SRID (``EPSG:4549`` → 4549; a CRS without
    EPSG code is added to ``spatial_ref_sys`` under ``auth_name = 'xsland'``). Column types
    follow pandas': integers ``bigint``, floats ``double precision`` (NaN as NULL),
    booleans, ``timestamp``, text; object columns mixing numbers and text are written as
    text. The index of a frame is not written (``reset_index()`` first to keep it).

    Parameters
    ----------
    layers
        ``table name -> (Geo)DataFrame``; not modified.
    uri
        ``postgresql://user@host:port/database``; what it leaves out comes from the ``PG*``
        environment variables and ``~/.pgpass``.
    schema
        The schema to write into; created when missing.
    overwrite
        Replace tables of the same names (default). When false, an existing table is
        refused before anything is written.
    declared
        ``table -> column -> dtype`` (one of :data:`xsland.rules.columns.DTYPES`).

    Returns
    -------
    list of str
        The tables written, as ``schema.table``.

    Raises
    ------
    PostGISError
        The server cannot be reached, or the write fails (nothing is changed).
    OutputExistsError
        A table exists and ``overwrite`` is false.
    DataError
        A column of a type a table cannot hold, or a name PostgreSQL cannot take.
    """
    from psycopg import Error as PGError
    from psycopg import sql as q

    _check_name(schema, "schema")
    for name in layers:
        _check_name(name, "table")
    if not layers:
        return []
    token = secrets.token_hex(4)
    written = []
    with connect(uri) as conn:
        try:
            with conn.transaction(), conn.cursor() as cur:
                cur.execute("SET LOCAL lock_timeout = '60s'")  # a reader holding a table
                cur.execute(q.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(q.Identifier(schema)))
                cur.execute(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                    (schema,),
                )
                existing = {r[0] for r in cur.fetchall()}
                clash = [n for n in layers if n in existing]
                if clash and not overwrite:
                    raise OutputExistsError(
                        f"tables {', '.join(clash)} exist in schema {schema!r} of {describe_server(uri)}; "
                        "pass overwrite=True (--overwrite) to replace them"
                    )
                staged = []
                for i, (name, df) in enumerate(layers.items()):
                    tmp = f"_xsland_{token}_{i}"
                    types = (declared or {}).get(name)
                    geo_cols = _load_table(cur, schema, tmp, name, df, types)
                    staged.append((name, tmp, geo_cols))
                for name, tmp, geo_cols in staged:
                    cur.execute(
                        q.SQL("DROP TABLE IF EXISTS {}.{}").format(
                            q.Identifier(schema), q.Identifier(name)
                        )
                    )
                    cur.execute(
                        q.SQL("ALTER TABLE {}.{} RENAME TO {}").format(
                            q.Identifier(schema), q.Identifier(tmp), q.Identifier(name)
                        )
                    )
                    for col in geo_cols:
                        _create_index(cur, schema, name, str(col))
                    cur.execute(
                        q.SQL("ANALYZE {}.{}").format(q.Identifier(schema), q.Identifier(name))
                    )
                    written.append(f"{schema}.{name}")
        except PGError as exc:
            raise PostGISError(
                scrub(
                    f"writing {', '.join(layers)} to schema {schema!r} of {describe_server(uri)} failed, "
                    f"nothing was changed: {str(exc).strip()}",
                    uri,
                )
            ) from None
    return written


def declared_types(layers: Mapping[str, pd.DataFrame]) -> dict[str, dict[str, str]]:
    """``layer -> column -> dtype`` of every column :mod:`xsland.rules.columns` declares.

    Columns a layer has but the schema does not declare (a parcel layer's own extra
    columns) are left out; so are layers the schema does not know.
    """
    out: dict[str, dict[str, str]] = {}
    for name, df in layers.items():
        spec = TABLES.get(name)
        if spec is None:
            continue
        geometry = getattr(df, "_geometry_column_name", None)
        out[name] = {
            str(c): col.dtype
            for c in df.columns
            if c != geometry and (col := spec.column(str(c))) is not None
        }
    return out


def write_postgis(
    result: AuditResult,
    uri: str,
    *,
    schema: str,
    overwrite: bool = True,
) -> list[str]:
    """Write an audit as tables of ``schema``, typed from the output schema, in one transaction.

    Every layer of :meth:`AuditResult.layers` (parks, parcels, quality, rules, …,
    ``meta`` with the policy as JSON, ``inputs``) becomes one table; each declared
    column gets the type of :data:`SQL_TYPES` (``far_ok`` a ``boolean``, ``as_of`` a
    ``date`` …). See :func:`write_tables` for the transaction.

    Parameters
    ----------
    result
        The audit (:func:`xsland.pipeline.audit.run`, :meth:`AuditResult.read`); not modified.
    uri
        ``postgresql://user@host:port/database``; what it leaves out comes from the ``PG*``
        environment variables and ``~/.pgpass``.
    schema
        The schema to write into; created when missing.
    overwrite
        Replace tables of the same names (default); when false an existing table is
        refused before anything is written.

    Returns
    -------
    list of str
        The tables written, as ``schema.table``.

    Raises
    ------
    DataError
        ``result`` is not an :class:`AuditResult`, or a column cannot be stored.
    PostGISError
        The server cannot be reached, or the write fails (nothing is changed).
    OutputExistsError
        A table exists and ``overwrite`` is false (``--overwrite``).
    """
    if not isinstance(result, AuditResult):
        raise DataError(
            f"write_postgis takes an AuditResult, not {type(result).__name__}. Fix: pass the "
            "result of the audit or xsland.AuditResult.read(folder); write_tables writes "
            "other tables"
        )
    layers = result.layers()
    return write_tables(
        layers, uri, schema=schema, overwrite=overwrite, declared=declared_types(layers)
    )
