"""End to end on the Xishan sample: `xsland check` finds every planted defect, the audit
names the oversize park, and the demo writes its reports."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner

from xsland.cli import main
from xsland.read.io import read_layer

# planted defect (defects.json key) -> the data-quality check that must report it
EXPECTED = {
    "self_intersecting": "repaired_geometry",
    "duplicate_id": "duplicate_id",
    "slivers": "sliver",
    "straddling": "straddles_park",
    "buildings_outside": "building_outside",
    "declared_area_mismatch": "declared_area_mismatch",
}


@pytest.fixture(scope="module")
def defects(sample):
    return json.loads(sample.defects.read_text(encoding="utf-8"))


def test_check_lists_every_planted_defect_by_id(sample, defects, tmp_path):
    out = tmp_path / "quality.csv"
    result = CliRunner().invoke(
        main,
        [
            "check",
            str(sample.gpkg),
            str(sample.enterprises),
            str(sample.indicators),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 1, result.output  # the duplicate ID is an error
    q = pd.read_csv(out, encoding="utf-8-sig", dtype=str)
    for key, check in EXPECTED.items():
        planted = defects[key] if isinstance(defects[key], list) else [defects[key]]
        found = set(q.loc[q["check"] == check, "id"])
        assert found == set(planted), (key, found ^ set(planted))
        for ident in planted[:12]:
            assert ident in result.output
    multipart = set(q.loc[q["check"] == "multipart", "id"])
    assert set(defects["multipolygon"]) <= multipart


def test_gbk_export_is_read_with_chinese_text(sample, caplog):
    with caplog.at_level("WARNING"):
        gbk = read_layer(sample.gbk_shapefile, kind="parcels")
    assert "GB18030" in caplog.text
    assert gbk.crs.to_epsg() == 4528
    assert gbk["town"].dropna().eq("锡北镇").all()
    main_layer = gpd.read_file(sample.gpkg, layer="parcels")
    same = main_layer.set_index("parcel_id").loc[gbk["parcel_id"].iloc[0]]
    assert gbk["owner"].iloc[0] == same["owner"]


def test_demo_audit_names_the_oversize_park(sample, defects, demo_audit):
    out, written, lines = demo_audit
    assert sorted(p.name for p in written) == [
        "audit.gpkg",
        "audit.xlsx",
        "map.html",
        "maps",
        "report.html",
        "summary.md",
    ]
    parks = gpd.read_file(out / "audit.gpkg", layer="parks").set_index("park_id")
    oversize = defects["oversize_park"]
    assert parks.loc[oversize, "chk_area"] == "fail"
    assert (parks.drop(oversize)["chk_area"] != "fail").all()
    assert parks.loc[oversize, "area_km2"] > 3
    summary = (out / "summary.md").read_text(encoding="utf-8")
    assert f"{oversize} {parks.loc[oversize, 'name']}: 片区型园区面积≤3平方公里" in summary
    assert any(oversize in line and "chk_area fail" in line for line in lines)
    # the park without enterprise data is unknown, never pass
    nodata = defects["no_enterprise_data_park"]
    assert (
        parks.loc[nodata, ["chk_leading_revenue", "chk_leading_count", "chk_chain_leader"]].tolist()
        == ["unknown"] * 3
    )
    for pid in defects["no_chain_leader_parks"]:
        assert parks.loc[pid, "chk_chain_leader"] == "fail"
    sheets = pd.read_excel(out / "audit.xlsx", sheet_name=None)
    # the workbook lists the parcels that need action; audit.gpkg holds them all
    audited = gpd.read_file(out / "audit.gpkg", layer="parcels")
    assert len(audited) == len(gpd.read_file(sample.gpkg, layer="parcels"))
    need = audited["low_efficiency"] | audited["far_ok"].eq(0).fillna(False)
    assert len(sheets["待处理地块 parcels"]) == int(need.sum())


def test_demo_figures_are_believable(demo_audit):
    # clause 二(一)3's three kinds on the sample: between 15 % and 30 % of the industrial
    # land is low-efficiency; industry alone (efficient land, an enterprise outside the
    # park's positioning) is a small part of it; the leading-industry share passes in
    # some parks and fails in others; a block of industry-only land is never bought back
    out, _, _ = demo_audit
    p = gpd.read_file(out / "audit.gpkg", layer="parcels")

    def flag(col):
        return p[col].astype(str).str.lower().isin(["true", "1"]).to_numpy()

    industrial = (
        p["category"]
        .isin(["new_industrial", "standard_factory", "new_type_industrial", "industrial"])
        .to_numpy()
    )
    mu = p["area_mu"].to_numpy()
    share = mu[flag("low_efficiency") & industrial].sum() / mu[industrial].sum()
    assert 0.15 <= share <= 0.30
    only_industry = flag("lu_industry") & ~flag("lu_inefficient") & ~flag("lu_plan")
    assert 0 < mu[only_industry & industrial].sum() / mu[industrial].sum() < 0.08
    parks = gpd.read_file(out / "audit.gpkg", layer="parks").set_index("park_id")
    assert {"pass", "fail"} <= set(parks["chk_leading_count"])
    assert (parks["related_industries"].fillna("") != "").sum() == 6
    quality = gpd.read_file(out / "audit.gpkg", layer="quality")
    listed = set(quality.loc[quality["check"] == "no_related_industries", "id"])
    assert listed == set(parks.index[parks["related_industries"].fillna("") == ""])
    blocks = gpd.read_file(out / "audit.gpkg", layer="blocks")
    assert not blocks.loc[blocks["industry_only_share"] >= 0.999, "route"].eq("reserve").any()
    assert not blocks["route_rule"].str.contains("收储盘活|置换盘活|连片改造").any()
