"""Readers: formats, layer choice, aliases, encodings, CRS."""

from __future__ import annotations

import logging

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely

from xsland.errors import CRSError, DataError, InputFileError, ValidationError
from xsland.read.io import detect_dbf_encoding, detect_kind, read_layer, read_table, rename_columns


@pytest.mark.parametrize("suffix", [".gpkg", ".shp", ".geojson", ".fgb", ".parquet"])
def test_every_vector_format_reads_as_parcels(tmp_path, parcels_4549, suffix):
    path = tmp_path / f"parcels{suffix}"
    if suffix == ".parquet":
        parcels_4549.to_parquet(path)
    else:
        parcels_4549.to_file(path)
    # FlatGeobuf's spatial index may reorder features
    got = read_layer(path, kind="parcels").sort_values("parcel_id")
    assert list(got["parcel_id"]) == ["P1", "P2", "P3"]
    assert got.crs.to_epsg() == 4549
    assert got["floor_area"].tolist()[0] == 15_000.0
    assert pd.isna(got["floor_area"].tolist()[1])
    assert got.geometry.area.round(6).tolist() == [10_000.0, 10_000.0, 2_500.0]
    assert got.attrs["source"]["file"] == str(path)


@pytest.mark.parametrize("suffix", [".gpkg", ".geojson", ".fgb"])
def test_the_arrow_read_gives_the_frame_the_feature_by_feature_read_gives(tmp_path, suffix):
    # text (Chinese, empty, missing), integers stored as text, numbers with gaps, dates
    # with gaps, a polygon with a hole and a multipolygon: read through Arrow
    # (read_layer) and feature by feature (pyogrio without Arrow), the same frame
    square = shapely.box(0, 0, 100, 100)
    holed = square.difference(shapely.box(40, 40, 60, 60))
    two = shapely.MultiPolygon([shapely.box(200, 0, 210, 10), shapely.box(220, 0, 230, 10)])
    frame = gpd.GeoDataFrame(
        {
            "name": ["东港镇", "", None],
            "code": ["007", "12", "x"],
            "value": [1.5, None, 0.0],
            "day": pd.to_datetime(["2025-08-29", None, "1999-01-02"]),
        },
        geometry=[square, holed, two],
        crs=4549,
    )
    path = tmp_path / f"layer{suffix}"
    frame.to_file(path)
    plain = pyogrio.read_dataframe(path)
    got = read_layer(path)
    pd.testing.assert_frame_equal(pd.DataFrame(got), pd.DataFrame(plain), check_exact=True)
    got = got.sort_values("code")  # FlatGeobuf's spatial index may reorder features
    assert got["code"].tolist() == ["007", "12", "x"]  # leading zeros kept
    assert got.geometry.area.tolist() == [10_000.0, 9_600.0, 200.0]


@pytest.mark.parametrize("suffix", [".gpkg", ".geojson", ".fgb"])
@pytest.mark.parametrize("rows", [0, 1, 3])
def test_wkb_kept_as_arrow_gives_pyogrios_own_arrow_frame(tmp_path, suffix, rows):
    # read_layer keeps the WKB column as Arrow until pyogrio makes it geometries: the frame
    # is pyogrio's own Arrow read, cell for cell, with a missing geometry and no rows too
    # (a FlatGeobuf cannot hold a missing geometry: there a square)
    missing = shapely.box(5, 5, 6, 6) if suffix == ".fgb" else None
    geoms = [shapely.box(0, 0, 10, 10), missing, shapely.box(0, 0, 1, 1).buffer(1)][:rows]
    frame = gpd.GeoDataFrame(
        {"name": ["甲", None, "c"][:rows], "n": [1.5, None, 3.0][:rows]},
        geometry=gpd.GeoSeries(geoms, dtype="geometry"),
        crs=4549,
    )
    path = tmp_path / f"layer{suffix}"
    frame.to_file(path)
    if suffix == ".fgb" and rows == 0:
        return  # FlatGeobuf writes no file without features
    own = pyogrio.read_dataframe(path, use_arrow=True)
    got = read_layer(path)
    assert got.crs == own.crs and list(got.columns) == list(own.columns)
    pd.testing.assert_frame_equal(pd.DataFrame(got), pd.DataFrame(own), check_exact=True)
    assert sorted(got.geometry.isna().tolist()) == sorted(g is None for g in geoms)


@pytest.mark.parametrize("batch", [1, 2, 65_536])
def test_geometries_made_batch_by_batch_while_gdal_reads_are_pyogrios_frame(
    tmp_path, monkeypatch, batch
):
    from xsland.read import io

    # five features read in batches of 1, 2 or all: geometries in order, times of day and
    # a time zone parsed by pyogrio's rules, text, numbers and gaps as pyogrio gives them
    monkeypatch.setattr(io, "_BATCH_ROWS", batch)
    frame = gpd.GeoDataFrame(
        {
            "name": ["甲", None, "c", "", "e"],
            "n": [1.5, None, 3.0, -0.0, 5.0],
            "at": pd.to_datetime(
                ["2025-08-29 13:45:10", None, "1999-01-02 00:00:00", "2030-12-31 23:59:59", None]
            ),
        },
        geometry=[shapely.box(i, 0, i + 1, 1 + i) for i in range(4)] + [None],
        crs=4549,
    )
    path = tmp_path / "five.gpkg"
    frame.to_file(path)
    own = pyogrio.read_dataframe(path, use_arrow=True)
    got = io._read_arrow(path, None, {})
    assert got.crs == own.crs
    pd.testing.assert_frame_equal(pd.DataFrame(got), pd.DataFrame(own), check_exact=True)
    assert got.geometry.area.fillna(-1).tolist() == [1.0, 2.0, 3.0, 4.0, -1.0]
    assert got["at"].iloc[0] == pd.Timestamp("2025-08-29 13:45:10")


def test_a_failure_while_making_geometries_stops_gdals_thread(tmp_path, monkeypatch):
    import threading

    import shapely as shp

    from xsland.read import io

    # the second batch's WKB fails: the error reaches the caller (as InputFileError, naming
    # the file) and GDAL's reading thread has ended before the file is closed
    monkeypatch.setattr(io, "_BATCH_ROWS", 1)
    frame = gpd.GeoDataFrame(
        {"n": [1, 2, 3]}, geometry=[shapely.box(i, 0, i + 1, 1) for i in range(3)], crs=4549
    )
    frame.to_file(tmp_path / "three.gpkg")
    real, calls = shp.from_wkb, []

    def failing(values, **kwargs):
        calls.append(len(values))
        if len(calls) == 2:
            raise shp.errors.GEOSException("ParseException: broken WKB")
        return real(values, **kwargs)

    monkeypatch.setattr(shp, "from_wkb", failing)
    with pytest.raises(InputFileError, match="three.gpkg.*broken WKB"):
        read_layer(tmp_path / "three.gpkg")
    assert calls == [1, 1]
    assert not [t for t in threading.enumerate() if t.name == "xsland-read"]


def test_a_binary_attribute_column_is_read_as_bytes_as_pyogrio_reads_it(tmp_path):
    import sqlite3

    # the WKB is kept as Arrow while read; a binary attribute (a BLOB, GDAL's OFTBinary)
    # still comes back as Python bytes, None where missing, as pyogrio's own read gives it
    frame = gpd.GeoDataFrame(
        {"n": [1, 2, 3]},
        geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1), shapely.box(2, 0, 3, 1)],
        crs=4549,
    )
    path = tmp_path / "blob.gpkg"
    frame.to_file(path, layer="blob", SPATIAL_INDEX="NO")  # no R-tree triggers for sqlite3
    with sqlite3.connect(path) as con:
        con.execute("ALTER TABLE blob ADD COLUMN data BLOB")
        con.executemany("UPDATE blob SET data = ? WHERE n = ?", [(b"\x00\x01", 1), (b"", 3)])
    con.close()
    own = pyogrio.read_dataframe(path, use_arrow=True)
    got = read_layer(path)
    pd.testing.assert_frame_equal(pd.DataFrame(got), pd.DataFrame(own), check_exact=True)
    assert got["data"].tolist() == [b"\x00\x01", None, b""]
    assert got.geometry.area.tolist() == [1.0, 1.0, 1.0]


def test_geopackage_layer_choice(tmp_path, parcels_4549):
    path = tmp_path / "two.gpkg"
    parcels_4549.to_file(path, layer="地块")
    parcels_4549.iloc[:1].to_file(path, layer="other")
    # named after the kind (地块 = parcels): found without layer=
    assert len(read_layer(path, kind="parcels")) == 3
    assert len(read_layer(path, layer="other")) == 1
    with pytest.raises(InputFileError, match=r"has 2 layers \(.*\); say which one"):
        read_layer(path)
    with pytest.raises(InputFileError, match=r"no layer 'nope'; its layers are"):
        read_layer(path, layer="nope")


def test_missing_file_and_unknown_format(tmp_path):
    with pytest.raises(InputFileError, match=r"does not exist"):
        read_layer(tmp_path / "missing.gpkg")
    bad = tmp_path / "x.dwg"
    bad.write_text("x")
    with pytest.raises(InputFileError, match=r"unknown vector format '.dwg'"):
        read_layer(bad)
    # a partitioned dataset's folder given as a layer (it said "unknown vector format ''")
    (tmp_path / "ds").mkdir()
    (tmp_path / "ds" / "partitions.json").write_text("{}", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"ds: a partitioned dataset \(`xsland partition`\)"):
        read_layer(tmp_path / "ds")
    with pytest.raises(InputFileError, match=r"Fix: audit it with `xsland audit --partitions`"):
        read_layer(tmp_path / "ds", kind="parcels")
    with pytest.raises(OSError):  # InputFileError is an OSError too
        read_layer(tmp_path / "missing.shp")


def test_chinese_and_mixed_case_aliases(parcels_4549):
    frame = parcels_4549.rename(
        columns={"parcel_id": "地块编号", "land_use": "用地性质", "floor_area": "建筑面积(m²)"}
    ).assign(**{"权利人": ["甲", "乙", "丙"], "所属镇街": ["东亭街道"] * 3})
    renamed, mapping = rename_columns(frame, "parcels")
    assert mapping == {
        "地块编号": "parcel_id",
        "用地性质": "land_use",
        "建筑面积(m²)": "floor_area",
        "权利人": "owner",
        "所属镇街": "town",
    }
    upper = parcels_4549.rename(columns={"parcel_id": "PARCEL_ID", "land_use": "Land-Use"})
    assert rename_columns(upper, "parcels")[1] == {"PARCEL_ID": "parcel_id", "Land-Use": "land_use"}


def test_user_mapping_wins_over_aliases(parcels_4549):
    frame = parcels_4549.assign(dkbh=["X1", "X2", "X3"])
    # both 'parcel_id' and the alias 'dkbh' exist; the user says dkbh is the ID
    renamed, mapping = rename_columns(frame, "parcels", columns={"dkbh": "parcel_id"})
    assert mapping["dkbh"] == "parcel_id"
    assert renamed["parcel_id"].tolist() == ["X1", "X2", "X3"]
    assert renamed["parcel_id_orig"].tolist() == ["P1", "P2", "P3"]
    with pytest.raises(DataError, match=r"there is no column 'nope'"):
        rename_columns(frame, "parcels", columns={"nope": "parcel_id"})
    with pytest.raises(DataError, match=r"'parcle_id', which is not a parcels column"):
        rename_columns(frame, "parcels", columns={"dkbh": "parcle_id"})


def _gbk_shapefile(tmp_path, frame, name="地块.shp"):
    path = tmp_path / name
    pyogrio.write_dataframe(frame, path, encoding="GBK")
    path.with_suffix(".cpg").unlink(missing_ok=True)
    dbf = path.with_suffix(".dbf")
    data = bytearray(dbf.read_bytes())
    data[29] = 0  # no language-driver code page, as in old ArcGIS exports
    dbf.write_bytes(bytes(data))
    return path


def test_gbk_shapefile_without_cpg(tmp_path, parcels_4549, caplog):
    frame = parcels_4549.rename(columns={"parcel_id": "地块编号"}).assign(
        权利人=["无锡锡山精密机械有限公司", "东亭街道", "鹅湖镇"]
    )
    path = _gbk_shapefile(tmp_path, frame)
    assert not path.with_suffix(".cpg").exists()
    # GDAL alone cannot know: Chinese text comes back as mojibake
    naive = pyogrio.read_dataframe(path)
    assert "无锡锡山精密机械有限公司" not in set(naive.iloc[:, 1])
    assert detect_dbf_encoding(path.with_suffix(".dbf")) == "GB18030"
    with caplog.at_level(logging.WARNING, logger="xsland.read.io"):
        got = read_layer(path, kind="parcels")
    assert got["owner"].tolist()[0] == "无锡锡山精密机械有限公司"
    assert got["parcel_id"].tolist() == ["P1", "P2", "P3"]
    assert "GB18030" in caplog.text and "no .cpg" in caplog.text


def test_utf8_shapefile_without_cpg_stays_utf8(tmp_path, parcels_4549):
    path = tmp_path / "u.shp"
    frame = parcels_4549.assign(owner=["东亭", "安镇", "厚桥"])
    pyogrio.write_dataframe(frame, path, encoding="UTF-8")
    path.with_suffix(".cpg").unlink(missing_ok=True)
    assert detect_dbf_encoding(path.with_suffix(".dbf")) == "UTF-8"
    assert read_layer(path, kind="parcels")["owner"].tolist() == ["东亭", "安镇", "厚桥"]


def test_layer_without_crs_needs_stated_crs(tmp_path, parcels_4549):
    path = tmp_path / "noprj.shp"
    parcels_4549.to_file(path)
    path.with_suffix(".prj").unlink()
    with pytest.raises(CRSError, match=r"has no coordinate reference system.*crs="):
        read_layer(path, kind="parcels")
    got = read_layer(path, kind="parcels", crs="EPSG:4549")
    assert got.crs.to_epsg() == 4549
    with pytest.raises(CRSError, match=r"cannot understand crs='EPSG:999999'"):
        read_layer(path, crs="EPSG:999999")


def test_read_table_csv_encodings_and_leading_zeros(tmp_path):
    frame = pd.DataFrame(
        {
            "统一社会信用代码": ["007", "008"],
            "企业名称": ["甲公司", "乙公司"],
            "营业收入": ["1,200.5", "300"],
            "评价等级": ["a", "D类"],
            "是否链主": ["是", "否"],
        }
    )
    utf = tmp_path / "ent.csv"
    frame.to_csv(utf, index=False, encoding="utf-8-sig")
    gbk = tmp_path / "ent_gbk.csv"
    frame.to_csv(gbk, index=False, encoding="gbk")
    for path in (utf, gbk):
        got = read_table(path, kind="enterprises")
        assert got["enterprise_id"].tolist() == ["007", "008"]
        assert got["name"].tolist() == ["甲公司", "乙公司"]
        assert got["revenue"].tolist() == [1200.5, 300.0]
        assert got["eval_class"].tolist() == ["A", "D"]
        assert got["chain_leader"].tolist() == [True, False]


def test_read_table_xlsx_indicators_chinese_headers(tmp_path):
    path = tmp_path / "ind.xlsx"
    pd.DataFrame(
        {
            "园区编号": ["XS01", "XS02"],
            "年度": [2025, 2025],
            "招商活动场次": [3, 1],
            "产业基金规模": [6000, None],
        }
    ).to_excel(path, index=False)
    got = read_table(path, kind="indicators")
    assert got.columns.tolist()[:4] == ["park_id", "year", "promotion_events", "industry_fund_wan"]
    assert got["year"].tolist() == [2025, 2025]
    assert got["promotion_events"].tolist() == [3.0, 1.0]


def test_read_table_errors(tmp_path):
    path = tmp_path / "ind.csv"
    pd.DataFrame({"park_id": ["A", "A"], "year": ["2025", "二〇二五"]}).to_csv(path, index=False)
    with pytest.raises(ValidationError, match=r"column 'year': 1 value not numbers"):
        read_table(path, kind="indicators")
    with pytest.raises(InputFileError, match=r"unknown table format '.dbf'"):
        bad = tmp_path / "x.dbf"
        bad.write_text("x")
        read_table(bad)
    with pytest.raises(DataError, match=r"parcels is a vector layer"):
        read_table(path, kind="parcels")


def test_detect_kind(tmp_path, parcels_4549):
    p = tmp_path / "x.gpkg"
    parcels_4549.rename(columns={"parcel_id": "宗地编号"}).to_file(p, layer="layer1")
    assert detect_kind(p, layer="layer1") == "parcels"  # by its columns
    assert detect_kind(tmp_path / "锡北镇地块.shp") == "parcels"  # by its name
    assert detect_kind(tmp_path / "园区指标.xlsx") == "indicators"
    b = tmp_path / "y.gpkg"
    gpd.GeoDataFrame({"层数": [2]}, geometry=[shapely.box(0, 0, 1, 1)], crs=4549).to_file(b)
    assert detect_kind(b, layer="y") == "buildings"


def test_shapefile_names_cut_inside_a_utf8_character_are_read_and_listed(tmp_path):
    # GDAL writes 建筑面积 (12 bytes in UTF-8) as its first 10 bytes: 建筑面 + 1 byte of 积
    from xsland.read.validate import quality_frame

    gdf = gpd.GeoDataFrame(
        {"parcel_id": ["A"], "建筑面积": [1200.0], "用地类别": ["industrial"]},
        geometry=[shapely.box(535_000, 3_496_000, 535_010, 3_496_010)],
        crs="EPSG:4549",
    )
    path = tmp_path / "p.shp"
    gdf.to_file(path, engine="pyogrio")
    got = read_layer(path, kind="parcels")
    assert got["floor_area"].tolist() == [1200.0]
    q = quality_frame(got)
    rows = q.set_index(["check", "column"])["detail"]
    assert ("shapefile_alias", "建筑面") in rows.index
    # 用地类 could be 用地类型 (land_use) or 用地类别 (category): listed, not guessed
    detail = rows[("truncated_column", "用地类")]
    assert "'land_use' or 'category'" in detail and "[inputs.parcels.columns]" in detail
    assert "category" not in got.columns and "land_use" not in got.columns


def test_two_columns_for_one_contract_column_are_refused_until_the_project_names_one(tmp_path):
    from click.testing import CliRunner

    from xsland.cli import main

    x, y = 535_000.0, 3_496_000.0
    parcels = gpd.GeoDataFrame(
        {"地块编号": ["A"], "用地面积": [10_000.0], "地块面积": [9_000.0], "政策类别": ["other"]},
        geometry=[shapely.box(x, y, x + 100, y + 100)],
        crs="EPSG:4549",
    )
    parks = gpd.GeoDataFrame(
        {"park_id": ["K1"], "name": ["一园"]},
        geometry=[shapely.box(x - 10, y - 10, x + 200, y + 200)],
        crs="EPSG:4549",
    )
    gpkg = tmp_path / "in.gpkg"
    parcels.to_file(gpkg, layer="parcels")
    parks.to_file(gpkg, layer="parks")
    with pytest.raises(DataError) as info:
        read_layer(gpkg, kind="parcels", layer="parcels")
    text = str(info.value)
    assert "columns '用地面积' and '地块面积' could each be 'declared_area'" in text
    assert '[inputs.parcels.columns] table, e.g. "用地面积" = "declared_area"' in text
    got = read_layer(gpkg, kind="parcels", layer="parcels", columns={"地块面积": "declared_area"})
    assert got["declared_area"].tolist() == [9000.0] and got["用地面积"].tolist() == [10_000.0]
    # through the command line: refused (no traceback), then the project file decides
    args = ["audit", "--no-progress", "--no-maps", "--no-report"]
    bad = CliRunner().invoke(
        main, [*args, "--parks", str(gpkg), "--parcels", str(gpkg), "--out", str(tmp_path / "b")]
    )
    assert bad.exit_code != 0 and "could each be 'declared_area'" in bad.output
    project = tmp_path / "xsland.toml"
    project.write_text(
        '[inputs.parks]\npath = "in.gpkg"\nlayer = "parks"\n'
        '[inputs.parcels]\npath = "in.gpkg"\nlayer = "parcels"\n'
        '[inputs.parcels.columns]\n"用地面积" = "declared_area"\n',
        encoding="utf-8",
    )
    ok = CliRunner().invoke(main, [*args, "-c", str(project), "--out", str(tmp_path / "o")])
    assert ok.exit_code == 0, ok.output
    out = gpd.read_file(tmp_path / "o" / "audit.gpkg", layer="parcels")
    assert out["declared_area"].tolist() == [10_000.0]


@pytest.mark.parametrize(
    ("written", "declared", "used"),
    [
        ("UTF-8", "936", "UTF-8"),  # UTF-8 text, .cpg says GBK: 鏃犻敗甯… (valid GBK)
        ("GBK", "1252", "GB18030"),  # GBK text, .cpg says Windows-1252: ÎÞÎýÊÐ…
        ("GBK", "UTF-8", "GB18030"),  # GBK text, .cpg says UTF-8: not even decodable
    ],
)
def test_a_cpg_that_gives_mojibake_is_overruled_and_listed(tmp_path, written, declared, used):
    from xsland.read.validate import quality_frame

    gdf = gpd.GeoDataFrame(
        {"地块编号": ["A1", "A2"], "权利人": ["无锡市锡山区某某机械有限公司", "东亭街道工业园"]},
        geometry=[shapely.box(535_000, 3_496_000, 535_010, 3_496_010)] * 2,
        crs="EPSG:4549",
    )
    path = tmp_path / "p.shp"
    gdf.to_file(path, encoding=written, engine="pyogrio")
    path.with_suffix(".cpg").write_text(declared, encoding="ascii")
    got = read_layer(path, kind="parcels")
    assert got["owner"].tolist() == ["无锡市锡山区某某机械有限公司", "东亭街道工业园"]
    (row,) = quality_frame(got).query("check == 'encoding_mojibake'").to_dict("records")
    assert row["file"] == str(path) and f"read as {used}" in row["detail"]
    assert "not plausible Chinese" in row["detail"]


def test_a_correct_cpg_is_trusted(tmp_path):
    gdf = gpd.GeoDataFrame(
        {"parcel_id": ["A1"], "owner": ["锡山区东亭街道"]},
        geometry=[shapely.box(535_000, 3_496_000, 535_010, 3_496_010)],
        crs="EPSG:4549",
    )
    gdf.to_file(tmp_path / "p.shp", encoding="GBK", engine="pyogrio")  # writes .cpg
    got = read_layer(tmp_path / "p.shp", kind="parcels")
    assert got["owner"].tolist() == ["锡山区东亭街道"]
    assert not [q for q in got.attrs["quality"] if q["check"] == "encoding_mojibake"]
