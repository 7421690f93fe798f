"""The audit of a partitioned dataset on a 2-worker cluster equals the single-process audit.

The district of ``test_engine`` (40 m plots in street blocks, 10 m streets bridged by the
15 m gap, 20 m ones not; rivers as barriers; ~2 buildings a parcel, some straddling two
parcels), 90 × 90 = 8100 parcels in two towns (parks K1 / K2, the left and right halves),
land uses drawn among new industrial (100101, M1), new-type industrial (M0) and housing
(0701), all supplied in 2012, with a column of their own (``survey_batch``); a plan of
stripes and a land-cover raster of built-up and bare patches. Written with at most 1000 parcels a partition: each town of
4050 parcels is cut into 5 tiles, 10 partitions, so many blocks of low-efficiency land
cross partition boundaries. Every table and every parcel row (read back from the files
the workers wrote) must equal :func:`xsland.pipeline.audit.run`'s.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from test_engine import PLOT, X0, make_district

from xsland.errors import DataError
from xsland.measure.quality import CROSS_CHECKS
from xsland.pipeline.audit import run
from xsland.pipeline.engine import ROW, make_client, read_partition_index, write_partitions
from xsland.pipeline.partitioned import audit_partitioned
from xsland.read.validate import quality_record, validate_layer, validate_table
from xsland.rules.policy import DEFAULT_POLICY, LOWUSE_RULES
from xsland.write.excel import action_parcels

SIDE = 90
AS_OF = "2025-08-29"
POLICY = DEFAULT_POLICY.replace(lowuse_rules=LOWUSE_RULES)  # built_but_bare too


@pytest.fixture(scope="module")
def district(tmp_path_factory):
    parcels, buildings, barriers = make_district(side=SIDE)
    rng = np.random.default_rng(3)
    n = len(parcels)
    parcels = parcels.assign(
        town=np.where(parcels["park_id"] == "K1", "东亭街道", "安镇街道"),
        land_use=rng.choice(["100101", "M1", "0701", "M0"], n),
        supply_date=pd.Timestamp("2012-01-01"),
        survey_batch=np.arange(n) % 7,  # a column of the data's own: no judge reads it
    ).drop(columns="park_id")  # the parks layer decides
    x0, y0, x1, y1 = parcels.total_bounds
    mid = X0 + SIDE // 2 * PLOT + 5  # inside the street after plot column 44
    parks = gpd.GeoDataFrame(
        {
            "park_id": ["K1", "K2"],
            "name": ["一园", "二园"],
            "town": ["东亭街道", "安镇街道"],
            "park_type": ["district", "carrier"],
        },
        geometry=[
            shapely.box(x0 - 1, y0 - 1, mid, y1 + 1),
            shapely.box(mid, y0 - 1, x1 + 1, y1 + 1),
        ],
        crs="EPSG:4549",
    )
    # the plan: north-south stripes 700 m wide, industrial and housing in turn, so that
    # parcels under a stripe's edge are split between two uses
    edges = np.arange(x0 - 200, x1 + 700, 700.0)
    plan = gpd.GeoDataFrame(
        {"planned_use": np.where(np.arange(len(edges) - 1) % 2 == 0, "100101", "0701")},
        geometry=shapely.box(edges[:-1], y0 - 1, edges[1:], y1 + 1),
        crs="EPSG:4549",
    )
    # land cover: 10 m cells, built-up (50) but bare (60) in every third 70 m × 50 m patch
    import rasterio
    from rasterio.transform import from_origin

    rows, cols = int((y1 - y0) // 10) + 3, int((x1 - x0) // 10) + 3
    r, c = np.mgrid[0:rows, 0:cols]
    classes = np.where((c // 7 + r // 5) % 3 == 0, 60, 50).astype("uint8")
    tif = tmp_path_factory.mktemp("lc") / "landcover.tif"
    profile = dict(driver="GTiff", width=cols, height=rows, count=1, dtype="uint8")
    transform = from_origin(x0 - 10, y1 + 10, 10, 10)
    with rasterio.open(tif, "w", **profile, crs="EPSG:4549", transform=transform) as dst:
        dst.write(classes, 1)
    kw = dict(plan=plan, barriers=barriers, landcover=tif, as_of=AS_OF, policy=POLICY)
    # validated as read_layer would, the parcel without geometry kept and listed (collect):
    # the same frames for both audits (run validates a frame that is not)
    parcels = validate_layer(parcels, "parcels", collect=True, policy=POLICY)
    buildings = validate_layer(buildings, "buildings", policy=POLICY)
    parks = validate_layer(parks, "parks", policy=POLICY)
    plan = validate_layer(plan, "plan", policy=POLICY)
    kw["plan"] = plan
    single = run(parks, parcels, buildings, **kw)
    return parcels, buildings, barriers, parks, single, plan, tif


def plain(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(frame).drop(columns="geometry", errors="ignore").reset_index(drop=True)


def test_partitioned_audit_on_two_workers_equals_the_single_process_audit(district, tmp_path):
    parcels, buildings, barriers, parks, single, plan, tif = district
    n = len(parcels)
    folder = write_partitions(parcels, buildings, tmp_path / "ds", parcels_per_partition=1000)
    index = read_partition_index(folder)
    assert [e["rows"] for e in index["parcels"]] == [810] * 10  # 4050 / 5 per town
    with make_client(2) as client:
        got = audit_partitioned(
            folder,
            parks,
            plan=plan,
            barriers=barriers,
            landcover=tif,
            as_of=AS_OF,
            policy=POLICY,
            client=client,
            parcels_out=tmp_path / "parcels",
        )
    low = single.parcels["low_efficiency"].to_numpy(dtype=bool)
    assert 0.2 < low.mean() < 0.95 and len(single.blocks) > 50  # a real test of the blocks
    off_plan = single.parcels["lu_plan_nonconforming"].to_numpy(dtype=bool)
    assert 0.2 < off_plan.mean() < 0.8  # and of the plan rule
    bare = single.parcels["lu_built_but_bare"].to_numpy(dtype=bool)
    assert bare.any() and {"built_share", "lc_built_up"} <= {*single.parcels, *single.parks}
    # parks, towns, district and the block tables: the same values
    # to the last bit: sums kept exactly (xsland._sums), building pieces added in one order
    for name in ("parks", "towns", "district", "blocks", "block_members", "intensity"):
        pd.testing.assert_frame_equal(
            plain(getattr(got, name)), plain(getattr(single, name)), check_exact=True
        )
    assert got.blocks.geometry.geom_equals_exact(single.blocks.geometry, 1e-9).all()
    # the data-quality table: the cross-parcel rows alike and in the same order (halos
    # read across partitions), the whole table alike
    cross = _cross_rows(single.quality)
    # the parcel without geometry, parcels across the parks' edge, buildings on streets
    assert set(cross["check"]) == {"sliver", "straddles_park", "building_outside"}
    pd.testing.assert_frame_equal(_cross_rows(got.quality), cross)
    pd.testing.assert_frame_equal(_sorted(got.quality), _sorted(single.quality))
    # blocks across partition boundaries were stitched: parcels of one block in 2+ files
    where = np.empty(n, dtype=int)
    for k, e in enumerate(index["parcels"]):
        where[pd.read_parquet(folder / e["file"], columns=[ROW])[ROW].to_numpy()] = k
    ids = single.parcels["block_id"].to_numpy(dtype=object)
    per_block = pd.Series(where[low]).groupby(ids[low]).nunique()
    assert (per_block > 1).sum() >= 10
    # the result holds the parcels that need action; the workers wrote every parcel
    want = action_parcels(single.parcels)
    assert len(got.parcels) == len(want) < n and got.meta["n_parcels"] == n
    pd.testing.assert_frame_equal(plain(got.parcels), plain(want), check_exact=True)
    files = sorted((tmp_path / "parcels").glob("*.parquet"))
    assert len(files) == 10 and got.parcels_path == str(tmp_path / "parcels")
    back = gpd.read_parquet(tmp_path / "parcels").sort_values(ROW).reset_index(drop=True)
    assert back[ROW].tolist() == list(range(n))
    expected = single.parcels.reset_index(drop=True)
    assert [c for c in back.columns if c != ROW] == list(expected.columns)
    for col in expected.columns:
        a, b = expected[col], back[col]
        if col == "geometry":
            same = a.geom_equals_exact(b, 0) | (a.isna() & b.isna())
            assert same.all()
        elif a.dtype.kind == "f":
            np.testing.assert_array_equal(b, a, err_msg=col)  # to the last bit
        else:
            assert a.astype(object).where(a.notna(), None).tolist() == (
                b.astype(object).where(b.notna(), None).tolist()
            ), col


def test_partitioned_audit_needs_the_rasters_path(district, tmp_path):
    import rasterio

    parcels, buildings, _, parks, _, _, tif = district
    folder = write_partitions(parcels.iloc[:50], None, tmp_path / "ds")
    with rasterio.open(tif) as ds, pytest.raises(DataError, match=r"inputs\.landcover"):
        audit_partitioned(folder, parks, landcover=ds)


def test_xsland_audit_partitions_writes_every_parcel_without_holding_them(district, tmp_path):
    """`xsland audit --partitions DIR`: the GeoPackage's parcels layer is appended file by
    file and equals the single-process table; the workbook points to parcels.parquet."""
    from click.testing import CliRunner

    from xsland.cli import main
    from xsland.result import AuditResult

    parcels, buildings, barriers, parks, single, plan, tif = district
    plan.to_file(tmp_path / "plan.gpkg")
    parks.to_file(tmp_path / "parks.gpkg")
    write_partitions(parcels, buildings, tmp_path / "ds", parcels_per_partition=1000)
    out = tmp_path / "out"
    args = ["audit", "--parks", str(tmp_path / "parks.gpkg"), "--plan", str(tmp_path / "plan.gpkg")]
    args += ["--landcover", str(tif), "--partitions"]
    args += [str(tmp_path / "ds"), "--out", str(out), "--as-of", AS_OF]
    flags = ["--no-maps", "--no-report", "--no-progress", "--geoparquet"]
    result = CliRunner().invoke(main, [*args, *flags])
    assert result.exit_code == 0, result.output
    assert f"{len(parcels)} parcels" in result.output
    # --geoparquet never writes the action parcels under the full table's name: the full
    # table is the dataset parcels.parquet/, the other layers are in parquet/
    assert not (out / "parquet" / "parcels.parquet").exists()
    assert (out / "parquet" / "blocks.parquet").exists()
    assert len(list((out / "parcels.parquet").glob("*.parquet"))) == 10
    assert not list(tmp_path.glob(".out.parcels-staging"))  # moved into the output
    back = AuditResult.read(out)
    # default rules and no barriers here: compare the rules both runs judge alike
    expected = single.parcels.reset_index(drop=True)
    got = back.parcels.set_index("parcel_id").loc[expected["parcel_id"]].reset_index()
    assert len(back.parcels) == len(parcels)
    for col in ("lu_far_low", "lu_plan_nonconforming", "bare_share"):
        np.testing.assert_array_equal(got[col].to_numpy(), expected[col].to_numpy(), col)
    np.testing.assert_allclose(got["floor_area"], expected["floor_area"], rtol=1e-12)
    about = pd.read_excel(out / "audit.xlsx", sheet_name=0).astype(str).to_string()
    assert "parcels.parquet" in about and f"{len(parcels):,}" in about
    summary = (out / "summary.md").read_text(encoding="utf-8")
    assert f"- parcels: {len(parcels)} (full table" in summary


def test_a_parcels_input_naming_a_dataset_folder_is_audited_by_partition(tmp_path):
    """`[inputs.parcels] path = "ds"`: the project's parcels are a partitioned dataset."""
    from xsland.pipeline.run import partitioned_input
    from xsland.rules.project import project_from_mapping

    parcels, _, _ = make_district(side=60)
    write_partitions(parcels, None, tmp_path / "ds")
    parcels.to_file(tmp_path / "parcels.gpkg")
    parcels.iloc[:1].to_file(tmp_path / "parks.gpkg")  # only its path is looked at

    def project(path: str):
        inputs = {"parks": {"path": "parks.gpkg"}, "parcels": {"path": path}}
        return project_from_mapping({"inputs": inputs}, base=tmp_path)

    assert partitioned_input(project("ds")) == tmp_path / "ds"
    assert partitioned_input(project("parcels.gpkg")) is None  # a file: read as usual
    (tmp_path / "other").mkdir()
    assert partitioned_input(project("other")) is None  # a folder without partitions.json


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("{", "not a partition index"),
        ("[1, 2]", "no JSON object"),
        ('{"parcels": []}', "lacks crs"),
        ('{"crs": {}, "parcels": []}', "lacks parcels"),
        ('{"crs": {}, "parcels": [{"file": "a"}]}', "lacks parcels"),
    ],
)
def test_a_damaged_partition_index_is_a_named_error(tmp_path, text, words):
    from click.testing import CliRunner

    from xsland.cli import main

    (tmp_path / "ds").mkdir()
    (tmp_path / "ds" / "partitions.json").write_text(text, encoding="utf-8")
    parks = gpd.GeoDataFrame({"park_id": ["K1"]}, geometry=[shapely.box(0, 0, 9, 9)], crs=4549)
    parks.to_file(tmp_path / "parks.gpkg")
    args = ["audit", "--parks", str(tmp_path / "parks.gpkg"), "--partitions", str(tmp_path / "ds")]
    result = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "o"), "--no-progress"])
    assert result.exit_code == 1, result.output  # named, not an unexpected error (2)
    assert "partitions.json" in result.output and words in result.output
    assert "xsland partition" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "o").exists()


def _frames(value):
    """Every DataFrame in what a task sent back (dicts, lists, tuples walked)."""
    if isinstance(value, pd.DataFrame):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _frames(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _frames(v)


def test_the_driver_gets_partial_tables_and_the_action_parcels_never_every_row(
    tmp_path, monkeypatch
):
    """3600 parcels in 4 partitions, with enterprises (their land summed over partitions,
    their classes ranked over all of them): every table equals the single process's to
    the last bit, and what the tasks send back is partial tables (a row per park, town or
    enterprise) and the parcels that need action — the judges saw one partition at a time."""
    import xsland.pipeline.engine as engine
    import xsland.pipeline.partitioned as partitioned

    parcels, buildings, barriers = make_district(side=60)
    rng = np.random.default_rng(5)
    n = len(parcels)
    ids = np.array([f"E{i}" for i in range(200)], dtype=object)
    parcels = parcels.assign(
        town=np.where(np.arange(n) % 60 < 30, "东亭街道", "安镇街道"),
        land_use=rng.choice(["100101", "M1", "0701", "M0"], n),
        supply_date=pd.Timestamp("2012-01-01"),
        enterprise_id=np.where(rng.random(n) < 0.8, rng.choice(ids, n), None),
    ).drop(columns="park_id")
    x0, y0, x1, y1 = parcels.total_bounds
    mid = (x0 + x1) / 2
    parks = gpd.GeoDataFrame(
        {"park_id": ["K1", "K2"], "town": ["东亭街道", "安镇街道"], "name": ["一", "二"]},
        geometry=[shapely.box(x0 - 1, y0 - 1, mid, y1 + 1), shapely.box(mid, y0, x1 + 1, y1)],
        crs="EPSG:4549",
    )
    enterprises = pd.DataFrame(
        {
            "enterprise_id": ids,
            "industry": rng.choice(["智能装备", "新材料"], len(ids)),
            "revenue": rng.uniform(100, 5000, len(ids)),
            "tax": rng.uniform(1, 300, len(ids)),
            "investment": rng.uniform(10, 900, len(ids)),
        }
    )
    # validated once, for both audits (the parcel without geometry kept and listed)
    parcels = validate_layer(parcels, "parcels", collect=True, policy=POLICY)
    buildings, parks = (
        validate_layer(f, k) for f, k in ((buildings, "buildings"), (parks, "parks"))
    )
    enterprises = validate_table(enterprises, "enterprises")
    kw = dict(enterprises=enterprises, barriers=barriers, as_of=AS_OF, policy=POLICY)
    single = run(parks, parcels, buildings, **kw)
    folder = write_partitions(parcels, buildings, tmp_path / "ds", parcels_per_partition=1000)
    sizes = [e["rows"] for e in read_partition_index(folder)["parcels"]]
    assert len(sizes) >= 4 and max(sizes) < n

    sent: list = []
    run_tasks = engine._run

    def spy_run(func, payloads, client, **kwargs):
        out = run_tasks(func, payloads, client, **kwargs)
        sent.append((func.__name__, out))
        return out

    judged_rows: list[int] = []
    judge = partitioned.judge_parcels

    def spy_judge(parcels, *args, **kwargs):
        judged_rows.append(len(parcels))
        return judge(parcels, *args, **kwargs)

    monkeypatch.setattr(engine, "_run", spy_run)
    monkeypatch.setattr(partitioned, "judge_parcels", spy_judge)
    got = audit_partitioned(folder, parks, parcels_out=tmp_path / "out", **kw)

    for name in ("parks", "towns", "district", "blocks", "block_members", "intensity"):
        pd.testing.assert_frame_equal(
            plain(getattr(got, name)), plain(getattr(single, name)), check_exact=True
        )
    pd.testing.assert_frame_equal(got.enterprises, single.enterprises, check_exact=True)
    pd.testing.assert_frame_equal(_sorted(got.quality), _sorted(single.quality))
    assert single.enterprises["mj_class"].notna().sum() > 30  # ranked over all enterprises
    want = action_parcels(single.parcels)
    assert 0 < len(want) < n
    pd.testing.assert_frame_equal(plain(got.parcels), plain(want), check_exact=True)
    # the judges ran on one partition at a time
    assert sorted(judged_rows) == sorted(sizes)
    # what came back: parcel rows only for the parcels that need action, else one row
    # per park, town or enterprise (or park–enterprise pair)
    groups = len(ids) * len(parks)
    action_rows = 0
    for name, results in sent:
        for frame in _frames(results):
            if "parcel_id" in frame.columns or "low_efficiency" in frame.columns:
                assert name == "_judge_partition"  # the action parcels and their flags
                action_rows += len(frame)
            else:
                assert len(frame) <= groups, (name, list(frame.columns[:3]))
    assert action_rows == 2 * len(want)


# A row of hand-made parcels (metres from X0, Y0 in EPSG:4549), cut two a partition along
# x, so that A and B, which overlap, lie in different partitions:
#   M  two 40 × 40 squares at x -200 and -140: multipart (3 200 m², mean width 20 m)
#   A  [0, 100] × [0, 100], declared 10 000 m² (exact)
#   B  [95, 195] × [0, 100]: overlaps A by 5 × 100 = 500 m²; declared 10 600 → +6.0 %
#   S  [200, 480] × [-5, -4.75]: 70 m², mean width 2·70/560.5 = 0.25 m → sliver; it
#      stretches the extent of its partition (B, S) over C's west half
#   C  [300, 400] × [0, 100]: half in park K2 ([350, 750]) → straddles (50 % / 50 %)
#   D  [600, 700] × [0, 100]: in the land K2 and K3 ([550, 950]) share, 200 × 120 m
#   E  [800, 900] × [0, 100]: in K3 only
#   F  [1000, 1100] × [0, 100]: no park
# Partitions (k-d cut of the centres along x): {M, A}, {B, S}, {C, D}, {E, F}.
# Buildings: in A; touching E only (x 895 … 905, E's east edge); touching nothing
# (x 960 … 970); in F; in M; in C only but inside the extent of partition {B, S}.
QX, QY = 535_000.0, 3_496_000.0


def _qbox(x, y, w, h):
    return shapely.box(QX + x, QY + y, QX + x + w, QY + y + h)


def _quality_layers(building_ids: bool = True):
    parcels = gpd.GeoDataFrame(
        {
            "parcel_id": ["M", "A", "B", "S", "C", "D", "E", "F"],
            "declared_area": [None, 10_000.0, 10_600.0, None, None, None, None, None],
            "land_use": ["100101"] * 8,
            "supply_date": pd.Timestamp("2012-01-01"),
        },
        geometry=[
            shapely.MultiPolygon([_qbox(-200, 0, 40, 40), _qbox(-140, 0, 40, 40)]),
            _qbox(0, 0, 100, 100),
            _qbox(95, 0, 100, 100),
            _qbox(200, -5, 280, 0.25),
            _qbox(300, 0, 100, 100),
            _qbox(600, 0, 100, 100),
            _qbox(800, 0, 100, 100),
            _qbox(1000, 0, 100, 100),
        ],
        crs="EPSG:4549",
    )
    parks = gpd.GeoDataFrame(
        {"park_id": ["K2", "K3"], "name": ["二园", "三园"], "town": ["东亭街道", "安镇街道"]},
        geometry=[_qbox(350, -2, 400, 120), _qbox(550, -2, 400, 120)],
        crs="EPSG:4549",
    )
    buildings = gpd.GeoDataFrame(
        {"floors": [3, 2, 1, 2, 2, 4]},
        geometry=[
            _qbox(10, 10, 10, 10),  # in A
            _qbox(895, 40, 10, 10),  # half on E, half outside every parcel
            _qbox(960, 40, 10, 10),  # between E and F: touches no parcel
            _qbox(1010, 10, 10, 10),  # in F
            _qbox(-190, 10, 10, 10),  # in M
            _qbox(320, 40, 10, 10),  # in C, within the extent of partition {B, S}
        ],
        crs="EPSG:4549",
    )
    if building_ids:
        buildings.insert(0, "building_id", ["bA", "bE", "bOut", "bF", "bM", "bC"])
    return parcels, parks, buildings


#: The cross-parcel rows of the cadastre above, worked out by hand, in the table's order
#: (check, then the row of the parcel, park pair or building).
QUALITY_BY_HAND = [
    ("parcels", "S", "sliver", "area 70.0 m², mean width 0.25 m"),
    ("parcels", "M", "multipart", "2 parts"),
    ("parcels", "A", "overlap", "overlaps B by 500.0 m²"),
    ("parcels", "B", "overlap", "overlaps A by 500.0 m²"),
    ("parcels", "B", "declared_area_mismatch", "declared 10600.0 m², measured 10000.0 m² (+6.0%)"),
    ("parks", "K2", "parks_overlap", "overlaps park K3 by 24,000.0 m²; parcels in the shared land: D"),
    ("parks", "K3", "parks_overlap", "overlaps park K2 by 24,000.0 m²; parcels in the shared land: D"),
    ("parcels", "C", "straddles_park", "50.0% in park K2, 50.0% outside every park"),
    ("buildings", "bOut", "building_outside", "touches no parcel"),
]  # fmt: skip


def _cross_rows(quality: pd.DataFrame) -> pd.DataFrame:
    return quality[quality["check"].isin(CROSS_CHECKS)].reset_index(drop=True)


def _sorted(quality: pd.DataFrame) -> pd.DataFrame:
    return quality.sort_values(list(quality.columns)).reset_index(drop=True)


def test_partitioned_audit_runs_every_cross_parcel_quality_check(tmp_path):
    parcels, parks, buildings = _quality_layers()
    # the files the readers would have named (attrs["source"]); `xsland partition`
    # records the parcels' and buildings' in the dataset
    for frame, name in ((parcels, "parcels.gpkg"), (buildings, "b.shp"), (parks, "parks.gpkg")):
        frame.attrs["source"] = {"file": name, "layer": ""}
    # and what reading found: kept in the dataset, listed by both audits
    parcels.attrs["quality"] = quality_record(
        layer="parcels", check="repaired_geometry", ids=["C"], file="parcels.gpkg"
    )
    buildings.attrs["quality"] = quality_record(
        layer="buildings", check="renamed_duplicate_id", ids=["bF-2"], file="b.shp"
    )
    sources = {"parcels": "parcels.gpkg", "buildings": "b.shp"}
    folder = write_partitions(
        parcels, buildings, tmp_path / "ds", parcels_per_partition=2, sources=sources
    )
    index = read_partition_index(folder)
    part = {}
    for k, e in enumerate(index["parcels"]):
        for r in pd.read_parquet(folder / e["file"], columns=[ROW])[ROW]:
            part[parcels["parcel_id"][r]] = k
    assert [part[i] for i in parcels["parcel_id"]] == [0, 0, 1, 1, 2, 2, 3, 3]  # A, B apart:
    # the overlap crosses partitions; bC lies in the extent of B's partition, touches C's only
    x0, y0, x1, y1 = index["parcels"][part["B"]]["bounds"]
    assert x0 < QX + 320 < QX + 330 < x1 and y0 < QY + 40 < QY + 50 < y1
    assert len(index["buildings"]) == 2  # tiles of 2 × 2 buildings
    single = run(parks, parcels, buildings, as_of=AS_OF)
    got = audit_partitioned(folder, parks, as_of=AS_OF, parcels_out=tmp_path / "out")
    cross = _cross_rows(got.quality)
    assert [tuple(r) for r in cross[["layer", "id", "check", "detail"]].to_numpy()] == (
        QUALITY_BY_HAND
    )
    assert cross["severity"].tolist() == ["warning", "info", *["warning"] * 7]
    assert cross["column"].tolist() == ["", "", "", "", "declared_area", "", "", "", ""]
    files = ["parcels.gpkg"] * 5 + ["parks.gpkg"] * 2 + ["parcels.gpkg", "b.shp"]
    assert cross["file"].tolist() == files
    # the same rows as the in-memory audit, in the same order; the whole table alike
    pd.testing.assert_frame_equal(cross, _cross_rows(single.quality))
    pd.testing.assert_frame_equal(_sorted(got.quality), _sorted(single.quality))
    read = got.quality.iloc[:2][["layer", "id", "check"]].to_numpy().tolist()
    assert read == [
        ["parcels", "C", "repaired_geometry"],
        ["buildings", "bF-2", "renamed_duplicate_id"],
    ]
    pd.testing.assert_frame_equal(got.quality.iloc[:2], single.quality.iloc[:2])
    assert not any("not run" in note for note in got.meta["lowuse_notes"])
    # a damaged quality.json is a named error
    (folder / "quality.json").write_text("[1", encoding="utf-8")
    with pytest.raises(DataError, match=r"quality\.json.*xsland partition"):
        audit_partitioned(folder, parks, as_of=AS_OF, parcels_out=tmp_path / "out")


def test_partitioned_building_checks_name_buildings_by_row(tmp_path):
    """Buildings without ``building_id`` are ``row N`` (1-based, their position in the
    layer) in both audits; a dataset whose building files lack ``_row`` (written before
    it) still gives the outside building, named by file and place."""
    parcels, parks, buildings = _quality_layers(building_ids=False)
    folder = write_partitions(parcels, buildings, tmp_path / "ds", parcels_per_partition=2)
    single = run(parks, parcels, buildings, as_of=AS_OF)
    got = audit_partitioned(folder, parks, as_of=AS_OF, parcels_out=tmp_path / "out")
    want = _cross_rows(single.quality)
    assert want["id"].tolist()[-1] == "row 3"  # the third building touches no parcel
    pd.testing.assert_frame_equal(_cross_rows(got.quality), want)
    # an older dataset: no _row in the building files (nor their bytes and footers in
    # the index)
    index = read_partition_index(folder)
    for e in index["buildings"]:
        path = folder / e["file"]
        gpd.read_parquet(path).drop(columns=ROW).to_parquet(path, write_covering_bbox=True)
    for e in index["parcels"] + index["buildings"]:
        del e["bytes"], e["footer"]
    (folder / "partitions.json").write_text(json.dumps(index), encoding="utf-8")
    old = audit_partitioned(folder, parks, as_of=AS_OF, parcels_out=tmp_path / "out")
    outside = _cross_rows(old.quality).iloc[-1]
    files = [e["file"] for e in read_partition_index(folder)["buildings"]]
    at = next(
        (Path(f).stem, i)
        for f in files
        for i, g in enumerate(gpd.read_parquet(folder / f).geometry)
        if g.equals(buildings.geometry[2])
    )
    assert (outside["check"], outside["id"]) == ("building_outside", f"{at[0]} row {at[1] + 1}")


def test_a_parcels_own_town_takes_the_spelling_of_the_in_memory_audit(tmp_path):
    # rows M A B S C D E F, two parcels a partition; parks spell 东亭街道 and 安镇街道.
    # The first spelling met of a name wins, parks first, then parcels in row order:
    # 东亭 街道 (A, E) -> 东亭街道 (2 rows); 安镇 街道 (C) -> 安镇街道 (1 row); 锡北 has no
    # park: 锡北 镇 (S, row 3) is met before 锡北镇 (F, row 7) -> 锡北镇 counted as 锡北 镇.
    parcels, parks, buildings = _quality_layers()
    parcels["town"] = [
        None,
        "东亭 街道",
        "东亭街道",
        "锡北 镇",
        "安镇 街道",
        None,
        "东亭 街道",
        "锡北镇",
    ]
    folder = write_partitions(parcels, buildings, tmp_path / "ds", parcels_per_partition=2, by=None)
    got = audit_partitioned(folder, parks, as_of="2026-06-30", parcels_out=tmp_path / "out")
    single = run(parks, parcels, buildings, as_of="2026-06-30")
    back = pd.read_parquet(tmp_path / "out").sort_values(ROW)
    towns = back["town"].astype(object).where(back["town"].notna(), None).tolist()
    assert towns[1:5] + towns[6:] == [
        "东亭街道",
        "东亭街道",
        "锡北 镇",
        "安镇街道",
        "东亭街道",
        "锡北 镇",
    ]
    want = single.parcels["town"].astype(object)
    assert towns == want.where(want.notna(), None).tolist()
    named = got.quality[got.quality["check"] == "name_normalised"]["detail"].tolist()
    assert named == [
        "'东亭 街道' counted as '东亭街道' (2 rows)",
        "'安镇 街道' counted as '安镇街道' (1 row)",
        "'锡北镇' counted as '锡北 镇' (1 row)",
    ]
    pd.testing.assert_frame_equal(_sorted(got.quality), _sorted(single.quality))
    pd.testing.assert_frame_equal(plain(got.towns), plain(single.towns))


@pytest.mark.parametrize(
    "towns",
    [
        # formulas (ASCII and full-width), a control character, number- and date-like text,
        # a blank: kept as written, in both audits
        [
            None,
            '=HYPERLINK("x")',
            "东亭\x07街道",
            "inf",
            "9999-12-31",
            None,
            '＝HYPERLINK("x")',
            " ",
        ],
        # a zero-width space, full-width letters, an empty string, the text "nan"
        [None, "东亭街道\u200b", "ＤＯＮＧ", "dong", "", None, "东亭街道", "nan"],
    ],
)
def test_dirty_own_towns_are_spelled_as_in_the_in_memory_audit(towns, tmp_path):
    parcels, parks, buildings = _quality_layers()
    parcels["town"] = towns
    folder = write_partitions(parcels, buildings, tmp_path / "ds", parcels_per_partition=2, by=None)
    got = audit_partitioned(folder, parks, as_of="2026-06-30", parcels_out=tmp_path / "out")
    single = run(parks, parcels, buildings, as_of="2026-06-30")
    back = pd.read_parquet(tmp_path / "out").sort_values(ROW)["town"].astype(object)
    want = single.parcels["town"].astype(object)
    assert back.where(back.notna(), None).tolist() == want.where(want.notna(), None).tolist()
    pd.testing.assert_frame_equal(_sorted(got.quality), _sorted(single.quality))
    pd.testing.assert_frame_equal(plain(got.towns), plain(single.towns))


def test_an_empty_buildings_layer_is_vacant_land_as_in_the_in_memory_audit(tmp_path):
    """A buildings layer without features gives every measured parcel a floor area of 0
    (vacant), in both audits: the dataset keeps one empty building file (there was none,
    and the tasks stopped on 'Missing geo metadata'). A layer without parcels is a named
    error."""
    parcels, parks, buildings = _quality_layers()
    none = buildings.iloc[:0]
    folder = write_partitions(parcels, none, tmp_path / "ds", parcels_per_partition=2)
    assert [e["rows"] for e in read_partition_index(folder)["buildings"]] == [0]
    # strict JSON: the empty file's extent is null, not NaN (which other readers refuse)
    text = (folder / "partitions.json").read_text(encoding="utf-8")

    def refuse(name):
        raise ValueError(f"{name} in partitions.json")

    strict = json.loads(text, parse_constant=refuse)
    assert [e["bounds"] for e in strict["buildings"]] == [[None] * 4]
    single = run(parks, parcels, none, as_of=AS_OF)
    got = audit_partitioned(folder, parks, as_of=AS_OF, parcels_out=tmp_path / "out")
    back = pd.read_parquet(tmp_path / "out").sort_values(ROW).reset_index(drop=True)
    assert back["floor_area"].tolist() == [0.0] * 8
    assert back["floor_area_source"].tolist() == ["buildings"] * 8
    pd.testing.assert_frame_equal(plain(got.parcels), plain(action_parcels(single.parcels)))
    for name in ("parks", "towns", "district", "blocks"):
        pd.testing.assert_frame_equal(plain(getattr(got, name)), plain(getattr(single, name)))
    pd.testing.assert_frame_equal(_sorted(got.quality), _sorted(single.quality))
    with pytest.raises(DataError, match=r"^the parcels layer has no features: there is nothing"):
        write_partitions(parcels.iloc[:0], buildings, tmp_path / "empty")
    assert not (tmp_path / "empty").exists()


def test_a_dataset_whose_files_do_not_match_its_index_is_one_named_error(tmp_path):
    """Files deleted, replaced by another dataset's, added or cut, and an edited CRS: all
    named at once, before any task runs (a missing file stopped on FileNotFoundError, a
    building file of another dataset in buildings/ was read as this one's, a partition of
    another dataset in its place was audited as this one's)."""
    from click.testing import CliRunner

    from xsland.cli import main
    from xsland.errors import ValidationError

    parcels, parks, buildings = _quality_layers()
    folder = write_partitions(parcels, buildings, tmp_path / "ds", parcels_per_partition=2)
    other = parcels.assign(parcel_id="other-" + parcels["parcel_id"])
    elsewhere = write_partitions(other, buildings, tmp_path / "other", parcels_per_partition=2)
    (folder / "parcels" / "part-00001.parquet").unlink()
    for name in ("part-00002.parquet", "part-00009.parquet"):  # in place of one; one more
        (folder / "parcels" / name).write_bytes(
            (elsewhere / "parcels" / "part-00002.parquet").read_bytes()
        )
    (folder / "buildings" / "part-00007.parquet").write_bytes(
        (elsewhere / "buildings" / "part-00000.parquet").read_bytes()
    )
    (folder / "buildings" / "part-00001.parquet").write_text("not parquet", encoding="utf-8")
    cut = folder / "parcels" / "part-00003.parquet"
    gpd.read_parquet(cut).iloc[:1].to_parquet(cut, write_covering_bbox=True)
    index = folder / "partitions.json"
    index.write_text(index.read_text(encoding="utf-8").replace("Projected", "P"), "utf-8")
    with pytest.raises(ValidationError) as err:
        audit_partitioned(folder, parks, as_of=AS_OF, parcels_out=tmp_path / "out")
    again = "write the dataset again with `xsland partition --overwrite`"
    listed = "not listed in partitions.json: its rows would be left out"
    sizes = [(folder / "parcels" / f"part-0000{k}.parquet").stat().st_size for k in (2, 3)]
    written = [e["bytes"] for e in json.loads(index.read_text("utf-8"))["parcels"]]
    assert [(Path(p.file).name, p.message, p.fix) for p in err.value.problems] == [
        ("partitions.json", "the crs it records is not a coordinate reference system",
         f"{again} (do not edit partitions.json)"),
        ("part-00001.parquet", "missing", f"put the file back, or {again}"),
        ("part-00002.parquet", f"holds {sizes[0]} bytes, partitions.json records "
         f"{written[2]}: not the file the dataset was written with", again),
        ("part-00003.parquet", "holds 1 row, partitions.json records 2", again),
        ("part-00003.parquet", f"holds {sizes[1]} bytes, partitions.json records "
         f"{written[3]}: not the file the dataset was written with", again),
        ("part-00009.parquet", listed, f"remove it (from another dataset?), or {again}"),
        ("part-00001.parquet", "not a Parquet file (Parquet magic bytes not found in footer. "
         "Either the file is corrupted or this is not a parquet file.)", again),
        ("part-00007.parquet", listed, f"remove it (from another dataset?), or {again}"),
    ]  # fmt: skip
    assert [p.layer for p in err.value.problems] == ["", *["parcels"] * 5, *["buildings"] * 2]
    assert not (tmp_path / "out").exists()
    parks.to_file(tmp_path / "parks.gpkg")
    args = ["audit", "--parks", str(tmp_path / "parks.gpkg"), "--partitions", str(folder)]
    result = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "o"), "--no-progress"])
    assert result.exit_code == 1, result.output
    assert result.output.startswith(
        f"error: {folder}: the partitioned dataset does not match partitions.json:\n  - file "
        f"{folder / 'partitions.json'}: the crs it records is not a coordinate reference system"
    )
    assert not (tmp_path / "o").exists()


def test_other_files_left_in_a_dataset_are_not_read(tmp_path):
    """A note or a hidden file beside the partitions: the tasks read the files the index
    lists, so the audit is the in-memory one (a text file in parcels/ stopped the halo
    reads on ArrowInvalid)."""
    parcels, parks, buildings = _quality_layers()
    folder = write_partitions(parcels, buildings, tmp_path / "ds", parcels_per_partition=2)
    for name in ("parcels/notes.txt", "buildings/.DS_Store", "buildings/README"):
        (folder / name).write_text("left here by a user", encoding="utf-8")
    got = audit_partitioned(folder, parks, as_of=AS_OF, parcels_out=tmp_path / "out")
    single = run(parks, parcels, buildings, as_of=AS_OF)
    pd.testing.assert_frame_equal(_sorted(got.quality), _sorted(single.quality))
    pd.testing.assert_frame_equal(plain(got.parcels), plain(action_parcels(single.parcels)))
    pd.testing.assert_frame_equal(plain(got.blocks), plain(single.blocks))


def test_the_default_parcel_table_folder_is_beside_the_dataset(tmp_path, monkeypatch):
    """Without ``parcels_out`` the full table goes to ``<dataset>.parcels`` beside the
    dataset, also for a path ending in a slash or ".": it went into the dataset as
    ``ds/.parcels``."""
    parcels, parks, buildings = _quality_layers()
    folder = write_partitions(parcels, buildings, tmp_path / "ds", parcels_per_partition=4)
    inside = sorted(p.name for p in folder.iterdir())
    got = audit_partitioned(f"{folder}/", parks, as_of=AS_OF)
    assert got.parcels_path == str(tmp_path / "ds.parcels")
    monkeypatch.chdir(folder)
    again = audit_partitioned(".", parks, as_of=AS_OF)
    assert again.parcels_path == str(tmp_path / "ds.parcels")
    assert sorted(p.name for p in folder.iterdir()) == inside
    assert len(pd.read_parquet(tmp_path / "ds.parcels")) == len(parcels)


def test_a_parcels_out_of_someone_elses_files_is_refused_before_anything_is_read(tmp_path):
    """``parcels_out`` is replaced when xsland wrote it; a folder of other files was
    deleted without a word (``shutil.rmtree``), a file stopped on NotADirectoryError."""
    from xsland._atomic import MARKER
    from xsland.errors import OutputTargetError

    parcels, parks, buildings = _quality_layers()
    folder = write_partitions(parcels, buildings, tmp_path / "ds", parcels_per_partition=4)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("kept", encoding="utf-8")
    (tmp_path / "a_file").write_text("kept", encoding="utf-8")
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(OutputTargetError) as err:
        audit_partitioned(folder, parks, as_of=AS_OF, parcels_out=mine)
    assert str(err.value) == (
        f"{mine} (the full parcel table's folder) is not an xsland output folder (it has no "
        f"{MARKER} marker), so it is not replaced, even with --overwrite; Fix: give a new "
        "folder with parcels_out=, or move its contents away yourself"
    )
    assert err.value.check == "marker"
    with pytest.raises(OutputTargetError, match=r"exists and is not a folder") as err:
        audit_partitioned(folder, parks, as_of=AS_OF, parcels_out=tmp_path / "a_file")
    assert err.value.check == "kind"
    # nothing written or removed: no stage, no table, the files as they were
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert (mine / "notes.txt").read_text(encoding="utf-8") == "kept"
    # an empty folder, then the table written there (marked), are replaced
    (tmp_path / "empty").mkdir()
    got = audit_partitioned(folder, parks, as_of=AS_OF, parcels_out=tmp_path / "empty")
    assert (tmp_path / "empty" / MARKER).is_file()
    again = audit_partitioned(folder, parks, as_of=AS_OF, parcels_out=tmp_path / "empty")
    assert again.parcels_path == got.parcels_path == str(tmp_path / "empty")
    assert len(pd.read_parquet(tmp_path / "empty")) == len(parcels)  # the marker is not read


def test_a_layer_with_a_row_column_of_its_own_is_refused(tmp_path):
    """``_row`` is the dataset's position column: a layer's own ``_row`` was overwritten,
    and its values were missing from the partitioned audit's parcels (the in-memory audit
    keeps them); a ``bbox`` column stopped the writing on a ValueError. Both layers are
    named at once."""
    from xsland.errors import ValidationError

    parcels, _, buildings = _quality_layers()
    parcels["_row"] = [f"r{i}" for i in range(len(parcels))]
    parcels.attrs["source"] = {"file": "parcels.gpkg", "layer": "parcels"}
    buildings["_row"] = 7
    buildings["bbox"] = "x"  # GeoParquet's covering column: to_parquet raised ValueError
    with pytest.raises(ValidationError) as err:
        write_partitions(parcels, buildings, tmp_path / "ds")
    own = "the column _row is the dataset's own (each row's position in the layer): its "
    box = (
        "the column bbox is the dataset's own (each row's bounding box, by which the tasks "
        "read what lies near them): its "
    )
    assert [str(p) for p in err.value.problems] == [
        f"file parcels.gpkg, layer 'parcels', column '_row': {own}values would be lost. "
        "Fix: rename the column _row in the parcels layer",
        f"layer 'buildings', column '_row': {own}values would be lost. "
        "Fix: rename the column _row in the buildings layer",
        f"layer 'buildings', column 'bbox': {box}values would be lost. "
        "Fix: rename the column bbox in the buildings layer",
    ]
    assert not (tmp_path / "ds").exists()


def test_a_damaged_dataset_is_named_before_a_cluster_starts(tmp_path, monkeypatch):
    """`xsland audit --partitions DS --engine dask`: the dataset's files are checked
    before the workers start (they were started, then the check failed)."""
    from click.testing import CliRunner

    from xsland.cli import main

    parcels, parks, buildings = _quality_layers()
    folder = write_partitions(parcels, buildings, tmp_path / "ds", parcels_per_partition=4)
    (folder / "parcels" / "part-00001.parquet").unlink()
    parks.to_file(tmp_path / "parks.gpkg")

    def no_cluster(*args, **kwargs):
        raise AssertionError("a cluster was started for a damaged dataset")

    monkeypatch.setattr("xsland.pipeline.engine.make_client", no_cluster)
    args = ["audit", "--parks", str(tmp_path / "parks.gpkg"), "--partitions", str(folder)]
    args += ["--out", str(tmp_path / "o"), "--engine", "dask", "--workers", "2"]
    result = CliRunner().invoke(main, [*args, "--no-progress"])
    assert result.exit_code == 1, result.output
    assert result.output == (
        f"error: {folder}: the partitioned dataset does not match partitions.json:\n"
        f"  - file {folder / 'parcels' / 'part-00001.parquet'}, layer 'parcels': missing. "
        "Fix: put the file back, or write the dataset again with `xsland partition "
        "--overwrite`\n"
    )
    assert not (tmp_path / "o").exists()


def test_a_partition_without_an_extent_has_no_links():
    """A partition whose parcels have no geometry has null bounds in the index (strict
    JSON): its link task finds nothing, without reading the dataset."""
    from xsland.pipeline.engine import _partition_links_read

    entry = {"file": "parcels/part-00000.parquet", "rows": 2, "bounds": [None] * 4}
    i, j = _partition_links_read("/nonexistent", entry, np.ones(2, bool), 15.0, np.empty(0))
    assert i.dtype == j.dtype == np.int64 and len(i) == len(j) == 0


def _twin_parcels() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Four 100 m parcels in a row, IDs of one length: two partitions of two whose files
    hold the same number of rows and, as the test checks, the same number of bytes."""
    parcels = gpd.GeoDataFrame(
        {"parcel_id": ["P1", "P2", "P3", "P4"], "land_use": ["100101"] * 4},
        geometry=[_qbox(x, 0, 100, 100) for x in (0, 200, 400, 600)],
        crs="EPSG:4549",
    )
    parks = gpd.GeoDataFrame(
        {"park_id": ["K1"], "name": ["一园"], "town": ["东亭街道"]},
        geometry=[_qbox(-10, -10, 720, 120)],
        crs="EPSG:4549",
    )
    return parcels, parks


def test_a_partition_swapped_for_one_of_the_same_size_and_rows_is_named(tmp_path):
    """Two files of a dataset swapped, or one rewritten with its rows in another order:
    rows and bytes as recorded, so nothing told them apart and the tasks read another
    partition's parcels as this one's. The Parquet footer (statistics, row groups) differs
    and is recorded (``footer`` in partitions.json): both are named before any task runs."""
    from xsland.errors import ValidationError
    from xsland.pipeline.engine import check_partition_files, footer_digest

    parcels, parks = _twin_parcels()
    folder = write_partitions(parcels, None, tmp_path / "ds", parcels_per_partition=2)
    index = read_partition_index(folder)
    first, second = (folder / e["file"] for e in index["parcels"])
    assert [e["rows"] for e in index["parcels"]] == [2, 2]
    assert first.stat().st_size == second.stat().st_size  # what makes the swap silent
    assert [e["footer"] for e in index["parcels"]] == [footer_digest(first), footer_digest(second)]
    check_partition_files(folder)  # as written: fine
    a, b = first.read_bytes(), second.read_bytes()
    first.write_bytes(b)
    second.write_bytes(a)
    with pytest.raises(ValidationError) as err:
        audit_partitioned(folder, parks, as_of=AS_OF, parcels_out=tmp_path / "out")
    said = "its Parquet footer (schema, row groups, statistics) is not the one partitions.json "
    assert [(Path(p.file).name, p.message) for p in err.value.problems] == [
        (first.name, said + "records: not the file the dataset was written with"),
        (second.name, said + "records: not the file the dataset was written with"),
    ]
    assert not (tmp_path / "out").exists()
    # a file without a Parquet footer has no digest (named as "not a Parquet file" first)
    assert footer_digest(tmp_path / "ds" / "partitions.json") == ""


def test_an_audit_of_a_dataset_whose_sources_changed_warns(tmp_path):
    """The parcels layer edited after ``xsland partition``: the audit of the dataset still
    gives the parcels as they were, so it says so and names the fix (it said nothing).
    Unchanged sources, and sources not on this machine (a dataset copied to a cluster's
    storage), warn nothing."""
    import os
    import warnings

    from xsland.errors import StaleDatasetWarning

    parcels, parks = _twin_parcels()
    source = tmp_path / "parcels.gpkg"
    parcels.to_file(source)
    folder = write_partitions(
        parcels, None, tmp_path / "ds", parcels_per_partition=2, sources={"parcels": str(source)}
    )
    assert read_partition_index(folder)["source_files"] == {
        "parcels": [[str(source), source.stat().st_size, source.stat().st_mtime_ns]]
    }
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        audit_partitioned(folder, parks, as_of=AS_OF, parcels_out=tmp_path / "out")
    st = source.stat()
    os.utime(source, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))  # saved again
    with pytest.warns(StaleDatasetWarning) as caught:
        audit_partitioned(folder, parks, as_of=AS_OF, parcels_out=tmp_path / "out")
    assert [str(w.message) for w in caught] == [
        f"parcels: {source} changed after the partitioned dataset was written from it: the "
        "audit uses the dataset, not the file as it is now. Fix: write the dataset again "
        "with `xsland partition --overwrite`"
    ]
    source.unlink()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        audit_partitioned(folder, parks, as_of=AS_OF, parcels_out=tmp_path / "out")


def test_a_shapefile_source_is_compared_with_its_attribute_file(tmp_path):
    """A Shapefile's attributes live in its ``.dbf``: an edited land use changes the
    ``.dbf`` only, and the dataset is as stale as when the shapes changed."""
    import os

    from xsland.pipeline.engine import changed_sources, source_signatures

    parcels, _ = _twin_parcels()
    shp = tmp_path / "parcels.shp"
    parcels.to_file(shp)
    signatures = source_signatures({"parcels": str(shp)})
    assert [Path(f).suffix for f, _, _ in signatures["parcels"]] == [
        ".shp", ".dbf", ".shx", ".prj", ".cpg",
    ]  # fmt: skip
    index = {"source_files": signatures}
    assert changed_sources(index) == []
    dbf = shp.with_suffix(".dbf")
    st = dbf.stat()
    os.utime(dbf, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    assert [m.split(" changed")[0] for m in changed_sources(index)] == [f"parcels: {dbf}"]
    assert changed_sources({"source_files": {"parcels": [["x", "y"]], "b": "z"}}) == []
    assert changed_sources({}) == []
