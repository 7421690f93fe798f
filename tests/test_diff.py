"""Change between two audits: hand-made pairs worked out by hand, and the sample a year later."""

from __future__ import annotations

import copy
import dataclasses
import json
import re

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import pytest
import shapely

from xsland.compare.diff import CHANGE_TYPES, diff_audits
from xsland.compare.match import match_parcels
from xsland.errors import DataError, InputFileError, OutputExistsError
from xsland.result import AuditResult
from xsland.write.diff import change_map_html, write_diff


def _audit(source):
    """A dict of tables or a finished audit folder as the AuditResult diff_audits takes."""
    if isinstance(source, dict):
        return AuditResult(**source)
    return AuditResult.read(source)


def _diff(old, new, **options):
    return diff_audits(_audit(old), _audit(new), **options)


X0, Y0 = 535_000.0, 3_496_000.0
CRS = "EPSG:4549"


def box(x0, y0, x1, y1):
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def parcels(rows):
    """rows: (parcel_id, geometry, far, far_ok, low_efficiency, block_id)."""
    ids, geoms, far, ok, low, block = zip(*rows, strict=True)
    gdf = gpd.GeoDataFrame(
        {
            "parcel_id": list(ids),
            "park_id": "XS01",
            "category": "industrial",
            "far": np.array(far, dtype=float),
            "far_ok": pd.array(ok, dtype="boolean"),
            "low_efficiency": list(low),
            "block_id": list(block),
        },
        geometry=list(geoms),
        crs=CRS,
    )
    gdf["area_m2"] = gdf.area
    return gdf


def parks(rows):
    """rows: (park_id, {check: (status, value)})."""
    data = []
    for pid, checks in rows:
        row = {"park_id": pid, "name": f"园区{pid}", "town": "东亭街道"}
        for chk, (status, value) in checks.items():
            row[chk] = status
            row[chk.replace("chk_", "val_")] = value
        data.append(row)
    geoms = [box(-50, -50, 1200, 700) for _ in data]
    return gpd.GeoDataFrame(pd.DataFrame(data), geometry=geoms, crs=CRS)


def blocks(rows):
    """rows: (block_id, geometry, parcel_ids)."""
    ids, geoms, members = zip(*rows, strict=True)
    return gpd.GeoDataFrame(
        {"block_id": list(ids), "park_id": "XS01", "parcel_ids": list(members)},
        geometry=list(geoms),
        crs=CRS,
    )


def district(value, status):
    return pd.DataFrame(
        [{"check": "chk_innovation_platforms", "status": status, "value": value, "threshold": 7}]
    )


@pytest.fixture
def pair():
    """An old and a new audit of one park, every kind of change planted once.

    ========  ======================================  =====================================
    change    old                                     new
    ========  ======================================  =====================================
    same      A 0–100 × 0–100, FAR 1.0                A, same
    split     B 100–200, FAR 0.5, low, block K1       B1 100–150, B2 150–200, FAR 2.0
    merged    C 0–50 and D 50–100 × 200–300           CD 0–100 × 200–300, FAR 1.5
              (FAR 1.0 and 2.0)
    removed   E 300–400 × 0–100                       —
    added     —                                       F 300–400 × 200–300, low, block K3
    reshaped  G 500–600 × 0–100, low, block K2        G 500–600 × 0–90, low, block K2'
    renumber  H 700–800 × 0–100                       H2, same land
    re-cut    I 0–100, J 100–200 × 400–500            K, L, M: thirds of 0–200 × 400–500
    sliver    P 900–1000 × 0–100                      Q 998–1098: shares 2 % (< 5 %)
    ========  ======================================  =====================================
    """
    old = parcels(
        [
            ("A", box(0, 0, 100, 100), 1.0, False, False, None),
            ("B", box(100, 0, 200, 100), 0.5, True, True, "K1"),
            ("C", box(0, 200, 50, 300), 1.0, None, False, None),
            ("D", box(50, 200, 100, 300), 2.0, None, False, None),
            ("E", box(300, 0, 400, 100), 1.2, None, False, None),
            ("G", box(500, 0, 600, 100), 0.6, None, True, "K2"),
            ("H", box(700, 0, 800, 100), 1.1, None, False, None),
            ("I", box(0, 400, 100, 500), 1.0, None, False, None),
            ("J", box(100, 400, 200, 500), 1.0, None, False, None),
            ("P", box(900, 0, 1000, 100), 1.0, None, False, None),
        ]
    )
    new = parcels(
        [
            ("A", box(0, 0, 100, 100), 1.0, False, False, None),
            ("B1", box(100, 0, 150, 100), 2.0, True, False, None),
            ("B2", box(150, 0, 200, 100), 2.0, True, False, None),
            ("CD", box(0, 200, 100, 300), 1.5, None, False, None),
            ("F", box(300, 200, 400, 300), 0.0, None, True, "K3"),
            ("G", box(500, 0, 600, 90), 0.6, None, True, "K2"),
            ("H2", box(700, 0, 800, 100), 1.1, None, False, None),
            ("K", box(0, 400, 200 / 3, 500), 1.0, None, False, None),
            ("L", box(200 / 3, 400, 400 / 3, 500), 1.0, None, False, None),
            ("M", box(400 / 3, 400, 200, 500), 1.0, None, False, None),
            ("Q", box(998, 0, 1098, 100), 1.0, None, False, None),
        ]
    )
    old_parks = parks(
        [
            (
                "XS01",
                {
                    "chk_area": ("pass", 1.2),
                    "chk_chain_leader": ("fail", 0.0),
                    "chk_promotion": ("pass", 3.0),
                },
            )
        ]
    )
    new_parks = parks(
        [
            (
                "XS01",
                {
                    "chk_area": ("fail", 3.2),
                    "chk_chain_leader": ("pass", 1.0),
                    "chk_promotion": ("pass", 4.0),
                },
            ),
            ("XS02", {"chk_area": ("pass", 0.5)}),
        ]
    )
    old_blocks = blocks([("K1", box(100, 0, 200, 100), "B"), ("K2", box(500, 0, 600, 100), "G")])
    new_blocks = blocks([("K2", box(500, 0, 600, 90), "G"), ("K3", box(300, 200, 400, 300), "F")])
    return (
        {
            "parks": old_parks,
            "parcels": old,
            "blocks": old_blocks,
            "district": district(6.0, "unknown"),
        },
        {
            "parks": new_parks,
            "parcels": new,
            "blocks": new_blocks,
            "district": district(8.0, "pass"),
        },
    )


def _row(table, **where):
    mask = np.ones(len(table), bool)
    for k, v in where.items():
        mask &= (table[k] == v).to_numpy()
    assert mask.sum() == 1, (where, table.loc[mask])
    return table[mask].iloc[0]


def test_parcels_are_matched_by_geometry(pair):
    old, new = pair
    result = _diff(old, new)
    t = result.parcels
    assert set(t["change"]) <= set(CHANGE_TYPES)
    got = {(r.change, r.old_ids, r.new_ids) for r in t.itertuples()}
    assert got == {
        ("unchanged", "A", "A"),
        ("split", "B", "B1, B2"),
        ("merged", "C, D", "CD"),
        ("removed", "E", ""),
        ("added", "", "F"),
        ("reshaped", "G", "G"),
        ("id_changed", "H", "H2"),
        ("reorganised", "I, J", "K, L, M"),
        ("removed", "P", ""),  # a 2 % overlap is below min_overlap = 5 %
        ("added", "", "Q"),
    }
    # the rows come in the order of CHANGE_TYPES
    codes = [CHANGE_TYPES.index(c) for c in t["change"]]
    assert codes == sorted(codes)


def test_far_and_low_efficiency_changes(pair):
    t = _diff(*pair).parcels
    split = _row(t, change="split")
    assert split["far_old"] == pytest.approx(0.5)
    assert split["far_new"] == pytest.approx(2.0)
    assert split["far_change"] == pytest.approx(1.5)
    assert split["area_old_m2"] == pytest.approx(10_000) and split["n_new"] == 2
    assert split["lowuse_old"] and not split["lowuse_new"]
    assert split["lowuse_change"] == "left"
    merged = _row(t, change="merged")
    # area-weighted: (1.0 × 5000 + 2.0 × 5000) / 10000
    assert merged["far_old"] == pytest.approx(1.5)
    assert merged["far_change"] == pytest.approx(0.0)
    assert _row(t, change="added", new_ids="F")["lowuse_change"] == "entered"
    assert _row(t, change="reshaped")["lowuse_change"] == ""
    reshaped = _row(t, change="reshaped")
    assert reshaped["area_new_m2"] == pytest.approx(9_000)
    assert reshaped["area_new_mu"] == pytest.approx(13.5)
    assert bool(reshaped["geometry_changed"])
    assert not bool(_row(t, change="id_changed")["geometry_changed"])
    # the geometry of a match is its new parcels (the old one when removed)
    assert _row(t, change="split").geometry.area == pytest.approx(10_000)
    assert _row(t, change="removed", old_ids="E").geometry.equals(box(300, 0, 400, 100))
    before = _diff(*pair).parcels_before
    assert sorted(before["parcel_id"]) == ["B", "C", "D", "E", "G", "H", "I", "J", "P"]


def test_min_overlap_decides_the_links(pair):
    old, new = pair
    t = _diff(old, new, min_overlap=0.01).parcels
    assert _row(t, old_ids="P")["change"] == "id_changed"  # 2 % > 1 %: the same land
    assert _row(t, old_ids="P")["new_ids"] == "Q"
    with pytest.raises(DataError, match="min_overlap"):
        match_parcels(old["parcels"], new["parcels"], min_overlap=1.5)


def test_park_checks_from_fail_to_pass(pair):
    parks = _diff(*pair).parks
    chain = _row(parks, park_id="XS01", check="chk_chain_leader")
    assert (chain["old"], chain["new"], chain["trend"]) == ("fail", "pass", "improved")
    assert bool(chain["changed"]) and chain["val_old"] == "0" and chain["val_new"] == "1"
    assert chain["label"] == "链主企业≥1家"
    area = _row(parks, park_id="XS01", check="chk_area")
    assert (area["old"], area["new"], area["trend"]) == ("pass", "fail", "worsened")
    promo = _row(parks, park_id="XS01", check="chk_promotion")
    assert not bool(promo["changed"]) and promo["trend"] == ""
    assert _row(parks, park_id="XS02", check="chk_area")["trend"] == "new_park"
    assert parks["changed"].sum() == 5  # XS01: 2; XS02 new: chk_area, chain, promotion


def test_park_check_labels_show_the_applied_thresholds(pair):
    # the new audit applied chain leaders ≥ 2 and FAR ≥ 1.2: the labels say so, by default
    # (the new audit's policy) and when a policy is given
    old, new = (_audit(x) for x in pair)
    applied = new.policy.replace(chain_leaders_min=2, far_min_new_industrial=1.2)
    for result in (
        diff_audits(old, dataclasses.replace(new, policy=applied)),
        diff_audits(old, new, policy=applied),
    ):
        parks = result.parks
        assert _row(parks, park_id="XS01", check="chk_chain_leader")["label"] == "链主企业≥2家"
        far = parks.loc[parks["check"] == "chk_far_new", "label"]
        assert set(far) <= {"新增工业用地容积率≥1.2"}


def test_blocks_cleared_new_and_changed(pair):
    b = _diff(*pair).blocks
    assert _row(b, block_id_old="K1")["status"] == "cleared"  # its parcel B left the set
    assert _row(b, block_id_old="K1")["parcels_still_low"] == 0
    k2 = _row(b, block_id_old="K2")
    assert k2["status"] == "changed"  # G lost 10 m
    assert k2["block_id_new"] == "K2" and k2["share_in_new_blocks"] == pytest.approx(0.9)
    assert k2["area_mu_old"] == pytest.approx(15.0)
    assert _row(b, block_id_new="K3")["status"] == "new"
    assert len(b) == 3


def test_block_cleared_when_its_area_is_in_no_block(pair):
    old, new = pair
    new = dict(new, parcels=new["parcels"].drop(columns=["low_efficiency", "block_id"]))
    new["blocks"] = new["blocks"][new["blocks"]["block_id"] == "K3"]
    result = _diff(old, new)
    assert "lowuse_change" not in result.parcels.columns  # only one audit flags it
    assert _row(result.blocks, block_id_old="K2")["status"] == "cleared"
    without = _diff(dict(old, blocks=None), new)
    assert without.blocks is None and not without.meta["blocks"]


def test_targets_progress(pair):
    t = _diff(*pair).targets
    platforms = _row(t, target="innovation_platforms")
    assert (platforms["old"], platforms["new"], platforms["threshold"]) == (6.0, 8.0, 7.0)
    assert platforms["met_old"] is np.False_ or platforms["met_old"] is False
    assert bool(platforms["met_new"]) and platforms["progress"] == pytest.approx(1.0)
    assert platforms["due"] == "2027-12-31"
    far = _row(t, target="far_compliance_share", scope="全区")
    assert far["old"] == pytest.approx(0.5) and far["new"] == pytest.approx(2 / 3)
    chain = _row(t, target="chain_leaders", scope="XS01")
    assert (chain["old"], chain["new"], bool(chain["met_new"])) == (0.0, 1.0, True)
    meeting = _row(t, target="parks_meeting_chain_leaders")
    assert (meeting["old"], meeting["new"], meeting["threshold"]) == (0.0, 1.0, 2.0)


def test_inputs_are_not_modified(pair):
    old, new = pair
    before = copy.deepcopy((old, new))
    _diff(old, new)
    now = (*old.values(), *new.values())
    for a, b in zip(now, (*before[0].values(), *before[1].values()), strict=True):
        if isinstance(a, gpd.GeoDataFrame):
            pd.testing.assert_frame_equal(a.to_wkb(), b.to_wkb())
        else:
            pd.testing.assert_frame_equal(a, b)


def test_read_audit_errors_name_the_file_and_the_fix(tmp_path, pair):
    with pytest.raises(InputFileError, match=r"audit\.gpkg not found.*xsland audit"):
        _diff(tmp_path, pair[1])
    bad = dict(pair[1], parcels=pair[1]["parcels"].drop(columns="parcel_id"))
    with pytest.raises(DataError, match="new audit .*layer 'parcels': needs .* 'parcel_id'"):
        _diff(pair[0], bad)
    with pytest.raises(DataError, match="old audit: expected an AuditResult"):
        diff_audits(pair[0], _audit(pair[1]))
    pyogrio.write_dataframe(pair[0]["parks"], tmp_path / "audit.gpkg", layer="parks")
    with pytest.raises(InputFileError, match="has no layer parcels"):
        _diff(tmp_path, pair[1])


def test_the_diff_reads_audit_columns_and_never_recomputes_them(pair):
    old, new = pair
    # no area_m2: the parcels are not measured again from their outlines
    bare = dict(new, parcels=new["parcels"].drop(columns="area_m2"))
    with pytest.raises(DataError, match=r"new audit .*'parcels': needs the audit's 'area_m2'"):
        _diff(old, bare)
    # areas as the audit wrote them, even where they differ from the outline: A's audit
    # says 12 000 m² (its outline is 100 × 100 = 10 000 m²) → 12 000 / (2000/3) = 18 亩
    told = new["parcels"].assign(area_m2=new["parcels"]["area_m2"].where(
        new["parcels"]["parcel_id"] != "A", 12_000.0))  # fmt: skip
    a = _row(_diff(old, dict(new, parcels=told)).parcels, new_ids="A")
    assert (a["area_new_m2"], a["area_new_mu"]) == (12_000.0, pytest.approx(18.0))
    # no district check in either audit: the platforms are unknown, not summed from parks
    with_counts = {
        k: dict(v, district=None, parks=v["parks"].assign(innovation_platforms=4))
        for k, v in zip(("old", "new"), pair, strict=True)
    }
    platforms = _row(_diff(with_counts["old"], with_counts["new"]).targets,
                     target="innovation_platforms")  # fmt: skip
    assert np.isnan(platforms["old"]) and np.isnan(platforms["new"])


def _with_evaluations(pair):
    """The pair with the issue-15 evaluations: an intensity table and 批供用 statuses.

    ==========  ====================================  ====================================
    parcel      old status                            new status
    ==========  ====================================  ====================================
    built       A, C, H, I                            A, B1, CD, H2, K, L, M
    under c.    P                                     B2
    idle        B, G                                  G
    not started D                                     —
    not supp.   E                                     F
    unknown     J (no status)                         Q (outside every park)
    ==========  ====================================  ====================================
    """
    old, new = pair
    status_old = {"A": "built", "C": "built", "H": "built", "I": "built", "P":
                  "under_construction", "B": "idle", "G": "idle", "D": "supplied_not_started",
                  "E": "approved_not_supplied", "J": None}  # fmt: skip
    status_new = {"A": "built", "B1": "built", "CD": "built", "H2": "built", "K": "built",
                  "L": "built", "M": "built", "B2": "under_construction", "G": "idle",
                  "F": "approved_not_supplied", "Q": "unknown"}  # fmt: skip
    po = old["parcels"].assign(supply_status=old["parcels"]["parcel_id"].map(status_old))
    pn = new["parcels"].assign(supply_status=new["parcels"]["parcel_id"].map(status_new))
    pn["park_id"] = pn["park_id"].where(pn["parcel_id"] != "Q", None)

    def intensity(rows):
        return pd.DataFrame(rows, columns=["park_id", "name", "level", "supply_rate", "score"])

    io = intensity([("XS01", "园区XS01", "park", 0.8, 60.0),
                    ("district", "全区", "district", 0.75, 55.0)])  # fmt: skip
    in_ = intensity([("XS01", "园区XS01", "park", 0.9, 72.5), ("XS02", "园区XS02", "park",
                     None, 40.0), ("district", "全区", "district", 0.85, 65.0)])  # fmt: skip
    return dict(old, parcels=po, intensity=io), dict(new, parcels=pn, intensity=in_)


def test_evaluations_intensity_per_park_and_supply_counts(pair, tmp_path):
    plain = _diff(*pair)
    assert plain.intensity is None and plain.supply is None  # neither audit evaluated
    result = _diff(*_with_evaluations(pair))
    t = result.intensity
    # parks in order, the district last; indicators in the schema's order
    assert list(zip(t["park_id"], t["indicator"], strict=True)) == [
        ("XS01", "supply_rate"), ("XS01", "score"), ("XS02", "supply_rate"), ("XS02", "score"),
        ("district", "supply_rate"), ("district", "score"),
    ]  # fmt: skip
    score = _row(t, park_id="XS01", indicator="score")
    assert (score["old"], score["new"], score["change_value"]) == (60.0, 72.5, 12.5)
    assert score["label"] == "集约利用评价得分"
    assert _row(t, park_id="XS01", indicator="supply_rate")["change_value"] == pytest.approx(0.1)
    assert _row(t, park_id="district", indicator="score")["change_value"] == 10.0
    xs02 = _row(t, park_id="XS02", indicator="score")  # new in the evaluation: no old value
    assert np.isnan(xs02["old"]) and xs02["new"] == 40.0 and np.isnan(xs02["change_value"])
    # supply: counted by hand from the table of _with_evaluations
    s = result.supply.set_index(["scope", "status"])
    district = s.loc["全区"]
    assert district["n_old"].to_dict() == {
        "built": 4, "under_construction": 1, "idle": 2, "supplied_not_started": 1,
        "approved_not_supplied": 1, "unknown": 1,
    }  # fmt: skip
    assert district["change_value"].to_dict() == {
        "built": 3, "under_construction": 0, "idle": -1, "supplied_not_started": -1,
        "approved_not_supplied": 0, "unknown": 0,
    }  # fmt: skip
    assert district["n_new"].sum() == 11 and district["n_old"].sum() == 10
    # Q is in no park: unknown in the district, not in XS01 (J, without status, is)
    assert (s.loc[("XS01", "unknown"), "n_old"], s.loc[("XS01", "unknown"), "n_new"]) == (1, 0)
    assert s.loc[("XS01", "idle"), "status_zh"] == "闲置"
    assert list(result.supply["scope"].unique()) == ["全区", "XS01"]
    written = write_diff(result, tmp_path / "d")
    wb = openpyxl.load_workbook(tmp_path / "d" / "diff.xlsx")
    assert {"集约评价变化 intensity", "批供用变化 supply"} <= set(wb.sheetnames)
    heads = [c.value for c in wb["集约评价变化 intensity"][1]]
    assert {"指标", "上次", "本次", "变化量"} <= set(heads)
    layers = {str(n) for n, _ in pyogrio.list_layers(tmp_path / "d" / "diff.gpkg")}
    assert {"intensity", "supply"} <= layers and len(written) == 3


def test_write_diff_tables_and_an_offline_map(pair, tmp_path):
    old, new = pair
    new = copy.deepcopy(new)
    evil = "<img src=x onerror=alert(1)>"
    new["parcels"].loc[new["parcels"]["parcel_id"] == "Q", "parcel_id"] = evil
    result = _diff(old, new)
    out = tmp_path / "diff"
    written = write_diff(result, out)
    assert sorted(p.name for p in written) == ["diff.gpkg", "diff.xlsx", "diff_map.html"]
    layers = {str(n) for n, _ in pyogrio.list_layers(out / "diff.gpkg")}
    assert layers == {"parcels", "parcels_before", "parks", "targets", "blocks", "summary"}
    back = gpd.read_file(out / "diff.gpkg", layer="parcels")
    assert len(back) == len(result.parcels) and back.crs == result.parcels.crs
    wb = openpyxl.load_workbook(out / "diff.xlsx")
    assert wb.sheetnames[0] == "概况 summary"
    headers = [c.value for c in wb["地块变化 parcels"][1]]
    assert {"变化类型", "原地块编号", "现地块编号", "原容积率", "现容积率"} <= set(headers)
    page = (out / "diff_map.html").read_text(encoding="utf-8")
    assert not re.search(r"<(?:script|link)\b[^>]*\b(?:src|href)=", page)
    assert evil not in page and "\\u003cimg" in page  # data escaped inside the script
    assert "L.geoJSON" in page and "esc(" in page
    # text goes into the page as it is, never compiled as a template
    for text in ("{{7*7}}", "{% raw %}"):
        parks = result.outlines.assign(name=text)
        page = change_map_html(dataclasses.replace(result, outlines=parks), title=text)
        assert f"<title>{text}</title>" in page and f'"name":"{text}"' in page
    with pytest.raises(OutputExistsError):
        write_diff(result, out)
    write_diff(result, out, overwrite=True)
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [".xsland-output", *(p.name for p in written)]
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["diff"]


def test_change_map_markup_comes_from_escaping_templates(pair):
    import inspect

    import xsland.write.diff as writer
    from xsland.write.diff import change_map_html

    result = _diff(*pair)
    page = change_map_html(result, title="<b>规划</b> {{ 7*7 }}")
    # the title is text, in <title> and in the title box: escaped, never run as a template
    assert "<title>&lt;b&gt;规划&lt;/b&gt; {{ 7*7 }}</title>" in page
    assert '<div class="xs-title"><b>&lt;b&gt;规划&lt;/b&gt; {{ 7*7 }}</b>' in page
    assert "<b>规划</b>" not in page
    # the legend, in the order of MAP_CLASSES, counted by hand from the pair: added F and
    # Q, removed E and P, merged C+D, split B, re-cut I+J, reshaped G, renumbered H → H2
    # (A is unchanged and not shown; B's leaving low-efficiency land shows as its split)
    legend = re.findall(
        r'xs-swatch" style="background:(#\w+)"></span>([^<]+?) \((\d+)\)</div>', page
    )
    assert [(label, int(n)) for _, label, n in legend] == [
        ("新增地块", 2),
        ("注销地块(原边界)", 2),
        ("合并", 1),
        ("分割", 1),
        ("重新划分", 1),
        ("边界调整", 1),
        ("编号变更", 1),
    ]
    assert legend[0][0] == writer.MAP_CLASSES["added"][1]
    assert page.count('id="xs-diff-data"') == 1 and "var map = map_" in page
    # the markup lives in the templates, not in Python strings
    source = inspect.getsource(writer)
    assert not re.search(r"<(?:div|style|script|title|span)\b", source)


# -- end to end: the sample and the same district one year later --------------------------


@pytest.fixture(scope="module")
def audits(demo_audit, later_audit):
    """The demo audit of the base sample and of the "later" variant."""
    later, later_out = later_audit
    changes = json.loads(later.defects.read_text(encoding="utf-8"))["changes"]
    return demo_audit[0], later_out, changes


def test_later_variant_is_the_same_district_a_year_later(sample, audits, later_audit, tmp_path):
    from xsland.tools.sample import CHANGE_KEYS, generate_sample

    _, _, changes = audits
    assert list(changes) == list(CHANGE_KEYS)
    assert changes["year"] == 2027
    base = gpd.read_file(sample.gpkg, layer="parcels")
    later_dir = later_audit[0].root
    later = gpd.read_file(later_dir / "xishan.gpkg", layer="parcels")
    gone = {c["old"] for c in changes["split"] + changes["id_changed"]}
    gone |= {i for c in changes["merged"] + changes["reorganised"] for i in c["old"]}
    gone |= set(changes["removed"])
    assert gone <= set(base["parcel_id"]) and not gone & set(later["parcel_id"])
    ind = pd.read_excel(later_dir / "indicators.xlsx")
    assert set(ind["年度"]) == {2025, 2026, 2027}
    with pytest.raises(DataError, match="unknown sample variant"):
        generate_sample(tmp_path / "x", variant="next")


def test_diff_finds_every_planted_change(audits, tmp_path):
    old, new, changes = audits
    result = _diff(old, new)
    t = result.parcels

    def ids(v):
        return ", ".join(sorted([v] if isinstance(v, str) else v))

    planted = {("split", c["old"], ids(c["new"])) for c in changes["split"]}
    planted |= {("merged", ids(c["old"]), c["new"]) for c in changes["merged"]}
    planted |= {("reorganised", ids(c["old"]), ids(c["new"])) for c in changes["reorganised"]}
    planted |= {("reshaped", i, i) for i in changes["reshaped"]}
    planted |= {("id_changed", c["old"], c["new"]) for c in changes["id_changed"]}
    planted |= {("removed", i, "") for i in changes["removed"]}
    planted |= {("added", "", i) for i in changes["added"]}
    changed = t[t["change"] != "unchanged"]
    found = {(r.change, r.old_ids, r.new_ids) for r in changed.itertuples()}
    assert found == planted  # every planted change, and nothing else

    red = changes["redeveloped"]
    rows = t[t["old_ids"].isin(red["parcel_ids"])]
    assert len(rows) == len(red["parcel_ids"]) and (rows["change"] == "unchanged").all()
    assert (rows["far_old"] <= red["far_before_max"] + 1e-6).all()
    assert (rows["far_old"] < 1.0).all()  # low-efficiency by plot ratio (threshold 1.0)
    assert np.allclose(rows["far_new"], red["far_after"], atol=1e-6)
    if "lowuse_change" in t.columns:  # once the audit flags low-efficiency land (issue 4)
        assert (rows.loc[rows["lowuse_old"].fillna(False), "lowuse_change"] == "left").all()
        assert not rows["lowuse_new"].fillna(False).any()
    if result.blocks is not None:  # once the audit groups blocks (issue 4)
        b = result.blocks
        inside = [
            k
            for k, members in zip(b.index, b["parcel_ids_old"], strict=True)
            if members and set(members.split(", ")) <= set(red["parcel_ids"])
        ]
        assert (b.loc[inside, "status"] == "cleared").all()

    for c in changes["park_checks"]:
        row = _row(result.parks, park_id=c["park_id"], check=c["check"])
        assert (row["old"], row["new"], row["trend"]) == (c["old"], c["new"], "improved")
    p = changes["targets"]["innovation_platforms"]
    row = _row(result.targets, target="innovation_platforms")
    assert (row["old"], row["new"], row["threshold"]) == (p["old"], p["new"], p["target"])
    assert bool(row["met_new"]) and not bool(row["met_old"])
    assert result.meta["year_old"] == 2026 and result.meta["year_new"] == changes["year"]

    written = write_diff(result, tmp_path / "diff")
    assert {p.name for p in written} == {"diff.gpkg", "diff.xlsx", "diff_map.html"}
    sheet = pd.read_excel(tmp_path / "diff" / "diff.xlsx", sheet_name="地块变化 parcels")
    assert len(sheet) == len(changed)
