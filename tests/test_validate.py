"""Validation: every problem collected and raised once; every repair listed."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
import shapely.affinity
from hypothesis import given, settings
from hypothesis import strategies as st

from xsland.errors import ValidationError
from xsland.read.validate import (
    _check_park_features,
    _Collector,
    _same_text,
    quality_frame,
    validate_layer,
    validate_table,
)

BOWTIE = shapely.Polygon([(0, 0), (10, 10), (10, 0), (0, 10)])  # two 25 m² triangles


#: Near Xishan in EPSG:4549; coordinates near (0, 0) are far outside the CRS's area of use.
X0, Y0 = 535_000.0, 3_496_000.0


def _layer(**cols):
    geometry = [
        None if g is None else shapely.affinity.translate(g, X0, Y0) for g in cols.pop("geometry")
    ]
    return gpd.GeoDataFrame(cols, geometry=geometry, crs="EPSG:4549")


def test_all_problems_in_one_error_with_file_layer_column_rows():
    gdf = _layer(
        parcel_id=["A", "B", "B", None],
        floor_area=["1", "x", "2", "-5"],
        geometry=[
            shapely.box(0, 0, 1, 1),
            None,
            shapely.box(0, 0, 1, 1),
            shapely.LineString([(0, 0), (1, 1)]),
        ],
    )
    with pytest.raises(ValidationError) as info:
        validate_layer(gdf, "parcels", file="d.gpkg", layer="地块")
    text = str(info.value)
    assert text.startswith("6 problems in the parcels input d.gpkg layer '地块':")
    assert "column 'parcel_id': 1 row with an empty parcel_id (rows: row 4)" in text
    assert "1 parcel_id value used more than once (rows: B)" in text
    assert "1 row without geometry (rows: B)" in text
    assert "1 feature of type LineString, not polygons (rows: row 4)" in text
    assert "column 'floor_area': 1 value not numbers (rows: B='x')" in text
    assert "column 'floor_area': 1 value negative (rows: row 4)" in text
    assert len(info.value.problems) == 6
    assert isinstance(info.value, ValueError)


def test_negative_values_and_missing_columns():
    gdf = _layer(floor_area=[-5.0], geometry=[shapely.box(0, 0, 1, 1)])
    with pytest.raises(ValidationError, match=r"required column 'parcel_id' is missing"):
        validate_layer(gdf, "parcels")
    b = _layer(building_id=["b1"], storey_height=[-1.0], geometry=[shapely.box(0, 0, 1, 1)])
    with pytest.raises(ValidationError) as info:
        validate_layer(b, "buildings")
    assert "required column 'floors' or 'height' is missing" in str(info.value)
    assert "column 'storey_height': 1 value negative (rows: b1)" in str(info.value)


def test_invalid_polygon_repaired_and_listed():
    gdf = _layer(parcel_id=["ok", "bow"], geometry=[shapely.box(0, 0, 1, 1), BOWTIE])
    out = validate_layer(gdf, "parcels")
    assert out.geometry.is_valid.all()
    assert out.geometry.area.tolist() == [1.0, 50.0]  # both triangles kept
    assert out.geometry.iloc[1].geom_type == "MultiPolygon"
    q = quality_frame(out)
    assert q["check"].tolist() == ["repaired_geometry"]
    assert q["id"].tolist() == ["bow"]
    assert "Self-intersection" in q["detail"].iloc[0]
    # the input is not changed
    assert not gdf.geometry.iloc[1].is_valid


def test_repair_keeps_only_polygonal_part_of_collection():
    coll = shapely.GeometryCollection(
        [shapely.box(0, 0, 2, 2), shapely.LineString([(5, 5), (6, 6)])]
    )
    gdf = _layer(parcel_id=["c"], geometry=[coll])
    out = validate_layer(gdf, "parcels")
    assert out.geometry.iloc[0].equals(shapely.box(X0, Y0, X0 + 2, Y0 + 2))
    assert quality_frame(out)["check"].tolist() == ["collection_to_polygon"]


def test_duplicates_renamed_and_empty_dropped_on_request():
    gdf = _layer(
        parcel_id=["A", "A", "A", "C"], geometry=[shapely.box(0, 0, 1, 1)] * 3 + [shapely.Polygon()]
    )
    out = validate_layer(gdf, "parcels", duplicates="rename", empty_geometry="drop")
    assert out["parcel_id"].tolist() == ["A", "A-2", "A-3"]
    q = quality_frame(out)
    assert q["check"].tolist() == [
        "renamed_duplicate_id",
        "renamed_duplicate_id",
        "dropped_empty_geometry",
    ]
    assert q["detail"].tolist()[:2] == ["A → A-2", "A → A-3"]


def test_collect_mode_never_raises():
    gdf = _layer(parcel_id=["A", "A"], geometry=[shapely.box(0, 0, 1, 1), None])
    out = validate_layer(gdf, "parcels", collect=True)
    q = quality_frame(out)
    assert set(q["check"]) == {"duplicate_id", "null_geometry"}
    assert (q["severity"] == "error").all()


def test_ids_from_spreadsheets_and_codes():
    gdf = _layer(
        park_id=[1.0, "XS02 "],
        name=["甲", "乙"],
        park_type=["片区型", "Carrier"],
        zone=["核心启动区", "拓展功能区"],
        geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)],
    )
    out = validate_layer(gdf, "parks")
    assert out["park_type"].tolist() == ["district", "carrier"]
    assert out["zone"].tolist() == ["core", "expansion"]
    bad = gdf.assign(park_type=["片区型", "园中园"])
    with pytest.raises(
        ValidationError,
        match=r"column 'park_type': 1 value not known codes "
        r"\(rows: XS02='园中园'\).*district",
    ):
        validate_layer(bad, "parks")


def test_dates_chinese_and_iso():
    gdf = _layer(
        parcel_id=["a", "b", "c"],
        supply_date=["2025年8月29日", "2025-09-01", None],
        geometry=[shapely.box(0, 0, 1, 1)] * 3,
    )
    out = validate_layer(gdf, "parcels")
    assert out["supply_date"].tolist()[:2] == [
        pd.Timestamp("2025-08-29"),
        pd.Timestamp("2025-09-01"),
    ]
    assert pd.isna(out["supply_date"].iloc[2])


def test_layer_without_crs_is_a_problem():
    gdf = gpd.GeoDataFrame({"parcel_id": ["a"]}, geometry=[shapely.box(0, 0, 1, 1)])
    with pytest.raises(ValidationError, match=r"no coordinate reference system"):
        validate_layer(gdf, "parcels")


def test_tables():
    df = pd.DataFrame(
        {"enterprise_id": ["E1", "E1"], "eval_class": ["A", "E"], "chain_leader": ["maybe", "否"]}
    )
    with pytest.raises(ValidationError) as info:
        validate_table(df, "enterprises", file="e.csv")
    text = str(info.value)
    assert "1 enterprise_id value used more than once (rows: E1)" in text
    assert "column 'eval_class': 1 value not known codes (rows: E1='E')" in text
    assert "column 'chain_leader': 1 value not yes/no" in text
    ind = pd.DataFrame({"park_id": ["A", "A"], "year": ["2025", "2025.0"]})
    with pytest.raises(
        ValidationError,
        match=r"park_id and year given more than once "
        r"\(rows: A/2025\)",
    ):
        validate_table(ind, "indicators")


def test_polygonal_handles_many_parts():
    from xsland.read.validate import _polygonal

    geoms = np.array(
        [
            shapely.GeometryCollection(
                [shapely.box(0, 0, 1, 1), shapely.box(2, 0, 3, 1), shapely.Point(9, 9)]
            ),
            shapely.LineString([(0, 0), (1, 0)]),
            shapely.box(0, 0, 1, 1),
        ],
        dtype=object,
    )
    out = _polygonal(geoms)
    assert out[0].geom_type == "MultiPolygon" and out[0].area == 2.0
    assert out[1].is_empty
    assert out[2].equals(shapely.box(0, 0, 1, 1))


def test_require_dates_names_the_rows():
    from xsland.errors import DataError
    from xsland.read.validate import require_dates

    frame = pd.DataFrame({"parcel_id": ["a", "b", "c"], "d": ["2025/8/29", "soon", None]})
    got = require_dates(frame[frame["parcel_id"] != "b"], "d", what="parcels", id_col="parcel_id")
    assert got.tolist()[0] == pd.Timestamp("2025-08-29") and pd.isna(got.tolist()[1])
    with pytest.raises(
        DataError,
        match=r"parcels: column 'd' has values that are not dates "
        r"\(rows: b\)",
    ):
        require_dates(frame, "d", what="parcels", id_col="parcel_id")
    assert require_dates(frame, "nope", what="x", id_col="parcel_id").isna().all()


def test_a_whole_column_of_zeros_reads_as_not_recorded():
    gdf = _layer(
        parcel_id=["A", "B", "C"],
        floor_area=[0, "0", None],
        declared_far=[0.0, 1.2, None],
        geometry=[shapely.box(0, 0, 1, 1)] * 3,
    )
    out = validate_layer(gdf, "parcels")
    assert out["floor_area"].isna().all()  # 0, 0 and empty: nothing recorded
    assert out["declared_far"].tolist()[:2] == [0.0, 1.2]  # one real value: zeros kept
    q = quality_frame(out)
    assert q[["column", "check"]].values.tolist() == [["floor_area", "zero_field"]]
    assert q["detail"].iloc[0] == "all 2 values of 'floor_area' are 0: read as not recorded"


def test_features_of_one_park_that_disagree_are_named_not_first_wins():
    parks = _layer(
        park_id=["K1", "K1", "K2", "K2", "K3"],
        name=["一园", "一园 ", "二园", "二园", "三园"],  # trailing space: the same name
        town=["东亭街道", "安镇街道", "锡北镇", None, "锡北镇"],  # K2: one given, one empty
        park_type=["片区型", "district", "片区型", "载体型", "载体"],  # K1 agrees once mapped
        geometry=[shapely.box(0, 0, 1, 1)] * 5,
    )
    with pytest.raises(ValidationError) as info:
        validate_layer(parks, "parks", file="parks.gpkg")
    text = str(info.value)
    assert "column 'town': 1 park whose features give different town values" in text
    assert "(rows: K1: 东亭街道 / 安镇街道)" in text
    assert "column 'park_type': 1 park whose features give different park_type values" in text
    assert "(rows: K2: carrier / district)" in text
    assert "'name'" not in text
    assert len(info.value.problems) == 2


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["K1", "K2", "K3", None]),
            st.sampled_from(["锡北镇", "锡北镇 ", "东亭街道", "", None, "ｂ", "b"]),
        ),
        max_size=12,
    )
)
def test_disagreeing_parks_are_those_the_plain_per_park_lists_name(rows):
    # the plain definition: every park's sorted set of values, a clash when two or more
    frame = pd.DataFrame(
        {"park_id": [p for p, _ in rows], "town": [t for _, t in rows]}, dtype=object
    )
    text = _same_text(frame["town"])
    values = text.groupby(frame["park_id"]).agg(lambda v: sorted(set(v.dropna())))
    plain = [f"{p}: {' / '.join(v)}" for p, v in values[values.map(len) > 1].items()]
    c = _Collector("parks", "parks.gpkg", "", collect=True)
    _check_park_features(frame, c)
    got = [row for problem in c.problems for row in problem.rows]
    assert got == plain


def test_nul_in_text_is_removed_and_listed():
    """GDAL ends a string at NUL: audit.gpkg would keep "甲" of "甲\\x00公司" silently."""
    gdf = _layer(
        parcel_id=["A\x00", "B"],
        owner=["甲\x00公司", "乙\x01"],
        geometry=[shapely.box(0, 0, 10, 10), shapely.box(20, 0, 30, 10)],
    )
    out = validate_layer(gdf, "parcels")
    assert out["parcel_id"].tolist() == ["A", "B"] and out["owner"].tolist() == ["甲公司", "乙\x01"]
    assert gdf["owner"].iloc[0] == "甲\x00公司"  # the input is not changed
    listed = quality_frame(out)
    listed = listed[listed["check"] == "text_nul_removed"]
    assert sorted(zip(listed["column"], listed["id"], strict=True)) == [
        ("owner", "A"),
        ("parcel_id", "A"),
    ]
    table = validate_table(pd.DataFrame({"enterprise_id": ["E1"], "name": ["\x00"]}), "enterprises")
    assert table["name"].tolist() == [""]
    assert quality_frame(table)["check"].tolist() == ["text_nul_removed"]


@pytest.mark.parametrize("dtype", ["str", "string[pyarrow]", "object", "category"])
def test_nul_is_found_whatever_the_text_columns_dtype(dtype):
    # pyogrio with Arrow gives "str" columns, a CSV object ones, a user categoricals:
    # NUL is removed from each; numbers and dates are left alone
    gdf = _layer(
        parcel_id=["A", "B", "C"],
        owner=pd.Series(["甲\x00公司", None, "丙"], dtype=dtype),
        declared_area=[1.0, 2.0, 3.0],
        geometry=[
            shapely.box(0, 0, 10, 10),
            shapely.box(20, 0, 30, 10),
            shapely.box(40, 0, 50, 10),
        ],
    )
    out = validate_layer(gdf, "parcels")
    assert out["owner"].iloc[0] == "甲公司" and out["owner"].iloc[2] == "丙"
    listed = quality_frame(out)
    listed = listed[listed["check"] == "text_nul_removed"]
    assert list(zip(listed["column"], listed["id"], strict=True)) == [("owner", "A")]


@pytest.mark.parametrize("dtype", ["object", "string[python]"])
def test_unpaired_surrogates_are_replaced_and_listed(dtype):
    # Python makes "\udc80" of an undecodable byte (surrogateescape); no UTF-8 output can
    # hold it (pandas' Arrow text, GDAL, Excel, PostgreSQL): it becomes U+FFFD, listed.
    # (Only object and Python-string columns can hold one: pandas refuses it in Arrow
    # text and in categories, whose categories are Arrow text.)
    gdf = _layer(
        parcel_id=pd.Series(["A", "B\udc80", "C"], dtype=object),
        owner=pd.Series(["甲\ud800公司", None, "丙"], dtype=dtype),
        geometry=[
            shapely.box(0, 0, 10, 10),
            shapely.box(20, 0, 30, 10),
            shapely.box(40, 0, 50, 10),
        ],
    )
    out = validate_layer(gdf, "parcels")
    assert out["owner"].tolist()[0] == "甲\ufffd公司" and out["owner"].tolist()[2] == "丙"
    assert out["parcel_id"].tolist() == ["A", "B\ufffd", "C"]
    assert gdf["owner"].iloc[0] == "甲\ud800公司"  # the input is not changed
    listed = quality_frame(out)
    listed = listed[listed["check"] == "text_surrogate_replaced"]
    assert sorted(zip(listed["column"], listed["id"], strict=True)) == [
        ("owner", "A"),
        ("parcel_id", "B\ufffd"),
    ]
    table = validate_table(
        pd.DataFrame({"enterprise_id": ["E1"], "name": pd.Series(["\udcff"], dtype=object)}),
        "enterprises",
    )
    assert table["name"].tolist() == ["\ufffd"]
    assert quality_frame(table)["check"].tolist() == ["text_surrogate_replaced"]
    # the report says it in Chinese
    from xsland.write.htmlreport.quality_zh import quality_detail_zh

    detail = quality_frame(table)["detail"].iloc[0]
    assert quality_detail_zh("text_surrogate_replaced", detail).startswith("不成对的代理字符")


@pytest.mark.parametrize("kind", ["parcels", "parks"])
def test_an_own_id_that_normalises_twice_is_stored_settled_and_listed_as_first_read(kind):
    # 'e' + zero-width joiner + combining acute normalises to 'e\u0301', which normalises
    # to 'é': the layer's own IDs are stored normalised twice (as the ID check always
    # normalised them again), the listing says what the first normalisation gave;
    # an enterprise_id of a parcel (not its own ID) is normalised once
    col = "parcel_id" if kind == "parcels" else "park_id"
    extra = (
        {"enterprise_id": ["e\u200d\u0301", "E2"]} if kind == "parcels" else {"name": ["甲", "乙"]}
    )
    gdf = _layer(
        **{col: ["e\u200d\u0301", "P2"]},
        **extra,
        geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)],
    )
    out = validate_layer(gdf, kind)
    assert out[col].tolist() == ["\u00e9", "P2"]
    if kind == "parcels":
        assert out["enterprise_id"].tolist() == ["e\u0301", "E2"]
    q = quality_frame(out)
    listed = q[(q["check"] == "normalised_id") & (q["column"] == col)]
    assert listed["id"].tolist() == ["e\u0301"]
    written, first = "e\u200d\u0301", "e\u0301"
    assert listed["detail"].tolist() == [f"{written!r} → {first!r}"]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(st.none(), st.sampled_from(["A", "B", "a", "A ", "é", "e\u0301", ""])),
        max_size=12,
    )
)
def test_ids_used_twice_are_the_rows_pandas_marks(cells):
    import pyarrow as pa

    from xsland.read.validate import _used_twice

    # unique IDs are told by counting distinct texts (Arrow's hash table for Arrow text,
    # a set for objects); any repeat falls back to pandas' marks: the rows whose
    # non-empty ID another row has (text compared exactly: 'é' is not 'e\u0301')
    for dtype in (object, "str", pd.ArrowDtype(pa.large_string())):
        ids = pd.Series(cells, dtype=dtype, index=range(10, 10 + len(cells)))
        empty = ids.isna().to_numpy()
        want = pd.Series(cells, dtype=object).duplicated(keep=False).to_numpy() & ~empty
        assert _used_twice(ids, empty).tolist() == want.tolist(), dtype
    repeated = pd.Series(["P1", None, "P1", "P2"])
    marks = _used_twice(repeated, repeated.isna().to_numpy())
    assert marks.tolist() == [True, False, True, False]


def test_validity_tested_while_other_checks_run_finds_what_testing_after_finds(monkeypatch):
    from xsland.read import validate

    # a bowtie (invalid), a collection holding a bowtie, a collection of two overlapping
    # squares (valid as a collection, its polygon part - a multipolygon of overlapping
    # squares - is not: tested when made), a polygon with a NaN corner (set aside as
    # non-finite, never tested as a polygon) and a square: validity tested at once on a
    # thread gives the frame and listing validity tested after the other checks gives
    with np.errstate(invalid="ignore"):
        nan_corner = shapely.Polygon([(0, 0), (float("nan"), 0), (1, 1), (0, 1)])
    gdf = _layer(
        parcel_id=["A", "B", "C", "D", "E"],
        geometry=[
            BOWTIE,
            shapely.GeometryCollection([BOWTIE, shapely.Point(50, 50)]),
            shapely.GeometryCollection([shapely.box(0, 0, 2, 2), shapely.box(1, 1, 3, 3)]),
            nan_corner,
            shapely.box(0, 0, 3, 3),
        ],
    )
    early = validate_layer(gdf, "parcels", collect=True)
    monkeypatch.setattr(validate, "_validity", lambda pool, frame: None)
    after = validate_layer(gdf, "parcels", collect=True)
    assert (
        shapely.to_wkb(early.geometry.values).tolist()
        == shapely.to_wkb(after.geometry.values).tolist()
    )
    assert early.attrs["quality"] == after.attrs["quality"]
    checks = [(r["check"], r["id"]) for r in early.attrs["quality"]]
    assert ("repaired_geometry", "A") in checks and ("repaired_geometry", "B") in checks
    assert ("nonfinite_coordinates", "D") in checks
    assert [c for c in checks if c[1] in ("C", "E")] == [
        ("collection_to_polygon", "C"),
        ("repaired_geometry", "C"),
    ]
    # bowties: two 25 m² triangles; the squares: make_valid keeps what one square covers,
    # 4 + 4 - 2 x 1 = 6 m² (the shared 1 m² cancels, as the repair always gave)
    assert early.geometry.area.round(6).fillna(-1).tolist() == [50.0, 50.0, 6.0, -1.0, 9.0]


def _quality_by_records(*items):
    """quality_frame as it was: every table through to_dict("records"), one frame of all."""
    from xsland.read.validate import QUALITY_COLUMNS

    rows = []
    for item in items:
        if isinstance(item, pd.DataFrame) and list(item.columns) == QUALITY_COLUMNS:
            rows.extend(item.to_dict("records"))
        elif isinstance(item, pd.DataFrame):
            rows.extend(item.attrs.get("quality", []))
        else:
            rows.extend(item)
    return pd.DataFrame(rows, columns=QUALITY_COLUMNS).astype(
        dict.fromkeys(QUALITY_COLUMNS, object)
    )


_CELL = st.one_of(
    st.none(),
    st.just(np.nan),
    st.text(max_size=3),
    st.integers(-3, 3),
    st.sampled_from([np.int64(7), np.float64(0.5), np.bool_(True), True, 1.5]),
)


@pytest.mark.parametrize("dtype", ["object", "str", "string", "int64", "float64"])
@settings(max_examples=40, deadline=None)
@given(cells=st.lists(st.lists(_CELL, min_size=8, max_size=8), max_size=4), records=st.booleans())
def test_quality_frame_is_the_records_round_trip(dtype, cells, records):
    # a quality table of any column dtype (text with None/NaN/pd.NA, NumPy scalars, numbers)
    # gives the cells to_dict("records") gave: same values, same Python types, same dtypes
    from xsland.read.validate import QUALITY_COLUMNS

    table = pd.DataFrame(cells, columns=QUALITY_COLUMNS, dtype=object)
    if dtype in ("str", "string"):
        table = table.map(lambda v: v if v is None or v != v else str(v)).astype(dtype)
    elif dtype != "object":
        table = pd.DataFrame(
            np.arange(len(cells) * 8).reshape(-1, 8) / 2, columns=QUALITY_COLUMNS
        ).astype(dtype)
    extra = [{"layer": "parks", "id": np.int64(3), "check": "x"}] if records else []
    got = quality_frame(table, extra, table)
    want = _quality_by_records(table, extra, table)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    for col in QUALITY_COLUMNS:
        assert [type(v) for v in got[col]] == [type(v) for v in want[col]]
        assert [repr(v) for v in got[col]] == [repr(v) for v in want[col]]


def test_quality_cells_are_boxed_as_to_dict_gives_them():
    # worked out from DataFrame.to_dict("records") on one-cell object columns
    from xsland.read.validate import _box

    cells = [np.int64(7), np.float32(1.5), np.bool_(True), np.uint64(2**63), pd.NA, None]
    cells += [np.datetime64("2025-01-02"), np.str_("a"), "=1+1"]
    got = [_box(v) for v in cells]
    want = [7, 1.5, True, 2**63, None, None]
    want += [pd.Timestamp("2025-01-02"), np.str_("a"), "=1+1"]
    assert [repr(v) for v in got] == [repr(v) for v in want]
    assert [type(v) for v in got] == [type(v) for v in want]
    records = pd.DataFrame({"c": pd.Series(cells, dtype=object)}).to_dict("records")
    assert [repr(r["c"]) for r in records] == [repr(v) for v in want]


def _own_column_world(**extra):
    """One park; P1 FAR 1.5 (ok) and P2 FAR 0.5 (low-efficiency: below 1.0), touching."""
    parks = _layer(park_id=["K1"], name=["一园"], geometry=[shapely.box(-10, -10, 300, 300)])
    parcels = _layer(
        parcel_id=["P1", "P2"],
        land_use=["100101", "100101"],
        floor_area=[15_000.0, 5_000.0],
        geometry=[shapely.box(0, 0, 100, 100), shapely.box(100, 0, 200, 100)],
        **extra,
    )
    return validate_layer(parks, "parks"), validate_layer(parcels, "parcels")


def test_a_column_named_like_the_audits_own_is_moved_aside_and_listed():
    # the layer's low_efficiency ("no" for both, as a town office might have marked
    # them), Block_ID (the audit's block_id but for case) and kinds, with kinds_orig
    # already taken: renamed low_efficiency_orig, Block_ID_orig and kinds_orig2, their
    # values kept; park_id is not a parcel contract column either. A contract column
    # (owner) and a plain extra column (note) keep their names.
    user = {
        "low_efficiency": ["no", "no"],
        "Block_ID": ["B9", "B9"],
        "kinds": ["k", "k"],
        "kinds_orig": ["t", "t"],
        "park_id": ["X", "X"],
        "owner": ["甲", "乙"],
        "note": ["a", "b"],
    }
    _, parcels = _own_column_world(**user)
    renamed = {
        "low_efficiency": "low_efficiency_orig",
        "Block_ID": "Block_ID_orig",
        "kinds": "kinds_orig2",
        "park_id": "park_id_orig",
    }
    for old, new in renamed.items():
        assert old not in parcels.columns
        assert parcels[new].tolist() == user[old]
    assert parcels["kinds_orig"].tolist() == ["t", "t"]
    assert parcels["owner"].tolist() == ["甲", "乙"] and parcels["note"].tolist() == ["a", "b"]
    q = quality_frame(parcels.attrs["quality"])
    listed = q[q["check"] == "column_renamed"]
    new_names = listed["detail"].str.extract(r"renamed '(.+?)'")[0]
    assert dict(zip(listed["column"], new_names, strict=True)) == renamed
    assert (listed["severity"] == "warning").all()


def test_a_layers_own_low_efficiency_column_does_not_replace_the_audits():
    # P2 (FAR 0.5 < 1.0) is low-efficiency, P1 (1.5) is not, whatever the layer's own
    # column low_efficiency says; before, the layer's text column took the audit's place
    # and no parcel was flagged (and no block was ever shown as such)
    import xsland

    plain = xsland.run_audit(*_own_column_world(), as_of="2025-08-29")
    mine = xsland.run_audit(
        *_own_column_world(low_efficiency=["no", "no"], block_id=["B9", "B9"]),
        as_of="2025-08-29",
    )
    for result in (plain, mine):
        assert result.parcels["low_efficiency"].tolist() == [False, True]
    assert mine.parcels["block_id"].tolist() == plain.parcels["block_id"].tolist()
    assert mine.parcels["low_efficiency_orig"].tolist() == ["no", "no"]


def test_columns_differing_only_in_case_are_renamed_and_the_audit_is_written(tmp_path):
    # Note keeps its name; NOTE would be NOTE_2, which the layer has: NOTE_3; NOTE_2
    # keeps its own; nOtE: nOtE_2 and _3 are taken, nOtE_4. Before, validation let them
    # through and the GeoPackage writer stopped the audit with "Cannot create field
    # NOTE. A field with the same name already exists."
    import xsland

    user = {"Note": ["a", "b"], "NOTE": ["c", "d"], "NOTE_2": ["e", "f"], "nOtE": ["g", "h"]}
    parks, parcels = _own_column_world(**user)
    got = [c for c in parcels.columns if c.casefold().startswith("note")]
    assert got == ["Note", "NOTE_3", "NOTE_2", "nOtE_4"]
    assert parcels["NOTE_3"].tolist() == ["c", "d"] and parcels["nOtE_4"].tolist() == ["g", "h"]
    q = quality_frame(parcels.attrs["quality"])
    assert q.loc[q["check"] == "column_renamed", "column"].tolist() == ["NOTE", "nOtE"]
    result = xsland.run_audit(parks, parcels, as_of="2025-08-29")
    xsland.write_audit(result, tmp_path / "out", maps=False, html_report=False)
    back = xsland.AuditResult.read(tmp_path / "out").parcels
    assert back[got].to_dict("list") == {
        "Note": ["a", "b"], "NOTE_3": ["c", "d"], "NOTE_2": ["e", "f"], "nOtE_4": ["g", "h"],
    }  # fmt: skip


def _quality_by_rows(*items):
    """:func:`quality_frame` as it was written first: every row a tuple, one
    ``DataFrame(rows)``, each column's type inferred there, then cast to object."""
    from xsland.read.validate import QUALITY_COLUMNS, _native

    rows = []
    for item in items:
        if isinstance(item, pd.DataFrame) and list(item.columns) == QUALITY_COLUMNS:
            rows.extend(zip(*(_native(item[c]) for c in QUALITY_COLUMNS), strict=True))
            continue
        records = item.attrs.get("quality", []) if isinstance(item, pd.DataFrame) else item
        missing = (np.nan,) * len(QUALITY_COLUMNS)
        rows.extend(tuple(map(r.get, QUALITY_COLUMNS, missing)) for r in records)
    frame = pd.DataFrame(rows, columns=QUALITY_COLUMNS)
    return frame.astype({c: "object" for c in QUALITY_COLUMNS})


_CELLS = st.one_of(
    st.text(max_size=4),
    st.sampled_from(["parcels", "P1", "=1+1", ""]),
    st.none(),
    st.just(np.nan),
    st.just(pd.NA),
    st.just(pd.NaT),
    st.integers(-3, 3),
    st.floats(allow_nan=False, width=32),
    st.booleans(),
    st.just(np.int64(7)),
    st.just(np.str_("np")),
    st.just(pd.Timestamp("2024-01-02")),
)


@st.composite
def _quality_items(draw):
    from xsland.read.validate import QUALITY_COLUMNS

    items = []
    for _ in range(draw(st.integers(0, 3))):
        keys = st.lists(st.sampled_from(QUALITY_COLUMNS), unique=True)
        records = draw(
            st.lists(
                st.builds(
                    lambda ks, vs: dict(zip(ks, vs, strict=False)),
                    keys,
                    st.lists(_CELLS, min_size=8, max_size=8),
                ),
                max_size=6,
            )
        )
        if draw(st.booleans()):  # a quality table made before, as parcel_checks gives one
            items.append(_quality_by_rows(records))
        else:
            items.append(records)
    return items


@settings(max_examples=300, deadline=None)
@given(_quality_items())
def test_the_quality_table_reads_each_column_as_rows_of_records_would(items):
    """The columns of text and missing cells are read in one pass (it took 0.6 s for the
    1M-parcel audit's 258,000 rows, twice): the same table, to each cell's type, as one
    frame of every row's tuple, for any mix of text, missing cells, numbers, booleans,
    dates and NumPy scalars."""
    got = quality_frame(*items)
    want = _quality_by_rows(*items)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    for c in want.columns:
        assert [type(v) for v in got[c]] == [type(v) for v in want[c]], c
        assert [v is None for v in got[c]] == [v is None for v in want[c]], c


def test_a_contract_column_given_twice_or_names_of_two_levels_are_refused_even_with_collect():
    parcels = _layer(
        parcel_id=["A", "B"],
        category=["industrial", "new_industrial"],
        geometry=[shapely.box(0, 0, 10, 10), shapely.box(20, 0, 30, 10)],
    )
    twice = gpd.GeoDataFrame(
        pd.concat([parcels, parcels[["category"]].assign(category="logistics")], axis=1),
        crs="EPSG:4549",
    )
    for collect in (False, True):  # which category is the layer's? never guessed
        with pytest.raises(ValidationError, match=r"column 'category' given 2 times"):
            validate_layer(twice, "parcels", collect=collect)
    levels = pd.DataFrame({("parcel_id", ""): ["A", "B"], ("x", "y"): [1, 2]})
    with pytest.raises(ValidationError, match=r"2 levels of names \(a MultiIndex\)"):
        validate_table(levels, "enterprises")
    # an extra column given twice is no contract column: the later one renamed and listed
    notes = pd.concat([parcels, pd.DataFrame({"Note": ["a", "b"]}), pd.DataFrame({"Note": ["c", "d"]})], axis=1)  # fmt: skip
    got = validate_layer(gpd.GeoDataFrame(notes, crs="EPSG:4549"), "parcels")
    assert [c for c in got.columns if c.startswith("Note")] == ["Note", "Note_2"]
    assert got["Note_2"].tolist() == ["c", "d"]
