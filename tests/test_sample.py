"""The synthetic Xishan sample: deterministic, complete, and every planted defect really there."""

from __future__ import annotations

import datetime as dt
import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import rasterio
import shapely

import xsland.tools.sample as sample_mod
from xsland.errors import OutputExistsError
from xsland.tools.sample import (
    DEFECT_KEYS,
    POLICY_DATE,
    ensure_sample,
    generate_sample,
    sample_dir,
)

LAYERS = ("parks", "parcels", "buildings", "plan")
GBK_COLUMNS = ["地块编号", "用地性质", "权利人", "用地面积", "所属镇街"]
INDICATOR_COLUMNS = ["园区编号", "年度", "招商活动场次", "省级以上创新平台", "产业基金规模"]
CATEGORIES = {
    "new_industrial",
    "standard_factory",
    "new_type_industrial",
    "industrial",
    "logistics",
    "other",
}


@pytest.fixture(scope="module")
def layers(sample):
    return {name: gpd.read_file(sample.gpkg, layer=name) for name in LAYERS}


@pytest.fixture(scope="module")
def defects(sample) -> dict:
    return json.loads(sample.defects.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def enterprises(sample) -> pd.DataFrame:
    return pd.read_csv(sample.enterprises, encoding="utf-8-sig", dtype=str)


@pytest.fixture(scope="module")
def parcels(layers) -> gpd.GeoDataFrame:
    """The parcels with repaired geometry, area and the share of it inside a park."""
    p = layers["parcels"].copy()
    p["raw"] = p.geometry
    p["geometry"] = shapely.make_valid(p.geometry.to_numpy())
    p["area"] = p.area
    parks = layers["parks"].union_all()
    p["inside"] = shapely.area(shapely.intersection(p.geometry.to_numpy(), parks)) / p["area"]
    # the park each parcel (mostly) lies in
    park_of = gpd.sjoin(
        gpd.GeoDataFrame(geometry=p.representative_point(), crs=p.crs),
        layers["parks"][["park_id", "geometry"]],
        how="left",
        predicate="within",
    )
    p["park_id"] = park_of.groupby(level=0)["park_id"].first()
    return p


def frames_equal(a: pd.DataFrame, b: pd.DataFrame) -> None:
    if isinstance(a, gpd.GeoDataFrame):
        assert a.crs == b.crs
        a, b = a.to_wkb(), b.to_wkb()
    pd.testing.assert_frame_equal(a, b)


# --- files, determinism, writing ------------------------------------------------------


def test_every_file_is_written_and_no_temporary_is_left(sample):
    assert sample.missing() == []
    assert [p.name for p in sample.root.parent.iterdir()] == ["xishan"]


def test_same_seed_gives_the_same_data(sample, layers, tmp_path):
    again = generate_sample(tmp_path / "again")
    for name in LAYERS:
        frames_equal(layers[name], gpd.read_file(again.gpkg, layer=name))
    assert again.enterprises.read_bytes() == sample.enterprises.read_bytes()
    assert again.defects.read_bytes() == sample.defects.read_bytes()
    frames_equal(pd.read_excel(sample.indicators), pd.read_excel(again.indicators))
    for suffix in (".shp", ".shx", ".dbf", ".prj"):
        a, b = sample.gbk_shapefile.with_suffix(suffix), again.gbk_shapefile.with_suffix(suffix)
        assert a.read_bytes() == b.read_bytes(), suffix
    with rasterio.open(sample.landcover) as a, rasterio.open(again.landcover) as b:
        assert a.transform == b.transform
        assert np.array_equal(a.read(1), b.read(1))


def test_existing_output_is_not_overwritten(sample):
    before = sample.defects.read_bytes()
    with pytest.raises(OutputExistsError, match="overwrite=True"):
        generate_sample(sample.root)
    assert issubclass(OutputExistsError, FileExistsError)
    assert sample.defects.read_bytes() == before


def _fake_writer(out, seed):
    (out / "seed.txt").write_text(str(seed))


def test_overwrite_replaces_the_directory_at_once(tmp_path, monkeypatch):
    monkeypatch.setattr(sample_mod, "_write_sample", _fake_writer)
    target = tmp_path / "s"
    target.mkdir()  # an empty directory may be used without overwrite
    generate_sample(target, seed=1)
    (target / "old.txt").write_text("old")
    generate_sample(target, seed=2, overwrite=True)
    assert sorted(p.name for p in target.iterdir()) == ["seed.txt"]
    assert (target / "seed.txt").read_text() == "2"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s"]


def test_a_failed_run_leaves_nothing_half_written(tmp_path, monkeypatch):
    def failing(out, seed):
        (out / "half.txt").write_text("half")
        raise RuntimeError("disk full")

    monkeypatch.setattr(sample_mod, "_write_sample", failing)
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "keep.txt").write_text("keep")
    with pytest.raises(RuntimeError, match="disk full"):
        generate_sample(tmp_path / "s", overwrite=True)
    with pytest.raises(RuntimeError, match="disk full"):
        generate_sample(tmp_path / "new")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s"]
    assert sorted(p.name for p in (tmp_path / "s").iterdir()) == ["keep.txt"]


def test_ensure_sample_generates_only_when_missing(sample, tmp_path, monkeypatch):
    assert sample_dir().parts[-2:] == ("data", "xishan")
    stamp = sample.defects.stat().st_mtime_ns
    assert ensure_sample(sample.root) == sample
    assert sample.defects.stat().st_mtime_ns == stamp
    calls = []

    def fake(out, seed):
        calls.append(seed)
        (out / "defects.json").write_text("{}")

    monkeypatch.setattr(sample_mod, "_write_sample", fake)
    assert ensure_sample(tmp_path / "fresh").root == tmp_path / "fresh"
    assert calls == [sample_mod.DEFAULT_SEED]
    with pytest.raises(OutputExistsError, match="overwrite"):
        ensure_sample(tmp_path / "fresh")  # exists but incomplete: not silently replaced


# --- counts and parks -----------------------------------------------------------------


def test_counts(layers, enterprises, parcels):
    parks = layers["parks"]
    assert parks.crs.to_epsg() == 4549
    assert all(layers[name].crs.to_epsg() == 4549 for name in LAYERS)
    assert parks["park_id"].nunique() == 8
    assert set(parks["park_type"]) == {"district", "carrier"}
    assert 2600 <= len(layers["parcels"]) <= 3400
    assert 5400 <= len(layers["buildings"]) <= 6600
    assert 700 <= len(enterprises) <= 900
    outside = (parcels["inside"] < 0.01).mean()
    assert 0.07 <= outside <= 0.13
    usual = parcels["area"].between(3000, 30000).mean()
    assert usual >= 0.7


def test_park_areas_and_zones(layers, defects):
    parks = layers["parks"]
    area = parks.dissolve("park_id").area / 1e6
    types = parks.groupby("park_id")["park_type"].first()
    assert list(area[area > 3].index) == [defects["oversize_park"]]
    assert types[defects["oversize_park"]] == "district"
    others = area.drop(defects["oversize_park"])
    assert others[types == "district"].between(1.5, 2.8).all()
    assert others[types == "carrier"].between(0.2, 0.8).all()
    zones = parks.groupby("park_id")["zone"].apply(sorted)
    for park_id, z in zones.items():
        assert z == (["core", "expansion"] if types[park_id] == "district" else ["core"])
    towns = parks.groupby("park_id")["town"].first()
    assert towns.value_counts().max() == 2  # one town has two parks, the others one
    assert parks.geometry.is_valid.all()
    assert not shapely.overlaps(*np.meshgrid(parks.geometry, parks.geometry)).any()


def test_defects_json_lists_every_key(defects):
    assert list(defects) == list(DEFECT_KEYS)


# --- the planted parcel defects ------------------------------------------------------


def test_invalid_parcels_are_exactly_the_self_intersecting_ones(parcels, defects):
    invalid = parcels.loc[~parcels["raw"].is_valid, "parcel_id"]
    assert sorted(invalid) == sorted(defects["self_intersecting"])
    assert len(invalid) >= 3
    for reason in shapely.is_valid_reason(parcels.loc[invalid.index, "raw"]):
        assert reason.startswith("Self-intersection")


def test_slivers_are_exactly_the_listed_ones(parcels, defects):
    mean_width = 2 * parcels["area"] / parcels.length
    sliver = (parcels["area"] < 100) | (mean_width < 2)
    assert sorted(parcels.loc[sliver, "parcel_id"]) == sorted(defects["slivers"])
    assert len(defects["slivers"]) >= 4


def test_exactly_one_duplicated_id(parcels, defects):
    counts = parcels["parcel_id"].value_counts()
    assert list(counts[counts > 1].index) == defects["duplicate_id"]
    assert counts[defects["duplicate_id"][0]] == 2
    twins = parcels[parcels["parcel_id"] == defects["duplicate_id"][0]]
    assert not twins.geometry.iloc[0].equals(twins.geometry.iloc[1])
    assert parcels["parcel_id"].notna().all()


def test_only_the_listed_parcels_straddle_a_park_boundary(parcels, defects):
    straddle = parcels["inside"].between(0.01, 0.99)
    assert sorted(parcels.loc[straddle, "parcel_id"]) == sorted(defects["straddling"])
    listed = parcels[parcels["parcel_id"].isin(defects["straddling"])]
    assert 1 <= len(listed) <= 2
    assert listed["inside"].between(0.2, 0.8).all()


def test_multipolygons_are_the_listed_ones(parcels, defects):
    multi = parcels[parcels["raw"].geom_type == "MultiPolygon"]
    assert sorted(multi["parcel_id"]) == sorted(defects["multipolygon"])
    assert (shapely.get_num_geometries(multi["raw"]) == 2).all()
    assert multi["raw"].is_valid.all()
    assert set(parcels["raw"].geom_type) == {"Polygon", "MultiPolygon"}  # nothing promoted


def test_regular_parcels_do_not_overlap(parcels):
    geoms = parcels.geometry.to_numpy()
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = left < right
    shared = shapely.area(shapely.intersection(geoms[left[keep]], geoms[right[keep]]))
    assert shared.max() < 0.01


def test_parcels_tile_their_blocks_with_slanted_shared_boundaries(parcels):
    # a street block is a group of parcels that touch; its parcels tile it: their areas
    # add up to the block's rectangle (no gaps); most boundaries between neighbours are
    # slanted, so most parcels are quadrilaterals that are not rectangles
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    raw = parcels["raw"].to_numpy()
    clean = shapely.is_valid(raw) & (shapely.get_type_id(raw) == 3)  # Polygon
    geoms = parcels.geometry.to_numpy()[clean]
    left, right = shapely.STRtree(geoms).query(geoms, predicate="touches")
    graph = coo_matrix((np.ones(len(left)), (left, right)), shape=(len(geoms),) * 2)
    n, label = connected_components(graph, directed=False)
    area = np.bincount(label, weights=shapely.area(geoms))
    blocks = shapely.envelope(
        np.array([shapely.multipolygons(geoms[label == k]) for k in range(n)])
    )
    size = np.bincount(label)
    tiled = np.isclose(area, shapely.area(blocks), rtol=1e-6)
    assert n > 150 and tiled[size >= 4].mean() > 0.9
    rectangles = np.isclose(shapely.area(geoms), shapely.area(shapely.envelope(geoms)), rtol=1e-9)
    assert rectangles.mean() < 0.1
    assert (shapely.get_num_coordinates(geoms) == 5).mean() > 0.99  # quadrilaterals


def test_declared_area_mismatches_are_the_listed_ones(parcels, defects):
    off = (parcels["declared_area"] / parcels["area"] - 1).abs() > 0.05
    assert sorted(parcels.loc[off, "parcel_id"]) == sorted(defects["declared_area_mismatch"])
    assert parcels["declared_area"].notna().all()


# --- buildings --------------------------------------------------------------------


def _building_overlaps(parcels, buildings):
    """(building index, parcel index, shared area) for every intersecting pair."""
    b, p = shapely.STRtree(parcels.geometry.to_numpy()).query(
        buildings.geometry.to_numpy(), predicate="intersects"
    )
    shared = shapely.area(
        shapely.intersection(buildings.geometry.to_numpy()[b], parcels.geometry.to_numpy()[p])
    )
    return pd.DataFrame({"b": b, "p": p, "shared": shared})


def test_buildings_outside_and_across_parcels_are_the_listed_ones(parcels, layers, defects):
    buildings = layers["buildings"]
    pairs = _building_overlaps(parcels, buildings)
    pairs = pairs[pairs["shared"] > 1.0]
    outside = np.setdiff1d(np.arange(len(buildings)), pairs["b"])
    assert sorted(buildings["building_id"].iloc[outside]) == sorted(defects["buildings_outside"])
    across = pairs.groupby("b").size()
    across = buildings["building_id"].iloc[across[across > 1].index]
    assert sorted(across) == sorted(defects["buildings_straddling"])
    assert len(defects["buildings_outside"]) >= 3
    assert buildings["building_id"].is_unique


def test_building_attributes(layers):
    b = layers["buildings"]
    assert 0.1 <= b["floors"].isna().mean() <= 0.3
    assert b.loc[b["floors"].isna(), "height"].notna().all()
    halls = b[(b["floors"] == 1) & (b["storey_height"] > 8)]
    assert 50 <= len(halls) <= 0.25 * len(b)
    assert set(b["use"]) == {"industrial", "office", "warehouse", "dormitory"}
    assert b.geometry.is_valid.all()


def test_plot_ratios_vary(parcels, layers, defects):
    """Existing industrial land mostly 0.6–1.6; new land both below and above its minimum."""
    b = layers["buildings"]
    floors = b["floors"].astype(float).fillna((b["height"] / 4.5).round()).clip(lower=1)
    counted = np.where(b["storey_height"].fillna(0) > 8, 2 * floors, floors)
    pairs = _building_overlaps(parcels, b)
    gfa = (pairs["shared"] * counted[pairs["b"]]).groupby(pairs["p"]).sum()
    far = gfa.reindex(range(len(parcels)), fill_value=0.0).to_numpy() / parcels["area"].to_numpy()
    cat = parcels["category"].to_numpy()
    built = far > 0
    existing = far[(cat == "industrial") & built]
    assert 0.6 <= np.median(existing) <= 1.6
    assert np.mean((existing >= 0.6) & (existing <= 1.6)) >= 0.6
    for category, minimum in [
        ("new_industrial", 1.5),
        ("standard_factory", 2.0),
        ("new_type_industrial", 2.5),
    ]:
        values = far[(cat == category) & built]
        assert (values < minimum).any() and (values >= minimum).any(), category
    vacant = parcels["parcel_id"].isin(defects["vacant_parcels"]).to_numpy()
    assert not built[vacant].any()
    assert set(defects["idle_parcels"]) <= set(defects["vacant_parcels"])
    assert len(defects["idle_parcels"]) >= 5


# --- attributes, plan, enterprises, indicators ---------------------------------------


def test_parcel_attributes(parcels):
    assert set(parcels["category"].dropna()) == CATEGORIES
    assert 0.2 <= parcels["category"].isna().mean() <= 0.4
    # on record only where every building states its storeys (data/README.md: 17 % of built)
    assert 0.12 <= parcels["floor_area"].notna().mean() <= 0.25
    supply = parcels["supply_date"].dropna().dt.date
    assert supply.min() >= dt.date(2005, 1, 1) and supply.max() <= dt.date(2026, 12, 31)
    assert (supply == POLICY_DATE).sum() == 1  # "on or after" is exercised
    assert (supply > POLICY_DATE).sum() >= 10
    recent = parcels[parcels["start_deadline"].notna()]
    months = (recent["start_deadline"] - recent["supply_date"]).dt.days / 30.44
    assert months.between(5.8, 12.2).all()
    codes = set(parcels["land_use"])
    assert {"100101", "100102", "100103", "1101", "M0", "0901", "1207"} <= codes
    assert parcels["town"].notna().all()


def test_plan_covers_the_parks_and_differs_only_on_listed_parcels(parcels, layers, defects):
    plan, parks = layers["plan"], layers["parks"]
    assert plan.is_valid.all()
    assert abs(plan.area.sum() - parks.union_all().area) < 1.0  # covers, no overlaps
    in_park = parcels[parcels["inside"] > 0.01]
    left, right = shapely.STRtree(plan.geometry.to_numpy()).query(
        in_park.geometry.to_numpy(), predicate="intersects"
    )
    shared = shapely.area(
        shapely.intersection(in_park.geometry.to_numpy()[left], plan.geometry.to_numpy()[right])
    )
    best = pd.DataFrame({"p": left, "g": right, "a": shared}).sort_values("a").groupby("p").last()
    planned = plan["planned_use"].to_numpy()[best["g"]]
    differs = in_park["land_use"].to_numpy()[best.index] != planned
    assert sorted(in_park["parcel_id"].to_numpy()[best.index][differs]) == sorted(
        defects["nonconforming_use"]
    )


def test_enterprise_table(sample, enterprises, parcels):
    assert sample.enterprises.read_bytes().startswith(b"\xef\xbb\xbf")
    assert list(enterprises.columns) == [
        "enterprise_id",
        "name",
        "industry",
        "revenue",
        "tax",
        "eval_class",
        "chain_leader",
    ]
    assert enterprises["enterprise_id"].is_unique and enterprises["name"].is_unique
    assert set(enterprises["chain_leader"]) == {"true", "false"}
    assert set(enterprises["eval_class"].dropna()) == {"A", "B", "C", "D"}
    assert 0.05 <= enterprises["eval_class"].isna().mean() <= 0.15
    assert set(parcels["enterprise_id"].dropna()) <= set(enterprises["enterprise_id"])
    per_parcel = parcels["enterprise_id"].value_counts()
    assert (per_parcel > 1).sum() >= 100  # some own several parcels
    assert 0 < parcels["enterprise_id"].isna().mean() < 0.15


def test_park_enterprise_findings(parcels, enterprises, layers, defects):
    leading = layers["parks"].groupby("park_id")["leading_industry"].first()
    ent = enterprises.set_index("enterprise_id")
    no_data = defects["no_enterprise_data_park"]
    shares, leaders = {}, {}
    for park_id, group in parcels[parcels["park_id"].notna()].groupby("park_id"):
        ids = group["enterprise_id"].dropna().unique()
        if park_id == no_data:
            assert len(ids) == 0 and group["owner"].notna().any()
            continue
        assert len(ids) >= 10
        shares[park_id] = (ent.loc[ids, "industry"] == leading[park_id]).mean()
        leaders[park_id] = (ent.loc[ids, "chain_leader"] == "true").sum()
    assert sorted(p for p, n in leaders.items() if n == 0) == sorted(
        defects["no_chain_leader_parks"]
    )
    assert any(s >= 0.6 for s in shares.values()) and any(s < 0.6 for s in shares.values())


def test_indicators_have_chinese_headers(sample, layers, defects):
    ind = pd.read_excel(sample.indicators)
    assert list(ind.columns) == INDICATOR_COLUMNS
    assert set(ind["年度"]) == {2025, 2026}
    parks = set(layers["parks"]["park_id"]) - {defects["no_indicators_park"]}
    assert set(ind["园区编号"]) == parks
    assert len(ind) == 2 * len(parks)


# --- GBK shapefile and raster -----------------------------------------------------


def test_gbk_shapefile_needs_the_encoding(sample, parcels):
    shp = sample.gbk_shapefile
    assert not shp.with_suffix(".cpg").exists()
    assert shp.with_suffix(".dbf").read_bytes()[29] == 0
    right = pyogrio.read_dataframe(shp, encoding="GBK")
    assert list(right.columns[:-1]) == GBK_COLUMNS
    assert right.crs.to_epsg() == 4528
    assert right.total_bounds[0] > 40_000_000
    assert set(right["所属镇街"]) == {"锡北镇"}
    assert right["权利人"].str.contains("有限公司").any()
    town = parcels[parcels["town"] == "锡北镇"]
    assert sorted(right["地块编号"]) == sorted(town["parcel_id"])
    back = right.to_crs(4549).set_index("地块编号").loc[town["parcel_id"]]
    assert np.allclose(back.area, shapely.area(town["raw"]), rtol=1e-6)
    naive = pyogrio.read_dataframe(shp)
    assert not set(GBK_COLUMNS) & set(naive.columns)
    assert not naive.iloc[:, 4].eq("锡北镇").any()


def test_landcover_raster(sample, layers, defects):
    assert sample.landcover.stat().st_size < 3 * 1024 * 1024
    with rasterio.open(sample.landcover) as src:
        assert src.crs.to_epsg() == 4549
        assert src.nodata == 0
        assert src.dtypes == ("uint8",)
        assert src.res == (10.0, 10.0)
        assert src.profile["tiled"]
        assert src.compression.name.lower() == "deflate"
        left, bottom, right, top = layers["parks"].total_bounds
        assert src.bounds.left <= left - 200 and src.bounds.right >= right + 200
        assert src.bounds.bottom <= bottom - 200 and src.bounds.top >= top + 200
        cover = src.read(1)
        assert set(np.unique(cover)) <= {10, 30, 40, 50, 60, 80}
        big = layers["buildings"][layers["buildings"].area > 400]
        pts = big.representative_point()
        values = np.array([v[0] for v in src.sample(zip(pts.x, pts.y, strict=True))])
        assert (values == 50).mean() > 0.95
