"""The typed GeoPackage: GeoPackage booleans, Chinese aliases and QGIS styles."""

from __future__ import annotations

import datetime as dt
import sqlite3
import xml.etree.ElementTree as ET

import geopandas as gpd
import pandas as pd
import pyarrow as pa
import pyogrio
import pytest
import shapely

from xsland.rules.columns import TABLES
from xsland.rules.policy import DEFAULT_POLICY
from xsland.write.gpkg import PARCEL_STATUS_EXPRESSION, layer_qml, write_gpkg
from xsland.write.maps import STATUSES


def _rgb(hex_colour: str) -> str:
    h = hex_colour.lstrip("#")
    return ",".join(str(int(h[i : i + 2], 16)) for i in (0, 2, 4))


@pytest.fixture(scope="module")
def gpkg(demo_audit):
    return demo_audit[0] / "audit.gpkg"


def test_every_boolean_column_is_a_geopackage_boolean(gpkg):
    mapper = {pa.bool_(): pd.BooleanDtype()}.get
    checked = 0
    for name, _ in pyogrio.list_layers(gpkg):
        if name not in TABLES:
            continue
        info = pyogrio.read_info(gpkg, layer=name)
        kinds = dict(zip(info["fields"], info["dtypes"], strict=True))
        frame = pyogrio.read_dataframe(
            gpkg,
            layer=name,
            read_geometry=False,
            use_arrow=True,
            arrow_to_pandas_kwargs={"types_mapper": mapper},
        )
        for col in TABLES[name]:
            if col.dtype == "boolean" and col.name in kinds:
                assert kinds[col.name] == "bool", (name, col.name)
                assert str(frame[col.name].dtype) == "boolean", (name, col.name)
                checked += 1
    # parcels: far_ok, low_efficiency and eight lu_*; blocks: below_threshold
    assert checked == 14  # 11 of the park checks and flags + lu_plan, lu_industry, lu_inefficient
    # a filter like QGIS's "far_ok" = false finds the parcels below their minimum
    below = pyogrio.read_dataframe(gpkg, layer="parcels", where="far_ok = 0", read_geometry=False)
    assert len(below) > 0 and (below["far"] < below["far_min"]).all()


def test_integer_date_and_real_fields_follow_the_schema(gpkg):
    info = pyogrio.read_info(gpkg, layer="parcels")
    kinds = dict(zip(info["fields"], info["dtypes"], strict=True))
    assert kinds["n_reasons"] == "int64"
    assert kinds["supply_date"] == "datetime64[D]"  # a GeoPackage DATE
    assert kinds["far"] == "float64"
    assert kinds["parcel_id"] == "object"


def test_chinese_aliases_in_gpkg_data_columns(gpkg):
    con = sqlite3.connect(gpkg)
    try:
        rows = con.execute(
            "SELECT table_name, column_name, name, title FROM gpkg_data_columns"
        ).fetchall()
        ext = con.execute(
            "SELECT count(*) FROM gpkg_extensions WHERE extension_name = 'gpkg_schema'"
        ).fetchone()[0]
    finally:
        con.close()
    assert ext == 2
    names = [r[2] for r in rows]
    assert len(names) == len(set(names))  # GeoPackage 1.2: unique across the file
    by = {(r[0], r[1]): r for r in rows}
    assert by[("parcels", "far_ok")][2:] == ("容积率达标", "容积率达标")
    assert by[("parks", "chk_far_new")][3] == "新增工业用地容积率≥1.5"
    fields = pyogrio.read_info(gpkg, layer="parcels")["fields"]
    assert {c for t, c in by if t == "parcels"} == set(fields)


def test_layer_styles_parse_and_carry_the_map_colours(gpkg):
    con = sqlite3.connect(gpkg)
    try:
        styles = dict(
            con.execute(
                "SELECT f_table_name, styleQML FROM layer_styles WHERE useAsDefault"
            ).fetchall()
        )
    finally:
        con.close()
    assert set(styles) == {"parcels", "blocks", "parks", "park_zones"}
    for name, qml in styles.items():
        root = ET.fromstring(qml.split("\n", 1)[1])
        aliases = {a.get("field"): a.get("name") for a in root.iter("alias")}
        fields = pyogrio.read_info(gpkg, layer=name)["fields"]
        assert set(aliases) == set(fields), name
    parcels = ET.fromstring(styles["parcels"].split("\n", 1)[1])
    renderer = parcels.find("renderer-v2")
    assert renderer.get("attr") == PARCEL_STATUS_EXPRESSION
    cats = {c.get("value"): c.get("label") for c in renderer.iter("category")}
    assert cats == {s.key: s.label for s in STATUSES}
    for s in STATUSES:
        assert _rgb(s.fill) in styles["parcels"] and _rgb(s.stroke) in styles["parcels"]
    assert "亩" in styles["blocks"] and _rgb("#ffe600") in styles["blocks"]
    zones = ET.fromstring(styles["park_zones"].split("\n", 1)[1])
    assert {c.get("value") for c in zones.iter("category")} == {"core", "expansion"}


def test_status_expression_matches_parcel_status():
    """The QGIS expression, evaluated in SQLite, gives the map's statuses.

    Rows: low-efficiency (whatever FAR) → low; far_ok false → below; true → ok;
    FAR known without a minimum → exempt; nothing known → nodata.
    """
    from xsland.write.maps import parcel_status

    frame = pd.DataFrame(
        {
            "low_efficiency": [True, False, False, False, False],
            "far_ok": pd.array([True, False, True, None, None], dtype="boolean"),
            "far": [2.0, 0.5, 2.0, 1.0, None],
            "far_min": [1.5, 1.5, 1.5, None, None],
        }
    )
    con = sqlite3.connect(":memory:")
    frame.astype(object).where(frame.notna(), None).to_sql("p", con, index=False)
    sql = PARCEL_STATUS_EXPRESSION.replace('"', "")
    got = [r[0] for r in con.execute(f"SELECT {sql} FROM p")]
    assert got == ["low", "below", "ok", "exempt", "nodata"]
    assert got == parcel_status(frame).tolist()


def test_layers_without_the_schema_are_written_as_they_are(tmp_path):
    # a diff's "parcels" layer shares the name but not the columns of the audit's
    diff = gpd.GeoDataFrame(
        {"change": ["new"], "far": ["1.5"]}, geometry=[shapely.box(0, 0, 1, 1)], crs=4549
    )
    path = write_gpkg({"parcels": diff}, tmp_path / "d.gpkg")
    back = gpd.read_file(path, layer="parcels")
    assert back["change"].tolist() == ["new"] and back["far"].tolist() == ["1.5"]
    assert {str(n) for n, _ in pyogrio.list_layers(path)} == {"parcels"}  # no styles


def test_labels_follow_the_policy_applied(tmp_path):
    parks = gpd.GeoDataFrame(
        {"park_id": ["K1"], "chk_far_new": ["pass"]},
        geometry=[shapely.box(0, 0, 1, 1)],
        crs=4549,
    )
    custom = DEFAULT_POLICY.replace(far_min_new_industrial=1.2)
    path = write_gpkg({"parks": parks}, tmp_path / "p.gpkg", policy=custom, schema=True)
    con = sqlite3.connect(path)
    try:
        title = con.execute(
            "SELECT title FROM gpkg_data_columns WHERE column_name = 'chk_far_new'"
        ).fetchone()[0]
    finally:
        con.close()
    assert title == "新增工业用地容积率≥1.2"
    assert "新增工业用地容积率≥1.2" in layer_qml("parks", ["park_id", "chk_far_new"], policy=custom)


def test_geopackage_version_is_what_debian_qgis_reads(gpkg):
    # GeoPackage 1.2 (user_version 10200): QGIS 3.22 on GDAL 3.6 opens it without a warning
    con = sqlite3.connect(gpkg)
    try:
        assert con.execute("PRAGMA user_version").fetchone()[0] == 10200
    finally:
        con.close()


# -- the worker process -------------------------------------------------------------------


def _spy_worker(monkeypatch):
    from xsland.write import worker

    started = []
    real = worker.start

    def spy(*args, **kwargs):
        job = real(*args, **kwargs)
        started.append(job)
        return job

    monkeypatch.setattr(worker, "start", spy)
    return started


def _assert_same_gpkg(a, b):
    """Same layers, fields, types, geometry types, CRS, rows, indexes, aliases and styles
    (all but the times of writing)."""
    assert pyogrio.list_layers(a).tolist() == pyogrio.list_layers(b).tolist()
    for name, _ in pyogrio.list_layers(a):
        ia, ib = pyogrio.read_info(a, layer=name), pyogrio.read_info(b, layer=name)
        for key in ("fields", "dtypes", "geometry_type", "geometry_name", "crs", "features"):
            assert (
                list(ia[key]) == list(ib[key])
                if key in ("fields", "dtypes")
                else (ia[key] == ib[key])
            ), (name, key)
        times = ["update_time"] if name == "layer_styles" else []  # when it was written
        pd.testing.assert_frame_equal(
            pd.DataFrame(pyogrio.read_dataframe(a, layer=name, use_arrow=True)).drop(columns=times),
            pd.DataFrame(pyogrio.read_dataframe(b, layer=name, use_arrow=True)).drop(columns=times),
        )
    queries = [
        "SELECT type, name, tbl_name, sql FROM sqlite_master",
        "SELECT * FROM gpkg_data_columns",
        "SELECT * FROM gpkg_geometry_columns",
        "SELECT * FROM gpkg_extensions",
        "SELECT table_name, data_type, identifier, min_x, min_y, max_x, max_y, srs_id "
        "FROM gpkg_contents",
        "SELECT f_table_name, f_geometry_column, styleName, styleQML, useAsDefault "
        "FROM layer_styles",
        "PRAGMA application_id",
        "PRAGMA user_version",
    ]

    def rows(con, query):
        try:
            return sorted(map(str, con.execute(query)))
        except sqlite3.OperationalError as exc:  # no such table (no aliases, no styles)
            return str(exc)

    with sqlite3.connect(a) as ca, sqlite3.connect(b) as cb:
        for q in queries:
            assert rows(ca, q) == rows(cb, q), q
    ca.close()
    cb.close()


def test_geopackage_written_by_a_worker_is_the_same(demo_audit, tmp_path, monkeypatch):
    from xsland.result import AuditResult
    from xsland.write.gpkg import gpkg_writing

    result = AuditResult.read(demo_audit[0])
    layers = result.layers()
    started = _spy_worker(monkeypatch)
    here = write_gpkg(layers, tmp_path / "here.gpkg", schema=True)
    assert started == []  # written in this process
    with gpkg_writing(layers, tmp_path / "w.gpkg", schema=True, worker_min_rows=0) as path:
        assert len(started) == 1 and started[0] is not None  # a worker writes it meanwhile
    assert started[0].proc.returncode == 0 and not started[0].folder.exists()
    _assert_same_gpkg(here, path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["here.gpkg", "w.gpkg"]


def test_a_failed_geopackage_worker_is_logged_and_written_here(tmp_path, monkeypatch, caplog):
    from xsland.write import worker
    from xsland.write.gpkg import gpkg_writing

    # two parcels, 10 m squares; the worker runs a script that is not there (exit 2)
    layers = {
        "parcels": gpd.GeoDataFrame(
            {"parcel_id": ["A", "B"], "far": [1.5, None]},
            geometry=[shapely.box(0, 0, 10, 10), shapely.box(10, 0, 20, 10)],
            crs="EPSG:4549",
        )
    }
    monkeypatch.setattr(worker, "__file__", str(tmp_path / "missing.py"))
    started = _spy_worker(monkeypatch)
    with caplog.at_level("WARNING", logger="xsland"):
        with gpkg_writing(layers, tmp_path / "w.gpkg", schema=True, worker_min_rows=0) as path:
            pass
    assert started[0].proc.returncode == 2 and "failed (exit 2" in caplog.text
    _assert_same_gpkg(write_gpkg(layers, tmp_path / "here.gpkg", schema=True), path)
    back = pyogrio.read_dataframe(path, layer="parcels")
    assert back["parcel_id"].tolist() == ["A", "B"] and back.area.tolist() == [100.0, 100.0]


def test_an_error_in_the_block_stops_the_geopackage_worker(tmp_path, monkeypatch):
    import tempfile

    from xsland.write.gpkg import gpkg_writing

    plans = tmp_path / "plans"
    plans.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(plans))
    started = _spy_worker(monkeypatch)
    layers = {"t": pd.DataFrame({"a": [1, 2, 3]})}
    out = tmp_path / "out"
    with pytest.raises(RuntimeError, match="report failed"):
        with gpkg_writing(layers, out / "w.gpkg", worker_min_rows=0):
            raise RuntimeError("report failed")
    assert started[0].proc.returncode is not None  # stopped and waited for
    assert list(out.iterdir()) == [] and list(plans.iterdir()) == []


def test_what_the_plan_does_not_cover_is_written_here(tmp_path, monkeypatch):
    from xsland.write.gpkg import gpkg_writing

    started = _spy_worker(monkeypatch)
    # a time-zoned datetime: pyogrio writes it as text with a GDAL type, the plan does not
    stamps = pd.Series(pd.to_datetime(["2025-01-01 08:00"]).tz_localize("Asia/Shanghai"))
    layers = {"t": pd.DataFrame({"when": stamps})}
    with gpkg_writing(layers, tmp_path / "w.gpkg", worker_min_rows=0) as path:
        assert path.is_file()  # written at once, in this process
    assert started == []
    assert pyogrio.read_info(path, layer="t")["dtypes"].tolist() == ["datetime64[ms]"]


@pytest.mark.parametrize(
    ("geoms", "expected"),
    [
        ([shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)], "Polygon"),
        ([shapely.box(0, 0, 1, 1), shapely.Polygon()], "Polygon"),  # an empty one too
        ([shapely.box(0, 0, 1, 1), None], "Polygon"),
        ([shapely.MultiPolygon([shapely.box(0, 0, 1, 1)])], "MultiPolygon"),
        ([shapely.Polygon([(0, 0, 5), (1, 0, 5), (1, 1, 5)])], "Polygon Z"),
        ([shapely.Point(0, 0), shapely.LineString([(0, 0), (1, 1)])], "Unknown"),
        ([None, None], "Unknown"),
        ([], "Unknown"),
        # pyogrio would promote these to multi (GeoPackage) or refuse them: not planned
        ([shapely.box(0, 0, 1, 1), shapely.MultiPolygon([shapely.box(2, 0, 3, 1)])], None),
        ([shapely.Point(0, 0), shapely.Point(0, 0, 1)], None),
    ],
)
def test_layer_geometry_type_is_pyogrios(geoms, expected, tmp_path):
    import numpy as np

    from xsland.write.gpkg import _geometry_type

    values = np.array(geoms, dtype=object)
    assert _geometry_type(values) == expected
    if expected is not None and len(geoms):  # what pyogrio itself declares
        frame = gpd.GeoDataFrame({"i": range(len(geoms))}, geometry=geoms, crs="EPSG:4549")
        pyogrio.write_dataframe(frame, tmp_path / "g.gpkg", layer="g", use_arrow=True)
        declared = pyogrio.read_info(tmp_path / "g.gpkg", layer="g")["geometry_type"]
        assert declared == expected


def test_every_kind_of_column_from_the_worker_is_as_pyogrio_writes_it(tmp_path, monkeypatch):
    import datetime as dt

    from xsland.write.gpkg import gpkg_writing

    # columns of every kind a layer may carry, with missing values, in two layers
    parcels = gpd.GeoDataFrame(
        {
            "parcel_id": ["A", "B", None],
            "far": [1.5, None, 0.25],
            "n": pd.array([1, None, 3], dtype="Int64"),
            "ok": pd.array([True, None, False], dtype="boolean"),
            "flag": [True, False, True],
            "supply_date": [dt.date(2020, 1, 2), None, dt.date(2021, 3, 4)],
            "nothing": [None, None, None],  # no value at all: text for GDAL
            "kind": pd.Categorical(["a", "b", "a"]),
            "stamp": pd.to_datetime(["2025-01-01", None, "2025-06-30"]),
        },
        geometry=[shapely.box(0, 0, 10, 10), None, shapely.box(10, 0, 20, 10)],
        crs="EPSG:4549",
    )
    layers = {"parcels": parcels, "plain": pd.DataFrame({"key": ["a"], "value": [None]})}
    started = _spy_worker(monkeypatch)
    with gpkg_writing(layers, tmp_path / "w.gpkg", worker_min_rows=0) as path:
        pass
    assert len(started) == 1 and started[0].proc.returncode == 0
    _assert_same_gpkg(write_gpkg(layers, tmp_path / "here.gpkg"), path)


def test_dates_go_to_arrow_as_the_days_date_objects_give():
    import pyarrow as pa

    from xsland.write.gpkg import _dates

    # a time of day, a missing date, a day before 1900 and before 1970 with a time: each
    # the calendar day .dt.date gives (the day a time falls on), missing as null
    stamps = pd.Series(
        pd.to_datetime(
            ["2025-08-29 13:00:00", None, "1899-12-31 23:59:59", "1960-01-01 06:00:00"],
            format="ISO8601",
        ).astype("datetime64[ms]"),
        index=[5, 6, 7, 8],
    )
    got = _dates(stamps)
    objects = stamps.dt.date.astype(object).where(stamps.notna(), None)
    assert got.index.tolist() == [5, 6, 7, 8]
    days = pa.array(got.array)
    assert days.type == pa.date32()
    assert days.equals(pa.array(objects.tolist(), type=pa.date32()))
    assert days.to_pylist()[2:] == [dt.date(1899, 12, 31), dt.date(1960, 1, 1)]
    zoned = stamps.dt.tz_localize("Asia/Shanghai")  # not naive: as date objects
    assert _dates(zoned).tolist() == objects.tolist()


# -- the first layers, started while the audit runs ---------------------------------------


def _ahead_and_here(layers, policy, tmp_path, monkeypatch):
    """``layers`` written by write_gpkg (``here.gpkg``) and with their first layers started
    ahead into ``scratch/`` (``w.gpkg``): both paths, the workers started, the scratch."""
    from xsland.write.gpkg import FIRST_LAYERS, gpkg_start, gpkg_writing

    here = write_gpkg(layers, tmp_path / "here.gpkg", schema=True)
    started = _spy_worker(monkeypatch)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    first = {n: layers[n] for n in FIRST_LAYERS}
    ahead = gpkg_start(first, scratch / "audit.gpkg", worker_min_rows=0)
    assert ahead is not None and len(started) == 1  # one worker, for all the layers
    with gpkg_writing(
        layers, tmp_path / "w.gpkg", policy=policy, schema=True, started=ahead
    ) as path:
        pass
    return here, path, started, scratch


def test_first_layers_started_ahead_make_the_same_geopackage(demo_audit, tmp_path, monkeypatch):
    from xsland.result import AuditResult

    result = AuditResult.read(demo_audit[0])
    here, path, started, scratch = _ahead_and_here(
        result.layers(), result.policy, tmp_path, monkeypatch
    )
    assert len(started) == 1 and started[0].proc.returncode == 0
    assert not started[0].folder.exists() and list(scratch.iterdir()) == []  # moved, cleaned
    _assert_same_gpkg(here, path)
    # the audit's parcels come first (parcels and block members, before the rest)
    assert pyogrio.list_layers(path)[0][0] == "parcels"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["here.gpkg", "scratch", "w.gpkg"]


def test_after_first_layers_what_the_plan_does_not_cover_is_added_here(
    demo_audit, tmp_path, monkeypatch
):
    # the rest of the layers holds one the plan refuses (a time-zoned datetime, which
    # pyogrio writes with a GDAL type): the worker writes only the first layers, the rest
    # is added here after them, and the file is the one write_gpkg makes of all layers
    from xsland.result import AuditResult

    result = AuditResult.read(demo_audit[0])
    stamps = pd.Series(pd.to_datetime(["2025-01-01 08:00"]).tz_localize("Asia/Shanghai"))
    layers = {**result.layers(), "stamps": pd.DataFrame({"when": stamps})}
    here, path, started, scratch = _ahead_and_here(layers, result.policy, tmp_path, monkeypatch)
    assert len(started) == 1 and started[0].proc.returncode == 0
    assert list(scratch.iterdir()) == []
    _assert_same_gpkg(here, path)
    info = pyogrio.read_info(path, layer="stamps")
    assert info["dtypes"].tolist() == ["datetime64[ms]"] and info["features"] == 1


def test_first_layers_are_not_started_for_a_small_audit_or_other_layers(demo_audit, tmp_path):
    from xsland.result import AuditResult
    from xsland.write.gpkg import gpkg_start

    result = AuditResult.read(demo_audit[0])
    # the sample has fewer parcels than WORKER_MIN_ROWS; parks are not a first layer
    assert gpkg_start({"parcels": result.parcels}, tmp_path / "a.gpkg") is None
    assert gpkg_start({"parks": result.parks}, tmp_path / "b.gpkg", worker_min_rows=0) is None
    # a parcel layer's own column the plan does not cover (time-zoned times): written later
    own = result.parcels.assign(
        seen=pd.Timestamp("2025-01-01 08:00", tz="Asia/Shanghai"),
    )
    assert gpkg_start({"parcels": own}, tmp_path / "c.gpkg", worker_min_rows=0) is None
    assert list(tmp_path.iterdir()) == []


def test_first_layers_other_than_the_audits_are_dropped_and_all_written_here(
    demo_audit, tmp_path, monkeypatch
):
    from xsland.result import AuditResult
    from xsland.write.gpkg import gpkg_start, gpkg_writing

    result = AuditResult.read(demo_audit[0])
    layers = result.layers()
    started = _spy_worker(monkeypatch)
    # parcels one row short: not the audit's table, so not what the file may hold
    other = {"parcels": layers["parcels"].iloc[1:], "block_members": layers["block_members"]}
    ahead = gpkg_start(other, tmp_path / "ahead.gpkg", worker_min_rows=0)
    with gpkg_writing(layers, tmp_path / "w.gpkg", schema=True, worker_min_rows=0, started=ahead):
        pass
    assert started[0].proc.returncode is not None and ahead.ended  # stopped
    assert len(started) == 2 and started[1].proc.returncode == 0  # written anew
    _assert_same_gpkg(write_gpkg(layers, tmp_path / "here.gpkg", schema=True), tmp_path / "w.gpkg")


def test_a_failed_worker_of_first_layers_writes_all_layers_here(
    demo_audit, tmp_path, monkeypatch, caplog
):
    from xsland.result import AuditResult
    from xsland.write import worker
    from xsland.write.gpkg import FIRST_LAYERS, gpkg_start, gpkg_writing

    result = AuditResult.read(demo_audit[0])
    layers = result.layers()
    monkeypatch.setattr(worker, "__file__", str(tmp_path / "missing.py"))  # exit 2
    started = _spy_worker(monkeypatch)
    ahead = gpkg_start(
        {n: layers[n] for n in FIRST_LAYERS}, tmp_path / "ahead.gpkg", worker_min_rows=0
    )
    with caplog.at_level("WARNING", logger="xsland"):
        with gpkg_writing(layers, tmp_path / "w.gpkg", schema=True, started=ahead) as path:
            pass
    assert started[0].proc.returncode == 2 and "failed (exit 2" in caplog.text
    _assert_same_gpkg(write_gpkg(layers, tmp_path / "here.gpkg", schema=True), path)
    assert not (tmp_path / "ahead.gpkg").exists()


def test_an_error_after_first_layers_stops_their_worker(demo_audit, tmp_path, monkeypatch):
    import tempfile

    from xsland.result import AuditResult
    from xsland.write.gpkg import FIRST_LAYERS, gpkg_start, gpkg_writing

    plans = tmp_path / "plans"
    plans.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(plans))
    result = AuditResult.read(demo_audit[0])
    layers = result.layers()
    started = _spy_worker(monkeypatch)
    out = tmp_path / "out"
    out.mkdir()
    ahead = gpkg_start({n: layers[n] for n in FIRST_LAYERS}, out / "a.gpkg", worker_min_rows=0)
    with pytest.raises(RuntimeError, match="maps failed"):
        with gpkg_writing(layers, out / "w.gpkg", schema=True, started=ahead):
            raise RuntimeError("maps failed")
    assert started[0].proc.returncode is not None and ahead.ended
    assert list(plans.iterdir()) == []  # both plans removed
    assert [p.name for p in out.iterdir()] in ([], ["a.gpkg"])  # the caller's folder's
    ahead.stop()  # again: nothing


def test_the_worker_writes_the_plans_named_on_its_input_after_its_own(tmp_path, monkeypatch):
    import io

    import pyarrow as pa

    from xsland.write import worker

    def plan(name, values, first):
        table = pa.table({"a": pa.array(values, pa.int64())})
        options = {"layer": name, "driver": "GPKG", "append": not first}
        worker.save_plan([(name, table)], {"layers": [options]}, tmp_path / name)

    plan("one", [1, 2], True)
    plan("two", [3], False)
    plan("three", [4, 5, 6], False)
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{tmp_path / 'two'}\n\n{tmp_path / 'three'}\n"))
    monkeypatch.setattr("os.nice", lambda n: 0)
    out = tmp_path / "o.gpkg"
    assert worker.main(["worker.py", "gpkg", str(tmp_path / "one"), str(out), worker.MORE]) == 0
    got = {str(n): len(pyogrio.read_dataframe(out, layer=n)) for n, _ in pyogrio.list_layers(out)}
    assert got == {"one": 2, "two": 1, "three": 3}
    assert worker.main(["worker.py", "gpkg", "plan", "o.gpkg", "--less"]) == 2  # usage


def test_an_existing_output_refused_after_first_layers_stops_their_worker(demo_audit, tmp_path):
    from xsland.errors import OutputExistsError
    from xsland.result import AuditResult
    from xsland.write.gpkg import FIRST_LAYERS, gpkg_start, gpkg_writing

    layers = AuditResult.read(demo_audit[0]).layers()
    (tmp_path / "w.gpkg").write_bytes(b"an earlier file")
    ahead = gpkg_start({n: layers[n] for n in FIRST_LAYERS}, tmp_path / "a.gpkg", worker_min_rows=0)
    with pytest.raises(OutputExistsError, match="--overwrite"):
        with gpkg_writing(layers, tmp_path / "w.gpkg", schema=True, overwrite=False, started=ahead):
            pass
    assert ahead.ended and ahead.job.proc.returncode is not None
    assert (tmp_path / "w.gpkg").read_bytes() == b"an earlier file"


def test_a_worker_writes_every_added_plan_in_turn_and_those_it_cannot_get_here(
    tmp_path, monkeypatch
):
    import pyarrow as pa

    from xsland.write import worker

    def plan(name, n, first):
        table = pa.table({"a": pa.array(range(n), pa.int64())})
        return [(name, table)], {"layers": [{"layer": name, "driver": "GPKG", "append": not first}]}

    job = worker.start("gpkg", *plan("one", 2, True), tmp_path / "a.gpkg", more=True)
    job.add(*plan("two", 1, False))
    job.add(*plan("three", 3, False))
    job.finish()
    assert job.proc.returncode == 0
    assert [str(n) for n, _ in pyogrio.list_layers(tmp_path / "a.gpkg")] == ["one", "two", "three"]
    assert [
        len(pyogrio.read_dataframe(tmp_path / "a.gpkg", layer=n)) for n in ("two", "three")
    ] == [
        1,
        3,
    ]
    # the second plan cannot be stored (no room): it and the third are written here, in turn
    real = worker.save_plan
    calls = []

    def no_room(tables, spec, folder):
        calls.append(folder)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(tables, spec, folder)

    monkeypatch.setattr(worker, "save_plan", no_room)
    job = worker.start("gpkg", *plan("one", 2, True), tmp_path / "b.gpkg", more=True)
    job.add(*plan("two", 1, False))
    job.add(*plan("three", 3, False))
    job.finish()
    got = {
        str(n): len(pyogrio.read_dataframe(tmp_path / "b.gpkg", layer=n))
        for n in ("one", "two", "three")
    }
    assert got == {"one": 2, "two": 1, "three": 3} and job.proc.returncode == 0
    assert not any(f.exists() for f in calls)  # every plan's folder removed


@pytest.mark.parametrize("worker_min_rows", [None, 0], ids=["here", "worker"])
@pytest.mark.parametrize(
    ("name", "values"),
    [
        ("fid", ["f1", "f2", None]),  # text: GDAL refused it as the feature IDs
        ("FID", [5, 5, 7]),  # whole numbers twice: the insert broke (UNIQUE constraint)
        ("fid", [10, 20, 30]),  # unique: they became the feature IDs, the column vanished
        ("Fid", [1.5, None, -2.0]),
    ],
)
def test_a_column_called_fid_is_written_and_read_back_as_a_column(
    tmp_path, name, values, worker_min_rows
):
    from xsland.write.gpkg import gpkg_writing

    layer = gpd.GeoDataFrame(
        {"parcel_id": ["P1", "P2", "P3"], name: values},
        geometry=[shapely.box(i, 0, i + 1, 1) for i in range(3)],
        crs="EPSG:4549",
    )
    target = tmp_path / "fid.gpkg"
    with gpkg_writing({"things": layer}, target, worker_min_rows=worker_min_rows):
        pass
    back = pyogrio.read_dataframe(target, layer="things")
    assert list(back.columns) == ["parcel_id", name, "geometry"]
    if any(isinstance(v, str) for v in values):
        assert back[name].astype(object).where(back[name].notna(), None).tolist() == values
    else:
        expected = pd.Series(values, name=name, dtype="float64")
        pd.testing.assert_series_equal(back[name].astype("float64"), expected)
    with sqlite3.connect(target) as con:
        fields = [row[1] for row in con.execute("PRAGMA table_info(things)")]
    con.close()
    assert fields[0] == "xsland_fid" and name in fields  # the ID column, and the layer's own


@pytest.mark.parametrize("how", ["write_gpkg", "gpkg_writing", "worker"])
def test_columns_differing_only_in_case_are_named_before_anything_is_written(tmp_path, how):
    """A table with ``Note`` and ``NOTE`` given to the GeoPackage writer by a library
    caller (the audit's readers rename them): GDAL stopped on the second with "A field
    with the same name already exists". Now every clash is named, no file is left."""
    from xsland.errors import ValidationError
    from xsland.write.gpkg import gpkg_writing

    layer = gpd.GeoDataFrame(
        {"parcel_id": ["P1", "P2"], "Note": ["a", "b"], "NOTE": ["c", "d"], "note": [1, 2]},
        geometry=[shapely.box(i, 0, i + 1, 1) for i in range(2)],
        crs="EPSG:4549",
    )
    table = pd.DataFrame({"Key": ["x"], "KEY": ["y"]})
    target = tmp_path / "case.gpkg"
    with pytest.raises(ValidationError) as caught:
        if how == "write_gpkg":
            write_gpkg({"things": layer, "meta": table}, target)
        else:
            rows = 0 if how == "worker" else 10**9
            with gpkg_writing({"things": layer, "meta": table}, target, worker_min_rows=rows):
                pass
    assert [(p.layer, p.column) for p in caught.value.problems] == [
        ("things", "NOTE"),
        ("things", "note"),
        ("meta", "KEY"),
    ]
    assert str(caught.value).startswith("the GeoPackage cannot be written:")
    assert "the columns 'Note' and 'NOTE' differ only in case" in str(caught.value)
    assert list(tmp_path.iterdir()) == []
