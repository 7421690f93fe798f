"""PostGIS in and out, against a real throwaway PostgreSQL + PostGIS server; GeoParquet out.

The server is started once per session by ``postgres_fixture.postgres`` (initdb in a
temporary folder, password authentication on localhost). Without the server binaries the
tests fail with what to install; they never skip.
"""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal

import geopandas as gpd
import numpy as np
import pandas as pd
import psycopg
import pytest
import shapely
from postgres_fixture import postgres  # noqa: F401  (the session fixture)
from pyproj import CRS

from xsland.errors import CRSError, DataError, InputFileError, OutputExistsError, XslandError
from xsland.pipeline.audit import run
from xsland.read.crs import metric_crs
from xsland.read.io import read_layer, read_table
from xsland.read.postgis import PostGISError, is_postgis_uri, read_postgis_layer, redact
from xsland.result import AuditResult
from xsland.rules.columns import TABLES as SCHEMA
from xsland.write.geoparquet import write_geoparquet
from xsland.write.postgis import write_postgis, write_tables

LAYERS = ("parks", "parcels", "buildings", "plan")
TABLES = ("enterprises", "indicators")
AUDIT = ("parks", "parcels", "quality", "towns", "district", "rules")
KEYS = {
    "parks": ["park_id"],
    "parcels": ["parcel_id"],
    "towns": ["town"],
    "district": ["check"],
    "rules": ["key"],
    "quality": ["layer", "check", "id", "column", "detail"],
}
X0, Y0 = 535_000.0, 3_496_000.0


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def _plain(values: pd.Series) -> np.ndarray:
    """Values with every kind of missing as None, numbers as float, for comparison."""
    out = []
    for v in values.astype(object):
        if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) or v is pd.NaT:
            out.append(None)
        elif isinstance(v, bool | np.bool_):
            out.append(bool(v))
        elif isinstance(v, int | float | np.integer | np.floating | Decimal):
            out.append(float(v))
        elif isinstance(v, pd.Timestamp | dt.datetime | dt.date):  # a day: its midnight
            out.append(pd.Timestamp(v).as_unit("us"))
        else:
            out.append(v)
    return np.array(out, dtype=object)


def assert_same_table(a: pd.DataFrame, b: pd.DataFrame, keys: list[str]) -> None:
    """Same columns, rows and values, whatever the row order and dtypes.

    Floats must be equal exactly (they travel as their shortest repr), geometries equal
    coordinate by coordinate.
    """
    assert list(a.columns) == list(b.columns)
    assert len(a) == len(b)
    a = a.sort_values(keys, kind="stable").reset_index(drop=True)
    b = b.sort_values(keys, kind="stable").reset_index(drop=True)
    for col in a.columns:
        if isinstance(a[col].dtype, gpd.array.GeometryDtype):
            assert isinstance(b[col].dtype, gpd.array.GeometryDtype), col
            ga, gb = a[col].to_numpy(), b[col].to_numpy()
            same = shapely.equals_exact(ga, gb, tolerance=0) | (
                shapely.is_missing(ga) & shapely.is_missing(gb)
            )
            assert same.all(), f"{col}: {int((~same).sum())} geometries differ"
            assert a[col].crs == b[col].crs, col
        else:
            va, vb = _plain(a[col]), _plain(b[col])
            diff = [i for i in range(len(va)) if not (va[i] == vb[i] or va[i] is vb[i])]
            assert not diff, f"{col}: rows {diff[:5]} differ: {va[diff[0]]!r} != {vb[diff[0]]!r}"


def _raw_sample(sample) -> dict[str, pd.DataFrame]:
    """The sample's layers and tables as they are in the files (no renaming, no checks)."""
    raw: dict[str, pd.DataFrame] = {k: read_layer(sample.gpkg, layer=k) for k in LAYERS}
    raw["enterprises"] = read_table(sample.enterprises)
    raw["indicators"] = read_table(sample.indicators)
    return raw


def _audit(data: dict[str, pd.DataFrame]):
    return run(
        data["parks"],
        data["parcels"],
        data["buildings"],
        enterprises=data["enterprises"],
        plan=data["plan"],
        indicators=data["indicators"],
    )


def _tables(uri: str, schema: str) -> dict[str, int]:
    """``table -> row count`` of a schema."""
    with psycopg.connect(uri) as conn:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                (schema,),
            )
        ]
        return {
            n: conn.execute(f'SELECT count(*) FROM "{schema}"."{n}"').fetchone()[0] for n in names
        }


@pytest.fixture(scope="module")
def loaded(postgres, sample):  # noqa: F811
    """The sample loaded into schema ``src`` (as raw tables) and its file-based audit."""
    raw = _raw_sample(sample)
    written = write_tables(raw, postgres.uri, schema="src")
    assert written == [f"src.{k}" for k in raw]
    files = {k: read_layer(sample.gpkg, layer=k, kind=k, duplicates="rename") for k in LAYERS} | {
        "enterprises": read_table(sample.enterprises, kind="enterprises"),
        "indicators": read_table(sample.indicators, kind="indicators"),
    }
    return raw, files, _audit(files)


# ---------------------------------------------------------------------------
# connection strings
# ---------------------------------------------------------------------------


def test_redact_hides_passwords_in_every_form():
    assert redact("postgresql://planner:s3cret@db.example:5432/cadastre") == (
        "postgresql://planner:***@db.example:5432/cadastre"
    )
    assert redact("postgres://planner@db/cadastre") == "postgres://planner@db/cadastre"
    assert "s3cret" not in redact("postgresql://u@h/db?password=s3cret&sslmode=require")
    assert "sslmode=require" in redact("postgresql://u@h/db?password=s3cret&sslmode=require")
    assert redact("host=db dbname=x password='a b\\'c' user=u") == (
        "host=db dbname=x password=*** user=u"
    )
    assert redact("host=db password=abc") == "host=db password=***"
    assert "p@ss:word" not in redact("postgresql://u:p%40ss%3Aword@h:5432/db")
    assert is_postgis_uri("postgresql://h/db") and is_postgis_uri("POSTGRES://h/db")
    assert not is_postgis_uri("data/parcels.gpkg") and not is_postgis_uri(None)


def test_connection_failure_names_host_and_database_never_the_password(postgres):  # noqa: F811
    wrong = "wrong-" + postgres.password[::-1]
    uri = postgres.uri_for(password=wrong)
    with pytest.raises(PostGISError) as info:
        read_postgis_layer(uri, table="anything")
    msg = str(info.value)
    assert wrong not in msg and postgres.password not in msg
    assert "127.0.0.1" in msg and repr(postgres.database) in msg and postgres.user in msg
    assert "password authentication failed" in msg and "~/.pgpass" in msg
    assert isinstance(info.value, InputFileError) and isinstance(info.value, OSError)
    assert isinstance(info.value, XslandError)
    # nobody listening: the same clear error, for writing too
    closed = f"postgresql://{postgres.user}:{postgres.password}@127.0.0.1:1/{postgres.database}"
    with pytest.raises(PostGISError, match=r"database 'xsland_test' on 127\.0\.0\.1:1") as info:
        write_tables({"t": pd.DataFrame({"a": [1]})}, closed, schema="x")
    assert postgres.password not in str(info.value)


def test_credentials_from_pg_environment_and_pgpass(postgres, monkeypatch, tmp_path):  # noqa: F811
    bare = postgres.uri_for(password="")
    assert ":" not in bare.split("//", 1)[1].split("@")[0]  # no password in the URI
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "none"))
    monkeypatch.setenv("PGPASSWORD", postgres.password)
    frame = pd.DataFrame({"n": [1, 2]})
    assert write_tables({"env_check": frame}, bare, schema="creds") == ["creds.env_check"]
    monkeypatch.delenv("PGPASSWORD")
    pgpass = tmp_path / "pgpass"
    pgpass.write_text(
        f"127.0.0.1:{postgres.port}:{postgres.database}:{postgres.user}:{postgres.password}\n"
    )
    os.chmod(pgpass, 0o600)
    monkeypatch.setenv("PGPASSFILE", str(pgpass))
    got = read_postgis_layer(bare, table="creds.env_check")
    assert got["n"].tolist() == [1, 2]
    # host, port, user and database from PG* variables, with an almost empty URI
    for key, value in (
        ("PGHOST", postgres.host),
        ("PGPORT", str(postgres.port)),
        ("PGUSER", postgres.user),
        ("PGDATABASE", postgres.database),
    ):
        monkeypatch.setenv(key, value)
    assert read_postgis_layer("postgresql://", table="creds.env_check")["n"].tolist() == [1, 2]
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "none"))
    with pytest.raises(PostGISError, match=r"database 'xsland_test' on 127\.0\.0\.1"):
        read_postgis_layer("postgresql://", table="creds.env_check")


# ---------------------------------------------------------------------------
# the sample, through PostGIS and back
# ---------------------------------------------------------------------------


def test_sample_round_trip_audit_equals_file_audit(postgres, loaded):  # noqa: F811
    raw, files, expected = loaded
    uri = postgres.uri
    # the raw tables come back as they went in
    for kind, frame in raw.items():
        back = read_postgis_layer(uri, table=f"src.{kind}")
        key = [frame.columns[0]]
        assert_same_table(frame, back, key)
    # read as the data contract: aliases (the indicators' Chinese headers) and validation
    data = {
        kind: read_postgis_layer(uri, table=f"src.{kind}", kind=kind, duplicates="rename")
        for kind in LAYERS + TABLES
    }
    assert data["parcels"].crs == files["parcels"].crs == CRS.from_epsg(4549)
    assert data["indicators"].attrs["source"]["columns"]["园区编号"] == "park_id"
    assert data["parcels"].attrs["source"]["file"] == redact(uri)
    assert postgres.password not in str(data["parcels"].attrs)
    for kind in LAYERS + TABLES:
        files_quality = pd.DataFrame(files[kind].attrs["quality"]).drop(
            columns="file", errors="ignore"
        )
        pg_quality = pd.DataFrame(data[kind].attrs["quality"]).drop(columns="file", errors="ignore")
        assert files_quality.to_dict("records") == pg_quality.to_dict("records"), kind
    result = _audit(data)
    for name in AUDIT:
        a, b = getattr(expected, name), getattr(result, name)
        if name == "quality":  # the input's location differs: a file path, a (redacted) URI
            a, b = a.drop(columns="file"), b.drop(columns="file")
        assert_same_table(a, b, KEYS[name])
    # the audit, written as tables in one transaction and read back
    layers = {name: getattr(result, name) for name in AUDIT}
    assert write_tables(layers, uri, schema="audit") == [f"audit.{n}" for n in AUDIT]
    for name in AUDIT:
        back = read_postgis_layer(uri, table=f"audit.{name}")
        assert_same_table(layers[name], back, KEYS[name])
    with psycopg.connect(uri) as conn:
        srids = dict(
            conn.execute(
                "SELECT f_table_name, srid FROM geometry_columns WHERE f_table_schema = 'audit'"
            ).fetchall()
        )
        indexes = {
            r[0]
            for r in conn.execute(
                "SELECT indexname FROM pg_indexes WHERE schemaname = 'audit' "
                "AND indexdef LIKE '%USING gist%'"
            )
        }
    assert srids == {"parks": 4549, "parcels": 4549}
    assert indexes == {"parks_geometry_gist", "parcels_geometry_gist"}
    # a query, with the contract's aliases applied to its columns
    sub = read_postgis_layer(
        uri,
        sql='SELECT "parcel_id" AS "地块编号", geometry AS geom FROM src.parcels '
        "WHERE parcel_id LIKE 'P00%' ORDER BY 1;",
        kind="parcels",
        duplicates="rename",
    )
    assert sub.geometry.name == "geometry" and list(sub.columns) == ["parcel_id", "geometry"]
    assert sub["parcel_id"].str.startswith("P00").all() and len(sub) > 0
    assert sub.attrs["source"]["layer"] == "(sql)"


def test_failed_write_leaves_the_previous_tables_untouched(postgres, loaded, monkeypatch):  # noqa: F811
    import xsland.write.postgis as pg

    uri = postgres.uri
    _, _, result = loaded
    layers = {name: getattr(result, name) for name in AUDIT}
    write_tables(layers, uri, schema="keep")
    before = _tables(uri, "keep")
    parcels_before = read_postgis_layer(uri, table="keep.parcels")

    # 1. a layer that cannot be stored, after a good one has been loaded
    bad = pd.DataFrame({"parcel_id": ["P1"], "payload": [{"a": 1}]})
    new_parks = layers["parks"].iloc[:2]
    with pytest.raises(DataError, match=r"layer 'bad': column 'payload' holds dict values"):
        write_tables({"parks": new_parks, "bad": bad}, uri, schema="keep")
    assert _tables(uri, "keep") == before

    # 2. a failure after the old tables were dropped and the new ones renamed into place
    calls = []

    def failing_index(cur, schema, name, column):
        calls.append(name)
        if name == "parcels":
            raise psycopg.errors.DiskFull("could not extend file: No space left on device")
        return original(cur, schema, name, column)

    original = pg._create_index
    monkeypatch.setattr(pg, "_create_index", failing_index)
    changed = {"parks": new_parks, "parcels": layers["parcels"].iloc[:5], "rules": layers["rules"]}
    with pytest.raises(PostGISError, match=r"nothing was changed: could not extend file") as info:
        write_tables(changed, uri, schema="keep")
    assert calls == ["parks", "parcels"]
    assert postgres.password not in str(info.value)
    assert _tables(uri, "keep") == before  # no temporary tables either
    assert_same_table(parcels_before, read_postgis_layer(uri, table="keep.parcels"), ["parcel_id"])

    # 3. refusing to overwrite changes nothing either
    monkeypatch.setattr(pg, "_create_index", original)
    with pytest.raises(OutputExistsError, match=r"tables parks exist in schema 'keep'"):
        write_tables(
            {"extra": layers["rules"], "parks": new_parks}, uri, schema="keep", overwrite=False
        )
    assert _tables(uri, "keep") == before


# ---------------------------------------------------------------------------
# types, CRSs and bad sources
# ---------------------------------------------------------------------------


def test_column_types_round_trip(postgres):  # noqa: F811
    frame = gpd.GeoDataFrame(
        {
            "id": ["a", "b", "c"],
            "i": np.array([1, -2, 3], dtype="int64"),
            "i_na": pd.array([1, None, 3], dtype="Int64"),
            "f": [0.1 + 0.2, np.nan, 1e-300],
            "inf": [np.inf, -np.inf, 0.0],
            "b": [True, False, True],
            "b_na": pd.array([True, None, False], dtype="boolean"),
            "t": pd.to_datetime(
                ["2025-08-29 10:11:12.123456", None, "1999-01-01"], format="ISO8601"
            ),
            "tz": pd.to_datetime(
                ["2025-08-29T10:00:00+08:00", None, "2025-01-01T00:00:00Z"], utc=True
            ),
            "d": [dt.date(2025, 8, 29), None, dt.date(2000, 2, 29)],
            "s": ["tab\there", "line\nbreak \\N back\\slash", ""],
            "s_na": ["园区", None, "地块"],
            "mixed": [1, "two", 3.5],
            "bytes": [b"\x00\xff", None, b"xy"],
            "dec": [Decimal("1.25"), None, Decimal("-3")],
        },
        geometry=[shapely.box(X0, Y0, X0 + 10, Y0 + 10), None, shapely.Polygon()],
        crs="EPSG:4549",
    )
    write_tables({"types": frame}, postgres.uri, schema="types")
    back = read_postgis_layer(postgres.uri, table="types.types")
    assert back["i"].dtype == "int64" and back["i_na"].dtype == "Int64"
    assert back["b"].dtype == bool and back["b_na"].dtype == "boolean"
    assert back["f"].iloc[0] == 0.1 + 0.2 and back["f"].iloc[2] == 1e-300
    assert back["inf"].tolist() == [np.inf, -np.inf, 0.0]
    assert back["s"].tolist() == ["tab\there", "line\nbreak \\N back\\slash", ""]
    assert back["s_na"].isna().tolist() == [False, True, False]
    assert back["mixed"].tolist() == ["1", "two", "3.5"]  # mixed objects are written as text
    assert back["bytes"].tolist() == [b"\x00\xff", None, b"xy"]
    assert back["tz"].iloc[0] == pd.Timestamp("2025-08-29T02:00:00Z")
    expected = frame.assign(mixed=["1", "two", "3.5"], d=pd.to_datetime(frame["d"]))
    assert_same_table(expected, back, ["id"])
    assert back.geometry.iloc[1] is None and back.geometry.iloc[2].is_empty


def test_crs_without_epsg_code_and_geometries_without_srid(postgres):  # noqa: F811
    parcels = gpd.GeoDataFrame(
        {"parcel_id": ["P1", "P2"]},
        geometry=[shapely.box(X0, Y0, X0 + 100, Y0 + 100), shapely.box(X0, Y0, X0 + 50, Y0 + 50)],
        crs="EPSG:4549",
    )
    laea = metric_crs((-0.2, 51.4, 0.1, 51.6), crs="EPSG:4326")  # no EPSG code
    assert laea.to_epsg() is None
    custom = parcels.to_crs(laea)
    write_tables({"custom": custom, "again": custom}, postgres.uri, schema="crs")
    back = read_postgis_layer(postgres.uri, table="crs.custom", kind="parcels")
    assert back.crs.equals(laea)
    with psycopg.connect(postgres.uri) as conn:
        srids = {
            r[0]
            for r in conn.execute("SELECT srid FROM geometry_columns WHERE f_table_schema = 'crs'")
        }
    assert len(srids) == 1 and 910000 <= srids.pop() <= 998999  # one SRID added, reused
    write_tables({"nosrid": parcels.set_crs(None, allow_override=True)}, postgres.uri, schema="crs")
    with pytest.raises(CRSError, match=r"has no SRID; state the CRS with crs="):
        read_postgis_layer(postgres.uri, table="crs.nosrid", kind="parcels")
    got = read_postgis_layer(postgres.uri, table="crs.nosrid", kind="parcels", crs="EPSG:4549")
    assert got.crs == CRS.from_epsg(4549) and len(got) == 2


def test_bad_sources_get_clear_errors(postgres, loaded):  # noqa: F811
    uri = postgres.uri
    with pytest.raises(
        PostGISError, match=r"no such table in database 'xsland_test'.*src\.parcels"
    ):
        read_postgis_layer(uri, table="src.parcel", kind="parcels")
    with pytest.raises(PostGISError, match=r"query: cannot read it from .*syntax error"):
        read_postgis_layer(uri, sql="SELEC 1")
    with pytest.raises(DataError, match=r"has no geometry column; parcels is a polygon layer"):
        read_postgis_layer(uri, table="src.enterprises", kind="parcels")
    with pytest.raises(DataError, match=r"give the PostGIS source as table="):
        read_postgis_layer(uri)
    two = "SELECT parcel_id, geometry, ST_Centroid(geometry) AS centre FROM src.parcels"
    with pytest.raises(DataError, match=r"geometry columns geometry, centre; say which one"):
        read_postgis_layer(uri, sql=two)
    got = read_postgis_layer(
        uri, sql=two, geometry_column="geometry", kind="parcels", duplicates="rename"
    )
    assert "centre" not in got.columns and len(got) == 3090
    # a table kind leaves a geometry column out
    ent = read_postgis_layer(
        uri, sql="SELECT *, ST_MakePoint(0, 0) AS g FROM src.enterprises", kind="enterprises"
    )
    n_enterprises = len(loaded[0]["enterprises"])  # the sample's enterprise table
    assert not isinstance(ent, gpd.GeoDataFrame) and "g" not in ent.columns
    assert len(ent) == n_enterprises
    with pytest.raises(DataError, match=r"too long|longer than PostgreSQL's 63 bytes"):
        write_tables({"x" * 64: pd.DataFrame({"a": [1]})}, uri, schema="long")
    with pytest.raises(DataError, match=r"column 'td' holds timedelta64\[.s\] values"):
        write_tables({"td": pd.DataFrame({"td": pd.to_timedelta([1], unit="D")})}, uri, schema="x")


# ---------------------------------------------------------------------------
# GeoParquet
# ---------------------------------------------------------------------------


def _declared(result: AuditResult) -> dict[tuple[str, str], str]:
    """``(layer, column) -> schema dtype`` of every declared column the audit writes."""
    out = {}
    for name, df in result.layers().items():
        for col in df.columns:
            spec = SCHEMA[name].column(str(col))
            if spec is not None and col != getattr(df, "_geometry_column_name", None):
                out[(name, str(col))] = spec.dtype
    return out


def _with_gaps(result: AuditResult) -> AuditResult:
    """The audit with ``far_ok`` missing everywhere and a dated, partly missing column.

    A boolean column of only missing values must keep its type (Arrow would call it
    ``null``, a database ``text``), and a date column its dates.
    """
    import dataclasses

    parcels = result.parcels.copy()
    parcels["far_ok"] = pd.array([None] * len(parcels), dtype="boolean")
    dates = [dt.date(2020, 3, 1) if i % 2 else None for i in range(len(parcels))]
    parcels["supply_date"] = pd.to_datetime(pd.Series(dates, index=parcels.index))
    return dataclasses.replace(result, parcels=parcels)


def test_write_postgis_types_every_declared_column_from_the_schema(postgres, loaded):  # noqa: F811
    from xsland.write.postgis import SQL_TYPES

    result = _with_gaps(loaded[2])
    written = write_postgis(result, postgres.uri, schema="typed")
    assert written == [f"typed.{n}" for n in result.layers()]
    with psycopg.connect(postgres.uri) as conn:
        found = {
            (t, c): (kind, nullable)
            for t, c, kind, nullable in conn.execute(
                "SELECT table_name, column_name, data_type, is_nullable "
                "FROM information_schema.columns WHERE table_schema = 'typed'"
            )
        }
    declared = _declared(result)
    wrong = {k: (found.get(k), d) for k, d in declared.items() if found.get(k)[0] != SQL_TYPES[d]}
    assert wrong == {}
    assert {kind for kind, nullable in found.values()} >= {"boolean", "bigint", "date", "text"}
    assert found[("parcels", "far_ok")] == ("boolean", "YES")
    assert found[("parcels", "supply_date")] == ("date", "YES")
    assert found[("parcels", "area_mu")] == ("double precision", "YES")
    # every dtype of the schema was checked on at least one column
    assert set(declared.values()) == {"boolean", "integer", "float", "text", "date"}
    with psycopg.connect(postgres.uri) as conn:
        days = conn.execute(
            "SELECT count(*) FILTER (WHERE supply_date = DATE '2020-03-01'), "
            "count(*) FILTER (WHERE supply_date IS NULL), count(far_ok) FROM typed.parcels"
        ).fetchone()
    n = len(result.parcels)
    assert days == (n // 2, n - n // 2, 0)  # odd rows dated, even rows missing, no far_ok
    with pytest.raises(DataError, match=r"write_postgis takes an AuditResult, not dict"):
        write_postgis({"parks": result.parks}, postgres.uri, schema="typed")


def test_write_geoparquet_types_every_declared_column_from_the_schema(tmp_path, loaded):
    import pyarrow.parquet as pq

    from xsland.write.geoparquet import ARROW_TYPES

    result = _with_gaps(loaded[2])
    files = write_geoparquet(result, tmp_path / "pq")
    assert files == [tmp_path / "pq" / f"{n}.parquet" for n in result.layers()]
    schemas = {f.stem: pq.read_schema(f) for f in files}
    declared = _declared(result)
    found = {(t, c): str(schemas[t].field(c).type) for t, c in declared}
    assert {k: v for k, v in found.items() if v != ARROW_TYPES[declared[k]]} == {}
    assert set(declared.values()) == {"boolean", "integer", "float", "text", "date"}
    assert found[("parcels", "far_ok")] == "bool"  # only missing values, still bool
    assert found[("parcels", "supply_date")] == "date32[day]"
    assert found[("parcels", "area_mu")] == "double"
    table = pq.read_table(files[list(result.layers()).index("parcels")])
    assert table.column("far_ok").null_count == len(result.parcels)
    supply = table.column("supply_date").to_pylist()
    assert supply[:2] == [None, dt.date(2020, 3, 1)]


def test_write_geoparquet_atomic_and_readable(tmp_path, loaded):
    import dataclasses

    _, _, result = loaded
    odd = result.parcels.assign(odd=[1 if i % 2 else "x" for i in range(len(result.parcels))])
    mixed = dataclasses.replace(result, parcels=odd)  # an extra column of numbers and text
    out = tmp_path / "audit.parquet"
    files = write_geoparquet(mixed, out)
    names = list(result.layers())
    assert files == [out / f"{n}.parquet" for n in names]
    parcels = read_layer(out / "parcels.parquet")
    assert parcels.crs == result.parcels.crs
    assert_same_table(result.parcels, parcels.drop(columns="odd"), ["parcel_id"])
    assert parcels["odd"].tolist()[:3] == ["x", "1", "x"]  # mixed: written as text
    assert_same_table(result.towns, pd.read_parquet(out / "towns.parquet"), ["town"])
    with pytest.raises(OutputExistsError):
        write_geoparquet(result, out)
    bad = dataclasses.replace(result, parcels=result.parcels.assign(v=[{"a": 1}] * len(odd)))
    with pytest.raises(DataError, match=r"column 'v' holds dict values"):
        write_geoparquet(bad, out, overwrite=True)
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [".xsland-output", *(f"{n}.parquet" for n in names)]
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["audit.parquet"]


def test_cli_audit_reads_from_and_writes_to_postgis(postgres, loaded, tmp_path):  # noqa: F811
    """`xsland audit -c` with every input a PostGIS table, `--to-postgis` and `--geoparquet`."""
    from click.testing import CliRunner

    from xsland.cli import main

    _, files, file_audit = loaded
    uri = postgres.uri
    toml = ["[project]", 'name = "PostGIS"', "[options]", 'duplicates = "rename"']
    toml += ["maps = false", "report = false"]
    for kind in ("parks", "parcels", "buildings", "plan", "enterprises", "indicators"):
        toml += [f"[inputs.{kind}]", f'path = "{uri}"', f'table = "src.{kind}"']
    project = tmp_path / "pg.toml"
    project.write_text("\n".join(toml) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    args = ["audit", "-c", str(project), "--out", str(out), "--no-progress",
            "--to-postgis", uri, "--schema", "audit1", "--geoparquet"]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert postgres.password not in result.output
    assert "schema audit1" in result.output
    # the audit in the database equals the file-based audit
    back = read_postgis_layer(uri, table="audit1.parcels")
    a = back.set_index("parcel_id").sort_index()
    b = file_audit.parcels.set_index("parcel_id").sort_index()
    assert a.index.tolist() == b.index.tolist()
    assert np.allclose(a["far"].astype(float), b["far"].astype(float), equal_nan=True)
    assert a["block_id"].fillna("").tolist() == b["block_id"].fillna("").tolist()
    # no password in anything written
    for path in (out / "summary.md",):
        assert postgres.password not in path.read_text(encoding="utf-8")
    inputs = read_postgis_layer(uri, table="audit1.inputs")
    assert not inputs["value"].str.contains(postgres.password, regex=False).any()
    # GeoParquet beside the other outputs, readable as layers
    parquet = read_layer(out / "parquet" / "parcels.parquet")
    assert len(parquet) == len(b)
    # existing tables are refused without --overwrite, before any folder is written
    again = CliRunner().invoke(main, [*args[:4], str(tmp_path / "out2"), *args[5:]])
    assert again.exit_code == 1, again.output  # a named error
    assert not (tmp_path / "out2").exists()
    assert postgres.password not in again.output


def test_project_units_apply_to_postgis_inputs(postgres, loaded, tmp_path):  # noqa: F811
    """`[inputs.enterprises] units = {revenue = "元"}` converts a PostGIS column as it does a
    file's: 12,000,000 元 -> 1,200 万元, and the conversion is listed."""
    from xsland.pipeline.run import read_inputs
    from xsland.rules.project import load_project

    uri = postgres.uri
    yuan = pd.DataFrame(
        {"enterprise_id": ["E1", "E2"], "name": ["甲", "乙"], "park_id": ["XS01", "XS01"],
         "industry": ["a", "b"], "revenue": [12_000_000.0, 5_000_000.0]}
    )  # fmt: skip
    write_tables({"ent_yuan": yuan}, uri, schema="units", overwrite=True)
    toml = ["[project]", 'name = "units"', "[options]", 'duplicates = "rename"']
    for kind in ("parks", "parcels"):
        toml += [f"[inputs.{kind}]", f'path = "{uri}"', f'table = "src.{kind}"']
    toml += ["[inputs.enterprises]", f'path = "{uri}"', 'table = "units.ent_yuan"']
    toml += ['units = {revenue = "元"}']
    (tmp_path / "u.toml").write_text("\n".join(toml) + "\n", encoding="utf-8")
    data = read_inputs(load_project(tmp_path / "u.toml"))
    ent = data["enterprises"].set_index("enterprise_id")
    assert ent.loc["E1", "revenue"] == pytest.approx(1200.0)
    assert ent.loc["E2", "revenue"] == pytest.approx(500.0)
    listed = pd.DataFrame(data["enterprises"].attrs["quality"])
    assert (listed["check"] == "unit_converted").any()
