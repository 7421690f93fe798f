"""Values that mean what their column says, through the command line (issue 18).

Each test writes a tiny hand-made project the way another office delivers it, runs
``xsland audit`` in-process and checks the verdict worked out in the comments, or the
named error; and that the data-quality table lists what was read differently. The same
classes through the Python API are tested beside their modules (see each docstring).
"""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely
from click.testing import CliRunner

from xsland.cli import main

X0, Y0 = 535_000.0, 3_496_000.0


def box(x0, y0, x1, y1):
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def _parks(**changed):
    cols = {
        "park_id": ["K1"],
        "name": ["一园"],
        "town": ["东亭街道"],
        "park_type": ["district"],
        "leading_industry": ["数字经济（软件）"],
    }
    cols.update(changed)
    geoms = changed.pop("geometry", None) or [box(0, 0, 1000, 1000)]
    cols.pop("geometry", None)
    return gpd.GeoDataFrame(cols, geometry=geoms, crs="EPSG:4549")


def _audit(folder, *extra):
    args = ["audit", "--parks", str(folder / "parks.gpkg"), "--parcels"]
    args += [str(folder / "parcels.gpkg"), "--out", str(folder / "out"), "--no-maps"]
    args += ["--no-report", "--no-progress", "--as-of", "2025-08-29", *extra]
    return CliRunner().invoke(main, args)


def _quality(folder):
    q = gpd.read_file(folder / "out" / "audit.gpkg", layer="quality")
    return q


def _parcels(folder):
    return gpd.read_file(folder / "out" / "audit.gpkg", layer="parcels").set_index("parcel_id")


def test_class2_spaces_group_thousands_in_a_revenue_column(tmp_path):
    """Class 2 (numbers as offices write them), CLI; API: tests/test_values.py."""
    _parks().to_file(tmp_path / "parks.gpkg")
    gpd.GeoDataFrame(
        {
            "parcel_id": ["A", "B"],
            "land_use": ["100101"] * 2,
            "enterprise_id": ["E1", "E2"],
            "floor_area": [20_000.0] * 2,
        },
        geometry=[box(0, 0, 100, 100), box(200, 0, 300, 100)],
        crs="EPSG:4549",
    ).to_file(tmp_path / "parcels.gpkg")
    # E1 (leading) 1 234 567 (U+00A0 between the groups), E2 (other) 1 000 000 (U+202F):
    # share 1 234 567 / 2 234 567 = 55.2 % < 60 %: fail. Read as unreadable it would be
    # unknown; read as 1 and 1 it would be 50 %.
    (tmp_path / "ent.csv").write_text(
        "enterprise_id,industry,revenue\n"
        "E1,数字经济（软件）,1\u00a0234\u00a0567\nE2,新材料,1\u202f000\u202f000\n",
        encoding="utf-8",
    )
    run = _audit(tmp_path, "--enterprises", str(tmp_path / "ent.csv"))
    assert run.exit_code == 0, run.output
    k = gpd.read_file(tmp_path / "out" / "audit.gpkg", layer="parks").iloc[0]
    assert k["val_leading_revenue"] == pytest.approx(1_234_567 / 2_234_567, abs=1e-4)
    assert k["chk_leading_revenue"] == "fail"
    q = _quality(tmp_path)
    assert q["detail"].str.contains("2 values with spaces as thousands separators").any()
    assert not q["detail"].str.contains("full-width").any()  # a narrow space is not one


def test_class4_industry_names_match_after_normalisation_and_are_counted(tmp_path):
    """Class 4 (names compared across tables), CLI; API: tests/test_harmonise.py."""
    _parks().to_file(tmp_path / "parks.gpkg")
    gpd.GeoDataFrame(
        {
            "parcel_id": ["A", "B"],
            "land_use": ["100101"] * 2,
            "enterprise_id": ["E1", "E2"],
            "floor_area": [20_000.0] * 2,
        },
        geometry=[box(0, 0, 100, 100), box(200, 0, 300, 100)],
        crs="EPSG:4549",
    ).to_file(tmp_path / "parcels.gpkg")
    # 数字经济(软件) with half-width brackets and a trailing ideographic space is the
    # park's 数字经济（软件）: both enterprises lead, share 100 % and 2/2: pass
    (tmp_path / "ent.csv").write_text(
        "enterprise_id,industry,revenue\nE1,数字经济(软件),300\nE2,数字经济 （软件）\u3000,100\n",
        encoding="utf-8",
    )
    run = _audit(tmp_path, "--enterprises", str(tmp_path / "ent.csv"))
    assert run.exit_code == 0, run.output
    k = gpd.read_file(tmp_path / "out" / "audit.gpkg", layer="parks").iloc[0]
    assert (k["chk_leading_revenue"], k["chk_leading_count"]) == ("pass", "pass")
    assert _parcels(tmp_path)["lu_industry_mismatch"].astype(bool).sum() == 0
    q = _quality(tmp_path)
    listed = q[q["detail"].str.contains("数字经济", na=False)]
    assert len(listed) >= 1, q[["check", "detail"]].to_string()


def test_class5_zero_floor_area_and_a_footprint_twice(tmp_path):
    """Class 5 (values that contradict the geometry), CLI; API: tests/test_far.py."""
    _parks().to_file(tmp_path / "parks.gpkg")
    # A (1 ha, stock industrial): 0 on record, building 80 m × 60 m × 3 floors delivered
    # twice: 14 400 m², FAR 1.44 ≥ 1.0, not low-efficiency (FAR 0 would flag it; the
    # doubled footprint would make 2.88). B (1 ha): 15 000 on record, no building: 1.5.
    gpd.GeoDataFrame(
        {
            "parcel_id": ["A", "B"],
            "land_use": ["100101"] * 2,
            "floor_area": [0.0, 15_000.0],
            "supply_date": ["2010-01-01"] * 2,
        },
        geometry=[box(0, 0, 100, 100), box(200, 0, 300, 100)],
        crs="EPSG:4549",
    ).to_file(tmp_path / "parcels.gpkg")
    gpd.GeoDataFrame(
        {"building_id": ["B1", "B2"], "floors": [3, 3]},
        geometry=[box(10, 10, 90, 70)] * 2,
        crs="EPSG:4549",
    ).to_file(tmp_path / "buildings.gpkg")
    run = _audit(tmp_path, "--buildings", str(tmp_path / "buildings.gpkg"))
    assert run.exit_code == 0, run.output
    p = _parcels(tmp_path)
    assert p.loc["A", "floor_area"] == pytest.approx(14_400.0)
    assert p.loc["A", "far"] == pytest.approx(1.44)
    # A: coverage 4 800 / 10 000 = 48 % ≥ 30 %, FAR ≥ 1.0: not low-efficiency; B has no
    # building on the map: coverage 0 < 30 % flags it (its own FAR 1.5 is fine)
    assert p["low_efficiency"].astype(bool).to_dict() == {"A": False, "B": True}
    assert p.loc["B", "reasons"] == "coverage_low"
    q = _quality(tmp_path)
    assert set(q.loc[q["check"] == "floor_area_contradicted", "id"]) == {"A"}
    assert set(q.loc[q["check"] == "duplicate_building", "id"]) == {"B2"}


def test_class5_a_whole_field_of_zeros_is_not_recorded(tmp_path):
    """Class 5, a field of zeros, CLI; API: tests/test_validate.py."""
    _parks().to_file(tmp_path / "parks.gpkg")
    # every floor_area is 0: read as not recorded; A's building (40 × 50 × 2 = 4 000 m²)
    # gives FAR 0.4 (low-efficiency, < 1.0); B has no building and no figure: FAR 0 from
    # the buildings layer (vacant), never "0 on record"
    gpd.GeoDataFrame(
        {"parcel_id": ["A", "B"], "land_use": ["100101"] * 2, "floor_area": [0.0, 0.0]},
        geometry=[box(0, 0, 100, 100), box(200, 0, 300, 100)],
        crs="EPSG:4549",
    ).to_file(tmp_path / "parcels.gpkg")
    gpd.GeoDataFrame(
        {"building_id": ["B1"], "floors": [2]}, geometry=[box(10, 10, 50, 60)], crs="EPSG:4549"
    ).to_file(tmp_path / "buildings.gpkg")
    run = _audit(tmp_path, "--buildings", str(tmp_path / "buildings.gpkg"))
    assert run.exit_code == 0, run.output
    p = _parcels(tmp_path)
    assert p.loc["A", "floor_area"] == pytest.approx(4_000.0)
    assert p.loc["A", "far"] == pytest.approx(0.4)
    q = _quality(tmp_path)
    assert (q["check"] == "zero_field").sum() == 1


def test_class6_overlapping_parks_and_disagreeing_features(tmp_path):
    """Class 6 (relations between features), CLI; API: tests/test_quality.py and
    tests/test_validate.py."""
    # K1 = [0, 1000]², K2 = [500, 1500] × [0, 1000]: 500 000 m² shared; A lies there
    parks = _parks(
        park_id=["K1", "K2"],
        name=["一园", "二园"],
        town=["东亭街道"] * 2,
        park_type=["district"] * 2,
        leading_industry=["装备"] * 2,
        geometry=[box(0, 0, 1000, 1000), box(500, 0, 1500, 1000)],
    )
    parks.to_file(tmp_path / "parks.gpkg")
    gpd.GeoDataFrame(
        {"parcel_id": ["A", "B"], "land_use": ["100101"] * 2, "floor_area": [20_000.0] * 2},
        geometry=[box(600, 100, 700, 200), box(100, 0, 200, 100)],
        crs="EPSG:4549",
    ).to_file(tmp_path / "parcels.gpkg")
    run = _audit(tmp_path)
    assert run.exit_code == 0, run.output
    towns = gpd.read_file(tmp_path / "out" / "audit.gpkg", layer="towns")
    assert towns["area_m2"].tolist() == pytest.approx([1_500_000.0])  # the union, once
    q = _quality(tmp_path)
    overlaps = q[q["check"] == "parks_overlap"]
    assert sorted(overlaps["id"]) == ["K1", "K2"]
    assert overlaps["detail"].str.contains("parcels in the shared land: A").all()
    # two features of one park that disagree on the town: a named error, not first-wins
    parks = _parks(
        park_id=["K1", "K1"],
        name=["一园"] * 2,
        town=["东亭街道", "安镇街道"],
        park_type=["district"] * 2,
        leading_industry=["装备"] * 2,
        geometry=[box(0, 0, 500, 1000), box(500, 0, 1000, 1000)],
    )
    parks.to_file(tmp_path / "parks.gpkg")
    run = _audit(tmp_path, "--overwrite")
    assert run.exit_code == 1
    assert "1 park whose features give different town values" in run.output
    assert "K1: 东亭街道 / 安镇街道" in run.output


def test_class7_a_cpg_that_gives_mojibake_is_overruled_and_listed(tmp_path):
    """Class 7 (guesses made visible: encodings), CLI; API: tests/test_io.py."""
    _parks().to_file(tmp_path / "parks.gpkg")
    parcels = gpd.GeoDataFrame(
        {"地块编号": ["A"], "用地性质": ["工业用地"], "权利人": ["无锡市锡山区某某机械有限公司"]},
        geometry=[box(0, 0, 100, 100)],
        crs="EPSG:4549",
    )
    shp = tmp_path / "parcels.shp"
    parcels.to_file(shp, encoding="UTF-8", engine="pyogrio")
    shp.with_suffix(".cpg").write_text("936", encoding="ascii")  # says GBK: 鏃犻敗甯…
    args = ["audit", "--parks", str(tmp_path / "parks.gpkg"), "--parcels", str(shp)]
    args += ["--out", str(tmp_path / "out"), "--no-maps", "--no-report", "--no-progress"]
    run = CliRunner().invoke(main, args)
    assert run.exit_code == 0, run.output
    p = _parcels(tmp_path)
    assert p.loc["A", "owner"] == "无锡市锡山区某某机械有限公司"
    assert p.loc["A", "category"] == "industrial"  # 工业用地 read as a name, not mojibake
    q = _quality(tmp_path)
    (row,) = q[q["check"] == "encoding_mojibake"].to_dict("records")
    assert "read as UTF-8" in row["detail"]
