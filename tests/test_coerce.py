"""Values checked against what their column means: numbers, units, bounds and dates,
through validation, the readers, run_audit and the CLI."""

from __future__ import annotations

import subprocess
import sys

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import xsland
from xsland.errors import ValidationError
from xsland.read.io import read_table
from xsland.read.validate import quality_frame, validate_layer, validate_table
from xsland.rules.policy import DEFAULT_POLICY

X0, Y0 = 535_000.0, 3_496_000.0


def box(x0, y0, x1, y1):
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def _checks(q: pd.DataFrame, check: str) -> pd.DataFrame:
    return q[q["check"] == check]


# -- numbers ------------------------------------------------------------------------------


def test_office_numbers_are_read_and_listed():
    ent = pd.DataFrame(
        {
            "enterprise_id": ["E1", "E2", "E3"],
            "revenue": ["1,234.5", "２，０００", "300"],
            "tax": ["12", "－0", "5"],
        }
    )
    out = validate_table(ent, "enterprises")
    assert out["revenue"].tolist() == [1234.5, 2000.0, 300.0]
    assert out["tax"].tolist() == [12.0, 0.0, 5.0]
    q = quality_frame(out)
    notes = _checks(q, "number_format")
    assert set(notes["column"]) == {"revenue", "tax"}
    assert (notes["severity"] == "info").all()


def test_non_finite_numbers_are_errors_with_rows():
    ent = pd.DataFrame({"enterprise_id": ["E1", "E2", "E3"], "revenue": ["inf", "100", "nan"]})
    with pytest.raises(ValidationError) as info:
        validate_table(ent, "enterprises", file="e.csv")
    text = str(info.value)
    assert "column 'revenue': 2 values not finite (inf, nan or too large)" in text
    assert "rows: E1='inf', E3='nan'" in text
    typed = pd.DataFrame({"enterprise_id": ["E1"], "revenue": [np.inf]})
    with pytest.raises(ValidationError, match=r"1 value not finite"):
        validate_table(typed, "enterprises")


def test_negative_revenue_is_listed_and_not_used():
    ent = pd.DataFrame({"enterprise_id": ["E1", "E2"], "revenue": [-50.0, 100.0]})
    out = validate_table(ent, "enterprises")
    assert np.isnan(out["revenue"].iloc[0]) and out["revenue"].iloc[1] == 100.0
    neg = _checks(quality_frame(out), "negative_value")
    assert neg[["id", "severity"]].values.tolist() == [["E1", "warning"]]


def test_bounds_warn_then_refuse():
    b = gpd.GeoDataFrame(
        {"building_id": ["b1", "b2", "b3"], "floors": [12, 250, 1e9]},
        geometry=[box(0, 0, 10, 10)] * 3,
        crs="EPSG:4549",
    )
    with pytest.raises(ValidationError) as info:
        validate_layer(b, "buildings")
    assert "column 'floors': 1 value above 1000 (policy error_max_floors), impossible" in str(
        info.value
    )
    assert "rows: b3=1e+09" in str(info.value)
    ok = validate_layer(b.iloc[:2], "buildings")
    warn = _checks(quality_frame(ok), "implausible_value")
    assert warn[["id", "severity"]].values.tolist() == [["b2", "warning"]]
    # the bound is the policy's: a project file may raise it
    looser = DEFAULT_POLICY.replace(warn_max_floors=300.0)
    quiet = validate_layer(b.iloc[:2], "buildings", policy=looser)
    assert _checks(quality_frame(quiet), "implausible_value").empty


# -- units in headers -----------------------------------------------------------------------


def _csv(tmp_path, text, name="enterprises.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_header_unit_converted_and_listed(tmp_path):
    path = _csv(tmp_path, "企业编号,营收(亿元),税收（元）\nE1,1.5,20000\n")
    out = read_table(path, kind="enterprises")
    # 1.5 亿元 = 15 000 万元; 20 000 元 = 2 万元
    assert out["revenue"].iloc[0] == pytest.approx(15_000.0)
    assert out["tax"].iloc[0] == pytest.approx(2.0)
    conv = _checks(quality_frame(out), "unit_converted")
    assert conv["detail"].tolist() == [
        "'营收(亿元)': 亿元 → 万元 (× 10000)",
        "'税收（元）': 元 → 万元 (× 0.0001)",
    ]


def test_header_unit_of_the_wrong_quantity_or_against_the_project_file(tmp_path):
    path = _csv(tmp_path, "企业编号,营收(亩)\nE1,1.5\n")
    with pytest.raises(ValidationError, match=r"states '亩', which is not a unit of money"):
        read_table(path, kind="enterprises")
    path = _csv(tmp_path, "企业编号,营收(亿元)\nE1,1.5\n")
    with pytest.raises(
        ValidationError, match=r"the header '营收\(亿元\)' says 亿元 but the project file says 万元"
    ):
        read_table(path, kind="enterprises", units={"revenue": "万元"})
    # a unit stated only in the project file converts
    plain = _csv(tmp_path, "企业编号,营收\nE1,1.5\n")
    out = read_table(plain, kind="enterprises", units={"revenue": "亿元"})
    assert out["revenue"].iloc[0] == pytest.approx(15_000.0)


def test_areas_in_mu_converted_to_m2():
    parcels = gpd.GeoDataFrame(
        {"parcel_id": ["A"], "用地面积(亩)": ["15"]}, geometry=[box(0, 0, 100, 100)], crs=4549
    )
    from xsland.read.io import rename_columns

    renamed, mapping = rename_columns(parcels, "parcels")
    renamed.attrs = {"source": {"columns": mapping}}
    out = validate_layer(renamed, "parcels")
    assert out["declared_area"].iloc[0] == pytest.approx(10_000.0)  # 15 亩 = 10 000 m²


# -- dates --------------------------------------------------------------------------------


def test_dates_listed_never_a_traceback():
    parcels = gpd.GeoDataFrame(
        {
            "parcel_id": ["A", "B", "C", "D", "E"],
            "supply_date": ["9999-12-31", "25/9/1", "2024/03", "3000-01-01", "2025年9月1日"],
        },
        geometry=[box(i * 10, 0, i * 10 + 5, 5) for i in range(5)],
        crs="EPSG:4549",
    )
    out = validate_layer(parcels, "parcels")
    dates = out.set_index("parcel_id")["supply_date"]
    assert pd.isna(dates["A"]) and pd.isna(dates["B"]) and pd.isna(dates["D"])
    assert dates["C"] == pd.Timestamp("2024-03-01")
    assert dates["E"] == pd.Timestamp("2025-09-01")
    q = quality_frame(out)
    got = {c: _checks(q, c)["id"].tolist() for c in ("sentinel_date", "ambiguous_date")}
    assert got == {"sentinel_date": ["A"], "ambiguous_date": ["B"]}
    assert _checks(q, "imprecise_date")["id"].tolist() == ["C"]
    assert _checks(q, "implausible_date")["id"].tolist() == ["D"]
    # 2025/08 holds the policy date 2025-08-29: before or after cannot be told
    august = validate_layer(
        parcels.assign(supply_date=["2025/08", "2025/07"] + [None] * 3), "parcels"
    )
    assert pd.isna(august["supply_date"].iloc[0])
    assert august["supply_date"].iloc[1] == pd.Timestamp("2025-07-01")
    q = quality_frame(august)
    assert _checks(q, "ambiguous_date")["id"].tolist() == ["A"]
    assert "policy date 2025-08-29" in _checks(q, "ambiguous_date")["detail"].iloc[0]
    bad = parcels.assign(supply_date=["soon"] + [None] * 4)
    with pytest.raises(ValidationError, match=r"1 value not dates \(rows: A='soon'\)"):
        validate_layer(bad, "parcels")


# -- verdicts through run_audit and the CLI ----------------------------------------------------


def _world():
    parks = gpd.GeoDataFrame(
        {
            "park_id": ["K1"],
            "name": ["一园"],
            "town": ["东亭街道"],
            "park_type": ["district"],
            "leading_industry": ["智能装备"],
        },
        geometry=[box(0, 0, 1000, 1000)],
        crs="EPSG:4549",
    )
    parcels = gpd.GeoDataFrame(
        {
            "parcel_id": [f"P{i}" for i in range(6)],
            "land_use": ["100101"] * 6,
            "enterprise_id": [f"E{i}" for i in range(6)],
            "floor_area": [20_000.0] * 6,
        },
        geometry=[box(i * 150, 0, i * 150 + 100, 100) for i in range(6)],
        crs="EPSG:4549",
    )
    return parks, parcels


# E0, E1 are 智能装备 (leading) with revenue 500 each; E2–E5 are other industries with
# revenue -50 each (as delivered). Summed naively: 1000 / (1000 - 200) = 125 % and a pass.
# Negative revenue cannot be: those four are listed and not used, so the revenue share is
# unknown (not every enterprise's revenue is known); the count share 2/6 = 33 % fails.
ENTERPRISES = (
    "enterprise_id,industry,revenue\n"
    "E0,智能装备,500\nE1,智能装备,500\nE2,新材料,-50\nE3,新材料,-50\nE4,新材料,-50\nE5,新材料,-50\n"
)


def test_negative_revenues_never_push_a_share_past_100_percent(tmp_path):
    parks, parcels = _world()
    ent = read_table(_csv(tmp_path, ENTERPRISES), kind="enterprises")
    k = xsland.run_audit(parks, parcels, enterprises=ent).parks.iloc[0]
    assert k["chk_leading_revenue"] == "unknown" and np.isnan(k["val_leading_revenue"])
    assert (k["chk_leading_count"], k["val_leading_count"]) == ("fail", pytest.approx(0.3333))
    # the same table passed to run_audit unvalidated: the judge drops them as well
    raw = pd.read_csv(_csv(tmp_path, ENTERPRISES))
    k = xsland.run_audit(parks, parcels, enterprises=raw).parks.iloc[0]
    assert k["chk_leading_revenue"] == "unknown"


def _cli(*args):
    exe = [sys.executable, "-c", "from xsland.cli import main; main()"]
    return subprocess.run([*exe, *args], capture_output=True, text=True, timeout=600)


@pytest.fixture
def layers(tmp_path):
    parks, parcels = _world()
    parks.to_file(tmp_path / "parks.gpkg")
    parcels.to_file(tmp_path / "parcels.gpkg")
    return tmp_path


def _audit(folder, enterprises=None, indicators=None):
    args = ["audit", "--parks", str(folder / "parks.gpkg"), "--parcels"]
    args += [str(folder / "parcels.gpkg"), "--out", str(folder / "out"), "--no-maps"]
    args += ["--no-report"]
    if enterprises:
        args += ["--enterprises", str(enterprises)]
    if indicators:
        args += ["--indicators", str(indicators)]
    return _cli(*args)


def test_cli_fund_in_yi_yuan_is_judged_in_wan(layers):
    # 0.6 亿元 = 6 000 万元 ≥ 5 000: pass (read as 万元 it would be 0.6 and fail)
    ind = _csv(layers, "园区编号,年度,产业基金规模(亿元)\nK1,2026,0.6\n", "indicators.csv")
    run = _audit(layers, indicators=ind)
    assert run.returncode == 0, run.stderr
    parks = gpd.read_file(layers / "out" / "audit.gpkg", layer="parks")
    assert parks["chk_fund"].iloc[0] == "pass"
    assert parks["val_fund"].iloc[0] == pytest.approx(6000.0)
    sheets = pd.read_excel(layers / "out" / "audit.xlsx", sheet_name=None)
    assert "亿元 → 万元 (× 10000)" in "".join(df.to_csv() for df in sheets.values())


def test_cli_negative_revenues_unknown_not_pass(layers):
    run = _audit(layers, enterprises=_csv(layers, ENTERPRISES))
    assert run.returncode == 0, run.stderr
    parks = gpd.read_file(layers / "out" / "audit.gpkg", layer="parks")
    assert parks["chk_leading_revenue"].iloc[0] == "unknown"


def test_cli_infinite_revenue_is_a_named_error(layers):
    ent = _csv(layers, "enterprise_id,industry,revenue\nE0,智能装备,inf\n")
    run = _audit(layers, enterprises=ent)
    assert run.returncode != 0
    text = run.stdout + run.stderr
    assert "Traceback" not in text
    assert "column 'revenue': 1 value not finite" in text and "E0='inf'" in text
    assert not (layers / "out").exists()


def test_cli_lists_sentinel_and_ambiguous_dates(tmp_path):
    parks, parcels = _world()
    parcels = parcels.iloc[:4].assign(
        supply_date=["9999-12-31", "25/9/1", "2023年3月1日", "3000-01-01"]
    )
    parks.to_file(tmp_path / "parks.gpkg")
    parcels.to_file(tmp_path / "parcels.gpkg")
    run = _audit(tmp_path)
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    sheets = pd.read_excel(tmp_path / "out" / "audit.xlsx", sheet_name=None)
    quality = next(df for name, df in sheets.items() if "quality" in name.lower())
    by_check = quality.groupby(quality.columns[4])[quality.columns[2]].apply(sorted).to_dict()
    assert by_check["sentinel_date"] == ["P0"]
    assert by_check["ambiguous_date"] == ["P1"]
    assert by_check["implausible_date"] == ["P3"]
    out = gpd.read_file(tmp_path / "out" / "audit.gpkg", layer="parcels")
    dates = out.set_index("parcel_id")["supply_date"]
    assert str(dates["P2"])[:10] == "2023-03-01"
    assert pd.isna(dates["P0"]) and pd.isna(dates["P1"]) and pd.isna(dates["P3"])


def test_project_file_units_reach_the_reader(tmp_path):
    from xsland.pipeline.run import read_inputs
    from xsland.rules.project import load_project

    parks, parcels = _world()
    parks.to_file(tmp_path / "parks.gpkg")
    parcels.to_file(tmp_path / "parcels.gpkg")
    _csv(tmp_path, "企业编号,营收\nE1,1.5\n")
    _csv(tmp_path, "企业编号,营收(万元)\nE1,1.5\n", "headed.csv")
    text = """
[project]
out = "o"
[inputs]
parks = "parks.gpkg"
parcels = "parcels.gpkg"
[inputs.enterprises]
path = "{path}"
[inputs.enterprises.units]
revenue = "亿元"
"""
    (tmp_path / "p.toml").write_text(text.format(path="enterprises.csv"), encoding="utf-8")
    project = load_project(tmp_path / "p.toml")
    assert dict(project.inputs["enterprises"].units) == {"revenue": "亿元"}
    ent = read_inputs(project)["enterprises"]
    assert ent["revenue"].iloc[0] == pytest.approx(15_000.0)  # 1.5 亿元 in 万元
    (tmp_path / "p.toml").write_text(text.format(path="headed.csv"), encoding="utf-8")
    with pytest.raises(ValidationError, match=r"says 万元 but the project file says 亿元"):
        read_inputs(load_project(tmp_path / "p.toml"))
