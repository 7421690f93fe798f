"""PostGIS in: the exchange format of large runs (writing: :mod:`xsland.write.postgis`).

- :func:`read_postgis_layer` reads a PostGIS table or the result of a SQL query, as
  :func:`xsland.read.io.read_layer` / :func:`xsland.read.io.read_table` read a file: with ``kind``
  set, the columns are renamed to the data contract (aliases, then ``columns``) and the
  layer is validated (:mod:`xsland.read.validate`). A source without a geometry column is read
  as a table (``enterprises``, ``indicators``).
- :func:`connect`, :func:`describe_server` and :func:`scrub` open a connection and word
  its messages; :mod:`xsland.write.postgis` writes through them.

Credentials come from the URI, the ``PG*`` environment variables or ``~/.pgpass``: every
connection goes through libpq (psycopg), which reads them when the URI leaves them out.
They are never printed: every message shows the URI through :func:`redact`.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from xsland._redact import is_postgres_uri
from xsland._redact import redact as redact_text
from xsland.errors import CRSError, DataError, InputFileError
from xsland.read.io import assign_crs, rename_columns
from xsland.read.validate import validate_layer, validate_table
from xsland.rules.schema import get_kind

__all__ = [
    "MAX_NAME",
    "PostGISError",
    "check_connection",
    "connect",
    "describe_server",
    "is_postgis_uri",
    "read_postgis_layer",
    "redact",
    "scrub",
]

log = logging.getLogger(__name__)

#: URI schemes read as PostgreSQL connection strings.
URI_SCHEMES = ("postgresql://", "postgres://")
_SCHEME = re.compile(r"postgres(?:ql)?(?:\+[A-Za-z0-9_]+)?://", re.IGNORECASE)
#: Longest identifier PostgreSQL keeps (NAMEDATALEN - 1 bytes).
MAX_NAME = 63
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


def describe_server(uri: str) -> str:
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


def scrub(text: str, uri: str) -> str:
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
def connect(uri: str) -> Iterator[Any]:
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
        reason = scrub(str(exc).strip(), uri)
        raise PostGISError(
            f"cannot connect to PostgreSQL {describe_server(uri)} ({redact(uri)}): {reason}. Fix: check "
            "the host, port and database name, that the server is running, and the user and "
            "password (in the URI, the PGUSER/PGPASSWORD environment variables or ~/.pgpass)"
        ) from None
    try:
        yield conn
    finally:
        conn.close()


def check_connection(uri: str) -> None:
    """Connect to ``uri`` and close again: a run that would fail to write is refused first.

    Raises
    ------
    PostGISError
        The string cannot be parsed or the server cannot be reached (password never shown).
    """
    with connect(uri):
        pass


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
    with connect(uri) as conn, conn.cursor() as cur:
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
            raise PostGISError(scrub(f"{where}: the query failed: {exc}".strip(), uri)) from None
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

    text = scrub(str(exc).strip().splitlines()[0], uri)
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
            f"{where}: no such table in {describe_server(uri)}{listed}. Fix: check the table name "
            "(schema.table) in the project file or --table"
        )
    return f"{where}: cannot read it from {describe_server(uri)}: {text}"
