"""Land use by code or name of both national standards and M0 (issue 18, item 1)."""

from __future__ import annotations

import math

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
from xsland.rules import policy as policy_module
from xsland.rules.columns import CODES, TABLES
from xsland.rules.landuse import (
    DEFAULT_CATEGORY_MAP,
    LAND_USE_NAMES,
    STANDARDS,
    VOCABULARY,
    land_use_codes,
    land_use_label,
    land_use_name,
    normalise_land_use,
)
from xsland.rules.policy import CATEGORIES, DEFAULT_POLICY
from xsland.write import maps
from xsland.write.excel import display_table

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


# -- the one vocabulary (issue 13 item 4, issue 18 item 1) ------------------------------

#: Codes and names of 《国土空间调查、规划、用途管制用地用海分类指南》 (自然资发〔2023〕234号),
#: Appendix I table I, as two independent public transcriptions of the guide's code list
#: give them; the codes where xsland's three former tables disagreed or followed the 2020
#: trial edition (自然资办发〔2020〕51号), and the classes the audit turns on.
OFFICIAL_2023 = {
    "0204": "油料园地",  # 2020 trial: 其他园地
    "0205": "其他园地",
    "0601": "农村道路",  # 2020 trial: 乡村道路用地
    "060102": "田间道",
    "0602": "设施农用地",  # 2020 trial: 种植设施建设用地
    "060201": "种植设施建设用地",
    "0903": "娱乐用地",  # 2020 trial: 娱乐康体用地, with 090301/090302
    "1207": "城镇村道路用地",
    "1311": "水工设施用地",  # 2020 trial: 干渠
    "1312": "其他公用设施用地",  # 2020 trial: 水工设施用地
    "2302": "后备耕地",  # 2020 trial: 田坎
    "1001": "工业用地",
    "100102": "二类工业用地",
    "1101": "物流仓储用地",
    "110103": "三类物流仓储用地",
    "0701": "城镇住宅用地",
}

#: GB 50137-2011 《城市用地分类与规划建设用地标准》 table 3.3.2.
OFFICIAL_GB50137 = {
    "M": "工业用地",
    "M1": "一类工业用地",
    "W2": "二类物流仓储用地",
    "S1": "城市道路用地",
}


@pytest.mark.parametrize(("code", "name"), sorted({**OFFICIAL_2023, **OFFICIAL_GB50137}.items()))
def test_hand_picked_codes_carry_the_official_names(code, name):
    assert VOCABULARY[code].name == name == LAND_USE_NAMES[code]
    assert VOCABULARY[code].standard == ("2023" if code[0].isdigit() else "GB 50137-2011")
    assert land_use_name(code) == name


def test_codes_of_the_2020_trial_edition_that_2023_dropped_are_not_in_the_table():
    for gone in ("0603", "0604", "090301", "090302", "1313"):
        assert gone not in VOCABULARY
    # the trial edition's renamed classes still read as the 2023 class
    codes, unknown = land_use_codes(pd.Series(["乡村道路用地", "城镇道路用地"]))
    assert codes.tolist() == ["0601", "1207"] and not unknown.any()


def test_every_class_has_a_standard_and_a_category_of_the_audit():
    assert {v.standard for v in VOCABULARY.values()} == set(STANDARDS)
    assert {v.category for v in VOCABULARY.values()} <= set(CATEGORIES)
    assert VOCABULARY["M0"] == type(VOCABULARY["M0"])(
        "M0", "local", "新型产业用地", "new_type_industrial"
    )
    # the policy's default map is the vocabulary's categories, and the same object
    assert policy_module.DEFAULT_CATEGORY_MAP is DEFAULT_CATEGORY_MAP
    assert dict(DEFAULT_POLICY.category_map) == {
        c: v.category for c, v in VOCABULARY.items() if v.category != "other"
    }
    assert DEFAULT_CATEGORY_MAP["100102"] == "industrial" and "1102" not in DEFAULT_CATEGORY_MAP


def test_maps_excel_and_the_reader_agree_for_every_code():
    codes = list(VOCABULARY)
    n = len(codes)
    parcels = gpd.GeoDataFrame(
        {"parcel_id": [f"P{i}" for i in range(n)], "land_use": codes},
        geometry=[shapely.box(X0 + 20 * i, Y0, X0 + 20 * i + 10, Y0 + 10) for i in range(n)],
        crs="EPSG:4549",
    )
    # the maps' popup label
    _, layers, _ = maps._parcel_payload(parcels, system="wgs84", simplify=0.0, precision=6)
    popup = {}
    for layer in layers:
        col, ids = layer["props"]["land_use"], layer["props"]["parcel_id"]
        count = layer["geom"]["count"]
        for j in range(count):
            pid = ids["d"][ids["i"][j]] if "d" in ids else ids.get("v", [ids.get("k")] * count)[j]
            popup[pid] = (
                col["d"][col["i"][j]] if "d" in col else col.get("v", [col.get("k")] * count)[j]
            )
    # the Excel word
    shown, _, _ = display_table(
        pd.DataFrame({"parcel_id": parcels["parcel_id"], "land_use": codes}), TABLES["parcels"]
    )
    excel = dict(zip(shown.iloc[:, 0], shown["用地分类"], strict=True))
    # the reader, from the name
    back, unknown = land_use_codes(pd.Series([VOCABULARY[c].name for c in codes]))
    assert not unknown.any()
    for i, code in enumerate(codes):
        name = VOCABULARY[code].name
        assert popup[f"P{i}"] == f"{name}（{code}）" == land_use_label(code)
        assert excel[f"P{i}"] == f"{code} {name}" == land_use_label(code, code_first=True)
        assert LAND_USE_NAMES[back.iloc[i]] == name  # a shared name reads as the 2023 class
        assert CODES["land_use"][code] == name


# -- names for people (from the former landuse_names module) ---------------------------


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("1001", "工业用地"),
        ("100101", "一类工业用地"),
        ("100102", "二类工业用地"),
        ("100103", "三类工业用地"),
        ("1101", "物流仓储用地"),
        ("1201", "铁路用地"),
        ("1202", "公路用地"),
        ("1207", "城镇村道路用地"),
        ("1303", "供电用地"),
        ("0901", "商业用地"),
        ("M1", "一类工业用地"),
        ("M2", "二类工业用地"),
        ("M3", "三类工业用地"),
        ("W1", "一类物流仓储用地"),
        ("S1", "城市道路用地"),
        ("M0", "新型产业用地"),
    ],
)
def test_names_of_the_codes_the_sample_and_the_policy_use(code, name):
    assert land_use_name(code) == name


def test_codes_as_data_holds_them():
    # number columns: 100102.0, a lost leading zero (901 -> 0901, 60101 -> 060101)
    assert land_use_name(100102.0) == "二类工业用地"
    assert land_use_name(901) == "商业用地"
    assert land_use_name(60101) == "村道用地"
    assert land_use_name("100102.0") == "二类工业用地"
    # spaces, lower case, full text of nothing
    assert land_use_name(" m1 ") == "一类工业用地"
    assert land_use_name("W 1") == "一类物流仓储用地"
    for nothing in (None, float("nan"), "", "  ", "nan", math.inf):
        assert land_use_name(nothing) is None and land_use_label(nothing) is None
    # unknown codes have no name; their label is the code as given, trimmed
    assert land_use_name("9999") is None and land_use_label(" 9999 ") == "9999"
    assert land_use_label("=1+1") == "=1+1"
    assert land_use_label(1303) == "供电用地（1303）"
    assert land_use_label("m0") == "新型产业用地（M0）"


def test_table_is_read_only_and_every_code_is_normal():
    with pytest.raises(TypeError):
        LAND_USE_NAMES["1001"] = "x"  # type: ignore[index]
    for code, name in LAND_USE_NAMES.items():
        assert normalise_land_use(code) == code and name.strip() == name and name
    # every third-level national code sits under a listed second-level one
    for code in LAND_USE_NAMES:
        if code.isdigit() and len(code) == 6:
            assert code[:4] in LAND_USE_NAMES, code
        if code.isdigit() and len(code) == 4:
            assert code[:2] in LAND_USE_NAMES, code


@given(st.one_of(st.text(max_size=12), st.integers(), st.floats()))
def test_any_value_gives_a_name_or_none_and_never_raises(value):
    name = land_use_name(value)
    assert name is None or name in LAND_USE_NAMES.values()
    label = land_use_label(value)
    assert label is None or isinstance(label, str)
