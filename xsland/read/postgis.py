"""PostGIS in and out, and GeoParquet out: the exchange formats of large runs.

- :func:`read_postgis_layer` reads a PostGIS table or the result of a SQL query, as
  :func:`xsland.read.io.read_layer` / :func:`xsland.read.io.read_table` read a file: with ``kind``
  set, the columns are renamed to the data contract (aliases, then ``columns``) and the
  layer is validated (:mod:`xsland.read.validate`). A source without a geometry column is read
  as a table (``enterprises``, ``indicators``).
- :func:`write_postgis` writes several layers (the audit's ``parks``, ``parcels``,
  ``quality`` …) as tables of one schema **in one transaction**: each is loaded into a new
  table under a temporary name, and only then, still inside the transaction, are the old
  tables dropped, the new ones renamed into place and given GiST indexes. Anything that
  fails rolls the whole transaction back, so the previous tables stay as they were.
  Geometries keep their SRID (EPSG:4549 …).
- :func:`write_geoparquet` writes layers as GeoParquet (tables as plain Parquet) into a
  folder, atomically.

Credentials come from the URI, the ``PG*`` environment variables or ``~/.pgpass``: every
connection goes through libpq (psycopg), which reads them when the URI leaves them out.
They are never printed: every message shows the URI through :func:`redact`.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from xsland._redact import is_postgres_uri
from xsland._redact import redact as redact_text
from xsland.errors import CRSError, DataError, InputFileError, OutputExistsError
from xsland.read.io import assign_crs, rename_columns
from xsland.read.validate import validate_layer, validate_table
from xsland.rules.schema import get_kind

__all__ = [
    "PostGISError",
    "check_connection",
    "is_postgis_uri",
    "read_postgis_layer",
    "redact",
    "write_geoparquet",
    "write_postgis",
]

log = logging.getLogger(__name__)

#: URI schemes read as PostgreSQL connection strings.
URI_SCHEMES = ("postgresql://", "postgres://")
_SCHEME = re.compile(r"postgres(?:ql)?(?:\+[A-Za-z0-9_]+)?://", re.IGNORECASE)
#: Longest identifier PostgreSQL keeps (NAMEDATALEN - 1 bytes).
_MAX_NAME = 63
#: Rows sent to the server per ``COPY`` block.
_CHUNK_ROWS = 50_000
_MASK = "***"


class PostGISError(InputFileError):
    """A PostgreSQL server that cannot be reached, or a table that cannot be read or written.

    Derives from :class:`~xsland.errors.InputFileError` (so also from ``OSError``); the
    message names the host and database and never shows a password.
    """


# ---------------------------------------------------------------------------
# connection strings
# ---------------------------------------------------------------------------


def is_postgis_uri(text: Any) -> bool:
    """Whether ``text`` is a ``postgresql://`` URI (also ``postgres://``, ``postgresql+psycopg://`` …)."""
    return is_postgres_uri(text)


def libpq_uri(uri: str) -> str:
    """The URI as libpq reads it: a driver suffix (``postgresql+psycopg://``) dropped."""
    text = uri.strip()
    m = _SCHEME.match(text)
    return "postgresql://" + text[m.end() :] if m else text


def redact(uri: str) -> str:
    """The connection string with its password replaced by ``***``.

    Handles URIs (``postgresql://user:secret@host/db``, any driver suffix, and
    ``?password=secret`` in their query), key/value strings (``host=h password=secret``)
    and GDAL's ``PG:`` strings, also when they cannot be parsed; it is
    :func:`xsland._redact.redact`, the one function every message goes through.

    Examples
    --------
    >>> redact("postgresql://planner:s3cret@db.example:5432/cadastre")
    'postgresql://planner:***@db.example:5432/cadastre'
    >>> redact("host=db dbname=cadastre password='s3 cret'")
    'host=db dbname=cadastre password=***'
    """
    return redact_text(uri)


def _params(uri: str) -> dict[str, str]:
    """The connection parameters libpq would use: the URI's, then the ``PG*`` defaults."""
    from psycopg import conninfo, pq

    try:
        given = conninfo.conninfo_to_dict(uri)
    except Exception:  # an unparsable string: libpq says why on connect
        given = {}
    out = {
        opt.keyword.decode(): opt.val.decode()
        for opt in pq.Conninfo.get_defaults()
        if opt.val is not None
    }
    out.update({k: str(v) for k, v in given.items() if v is not None})
    return out


def _where(uri: str) -> str:
    """``database 'db' on host:port as user 'u'`` for messages (never the password)."""
    p = _params(uri)
    host = p.get("host") or p.get("hostaddr") or "the local socket"
    port = p.get("port")
    where = f"database {p.get('dbname') or p.get('user') or '?'!r} on {host}"
    if port:
        where += f":{port}"
    if p.get("user"):
        where += f" as user {p['user']!r}"
    return where


def _scrub(text: str, uri: str) -> str:
    """A server or libpq message with every password that could be in it masked."""
    secrets_ = [_params(libpq_uri(uri)).get("password"), os.environ.get("PGPASSWORD")]
    for s in secrets_:
        if s:
            text = text.replace(s, _MASK)
            text = text.replace(quote(s, safe=""), _MASK)
    return redact_text(text)


def _parsable(uri: str) -> None:
    """Refuse a connection string libpq cannot parse, without echoing any of it."""
    from psycopg import conninfo

    try:
        conninfo.conninfo_to_dict(uri)
    except Exception:  # libpq's message quotes parts of the string, maybe of the password
        raise PostGISError(
            f"cannot read the connection string {redact(uri)}. Fix: write "
            "postgresql://user:password@host:port/database with special characters of the "
            "user and password percent-encoded (% as %25, @ as %40, : as %3A, / as %2F), or "
            "leave the password out and set PGPASSWORD or ~/.pgpass"
        ) from None


@contextmanager
def _connect(uri: str) -> Iterator[Any]:
    """A psycopg connection (not in autocommit) with a clear error when it fails."""
    import psycopg

    if not is_postgis_uri(uri):
        raise PostGISError(
            f"{redact(uri)} is not a PostgreSQL URI. Fix: write postgresql://user@host:port/database"
        )
    uri = libpq_uri(uri)
    _parsable(uri)
    given = _params(uri)
    extra: dict[str, Any] = {}
    if "connect_timeout" not in given:
        extra["connect_timeout"] = 15
    if not given.get("application_name"):
        extra["application_name"] = "xsland"
    try:
        conn = psycopg.connect(uri, **extra)
    except psycopg.Error as exc:
        reason = _scrub(str(exc).strip(), uri)
        raise PostGISError(
            f"cannot connect to PostgreSQL {_where(uri)} ({redact(uri)}): {reason}. Fix: check "
            "the host, port and database name, that the server is running, and the user and "
            "password (in the URI, the PGUSER/PGPASSWORD environment variables or ~/.pgpass)"
        ) from None
    try:
        yield conn
    finally:
        conn.close()


def _qualified(name: str) -> tuple[str, ...]:
    """``"schema.table"`` -> ``("schema", "table")``; ``"table"`` -> ``("table",)``.

    A name in double quotes is taken whole (``'"my.table"'``).
    """
    text = name.strip()
    parts = re.findall(r'"((?:[^"]|"")*)"|([^."]+)', text)
    names = tuple(q.replace('""', '"') if q else plain.strip() for q, plain in parts)
    if not names or len(names) > 2 or any(not n for n in names):
        raise DataError(f"{name!r} is not a table name; write table or schema.table")
    return names


# ---------------------------------------------------------------------------
# reading
# ---------------------------------------------------------------------------

_BOOL, _INTS, _FLOATS, _NUMERIC = 16, (20, 21, 23), (700, 701), 1700
_DATE, _TIMESTAMP, _TIMESTAMPTZ = 1082, 1114, 1184


def _column(values: list[Any], oid: int) -> Any:
    """A column of fetched values as a NumPy/pandas array of the type the database had."""
    has_null = any(v is None for v in values)
    if oid == _BOOL:
        return pd.array(values, dtype="boolean") if has_null else np.array(values, dtype=bool)
    if oid in _INTS:
        return pd.array(values, dtype="Int64") if has_null else np.array(values, dtype="int64")
    if oid in _FLOATS or oid == _NUMERIC:
        return np.array([np.nan if v is None else float(v) for v in values], dtype="float64")
    if oid in (_DATE, _TIMESTAMP):
        return pd.to_datetime(pd.Series(values, dtype=object), errors="coerce").to_numpy()
    if oid == _TIMESTAMPTZ:
        return pd.array(pd.to_datetime(pd.Series(values, dtype=object), utc=True))
    if not values or all(v is None for v in values):
        return np.array(values, dtype=object)
    if all(isinstance(v, str) or v is None for v in values):
        return pd.array(values, dtype="str")
    return np.array(values, dtype=object)


def _crs_of_srid(cur: Any, srid: int, where: str) -> Any:
    from pyproj import CRS

    cur.execute("SELECT auth_name, auth_srid, srtext FROM spatial_ref_sys WHERE srid = %s", (srid,))
    row = cur.fetchone()
    try:
        if row is not None and row[0] and row[0].upper() == "EPSG" and row[1]:
            return CRS.from_epsg(int(row[1]))
        if row is not None and row[2]:
            return CRS.from_wkt(row[2])
        return CRS.from_epsg(srid)
    except Exception as exc:
        raise CRSError(
            f"{where}: SRID {srid} is not a CRS xsland knows ({exc}); give the CRS with crs="
        ) from exc


def read_postgis_layer(
    uri: str,
    *,
    table: str | None = None,
    sql: str | None = None,
    geometry_column: str | None = None,
    kind: str | None = None,
    columns: Mapping[str, str] | None = None,
    crs: Any = None,
    override_crs: Any = None,
    **validate_options: Any,
) -> gpd.GeoDataFrame | pd.DataFrame:
    """Read a PostGIS table or query, optionally as one kind of the data contract.

    Parameters
    ----------
    uri
        ``postgresql://user@host:port/database``. What it leaves out (password, host,
        user …) libpq takes from the ``PG*`` environment variables and ``~/.pgpass``.
    table
        ``table`` or ``schema.table`` (double quotes keep a name whole).
    sql
        A ``SELECT`` query instead of ``table``.
    geometry_column
        The geometry column when the source has several (default: the only one).
    kind
        ``"parks"``, ``"parcels"``, ``"buildings"``, ``"plan"``: rename the columns to the
        contract, coerce and validate as :func:`xsland.read.io.read_layer` does;
        ``"enterprises"``, ``"indicators"``: read as a table, as
        :func:`xsland.read.io.read_table` does (a geometry column, if any, is left out).
        ``None`` reads the source as it is.
    columns
        ``database column -> contract column``; wins over the aliases.
    crs
        The CRS of a layer whose geometries have no SRID (0); a layer with an SRID keeps it.
    override_crs
        Replaces the CRS of the SRID (a wrong SRID); listed in the data-quality table.
    **validate_options
        Passed to :func:`xsland.read.validate.validate_layer` (``duplicates``,
        ``empty_geometry``, ``collect``) or, for tables,
        :func:`~xsland.read.validate.validate_table` (``empty_geometry`` is ignored there).

    Returns
    -------
    GeoDataFrame or DataFrame
        The geometry column is named ``geometry``; types follow the database's (integers,
        floats, booleans, dates as ``datetime64``, text). ``attrs["source"]`` names the
        redacted URI and the table (or ``"(sql)"``); ``attrs["quality"]`` lists repairs.

    Raises
    ------
    PostGISError
        The server cannot be reached, or the table or query does not exist or fails.
    CRSError
        Geometries without SRID and no ``crs``, or several SRIDs in one column.
    DataError
        A vector ``kind`` for a source without geometry, or ambiguous geometry columns.
    ValidationError
        Missing columns, duplicate IDs, bad geometries … all listed at once.
    """
    from psycopg import Error as PGError
    from psycopg import sql as q

    if (table is None) == (sql is None):
        raise DataError("give the PostGIS source as table= (table or schema.table) or as sql=")
    spec = get_kind(kind) if kind is not None else None
    name = table if table is not None else "(sql)"
    where = f"{redact(uri)} table {table!r}" if table is not None else f"{redact(uri)} query"
    if table is not None:
        source = q.SQL("SELECT * FROM {}").format(q.Identifier(*_qualified(table)))
    else:
        text = str(sql).strip().rstrip(";").strip()
        if not text:
            raise DataError("sql= is empty; give a SELECT query")
        source = q.SQL(text)  # type: ignore[arg-type]  # the user's own query
    with _connect(uri) as conn, conn.cursor() as cur:
        try:
            cur.execute(
                "SELECT oid FROM pg_type WHERE typname IN ('geometry', 'geography') "
                "AND typtype = 'b'"
            )
            geo_oids = {r[0] for r in cur.fetchall()}
            cur.execute(q.SQL("SELECT * FROM ({}) AS _xsland_q LIMIT 0").format(source))
            desc = [(d.name, d.type_code) for d in cur.description or []]
        except PGError as exc:
            conn.rollback()
            raise PostGISError(_source_error(exc, uri, where, table, cur)) from None
        names = [n for n, _ in desc]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise DataError(
                f"{where}: columns {', '.join(dup)} appear twice; alias them in the SQL"
            )
        geo_cols = [n for n, t in desc if t in geo_oids]
        table_kind = spec is not None and spec.geometry is None
        geom = None if table_kind else _geometry_column(geo_cols, geometry_column, where)
        if spec is not None and spec.geometry is not None and geom is None:
            raise DataError(
                f"{where} has no geometry column; {kind} is a polygon layer (tables such as "
                "enterprises and indicators are read with kind='enterprises'/'indicators')"
            )
        attrs = [(n, t) for n, t in desc if n not in geo_cols]
        select = [q.SQL("_xsland_q.{}").format(q.Identifier(n)) for n, _ in attrs]
        if geom is not None:
            g = q.SQL("_xsland_q.{}::geometry").format(q.Identifier(geom))
            select += [
                q.SQL("ST_AsBinary({})").format(g),
                q.SQL("ST_SRID({})").format(g),
            ]
        query = q.SQL("SELECT {} FROM ({}) AS _xsland_q").format(
            q.SQL(", ").join(select) if select else q.SQL("NULL"), source
        )
        values: list[list[Any]] = [[] for _ in select] if select else [[]]
        try:
            with conn.cursor(name="xsland_read", binary=True) as big:
                big.itersize = _CHUNK_ROWS
                big.execute(query)
                while rows := big.fetchmany(_CHUNK_ROWS):
                    for col, vals in zip(values, zip(*rows, strict=True), strict=True):
                        col.extend(vals)
        except PGError as exc:
            raise PostGISError(_scrub(f"{where}: the query failed: {exc}".strip(), uri)) from None
        data = {n: _column(v, t) for (n, t), v in zip(attrs, values, strict=False)}
        frame = pd.DataFrame(data, columns=[n for n, _ in attrs])
        if geom is None:
            frame.attrs = {"source": {"file": redact(uri), "layer": name}, "quality": []}
            if spec is None:
                return frame
            validate_options.pop("empty_geometry", None)
            renamed, mapping = rename_columns(frame, kind, columns=columns, where=where)
            renamed.attrs = {"source": {**frame.attrs["source"], "columns": mapping}, "quality": []}
            return validate_table(renamed, kind, file=redact(uri), **validate_options)
        wkb = np.array(values[-2], dtype=object)
        srids = np.array([0 if s is None else s for s in values[-1]], dtype=np.int64)
        found = sorted(set(srids[srids != 0].tolist()))
        if len(found) > 1:
            raise CRSError(
                f"{where}: geometry column {geom!r} mixes SRIDs {found}; transform them to one "
                "(ST_Transform) in a view or with sql="
            )
        layer_crs = _crs_of_srid(cur, found[0], where) if found else None
    gname = "geometry" if "geometry" not in frame.columns else geom
    at = [n for n, _ in desc if n == geom or n not in geo_cols].index(geom)  # keep its place
    frame.insert(at, gname, shapely.from_wkb(wkb))
    gdf = gpd.GeoDataFrame(frame, geometry=gname)
    if layer_crs is None and crs is None and override_crs is None and len(gdf):
        raise CRSError(
            f"{where}: geometry column {geom!r} has no SRID; state the CRS with crs= "
            "(e.g. crs='EPSG:4549'), --crs or the project file's 'crs' key, or set it in the "
            "database (UpdateGeometrySRID)"
        )
    quality: list = []
    if layer_crs is not None:
        gdf = gdf.set_crs(layer_crs)
    if gdf.crs is not None or crs is not None or override_crs is not None:
        # crs labels geometries without SRID only; override_crs replaces the SRID's CRS
        gdf, quality = assign_crs(gdf, crs, override_crs, where=where, file=redact(uri), kind=kind)
    gdf.attrs = {"source": {"file": redact(uri), "layer": name}, "quality": quality}
    if spec is None:
        return gdf
    renamed, mapping = rename_columns(gdf, kind, columns=columns, where=where)
    renamed.attrs = {"source": {**gdf.attrs["source"], "columns": mapping}, "quality": quality}
    return validate_layer(renamed, kind, file=redact(uri), layer=name, **validate_options)


def _geometry_column(found: list[str], wanted: str | None, where: str) -> str | None:
    if wanted is not None:
        if wanted not in found:
            raise DataError(
                f"{where}: no geometry column {wanted!r}; its geometry columns are "
                f"{', '.join(found) or 'none'}"
            )
        return wanted
    if len(found) > 1:
        raise DataError(
            f"{where} has geometry columns {', '.join(found)}; say which one with "
            "geometry_column= (the project file's 'geometry_column' key)"
        )
    return found[0] if found else None


def _source_error(exc: Exception, uri: str, where: str, table: str | None, cur: Any) -> str:
    """The message for a table that does not exist or a query that fails."""
    from psycopg import errors

    text = _scrub(str(exc).strip().splitlines()[0], uri)
    if table is not None and isinstance(exc, errors.UndefinedTable):
        names = _qualified(table)
        try:
            cur.connection.rollback()
            cur.execute(
                "SELECT table_schema || '.' || table_name FROM information_schema.tables "
                "WHERE table_schema NOT IN ('pg_catalog', 'information_schema') "
                "ORDER BY table_schema <> %s, 1 LIMIT 30",
                (names[0] if len(names) == 2 else "public",),
            )
            tables = [r[0] for r in cur.fetchall()]
        except Exception:
            tables = []
        listed = f"; tables there: {', '.join(tables)}" if tables else "; it has no tables"
        return (
            f"{where}: no such table in {_where(uri)}{listed}. Fix: check the table name "
            "(schema.table) in the project file or --table"
        )
    return f"{where}: cannot read it from {_where(uri)}: {text}"


# ---------------------------------------------------------------------------
# writing
# ---------------------------------------------------------------------------

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
        out = pd.Series(np.where(s.fillna(False).astype(bool), "t", "f"), index=s.index)
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
    elif sql_type == "date":
        out = each(lambda v: v.isoformat())
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
    if len(name.encode("utf-8")) > _MAX_NAME:
        raise DataError(
            f"{what} {name!r} is longer than PostgreSQL's {_MAX_NAME} bytes; use a shorter name"
        )
    return name


def _load_table(cur: Any, schema: str, tmp: str, name: str, df: pd.DataFrame) -> list[str]:
    """Create ``schema.tmp`` with the columns of ``df`` and copy its rows in.

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
    if len(index.encode("utf-8")) > _MAX_NAME:
        index = f"xsland_{secrets.token_hex(6)}_gist"
    cur.execute(
        q.SQL("CREATE INDEX {} ON {}.{} USING GIST ({})").format(
            q.Identifier(index), q.Identifier(schema), q.Identifier(name), q.Identifier(column)
        )
    )


def check_connection(uri: str) -> None:
    """Connect to ``uri`` and close again: a run that would fail to write is refused first.

    Raises
    ------
    PostGISError
        The string cannot be parsed or the server cannot be reached (password never shown).
    """
    with _connect(uri):
        pass


def write_postgis(
    layers: Mapping[str, pd.DataFrame],
    uri: str,
    *,
    schema: str,
    overwrite: bool = True,
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
    with _connect(uri) as conn:
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
                        f"tables {', '.join(clash)} exist in schema {schema!r} of {_where(uri)}; "
                        "pass overwrite=True (--overwrite) to replace them"
                    )
                staged = []
                for i, (name, df) in enumerate(layers.items()):
                    tmp = f"_xsland_{token}_{i}"
                    geo_cols = _load_table(cur, schema, tmp, name, df)
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
                _scrub(
                    f"writing {', '.join(layers)} to schema {schema!r} of {_where(uri)} failed, "
                    f"nothing was changed: {str(exc).strip()}",
                    uri,
                )
            ) from None
    return written


# ---------------------------------------------------------------------------
# GeoParquet
# ---------------------------------------------------------------------------


def _parquet_ready(df: pd.DataFrame, name: str) -> pd.DataFrame:
    """Object columns mixing numbers and text as text, as Arrow needs one type a column."""
    out = df
    for col in df.columns:
        s = df[col]
        if isinstance(s.dtype, gpd.array.GeometryDtype) or not pd.api.types.is_object_dtype(
            s.dtype
        ):
            continue
        inferred = pd.api.types.infer_dtype(s, skipna=True)
        if inferred.startswith("mixed"):
            bad = [type(v).__name__ for v in s.dropna() if not isinstance(v, _SCALARS)]
            if bad:
                raise _unsupported(name, str(col), f"{bad[0]} values")
            if out is df:
                out = df.copy()
            out[col] = s.map(lambda v: None if v is None or v != v else str(v))
    return out


def write_geoparquet(
    layers: Mapping[str, pd.DataFrame],
    folder: str | os.PathLike,
    *,
    overwrite: bool = False,
) -> list[Path]:
    """Write layers as ``<folder>/<name>.parquet``, the whole folder atomically.

    GeoDataFrames become GeoParquet (WKB geometry, CRS in the metadata, a bounding-box
    covering column so that readers can filter by area); plain tables become Parquet. The
    folder is built beside ``folder`` and moved into place when complete
    (:func:`xsland.write.report.atomic_dir`), so a failed run leaves no half-written output.
    GeoParquet layers read back with :func:`xsland.read.io.read_layer`; tables with
    :func:`pandas.read_parquet`.

    Parameters
    ----------
    layers
        ``name -> (Geo)DataFrame``; not modified. The index is not written.
    folder
        The output folder.
    overwrite
        Replace an existing folder (only once the new one is complete).

    Returns
    -------
    list of Path
        The files written.

    Raises
    ------
    OutputExistsError
        ``folder`` exists and ``overwrite`` is false.
    DataError
        A column Parquet cannot hold.
    """
    from xsland._atomic import atomic_dir

    names = []
    for name in layers:
        if not isinstance(name, str) or not name or "/" in name or name.startswith("."):
            raise DataError(f"layer name {name!r} cannot be a file name")
        names.append(name)
    target = Path(folder)
    with atomic_dir(target, overwrite=overwrite) as tmp:
        for name, df in layers.items():
            data = _parquet_ready(df, name)
            path = tmp / f"{name}.parquet"
            if isinstance(data, gpd.GeoDataFrame):
                data.to_parquet(path, index=False, write_covering_bbox=True)
            else:
                pd.DataFrame(data).to_parquet(path, index=False)
    return [target / f"{n}.parquet" for n in names]
