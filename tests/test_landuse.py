"""Land use by code or name of both national standards and M0 (issue 18, item 1)."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from xsland.cli import main
from xsland.errors import DataError
from xsland.measure.far import categorise
from xsland.rules.landuse import LAND_USE_NAMES, land_use_codes, normalise_land_use
from xsland.rules.policy import DEFAULT_CATEGORY_MAP, DEFAULT_POLICY

X0, Y0 = 535_000.0, 3_496_000.0


def test_codes_names_and_both_read_as_the_same_code():
    values = pd.Series(
        [
            "100101",  # 2023 code
            100101.0,  # the same from a spreadsheet
            "１００１０１",  # full-width digits
            "一类工业用地",  # its name
            "一类 工业用地 ",  # with spaces
            "M1",  # GB 50137-2011
            " m1 ",
            "M1 一类工业用地",  # code and name
            "工业用地(1001)",  # name and code in brackets
            "新型产业用地",  # local M0
            "901",  # 0901 after a spreadsheet dropped the zero
            "10010201",  # a finer local subclass of 100102
        ]
    )
    codes, unknown = land_use_codes(values)
    assert codes.tolist() == [
        "100101",
        "100101",
        "100101",
        "100101",
        "100101",
        "M1",
        "M1",
        "M1",
        "1001",
        "M0",
        "0901",
        "10010201",
    ]
    assert not unknown.any()


def test_unknown_words_and_ascii_that_only_starts_like_a_code():
    codes, unknown = land_use_codes(pd.Series(["工厂", "MINING", "", None, "M1"]))
    assert unknown.tolist() == [True, True, False, False, False]
    assert codes.iloc[4] == "M1" and codes.iloc[:4].isna().all()


@given(st.sampled_from(sorted(LAND_USE_NAMES)))
def test_every_name_of_the_vocabulary_reads_back_to_a_code_of_the_same_name(code):
    name = LAND_USE_NAMES[code]
    (got,), unknown = land_use_codes(pd.Series([f" {name} "]))
    assert not unknown[0]
    assert normalise_land_use(LAND_USE_NAMES[got]) == normalise_land_use(name)


def _categories(values, **kw):
    parcels = pd.DataFrame({"parcel_id": [f"P{i}" for i in range(len(values))], "land_use": values})
    return categorise(parcels, explain=True, **kw)


def test_names_categorise_like_codes():
    codes = ["100101", "M2", "M0", "1101", "W1", "0901", "1207"]
    names = ["一类工业用地", "二类工业用地", "新型产业用地", "物流仓储用地", "一类物流仓储用地"]
    names += ["商业用地", "城镇道路用地"]
    expected = ["industrial"] * 2 + ["new_type_industrial"] + ["logistics"] * 2 + ["other"] * 2
    assert _categories(codes)["category"].tolist() == expected
    assert _categories(names)["category"].tolist() == expected


def test_unknown_values_are_listed_with_counts_and_most_unknown_stops():
    # 2 of 5 unknown (40 % ≤ 50 %): categorised as other and listed, one row per value
    out = _categories(["工厂", "工厂", "M1", "M1", "1001"])
    assert out["category"].tolist() == ["other", "other", "industrial", "industrial", "industrial"]
    (row,) = out.attrs["quality"]
    assert row["check"] == "unknown_land_use" and row["column"] == "land_use"
    assert row["detail"].startswith("'工厂' × 2") and "P0, P1" in row["detail"]
    # 3 of 4 unknown (75 % > 50 %): a named error with the top values and the key to map them
    with pytest.raises(DataError) as info:
        _categories(["工厂", "工厂", "车间", "M1"])
    text = str(info.value)
    assert "column 'land_use': 3 of 4 parcels (75%)" in text
    assert "'工厂' × 2, '车间' × 1" in text and "[policy.category_map]" in text
    # the project file's table maps the local words, and keeps the defaults (M1)
    policy = DEFAULT_POLICY.replace(category_map={"工厂": "industrial", "车间": "industrial"})
    assert dict(policy.category_map) == {
        **DEFAULT_CATEGORY_MAP,
        "工厂": "industrial",
        "车间": "industrial",
    }
    got = _categories(["工厂", "工厂", "车间", "M1"], policy=policy)
    assert got["category"].tolist() == ["industrial"] * 4 and got.attrs["quality"] == []


def test_parcels_with_a_category_do_not_need_a_known_land_use():
    parcels = pd.DataFrame(
        {"parcel_id": ["A", "B"], "land_use": ["工厂", "车间"], "category": ["industrial", None]}
    )
    # only B is categorised from land_use, and it is unknown: 1 of 1 > 50 % -> error
    with pytest.raises(DataError, match=r"1 of 1 parcels"):
        categorise(parcels)
    parcels["category"] = ["industrial", "logistics"]
    assert categorise(parcels).tolist() == ["industrial", "logistics"]


def test_cli_stops_on_unknown_land_use_then_the_project_table_maps_it(tmp_path):
    parks = gpd.GeoDataFrame(
        {"park_id": ["K1"], "name": ["一园"], "park_type": ["片区型"]},
        geometry=[shapely.box(X0, Y0, X0 + 1000, Y0 + 1000)],
        crs="EPSG:4549",
    )
    parcels = gpd.GeoDataFrame(
        {"parcel_id": ["A", "B"], "land_use": ["工厂", "工厂"], "floor_area": [2e4, 5e3]},
        geometry=[
            shapely.box(X0 + 100, Y0 + 100, X0 + 200, Y0 + 200),
            shapely.box(X0 + 300, Y0 + 100, X0 + 400, Y0 + 200),
        ],
        crs="EPSG:4549",
    )
    gpkg = tmp_path / "in.gpkg"
    parks.to_file(gpkg, layer="parks")
    parcels.to_file(gpkg, layer="parcels")
    args = ["audit", "--parks", str(gpkg), "--parcels", str(gpkg), "--no-progress"]
    args += ["--no-maps", "--no-report"]
    bad = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "a")])
    assert bad.exit_code != 0 and isinstance(bad.exception, SystemExit)
    assert "Traceback" not in bad.output
    assert "column 'land_use'" in bad.output and "'工厂' × 2" in bad.output
    assert "[policy.category_map]" in bad.output
    project = tmp_path / "xsland.toml"
    project.write_text(
        '[inputs.parks]\npath = "in.gpkg"\nlayer = "parks"\n'
        '[inputs.parcels]\npath = "in.gpkg"\nlayer = "parcels"\n'
        '[policy.category_map]\n"工厂" = "industrial"\n',
        encoding="utf-8",
    )
    ok = CliRunner().invoke(
        main, ["audit", "-c", str(project), *args[5:], "--out", str(tmp_path / "b")]
    )
    assert ok.exit_code == 0, ok.output
    got = gpd.read_file(tmp_path / "b" / "audit.gpkg", layer="parcels")
    assert got["category"].tolist() == ["industrial", "industrial"]


def test_planned_use_written_as_names_compares_like_codes():
    from xsland.judge.lowuse import use_class

    codes = pd.Series(["0901", "B1", "100102", "M0", "0701"])
    names = pd.Series(["商业用地", "商业用地", "二类工业用地", "新型产业用地", "城镇住宅用地"])
    assert use_class(codes).tolist() == ["2023:09", "GB:B", "industrial", "new_type_industrial"] + [
        "2023:07"
    ]
    # a name is read as its 2023 code (商业用地 → 0901, so 2023:09, in class with 0901)
    assert use_class(names).tolist() == ["2023:09", "2023:09", "industrial"] + [
        "new_type_industrial",
        "2023:07",
    ]
