"""The typed GeoPackage: GeoPackage booleans, Chinese aliases and QGIS styles."""

from __future__ import annotations

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
