"""The whole run from a project file, and the commands that work on a finished audit."""

from __future__ import annotations

import json
import re
import threading

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from click.testing import CliRunner

from xsland.cli import main
from xsland.errors import ValidationError
from xsland.group.blocks import find_blocks
from xsland.pipeline.run import describe_inputs, rerun_blocks
from xsland.result import AuditResult
from xsland.rules.policy import DEFAULT_POLICY
from xsland.rules.project import Input, Project, load_project


@pytest.fixture(scope="module")
def demo_out(demo_audit):
    return demo_audit[0]


def _project_file(tmp_path, sample, extra=""):
    gpkg = sample.gpkg.as_posix()
    text = f"""
[project]
name = "全要素测试"
out = "out"
[inputs.parks]
path = "{gpkg}"
layer = "parks"
[inputs.parcels]
path = "{gpkg}"
layer = "parcels"
[inputs.buildings]
path = "{gpkg}"
layer = "buildings"
[inputs.plan]
path = "{gpkg}"
layer = "plan"
[inputs.enterprises]
path = "{sample.enterprises.as_posix()}"
[inputs.indicators]
path = "{sample.indicators.as_posix()}"
[inputs.landcover]
path = "{sample.landcover.as_posix()}"
[options]
duplicates = "rename"
as_of = 2025-08-29
maps = false
report = false
[raster]
method = "exact"
bare_classes = [60]
{extra}
"""
    path = tmp_path / "xsland.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_audit_from_a_project_file_with_land_cover_and_history(sample, tmp_path):
    # history: every enterprise of the sample was class D last year as well as this year
    ent = pd.read_csv(sample.enterprises, encoding="utf-8-sig", dtype=str)
    d = ent[ent["eval_class"] == "D"]
    history = pd.DataFrame({"企业编号": d["enterprise_id"], "评价年度": 2024, "评价等级": "D"})
    history = pd.concat(
        [history, history.assign(评价年度=2025)], ignore_index=True
    )  # two years running
    history.to_csv(tmp_path / "history.csv", index=False, encoding="utf-8-sig")
    extra = f"""
[inputs.history]
path = "{(tmp_path / "history.csv").as_posix()}"
[policy]
lowuse_rules = ["far_low", "eval_class", "built_but_bare"]
lowuse_class_years = 2
"""
    path = _project_file(tmp_path, sample, extra)
    project = load_project(path)
    assert project.as_of.isoformat() == "2025-08-29" and not project.maps
    result = CliRunner().invoke(main, ["audit", "-c", str(path), "--no-progress"])
    assert result.exit_code == 0, result.output
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == [
        ".xsland-output",  # the output marker
        "audit.gpkg",
        "audit.xlsx",
        "summary.md",
    ]
    parcels = gpd.read_file(out / "audit.gpkg", layer="parcels")
    # land-cover shares from the raster, between 0 and 1
    assert parcels["built_share"].between(0, 1).all()
    assert parcels["bare_share"].between(0, 1).all()
    # only the three rules asked for
    reasons = set(";".join(parcels["reasons"].fillna("")).split(";")) - {""}
    assert reasons <= {"far_low", "eval_class", "built_but_bare"}
    assert "eval_class" in reasons
    # built but bare: declared floor area and a bare share of at least 50 %
    hit = parcels["lu_built_but_bare"].astype(bool)
    assert (parcels.loc[hit, "bare_share"] >= 0.5).all()
    assert (parcels.loc[hit, "floor_area"] > 0).all()
    parks = gpd.read_file(out / "audit.gpkg", layer="parks")
    lc = [c for c in parks.columns if c.startswith("lc_")]
    assert "lc_built_up" in lc
    assert np.allclose(parks[lc].sum(axis=1), 1.0, atol=1e-6)
    inputs = dict(pd.DataFrame(gpd.read_file(out / "audit.gpkg", layer="inputs")).values)
    assert "history.csv" in inputs["history"] and inputs["idle judged at"] == "2025-08-29"


def test_blocks_rerun_with_a_smaller_gap(demo_out, tmp_path):
    out = tmp_path / "narrow"
    result = CliRunner().invoke(
        main, ["blocks", str(demo_out), "--gap-m", "5", "--out", str(out), "--overwrite"]
    )
    assert result.exit_code == 0, result.output
    assert "policy: the audit's own" in result.output
    before = AuditResult.read(demo_out)
    after = AuditResult.read(out)
    assert after.title.startswith("锡山区")
    assert after.policy == before.policy.replace(block_gap_m=5.0)
    low = before.parcels["low_efficiency"].astype(bool).to_numpy()
    expected = find_blocks(before.parcels, gap_m=5.0, mask=low)
    got = after.parcels["block_id"]
    assert got.fillna("").tolist() == expected.fillna("").tolist()
    # a 5 m gap cannot bridge the sample's roads (12 m or more): more, smaller blocks
    assert len(after.blocks) > len(before.blocks)
    rules = after.rules.set_index("key")["value"]
    assert rules["block_gap_m"] == "5.0"
    assert f"{len(after.blocks)} blocks at 5 m" in result.output


def test_rerun_blocks_keeps_the_flags(demo_out):
    before = AuditResult.read(demo_out)
    again = rerun_blocks(before, policy=DEFAULT_POLICY)
    assert again.parcels["block_id"].fillna("").tolist() == (
        before.parcels["block_id"].fillna("").tolist()
    )
    assert again.parcels["low_efficiency"].tolist() == before.parcels["low_efficiency"].tolist()


def test_audit_maps_show_core_and_expansion_zones(demo_out):
    # 东亭街道 holds XS01 with a core and an expansion zone: the map draws both
    html = (demo_out / "maps" / "东亭街道.html").read_text(encoding="utf-8")
    assert '"hasZones":true' in html and "expansion" in html


def test_map_report_and_rasterize_from_a_finished_audit(demo_out, tmp_path):
    maps_out = tmp_path / "amap"
    r = CliRunner().invoke(
        main, ["map", str(demo_out), "--basemap", "amap", "--no-towns", "--out", str(maps_out)]
    )
    assert r.exit_code == 0, r.output
    html = (maps_out / "map.html").read_text(encoding="utf-8")
    assert "autonavi" in html and "openstreetmap" not in html.lower()
    r = CliRunner().invoke(main, ["report", str(demo_out)])
    assert r.exit_code == 0 and (demo_out / "report.html").is_file()
    tif = tmp_path / "far.tif"
    r = CliRunner().invoke(
        main,
        ["rasterize", str(demo_out), "--column", "far", "--resolution", "20", "-o", str(tif)],
    )
    assert r.exit_code == 0, r.output
    parcels = gpd.read_file(demo_out / "audit.gpkg", layer="parcels")
    with rasterio.open(tif) as src:
        assert src.crs.to_epsg() == 4549 and src.res == (20.0, 20.0)
        # the value at a parcel's interior point is that parcel's FAR
        row = parcels[parcels["far"].notna() & (parcels.geometry.area > 20_000)].iloc[0]
        point = shapely.maximum_inscribed_circle(row.geometry).coords[0]
        value = next(src.sample([point]))[0]
        assert value == pytest.approx(row["far"], rel=1e-6)
    # the audit's GeoPackage itself is read as the audit (AuditResult.read), layer by --layer
    gpkg_tif = tmp_path / "blocks.tif"
    r = CliRunner().invoke(
        main,
        ["rasterize", str(demo_out / "audit.gpkg"), "--layer", "blocks", "--column"]
        + ["below_threshold", "--resolution", "20", "-o", str(gpkg_tif)],
    )
    assert r.exit_code == 0, r.output
    blocks = AuditResult.read(demo_out).blocks
    assert blocks["below_threshold"].dtype == bool  # typed by the audit's one reader
    big = blocks.iloc[int(np.argmax(blocks.geometry.area.to_numpy()))]
    point = shapely.maximum_inscribed_circle(big.geometry).coords[0]
    with rasterio.open(gpkg_tif) as src:
        cell = int(next(src.sample([point]))[0])
        categories = json.loads(src.tags()["XSLAND_CATEGORIES"])
    # the largest block's cell holds its own flag, as a true/false category (not "True" text)
    assert categories[str(cell)] is bool(big["below_threshold"])
    bad = CliRunner().invoke(
        main,
        ["rasterize", str(demo_out), "--column", "nope", "--resolution", "20", "-o", str(tif)]
        + ["--overwrite"],  # without it the existing GeoTIFF is refused first (preflight)
    )
    assert bad.exit_code == 2 and "has no column 'nope'" in bad.output
    missing = CliRunner().invoke(main, ["map", str(tmp_path)])
    assert missing.exit_code == 2 and "has no audit.gpkg" in missing.output


def test_diff_command_on_the_sample_a_year_later(demo_out, later_audit, tmp_path):
    later_out = later_audit[1]
    r = CliRunner().invoke(
        main, ["diff", str(demo_out), str(later_out), "--out", str(tmp_path / "d")]
    )
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in (tmp_path / "d").iterdir()) == [
        ".xsland-output",
        "diff.gpkg",
        "diff.xlsx",
        "diff_map.html",
    ]
    changes = gpd.read_file(tmp_path / "d" / "diff.gpkg", layer="parcels")
    assert {"split", "merged", "added", "removed"} <= set(changes["change"])


def test_inputs_are_described_without_passwords():
    project = Project(
        inputs={
            "parcels": Input(
                "parcels",
                "postgresql://gis:s3cret@db.example:5432/cadastre",
                table="public.dk",
                paths=("postgresql://gis:s3cret@db.example:5432/cadastre",),
            )
        }
    )
    text = describe_inputs(project, {})["parcels"]
    assert "s3cret" not in text and "db.example" in text and "table public.dk" in text


def test_blocks_without_config_reproduce_the_audits_blocks(demo_out, tmp_path):
    out = tmp_path / "same"
    result = CliRunner().invoke(main, ["blocks", str(demo_out), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "policy: the audit's own" in result.output
    before, after = AuditResult.read(demo_out), AuditResult.read(out)
    assert after.policy == before.policy
    # every column equal; outlines the same polygons (vertex order may start elsewhere)
    pd.testing.assert_frame_equal(
        pd.DataFrame(after.blocks.drop(columns="geometry")).reset_index(drop=True),
        pd.DataFrame(before.blocks.drop(columns="geometry")).reset_index(drop=True),
    )
    assert shapely.equals(after.blocks.geometry.values, before.blocks.geometry.values).all()
    pd.testing.assert_frame_equal(after.block_members, before.block_members)
    assert after.parcels["block_id"].equals(before.parcels["block_id"])


def test_custom_policy_travels_with_the_audit(sample, tmp_path):
    # block_gap_m = 5 (default 15) and a stricter FAR label; blocks again without -c keep them
    path = _project_file(
        tmp_path, sample, "[policy]\nblock_gap_m = 5.0\nfar_min_new_industrial = 1.2\n"
    )
    first = CliRunner().invoke(main, ["audit", "-c", str(path), "--no-progress"])
    assert first.exit_code == 0, first.output
    out = tmp_path / "out"
    audited = AuditResult.read(out)
    assert audited.policy.block_gap_m == 5.0 and audited.policy.far_min_new_industrial == 1.2
    again = CliRunner().invoke(main, ["blocks", str(out), "--out", str(tmp_path / "again")])
    assert again.exit_code == 0, again.output
    rerun = AuditResult.read(tmp_path / "again")
    assert rerun.policy == audited.policy
    assert rerun.blocks["block_id"].tolist() == audited.blocks["block_id"].tolist()
    assert "at 5 m" in again.output
    # the default gap would bridge the roads: fewer blocks; the audit's own policy did not
    default = CliRunner().invoke(
        main, ["blocks", str(out), "--gap-m", "15", "--out", str(tmp_path / "wide")]
    )
    assert default.exit_code == 0, default.output
    assert len(AuditResult.read(tmp_path / "wide").blocks) < len(audited.blocks)


def test_map_and_report_say_which_policy_they_use(demo_out, tmp_path):
    import shutil

    folder = tmp_path / "audit"
    folder.mkdir()
    shutil.copy(demo_out / "audit.gpkg", folder / "audit.gpkg")
    own = CliRunner().invoke(main, ["report", str(folder)])
    assert own.exit_code == 0, own.output
    assert f"policy: the audit's own (stored in {folder / 'audit.gpkg'})" in own.output
    assert "新增工业项目用地容积率下限" in (folder / "report.html").read_text(encoding="utf-8")
    rules = tmp_path / "rules.toml"  # only rules: a project file's inputs are not needed
    rules.write_text("[policy]\nfar_min_new_industrial = 1.2\n", encoding="utf-8")
    other = CliRunner().invoke(main, ["report", str(folder), "-c", str(rules)])
    assert other.exit_code == 0, other.output
    assert f"policy: from {rules} (-c), not the audit's own" in other.output
    assert "容积率≥1.2" in (folder / "report.html").read_text(encoding="utf-8")
    maps = CliRunner().invoke(main, ["map", str(folder), "--no-towns", "-c", str(rules)])
    assert maps.exit_code == 0 and "policy: from" in maps.output


def test_the_run_reports_every_long_step_with_counts(sample, tmp_path):
    from xsland.pipeline.run import run_project

    project = load_project(_project_file(tmp_path, sample))
    seen = []
    result, _ = run_project(project, out=tmp_path / "steps", progress=seen.append)
    ends = {s.name: s for s in seen if s.done}
    starts = [s.name for s in seen if not s.done]
    # every start has its end, none failed
    assert sorted(starts) == sorted(ends) and not any(s.failed for s in ends.values())
    n = len(result.parcels)
    assert ends["read parcels"].count == n and ends["measure"].count == n
    assert ends["read buildings"].count > 0 and ends["read enterprises"].count > 0
    assert ends["blocks"].count == int(result.parcels["low_efficiency"].sum())
    for name in ("judge", "block table", "land cover", "write audit.gpkg", "write audit.xlsx"):
        assert ends[name].seconds >= 0
    # maps and report are switched off in this project file: not reported
    assert "write maps" not in ends and "write report.html" not in ends
    # reading comes first, writing last
    assert starts[0].startswith("read ") and starts[-1].startswith("write ")


def test_inputs_are_read_two_at_a_time_and_gathered_in_order(sample, tmp_path, monkeypatch):
    import threading

    from xsland._progress import reporting
    from xsland.errors import DataError
    from xsland.pipeline import run as run_module

    project = load_project(_project_file(tmp_path, sample))
    kinds = list(project.inputs)
    assert kinds[:3] == ["parks", "parcels", "buildings"]
    # parcels and buildings each wait, at most 10 s, until the other one is being read
    # too: only two reads at once get both through; the parcels then fail as a bad file
    both = threading.Barrier(2, timeout=10)
    threads = {}
    real = run_module._read_one

    def read_one(kind, item, project, options):
        threads[kind] = threading.get_ident()
        if kind in ("parcels", "buildings"):
            both.wait()
        if kind == "parcels":
            raise DataError("parcels: not a parcel layer")
        return real(kind, item, project, options)

    monkeypatch.setattr(run_module, "_read_one", read_one)
    monkeypatch.setattr(run_module, "cpus", lambda: 2)
    seen = []
    with reporting(seen.append), pytest.raises(ValidationError) as err:
        run_module.read_inputs(project)
    assert [p.message for p in err.value.problems] == ["parcels: not a parcel layer"]
    assert threads["parcels"] != threads["buildings"] != threading.get_ident()
    # every read reported from its thread, inside the one step spanning them
    names = [(s.name, s.done) for s in seen]
    assert names[0] == ("read inputs", False) and names[-1] == ("read inputs", True)
    assert {n for n, _ in names} == {"read inputs"} | {f"read {k}" for k in kinds}
    failed = [s.name for s in seen if s.failed]
    assert failed == ["read parcels"]

    # on one CPU, one read at a time (the largest layers first; no barrier this time)
    monkeypatch.setattr(run_module, "_read_one", real)
    monkeypatch.setattr(run_module, "cpus", lambda: 1)
    one = run_module.read_inputs(project)
    monkeypatch.setattr(run_module, "cpus", lambda: 2)
    two = run_module.read_inputs(project)
    assert list(one) == list(two) == kinds
    for kind in kinds:
        if isinstance(one[kind], pd.DataFrame):
            pd.testing.assert_frame_equal(one[kind], two[kind])
            assert one[kind].attrs == two[kind].attrs


def test_partition_writes_one_dataset_cut_by_town_and_size(sample, tmp_path):
    from xsland.pipeline.engine import ROW, read_partition_index

    path = _project_file(tmp_path, sample)
    out = tmp_path / "parts"
    args = ["partition", "-c", str(path), "--out", str(out), "--parcels-per-partition", "40"]
    result = CliRunner().invoke(main, [*args, "--no-progress"])
    assert result.exit_code == 0, result.output
    index = read_partition_index(out)
    parcels = [gpd.read_parquet(out / e["file"]) for e in index["parcels"]]
    rows = np.concatenate([p[ROW].to_numpy() for p in parcels])
    # every parcel once, no partition above 40 parcels, and none mixing two towns
    assert sorted(rows) == list(range(len(rows)))
    assert f"wrote {out}: {len(rows)} parcels in {len(parcels)} partitions" in result.output
    assert max(len(p) for p in parcels) <= 40
    # the files the layers came from, for the audit's data-quality table
    assert index["sources"] == {"parcels": str(sample.gpkg), "buildings": str(sample.gpkg)}
    found = json.loads((out / index["quality"]).read_text(encoding="utf-8"))
    assert {"repaired_geometry", "renamed_duplicate_id"} <= {r["check"] for r in found}
    assert all(p["town"].nunique(dropna=False) == 1 for p in parcels)
    assert len({p["town"].iloc[0] for p in parcels}) >= 2
    # the recorded bounds are each file's
    for entry, part in zip(index["parcels"], parcels, strict=True):
        assert entry["bounds"] == [float(v) for v in part.total_bounds]
    again = CliRunner().invoke(main, [*args, "--no-progress"])
    assert again.exit_code == 1 and f"{out} exists; pass --overwrite" in again.output


def test_partition_takes_the_crs_options_its_messages_name(tmp_path):
    """A layer without a CRS, or with a wrong one, is named with the fix ``--crs`` or
    ``--override-crs KIND=CRS``, options `xsland partition` did not have."""
    from pyproj import CRS

    from xsland.pipeline.engine import read_partition_index

    boxes = [
        shapely.box(535_000 + 60 * i, 3_496_000, 535_050 + 60 * i, 3_496_050) for i in range(3)
    ]
    parcels = gpd.GeoDataFrame(
        {"parcel_id": ["P1", "P2", "P3"], "land_use": ["100101"] * 3}, geometry=boxes
    )
    buildings = gpd.GeoDataFrame({"building_id": ["B1"], "floors": [2]}, geometry=[boxes[0]])
    parks = gpd.GeoDataFrame(
        {"park_id": ["K"], "name": ["园"], "town": ["镇"]},
        geometry=[shapely.box(534_900, 3_495_900, 535_300, 3_496_100)],
        crs=4549,
    )
    parcels.to_file(tmp_path / "none.gpkg", layer="parcels")  # no CRS
    buildings.set_crs(4549).to_file(tmp_path / "none.gpkg", layer="buildings")
    parks.to_file(tmp_path / "none.gpkg", layer="parks")
    project = tmp_path / "p.toml"
    project.write_text(
        "\n".join(
            f'[inputs.{k}]\npath = "{(tmp_path / "none.gpkg").as_posix()}"\nlayer = "{k}"'
            for k in ("parks", "parcels", "buildings")
        ),
        encoding="utf-8",
    )
    args = ["partition", "-c", str(project), "--no-progress", "--out"]
    bare = CliRunner().invoke(main, [*args, str(tmp_path / "a")])
    assert bare.exit_code == 1 and "--crs" in bare.output, bare.output
    given = CliRunner().invoke(main, [*args, str(tmp_path / "b"), "--crs", "EPSG:4549"])
    assert given.exit_code == 0, given.output
    assert CRS.from_json_dict(read_partition_index(tmp_path / "b")["crs"]).to_epsg() == 4549
    # a wrong CRS (degrees for metres) replaced for the parcels only
    parcels.set_crs(4326, allow_override=True).to_file(tmp_path / "wrong.gpkg", layer="parcels")
    buildings.set_crs(4549).to_file(tmp_path / "wrong.gpkg", layer="buildings")
    parks.to_file(tmp_path / "wrong.gpkg", layer="parks")
    project.write_text(
        project.read_text(encoding="utf-8").replace("none.gpkg", "wrong.gpkg"), encoding="utf-8"
    )
    wrong = CliRunner().invoke(main, [*args, str(tmp_path / "c")])
    assert wrong.exit_code == 1 and "--override-crs" in wrong.output, wrong.output
    fixed = [*args, str(tmp_path / "d"), "--override-crs", "parcels=EPSG:4549"]
    assert CliRunner().invoke(main, fixed).exit_code == 0
    assert read_partition_index(tmp_path / "d")["parcels"][0]["rows"] == 3
    unknown = CliRunner().invoke(main, [*fixed[:-1], "plan=EPSG:4549"])
    assert unknown.exit_code == 2 and "no plan input to override" in unknown.output


def test_partition_leaves_a_parcels_missing_town_to_the_audit(tmp_path):
    """A parcel without a town is partitioned with the town of the park its centre lies
    in, but its own ``town`` stays empty: the audit gives it the town of the park it
    assigns it to. L lies a third in park A (甲镇), where its centre is, two thirds in B
    (乙镇): `xsland partition` wrote 甲镇 into it, and the partitioned audit counted it
    in 甲镇 where the in-memory audit counts it in 乙镇."""
    from xsland.pipeline.audit import run
    from xsland.pipeline.engine import read_partition_index
    from xsland.pipeline.partitioned import audit_partitioned
    from xsland.pipeline.run import partition_project
    from xsland.rules.project import project_from_mapping

    def box(x0, y0, x1, y1):
        return shapely.box(535_000 + x0, 3_496_000 + y0, 535_000 + x1, 3_496_000 + y1)

    parks = gpd.GeoDataFrame(
        {"park_id": ["A", "B"], "name": ["甲园", "乙园"], "town": ["甲镇", "乙镇"]},
        geometry=[box(-50, -50, 10, 150), box(10, -50, 300, 150)],
        crs="EPSG:4549",
    )
    parcels = gpd.GeoDataFrame(
        {
            "parcel_id": ["L", "Q", "R"],
            "land_use": ["100101"] * 3,
            "supply_date": pd.Timestamp("2012-01-01"),
            "town": [None, None, "乙镇"],
        },
        geometry=[
            shapely.union(box(0, 0, 10, 100), box(10, 0, 200, 10)),  # centre (5, 50): in A
            box(20, 50, 60, 90),
            box(100, 50, 140, 90),
        ],
        crs="EPSG:4549",
    )
    parks.to_file(tmp_path / "in.gpkg", layer="parks")
    parcels.to_file(tmp_path / "in.gpkg", layer="parcels")
    inputs = {k: {"path": "in.gpkg", "layer": k} for k in ("parks", "parcels")}
    project = project_from_mapping({"inputs": inputs}, base=tmp_path)
    folder = partition_project(project, tmp_path / "ds", progress=False)
    files = [gpd.read_parquet(folder / e["file"]) for e in read_partition_index(folder)["parcels"]]
    assert sorted(f["parcel_id"].tolist() for f in files) == [["L"], ["Q", "R"]]
    back = pd.concat(files).set_index("parcel_id")["town"]
    assert back.astype(object).where(back.notna(), None).to_dict() == {
        "L": None,
        "Q": None,
        "R": "乙镇",
    }
    got = audit_partitioned(folder, parks, as_of="2025-08-29", parcels_out=tmp_path / "out")
    single = run(parks, parcels, as_of="2025-08-29")
    table = pd.read_parquet(tmp_path / "out").sort_values("_row")
    assert table["town"].tolist() == single.parcels["town"].tolist() == ["乙镇"] * 3
    assert single.parcels["park_id"].tolist() == ["B"] * 3
    pd.testing.assert_frame_equal(
        pd.DataFrame(got.towns).drop(columns="geometry", errors="ignore"),
        pd.DataFrame(single.towns).drop(columns="geometry", errors="ignore"),
    )


# -- the metric CRS is chosen once per run (issue 13 item 6) -------------------------------


def _far_from_a_zone():
    """Parcels in longitude/latitude far from China: measured in an equal-area projection
    centred on the data (:func:`xsland.read.crs.metric_crs`, rule 3).

    Two low-FAR industrial parcels near 10.00°E and one commercial parcel at 11.00°E:
    the centre of all parcels (10.5°E) is not the centre of the flagged ones (10.0°E),
    so choosing the CRS again from a subset would give another projection.
    """
    d = 0.001  # about 70 m × 110 m at 50°N
    geoms = [
        shapely.box(10.0, 50.0, 10.0 + d, 50.0 + d),
        shapely.box(10.0 + d, 50.0, 10.0 + 2 * d, 50.0 + d),  # touches the first
        shapely.box(11.0, 50.0, 11.0 + d, 50.0 + d),
    ]
    parcels = gpd.GeoDataFrame(
        {
            "parcel_id": ["A", "B", "C"],
            "land_use": ["100101", "100101", "0901"],
            "floor_area": [100.0, 100.0, 100.0],  # FAR ≈ 0.01: low-efficiency
            "supply_date": pd.to_datetime(["2010-01-01"] * 3),
        },
        geometry=geoms,
        crs="EPSG:4326",
    )
    parks = gpd.GeoDataFrame(
        {"park_id": ["K1"], "name": ["一园"], "park_type": ["片区型"]},
        geometry=[shapely.box(9.99, 49.99, 11.01, 50.01)],
        crs="EPSG:4326",
    )
    return parks, parcels


def test_one_metric_crs_per_run_is_carried_by_the_result():
    from pyproj import CRS

    from xsland.pipeline.audit import run
    from xsland.read.crs import metric_crs

    parks, parcels = _far_from_a_zone()
    res = run(parks, parcels, as_of="2025-08-29")
    chosen = metric_crs(parcels)
    assert "equal-area" in chosen.name
    assert res.metric_crs == chosen == CRS.from_user_input(res.meta["crs"])
    assert res.parcels.crs == chosen and res.park_zones.crs == chosen
    # the block of A and B is outlined in the run's CRS, not one chosen again from them
    assert len(res.blocks) == 1 and res.blocks.crs == chosen
    assert metric_crs(parcels.iloc[:2]) != chosen  # (what a second choice would give)
    # `xsland blocks` on the finished audit groups and outlines in the audit's own CRS
    again = rerun_blocks(res)
    assert again.blocks.crs == chosen
    assert again.blocks.geometry.geom_equals_exact(res.blocks.geometry, 1e-6).all()
    # a result read back carries the same CRS
    assert AuditResult(parks=res.parks, parcels=res.parcels, meta=res.meta).metric_crs == chosen


def test_a_parcel_keeps_its_own_town_else_takes_its_parks():
    from xsland.pipeline.audit import parcel_towns

    parcels = pd.DataFrame(
        {"park_id": ["K1", "K1", "K2", None], "town": ["甲镇", None, None, None]}
    )
    parks = pd.DataFrame({"park_id": ["K1", "K2"], "town": ["乙镇", None]})
    got = parcel_towns(parcels, parks)
    assert got.tolist()[:2] == ["甲镇", "乙镇"] and got.iloc[2:].isna().all()
    # without a town column every parcel takes its park's
    assert parcel_towns(parcels.drop(columns="town"), parks).iloc[0] == "乙镇"


def test_the_audit_runs_its_geos_heavy_calls_beside_its_main_thread(sample, tmp_path, monkeypatch):
    import dataclasses
    import threading

    from xsland import _threads
    from xsland.pipeline import audit as audit_module
    from xsland.pipeline import run as run_module

    project = load_project(_project_file(tmp_path, sample))
    data = run_module.read_inputs(project)
    where = _spy_threads(
        monkeypatch,
        audit_module,
        ("park_assignment", "parcel_checks", "block_table", "block_links"),
    )

    def audit():
        return audit_module.run(
            data["parks"], data["parcels"], data["buildings"], enterprises=data["enterprises"],
            plan=data["plan"], indicators=data["indicators"], landcover=data["landcover"],
            policy=project.policy, as_of="2025-06-30",
        )  # fmt: skip

    monkeypatch.setattr(_threads, "cpus", lambda: 2)
    monkeypatch.setattr(audit_module, "cpus", lambda: 2)
    two = audit()
    here = threading.get_ident()
    assert here not in where.values() and len(where) == 4
    monkeypatch.setattr(_threads, "cpus", lambda: 1)
    monkeypatch.setattr(audit_module, "cpus", lambda: 1)
    where.clear()
    one = audit()
    # on one CPU the blocks work out their own links (of the flagged parcels only)
    assert where == {"park_assignment": here, "parcel_checks": here, "block_table": here}
    # each town counts the blocks whose town is its own, though the roll-ups ran first
    counted = two.blocks.groupby("town").size()
    assert two.towns.set_index("town")["n_blocks"].to_dict() == {
        t: int(counted.get(t, 0)) for t in two.towns["town"]
    }
    assert two.towns["n_blocks"].sum() == two.blocks["town"].isin(two.towns["town"]).sum() > 0
    # the same audit either way: every table, the quality table included
    assert len(one.quality) and len(one.blocks)
    for field in dataclasses.fields(AuditResult):
        a, b = getattr(one, field.name), getattr(two, field.name)
        if isinstance(a, pd.DataFrame):
            pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_parcels_are_drawn_for_the_maps_while_the_audit_runs_and_a_failure_changes_nothing(
    sample, tmp_path, monkeypatch, capfd
):
    import threading

    from xsland._threads import cpus
    from xsland.pipeline.run import run_project
    from xsland.write import maps

    gpkg = sample.gpkg.as_posix()
    path = tmp_path / "xsland.toml"
    path.write_text(
        f"""
[project]
name = "地图"
out = "out"
[inputs.parks]
path = "{gpkg}"
layer = "parks"
[inputs.parcels]
path = "{gpkg}"
layer = "parcels"
[options]
duplicates = "rename"
as_of = 2025-08-29
report = false
""",
        encoding="utf-8",
    )
    project = load_project(path)
    real, calls = maps._drawable, []

    def spy(geoms, **kw):  # who converts how many geometries
        calls.append((threading.current_thread().name, len(geoms)))
        return real(geoms, **kw)

    monkeypatch.setattr(maps, "_drawable", spy)
    result, _ = run_project(project, out=tmp_path / "ahead", progress=False)
    n = len(result.parcels)
    # every parcel converted once (one part: the sample has fewer than DRAW_PART), on
    # the thread started after reading; write_maps converts the blocks only (the sample
    # mixes polygons and multipolygons: the polygons the result made multi are taken
    # from the drawing too)
    assert n < maps.DRAW_PART
    # the maps are written on the run's thread of lower priority (xsland._threads.yielding)
    here = "xsland-yielding" if cpus() > 1 else "MainThread"
    assert calls == [("xsland-ahead", n), (here, len(result.blocks))]

    def broken(geoms, **kw):  # the conversion fails on the thread only
        calls.append((threading.current_thread().name, len(geoms)))
        if threading.current_thread().name == "xsland-ahead":
            raise RuntimeError("the drawing thread broke")
        return real(geoms, **kw)

    monkeypatch.setattr(maps, "_drawable", broken)
    calls.clear()
    again, _ = run_project(project, out=tmp_path / "failed", progress=False)
    # the run goes on as without the thread: write_maps converts every parcel
    assert calls == [
        ("xsland-ahead", n),
        (here, n),
        (here, len(again.blocks)),
    ]
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err and "broke" not in out + err

    def data(folder):
        return {
            p.relative_to(folder).as_posix(): re.sub(r"[0-9a-f]{32}", "ID", p.read_text("utf-8"))
            for p in sorted(folder.rglob("*.html"))
        }

    ahead, failed = data(tmp_path / "ahead"), data(tmp_path / "failed")
    assert len(ahead) > 2 and ahead == failed  # the same pages, but folium's random IDs


def test_layers_sharing_the_parcels_geometry_objects_are_measured_on_one_thread(
    sample, tmp_path, monkeypatch
):
    # a plan made of the parcel layer by a shallow copy holds the parcels' very geometry
    # objects: intersection_areas prepares and frees them on one thread, so the audit
    # must not test them on another meanwhile; it runs its side calls in place instead
    import threading

    from xsland import _threads
    from xsland.pipeline import audit as audit_module
    from xsland.pipeline import run as run_module

    project = load_project(_project_file(tmp_path, sample))
    data = run_module.read_inputs(project)
    parcels, parks = data["parcels"], data["parks"]
    plan = parcels[["geometry"]].copy(deep=False)
    plan["planned_use"] = "M1"
    assert audit_module._shared(parcels, plan) and audit_module._shared(plan, parcels)
    assert not audit_module._shared(parcels, parks)
    fresh = shapely.from_wkb(shapely.to_wkb(plan.geometry.array))  # same shapes, new objects
    assert not audit_module._shared(parcels, plan.set_geometry(fresh, crs=plan.crs))
    assert audit_module._shared(parks, parks.iloc[[2]]) and not audit_module._shared(parks, None)
    where = _spy_threads(
        monkeypatch, audit_module, ("park_assignment", "parcel_checks", "block_links")
    )
    monkeypatch.setattr(_threads, "cpus", lambda: 2)
    monkeypatch.setattr(audit_module, "cpus", lambda: 2)
    kwargs = {"enterprises": data["enterprises"], "indicators": data["indicators"]}
    shared = audit_module.run(parks, parcels, data["buildings"], plan=plan, **kwargs)
    here = threading.get_ident()
    assert where == {"park_assignment": here, "parcel_checks": here}  # no block links ahead
    apart = audit_module.run(parks, parcels, data["buildings"], **kwargs)
    assert here not in where.values() and len(where) == 3
    assert len(shared.parcels) == len(apart.parcels)


def _spy_threads(monkeypatch, module, names):
    """Replace ``module``'s functions ``names`` by spies; the dict they fill holds the
    thread each was last called on (``threading.get_ident``)."""
    import threading

    where = {}

    def spy(name, fn):
        def call(*args, **kwargs):
            where[name] = threading.get_ident()
            return fn(*args, **kwargs)

        return call

    for name in names:
        monkeypatch.setattr(module, name, spy(name, getattr(module, name)))
    return where


def _spy_gpkg_start(monkeypatch, threads=None):
    from xsland.write import gpkg

    made = []
    real = gpkg.gpkg_start

    def spy(layers, path, **kw):
        made.append(real(layers, path, worker_min_rows=0))
        if threads is not None:
            threads.append(threading.current_thread())
        return made[-1]

    monkeypatch.setattr(gpkg, "gpkg_start", spy)
    monkeypatch.setattr(gpkg, "WORKER_MIN_ROWS", 0)  # the sample is small: start it anyway
    return made


def test_the_geopackages_parcels_are_written_while_the_roll_ups_run(sample, tmp_path, monkeypatch):
    from test_gpkg import _assert_same_gpkg

    from xsland.pipeline.run import run_project
    from xsland.write import worker
    from xsland.write.gpkg import write_gpkg

    threads = []
    made = _spy_gpkg_start(monkeypatch, threads)
    kinds, real_start = [], worker.start

    def start(kind, *args, **kwargs):
        kinds.append(kind)
        return real_start(kind, *args, **kwargs)

    monkeypatch.setattr(worker, "start", start)
    project = load_project(_project_file(tmp_path, sample))
    seen = []
    result, _ = run_project(project, out=tmp_path / "out", progress=seen.append)
    # one GeoPackage worker, the one started early: the rest of the layers went to it
    # (the sample's workbook is small: written in this process)
    assert kinds == ["gpkg"]
    ends = [s.name for s in seen if s.done]
    # started once the blocks are numbered, before the roll-ups and on the run's thread
    # (the roll-ups and block table hold Python's lock: the worker process runs beside them)
    early = ends.index("write audit.gpkg (parcels)")
    assert ends.index("blocks") < early < ends.index("block table")
    events = [(s.name, s.done) for s in seen]
    assert events.index(("write audit.gpkg (parcels)", True)) < events.index(("roll-ups", False))
    assert len(made) == 1 and made[0] is not None and made[0].job.proc.returncode == 0
    assert threads == [threading.main_thread()]
    assert set(made[0].layers) == {"parcels", "block_members"}
    # the file is the GeoPackage of the result, and nothing is left beside the output
    _assert_same_gpkg(
        write_gpkg(result.layers(), tmp_path / "here.gpkg", schema=True),
        tmp_path / "out" / "audit.gpkg",
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["here.gpkg", "out", "xsland.toml"]


def test_a_failure_after_the_parcels_started_stops_their_worker_and_leaves_nothing(
    sample, tmp_path, monkeypatch
):
    import time

    import xsland.pipeline.audit as audit
    from xsland.pipeline.run import run_project

    made = _spy_gpkg_start(monkeypatch)

    def broken(*args, **kwargs):  # once the worker writes the parcels (second thread)
        for _ in range(600):
            if made:
                break
            time.sleep(0.05)
        raise RuntimeError("the roll-ups broke")

    monkeypatch.setattr(audit, "roll_ups", broken)
    project = load_project(_project_file(tmp_path, sample))
    with pytest.raises(RuntimeError, match="roll-ups broke"):
        run_project(project, out=tmp_path / "out", progress=False)
    assert len(made) == 1 and made[0].ended and made[0].job.proc.returncode is not None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["xsland.toml"]  # no folder, no file


def test_first_layers_handed_out_after_the_run_ended_start_nothing(tmp_path, monkeypatch):
    from contextlib import ExitStack

    import xsland.pipeline.run as run_module
    from xsland.write import gpkg

    monkeypatch.setattr(gpkg, "WORKER_MIN_ROWS", 0)
    calls = []
    monkeypatch.setattr(gpkg, "gpkg_start", lambda *a, **k: calls.append(a))
    with ExitStack() as stack:
        first = run_module._FirstLayers(stack, tmp_path / "out")
    # the audit failed and the run ended; its second thread hands the parcels out now
    first({"parcels": pd.DataFrame({"a": [1]}), "block_members": pd.DataFrame({"a": [1]})})
    assert calls == [] and first.started is None and list(tmp_path.iterdir()) == []


# -- frames given to the audit by a library caller -------------------------------------------

_X0, _Y0 = 535_000.0, 3_496_000.0


def _sq(x, y, s=100.0):
    return shapely.box(_X0 + x, _Y0 + y, _X0 + x + s, _Y0 + y + s)


def _tiny():
    """One park (0..1000 m), two 100 m parcels in it, a 3-storey building on A."""
    parks = gpd.GeoDataFrame(
        {"park_id": ["K1"], "name": ["一园"], "town": ["东亭街道"], "park_type": ["district"]},
        geometry=[_sq(0, 0, 1000)],
        crs="EPSG:4549",
    )
    parcels = gpd.GeoDataFrame(
        {"parcel_id": ["A", "B"], "category": ["new_industrial", "industrial"]},
        geometry=[_sq(100, 100), _sq(300, 100)],
        crs="EPSG:4549",
    )
    buildings = gpd.GeoDataFrame(
        {"building_id": ["b1"], "floors": [3]}, geometry=[_sq(110, 110, 50)], crs="EPSG:4549"
    )
    return parks, parcels, buildings


def test_a_frame_made_by_other_means_is_validated_by_the_audit_and_its_repairs_listed():
    from xsland.pipeline.audit import run

    parks, parcels, buildings = _tiny()
    # B drawn as a bow-tie (self-intersecting): GEOS stops on it mid-audit unless repaired;
    # make_valid gives two triangles of 100 x 50 / 2 = 2,500 m² each: 5,000 m² in all
    x, y = _X0 + 300, _Y0 + 100
    bowtie = shapely.Polygon([(x, y), (x + 100, y + 100), (x + 100, y), (x, y + 100)])
    parcels.loc[1, "geometry"] = bowtie
    assert not bowtie.is_valid
    result = run(parks, parcels, buildings, as_of="2025-06-30")
    got = result.parcels.set_index("parcel_id")
    assert got.loc["B", "area_m2"] == pytest.approx(5_000.0)
    # A: 10,000 m², one 50 x 50 building of 3 storeys: FAR 7,500 / 10,000
    assert got.loc["A", "far"] == pytest.approx(0.75)
    repaired = result.quality[result.quality["check"] == "repaired_geometry"]
    assert repaired["id"].tolist() == ["B"]
    assert parcels.loc[1, "geometry"] is bowtie  # the caller's frame is not changed


def test_an_input_column_named_like_the_audits_own_is_moved_aside_for_a_library_caller_too():
    from xsland.pipeline.audit import run
    from xsland.read.validate import is_validated, validate_layer

    parks, parcels, buildings = _tiny()
    validated = validate_layer(parcels, "parcels")
    assert is_validated(validated, "parcels") and is_validated(validated.copy(), "parcels")
    assert not is_validated(validated, "buildings") and not is_validated(parcels, "parcels")
    # columns given after validation: stamped no more, validated again by the audit
    dirty = validated.copy()
    dirty["low_efficiency"] = False  # the caller's own flag: must not stand in the audit's
    dirty["block_id"] = "B-own"
    assert not is_validated(dirty, "parcels")
    result = run(parks, dirty, buildings, as_of="2025-06-30")
    clean = run(parks, validated, buildings, as_of="2025-06-30")
    got = result.parcels.set_index("parcel_id")
    # the audit's own flags and blocks, as without the caller's columns (A: FAR 0.75 and
    # coverage 25 %; B: no building, FAR 0: both flagged for low FAR and coverage, False
    # in the caller's column changed nothing; two blocks, the parcels 100 m apart)...
    for column in ("low_efficiency", "block_id", "kinds"):
        pd.testing.assert_series_equal(
            got[column], clean.parcels.set_index("parcel_id")[column], check_names=False
        )
    assert got["low_efficiency"].tolist() == [True, True]
    assert got["block_id"].tolist() == ["B-K1-001", "B-K1-002"]
    # ... and the caller's columns kept beside them
    assert got["low_efficiency_orig"].tolist() == [False, False]
    assert got["block_id_orig"].tolist() == ["B-own", "B-own"]
    renamed = result.quality[result.quality["check"] == "column_renamed"]
    assert sorted(renamed["column"]) == ["block_id", "low_efficiency"]


def test_frames_already_validated_are_not_validated_again(monkeypatch):
    import xsland.pipeline.audit as pipeline_audit
    from xsland.read.validate import validate_layer

    kinds = ("parks", "parcels", "buildings")
    layers = [validate_layer(f, k) for f, k in zip(_tiny(), kinds, strict=True)]

    def refuse(*args, **kwargs):
        raise AssertionError("validated twice")

    monkeypatch.setattr(pipeline_audit, "validate_layer", refuse)
    result = pipeline_audit.run(*layers, as_of="2025-06-30")
    assert len(result.parcels) == 2


def test_every_problem_of_every_frame_given_to_the_audit_is_named_at_once():
    from xsland.pipeline.audit import run

    parks, parcels, buildings = _tiny()
    parcels.loc[1, "parcel_id"] = "A"  # a duplicate ID
    no_crs = buildings.set_crs(None, allow_override=True)
    with pytest.raises(ValidationError) as caught:
        run(parks, parcels, no_crs, enterprises=pd.Series([1, 2]), as_of="2025-06-30")
    text = str(caught.value)
    assert "layer 'parcels', column 'parcel_id'" in text and "rows: A" in text
    assert "layer 'buildings'" in text and "coordinate reference system" in text
    assert "enterprises: a Series, not a DataFrame" in text
    assert "xsland.read_table(path, kind='enterprises')" in text
    assert len(caught.value.problems) == 3


def test_the_inputs_a_project_reads_are_not_validated_again_by_the_audit(sample, tmp_path):
    # every frame read_inputs gives is stamped as validated for its kind, so the audit
    # takes it as it is (validating 1M parcels twice would cost seconds)
    from xsland.pipeline.run import read_inputs
    from xsland.read.validate import is_validated

    data = read_inputs(load_project(_project_file(tmp_path, sample)))
    kinds = ("parks", "parcels", "buildings", "plan", "enterprises", "indicators")
    assert set(kinds) <= set(data)
    assert [k for k in kinds if not is_validated(data[k], k)] == []


def test_an_evaluation_history_given_to_the_audit_is_validated_with_the_other_frames():
    from xsland.pipeline.audit import run

    parks, parcels, buildings = _tiny()
    history = pd.DataFrame(
        {"enterprise_id": ["E1", "E2"], "year": [2024, "2024年"], "eval_class": ["D", "Z"]}
    )
    with pytest.raises(ValidationError) as caught:
        run(parks, parcels, buildings, history=history, as_of="2025-06-30")
    # both problems at once (the history's own check named the first one only)
    text = str(caught.value)
    assert "column 'year'" in text and "row 2='2024年'" in text
    assert "column 'eval_class'" in text and "row 2='Z'" in text
    assert len(caught.value.problems) == 2


def test_the_audit_without_its_parks_or_parcels_names_them():
    from xsland.pipeline.audit import run

    parks, parcels, buildings = _tiny()
    with pytest.raises(ValidationError) as caught:
        run(None, None, buildings, as_of="2025-06-30")
    assert [p.message for p in caught.value.problems] == [
        "parks: none given; the audit needs the parks layer",
        "parcels: none given; the audit needs the parcels layer",
    ]


def test_a_frame_given_to_the_audit_has_its_columns_named_by_the_aliases_as_a_file_would():
    from xsland.pipeline.audit import run

    parks, parcels, buildings = _tiny()
    # Chinese headers and a Shapefile's 10-character name, as another office sends them
    zh = parcels.rename(columns={"parcel_id": "地块编号", "category": "用地类别"}).assign(
        declared_a=[10_000.0, 12_000.0]
    )
    got = run(parks, zh, buildings, as_of="2025-06-30").parcels.set_index("parcel_id")
    assert got.index.tolist() == ["A", "B"]
    assert got["category"].tolist() == ["new_industrial", "industrial"]
    # declared_a read as declared_area: B declares 12,000 m² on 10,000 measured
    assert got["declared_area"].tolist() == [10_000.0, 12_000.0]
    # two columns that could each be one contract column: named, never guessed
    both = parcels.assign(用地面积=[1.0, 2.0], 地块面积=[1.0, 2.0])
    with pytest.raises(ValidationError, match=r"'用地面积' and '地块面积' could each be"):
        run(parks, both, buildings, as_of="2025-06-30")


def test_an_invalid_polygon_put_in_after_validation_is_named_not_a_geos_traceback():
    from xsland.pipeline.audit import run
    from xsland.read.validate import is_validated, validate_layer

    parks, parcels, buildings = _tiny()
    parcels = validate_layer(parcels, "parcels")
    # B redrawn in place as a bow-tie across A: the frame keeps its stamp (values changed
    # in place are taken as they are), and GEOS stopped mid-audit with "TopologyException"
    # (the overlap check intersects it with A)
    x, y = _X0 + 150, _Y0 + 100
    parcels.loc[1, "geometry"] = shapely.Polygon(
        [(x, y), (x + 100, y + 100), (x + 100, y), (x, y + 100)]
    )
    assert is_validated(parcels, "parcels")
    with pytest.raises(ValidationError) as caught:
        run(parks, parcels, buildings, as_of="2025-06-30")
    (problem,) = caught.value.problems
    assert (problem.layer, problem.column, problem.rows) == ("parcels", "geometry", ("B",))
    assert "Self-intersection" in problem.message and "validate_layer" in problem.fix
    # validated again, as the fix says: repaired (two triangles, 5,000 m²) and listed
    result = run(parks, validate_layer(parcels.copy(), "parcels"), buildings, as_of="2025-06-30")
    assert result.parcels.set_index("parcel_id").loc["B", "area_m2"] == pytest.approx(5_000.0)
    assert "B" in result.quality.loc[result.quality["check"] == "repaired_geometry", "id"].tolist()


def test_a_geos_failure_on_valid_geometries_is_a_named_error(monkeypatch):
    from shapely.errors import GEOSException

    import xsland.pipeline.audit as pipeline_audit
    from xsland.errors import DataError

    def fail(*args, **kwargs):
        raise GEOSException("TopologyException: found non-noded intersection")

    monkeypatch.setattr(pipeline_audit, "plot_ratio", fail)
    with pytest.raises(DataError, match="GEOS could not compute.*non-noded.*read_layer"):
        pipeline_audit.run(*_tiny(), as_of="2025-06-30")
