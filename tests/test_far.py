"""Floor area, plot ratio and coverage on hand-made geometries (answers worked on paper).

All layers are in EPSG:4549 (CGCS2000 GK CM 120E, the cadastral plane near Xishan), where
a 100 m square is exactly 10 000 m². P1 = [X0, X0+100] × [Y0, Y0+100] and
P2 = [X0+100, X0+200] × [Y0, Y0+100] lie side by side.
"""

from __future__ import annotations

import datetime as dt
from unittest.mock import patch

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from xsland.errors import CRSError, DataError
from xsland.measure import far
from xsland.measure.far import categorise, counted_floors, plot_ratio
from xsland.rules.policy import DEFAULT_POLICY

X0, Y0 = 535_000.0, 3_496_000.0
CRS = "EPSG:4549"


def box(x0: float, y0: float, x1: float, y1: float) -> shapely.Polygon:
    """A rectangle in metres relative to (X0, Y0)."""
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def two_parcels(**columns) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"parcel_id": ["P1", "P2"], **columns},
        geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100)],
        crs=CRS,
    )


def buildings(geoms, **columns) -> gpd.GeoDataFrame:
    ids = [f"B{i + 1}" for i in range(len(geoms))]
    return gpd.GeoDataFrame({"building_id": ids, **columns}, geometry=list(geoms), crs=CRS)


# ---------------------------------------------------------------------------
# plot_ratio: footprints, floor areas, split by area
# ---------------------------------------------------------------------------


def test_building_inside_one_parcel():
    # 40 m × 20 m = 800 m² footprint, 3 floors -> 2400 m²; P1 is 100 × 100 = 10 000 m²
    # FAR = 2400 / 10 000 = 0.24, coverage = 800 / 10 000 = 0.08; P2 has no building.
    b = buildings([box(10, 10, 50, 30)], floors=[3])
    r = plot_ratio(two_parcels(), b)
    assert r.loc[0, "area_m2"] == pytest.approx(10_000.0)
    assert r.loc[0, "footprint_m2"] == pytest.approx(800.0)
    assert r.loc[0, "floor_area"] == pytest.approx(2400.0)
    assert r.loc[0, "far"] == pytest.approx(0.24)
    assert r.loc[0, "coverage"] == pytest.approx(0.08)
    assert r.loc[0, "floor_area_source"] == "buildings"
    # vacant P2: 0, not NaN, because a buildings layer was given
    assert r.loc[1, ["footprint_m2", "floor_area", "far", "coverage"]].tolist() == [0, 0, 0, 0]
    assert r.loc[1, "floor_area_source"] == "buildings"
    assert list(r.columns) == [
        "area_m2",
        "footprint_m2",
        "floor_area",
        "far",
        "coverage",
        "floor_area_source",
    ]


def test_straddling_building_is_split_half_half():
    # 20 × 20 m at x = 90..110: 10 × 20 = 200 m² in each parcel; 2 floors -> 400 m² each.
    b = buildings([box(90, 40, 110, 60)], floors=[2])
    r = plot_ratio(two_parcels(), b)
    assert r["footprint_m2"].tolist() == pytest.approx([200.0, 200.0])
    assert r["floor_area"].tolist() == pytest.approx([400.0, 400.0])
    # FAR 400 / 10 000 = 0.04, coverage 200 / 10 000 = 0.02
    assert r["far"].tolist() == pytest.approx([0.04, 0.04])
    assert r["coverage"].tolist() == pytest.approx([0.02, 0.02])


def test_building_floor_area_split_25_75_by_area():
    # 100 × 10 m at x = 75..175: 25 × 10 = 250 m² (25 %) in P1, 75 × 10 = 750 m² (75 %) in P2.
    # Own floor area 3000 m² -> 3000 × 0.25 = 750 and 3000 × 0.75 = 2250 (floors ignored).
    b = buildings([box(75, 0, 175, 10)], floors=[5], floor_area=[3000.0])
    r = plot_ratio(two_parcels(), b)
    assert r["floor_area"].tolist() == pytest.approx([750.0, 2250.0])
    assert r["footprint_m2"].tolist() == pytest.approx([250.0, 750.0])


def test_tall_single_storey_hall_counts_double():
    # 50 × 40 = 2000 m², one storey of 9 m > 8 m -> counts as 2 floors -> 4000 m².
    hall = box(10, 10, 60, 50)
    b = buildings([hall], floors=[1], storey_height=[9.0])
    assert plot_ratio(two_parcels(), b).loc[0, "floor_area"] == pytest.approx(4000.0)
    # rule switched off -> 1 floor -> 2000 m²
    off = DEFAULT_POLICY.replace(tall_storey_counts_double=False)
    assert plot_ratio(two_parcels(), b, policy=off).loc[0, "floor_area"] == pytest.approx(2000.0)
    # an office hall is not industrial -> not doubled -> 2000 m²
    office = buildings([hall], floors=[1], storey_height=[9.0], use=["office"])
    assert plot_ratio(two_parcels(), office).loc[0, "floor_area"] == pytest.approx(2000.0)
    # height 12 m with 1 floor and no storey height: storey = 12 / 1 = 12 m > 8 -> 4000 m²
    high = buildings([hall], floors=[1], height=[12.0])
    assert plot_ratio(two_parcels(), high).loc[0, "floor_area"] == pytest.approx(4000.0)


def test_counted_floors_rules():
    b = pd.DataFrame(
        {
            "building_id": list("abcdefghij"),
            "floors": [1, 1, 1, np.nan, np.nan, 2, 3, np.nan, 1, np.nan],
            "height": [np.nan, 12, np.nan, 13.5, 2.0, 16.0, 27.0, 11.25, np.nan, np.nan],
            "storey_height": [
                9.0,
                np.nan,
                9.0,
                np.nan,
                np.nan,
                np.nan,
                np.nan,
                np.nan,
                np.nan,
                np.nan,
            ],
            "use": [
                "工业厂房",
                None,
                "office",
                "industrial",
                "",
                "仓库",
                "Warehouse",
                "office",
                "住宅",
                "industrial",
            ],
        },
        index=[10, 11, 12, 13, 14, 15, 16, 17, 18, 19],
    )
    c = counted_floors(b)
    assert c.name == "counted_floors" and c.dtype == "float64"
    assert list(c.index) == list(b.index)
    # a: 1 floor, storey 9 > 8, use 工业厂房 contains 厂房 -> 2
    # b: 12 / 1 = 12 m > 8, use missing -> industrial -> 2
    # c: storey 9 but office -> 1
    # d: 13.5 / 4.5 (default) = 3 floors; storey unknown -> not doubled -> 3
    # e: 2 m / 4.5 = 0.44 -> rounds to 0 but at least 1 floor -> 1
    # f: 16 / 2 = 8 m, not *over* 8 -> 2
    # g: 27 / 3 = 9 m > 8, 'Warehouse' (case-insensitive) -> 6
    # h: 11.25 / 4.5 = 2.5 -> rounded half up -> 3
    # i: 1 floor, storey unknown -> 1
    # j: neither floors nor height -> NaN
    expected = [2, 2, 1, 3, 1, 2, 6, 3, 1, np.nan]
    np.testing.assert_array_equal(c.to_numpy(), np.array(expected, dtype=float))
    # without a use column every building is industrial: c counts 2
    assert counted_floors(b.drop(columns="use")).loc[12] == 2
    # a storey height given explicitly wins over height / floors, and sets floors from height:
    # 18 m / 9 m = 2 floors, storey 9 > 8 -> 4
    d = pd.DataFrame({"height": [18.0], "storey_height": [9.0]})
    assert counted_floors(d).iloc[0] == 4


def test_industrial_use_judges_each_distinct_use_and_spreads_it_to_its_rows():
    # distinct uses judged once, repeated in any order; spaces and case ignored
    uses = ["office", " 厂房 ", "office", None, "", "OFFICE", " 厂房 ", "Warehouse ", np.nan]
    for dtype in (object, "str"):
        b = pd.DataFrame({"use": pd.Series(uses, index=range(5, 14), dtype=dtype)})
        got = far._industrial_use(b)
        assert got.tolist() == [False, True, False, True, True, False, True, True, True]
    # numbers in an object column are text that names no industrial use
    assert far._industrial_use(pd.DataFrame({"use": [1, "仓储", 1.0]})).tolist() == [
        False,
        True,
        False,
    ]
    assert far._industrial_use(pd.DataFrame({"use": pd.Series([], dtype=object)})).size == 0


def test_height_only_building_uses_default_storey_height():
    # 13.5 m / 4.5 m default storey = 3 floors; 40 × 20 = 800 m² -> 2400 m²
    b = buildings([box(10, 10, 50, 30)], height=[13.5])
    assert plot_ratio(two_parcels(), b).loc[0, "floor_area"] == pytest.approx(2400.0)


def test_vacant_parcel_with_and_without_buildings_layer():
    b = buildings([box(10, 10, 50, 30)], floors=[3])
    with_layer = plot_ratio(two_parcels(), b)
    assert with_layer.loc[1, "far"] == 0.0
    without = plot_ratio(two_parcels())
    assert without[["footprint_m2", "floor_area", "far", "coverage"]].isna().all().all()
    assert (without["floor_area_source"] == "none").all()
    assert without["area_m2"].tolist() == pytest.approx([10_000.0, 10_000.0])


def test_parcel_floor_area_wins_and_declared_far_fallback():
    # P1 has its own floor area 15 000 -> FAR 1.5 whatever its buildings say (coverage still
    # from buildings: 800 / 10 000). P2 has no building and declared FAR 0.8 -> 8000 m².
    parcels = two_parcels(floor_area=[15_000.0, None], declared_far=[3.0, 0.8])
    b = buildings([box(10, 10, 50, 30)], floors=[3])
    r = plot_ratio(parcels, b)
    assert r["floor_area"].tolist() == pytest.approx([15_000.0, 8000.0])
    assert r["far"].tolist() == pytest.approx([1.5, 0.8])
    assert r["floor_area_source"].tolist() == ["parcel", "declared_far"]
    assert r.loc[0, "coverage"] == pytest.approx(0.08)
    # without buildings: P1 from its floor area, P2 from declared FAR
    r = plot_ratio(parcels)
    assert r["floor_area_source"].tolist() == ["parcel", "declared_far"]
    assert np.isnan(r.loc[0, "coverage"])


def test_buildings_win_over_declared_far():
    # P1 has a building (2400 m²) and a declared FAR 3.0: the buildings are measured -> 0.24
    parcels = two_parcels(declared_far=[3.0, None])
    r = plot_ratio(parcels, buildings([box(10, 10, 50, 30)], floors=[3]))
    assert r.loc[0, "far"] == pytest.approx(0.24)
    assert r.loc[0, "floor_area_source"] == "buildings"


def test_building_without_floors_is_reported_and_adds_nothing():
    # B1 (3 floors, 800 m² -> 2400) and B2 (no floors/height, 20 × 20) in P1; only B2 in P2.
    b = buildings(
        [box(10, 10, 50, 30), box(60, 60, 80, 80), box(150, 50, 170, 70)],
        floors=[3, np.nan, np.nan],
    )
    parcels = two_parcels()
    r = plot_ratio(parcels, b)
    assert r.loc[0, "floor_area"] == pytest.approx(2400.0)
    assert r.loc[0, "footprint_m2"] == pytest.approx(1200.0)  # 800 + 400
    # P2: its only building has unknown floors -> floor area unknown, not 0
    assert np.isnan(r.loc[1, "floor_area"]) and r.loc[1, "floor_area_source"] == "none"
    assert r.loc[1, "coverage"] == pytest.approx(0.04)  # 400 / 10 000
    quality = pd.DataFrame(r.attrs["quality"])
    assert quality["id"].tolist() == ["B2", "B3"]
    assert (quality["check"] == "missing_floors").all()
    assert (quality["layer"] == "buildings").all()
    # with a declared FAR, P2 falls back to it
    r = plot_ratio(two_parcels(declared_far=[None, 0.5]), b)
    assert r.loc[1, "floor_area"] == pytest.approx(5000.0)
    assert r.loc[1, "floor_area_source"] == "declared_far"


def test_coverage_over_100_percent_is_unknown_and_listed():
    # two overlapping buildings on P1, 100 × 100 and 100 × 90 (intersection over union
    # 0.9: not the same building twice): footprint 19 000 m² on 10 000 m² of land, 190 %:
    # a share cannot be that; unknown (never capped to 100 % and a pass) and listed.
    # P2 (no building): coverage 0
    b = buildings([box(0, 0, 100, 100), box(0, 0, 100, 90)], floors=[1, 1])
    r = plot_ratio(two_parcels(), b)
    assert r.loc[0, "footprint_m2"] == pytest.approx(19_000.0)
    assert np.isnan(r.loc[0, "coverage"]) and r.loc[1, "coverage"] == 0.0
    assert r.loc[0, "far"] == pytest.approx(1.9)
    (row,) = [q for q in r.attrs["quality"] if q["check"] == "share_out_of_range"]
    assert row["id"] == "P1" and "19,000 m² of 10,000 m²" in row["detail"]


def test_overlapping_parcels_and_missing_geometry():
    # A = [0,100]², C = [50,150] × [0,100] overlaps A; B has no geometry.
    # B1 = [60,90] × [10,30] (600 m², 1 floor) lies in A and in C -> 600 m² in each.
    # B3 = [90,110] × [40,60] (400 m², 3 floors): half (200 m²) in A, all in C.
    # A: 600 + 200 × 3 = 1200 m², footprint 800; C: 600 + 400 × 3 = 1800 m², footprint 1000.
    parcels = gpd.GeoDataFrame(
        {"parcel_id": ["A", "B", "C"], "floor_area": [None, 500.0, None]},
        geometry=[box(0, 0, 100, 100), None, box(50, 0, 150, 100)],
        crs=CRS,
    )
    b = buildings([box(60, 10, 90, 30), None, box(90, 40, 110, 60)], floors=[1, 2, 3])
    r = plot_ratio(parcels, b)
    assert r.loc[[0, 2], "floor_area"].tolist() == pytest.approx([1200.0, 1800.0])
    assert r.loc[[0, 2], "footprint_m2"].tolist() == pytest.approx([800.0, 1000.0])
    # B: own floor area kept, nothing measurable
    assert r.loc[1, "floor_area"] == 500.0 and r.loc[1, "floor_area_source"] == "parcel"
    assert r.loc[1, ["area_m2", "footprint_m2", "far", "coverage"]].isna().all()
    r = plot_ratio(parcels.assign(floor_area=None), b)
    assert np.isnan(r.loc[1, "floor_area"]) and r.loc[1, "floor_area_source"] == "none"


def test_buildings_in_another_crs_are_reprojected():
    b = buildings([box(90, 40, 110, 60)], floors=[2])
    r4549 = plot_ratio(two_parcels(), b)
    r4326 = plot_ratio(two_parcels(), b.to_crs("EPSG:4326"))
    np.testing.assert_allclose(r4326["floor_area"], r4549["floor_area"], rtol=1e-6)
    np.testing.assert_allclose(r4326["footprint_m2"], r4549["footprint_m2"], rtol=1e-6)


def test_geographic_parcels_are_measured_in_metres():
    parcels = two_parcels().to_crs("EPSG:4326")
    r = plot_ratio(parcels, buildings([box(10, 10, 50, 30)], floors=[3]))
    np.testing.assert_allclose(r["area_m2"], [10_000.0, 10_000.0], rtol=1e-4)
    assert r.loc[0, "far"] == pytest.approx(0.24, rel=1e-4)


def test_result_is_aligned_to_the_parcel_index():
    parcels = two_parcels().set_index(pd.Index(["x", "y"], name="key"))
    r = plot_ratio(parcels, buildings([box(10, 10, 50, 30)], floors=[3]))
    assert list(r.index) == ["x", "y"] and r.index.name == "key"
    assert r.loc["x", "floor_area"] == pytest.approx(2400.0)


def test_inputs_are_not_modified():
    parcels = two_parcels(
        floor_area=[None, None],
        declared_far=["0.5", None],
        land_use=["100101", "M0"],
        supply_date=["2025-09-01", None],
    )
    b = buildings([box(90, 40, 110, 60)], floors=["2"], height=[None]).to_crs("EPSG:4326")
    p0, b0 = parcels.copy(), b.copy()
    plot_ratio(parcels, b)
    counted_floors(b)
    categorise(parcels, explain=True)
    pd.testing.assert_frame_equal(parcels, p0)
    pd.testing.assert_frame_equal(b, b0)
    assert parcels.crs == p0.crs and b.crs == b0.crs


def test_bad_numbers_raise_naming_column_and_rows():
    b = buildings([box(10, 10, 50, 30), box(60, 60, 80, 80)], floors=["3", "three"])
    with pytest.raises(DataError, match=r"buildings: column 'floors'.*rows: B2.*Fix"):
        plot_ratio(two_parcels(), b)
    with pytest.raises(DataError, match=r"column 'declared_far' has negative.*P2"):
        plot_ratio(two_parcels(declared_far=[1.0, -1.0]))


def test_missing_crs_raises():
    b = buildings([box(10, 10, 50, 30)], floors=[3]).set_crs(None, allow_override=True)
    with pytest.raises(CRSError):
        plot_ratio(two_parcels(), b)


def test_empty_buildings_layer_makes_every_parcel_vacant():
    b = buildings([], floors=[])
    r = plot_ratio(two_parcels(), b)
    assert r["far"].tolist() == [0.0, 0.0]
    assert r.attrs["quality"] == []


# ---------------------------------------------------------------------------
# categorise
# ---------------------------------------------------------------------------


def test_categorise_rules():
    parcels = pd.DataFrame(
        {
            "parcel_id": [f"P{i}" for i in range(1, 13)],
            "category": [
                " Logistics ",
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                "",
                None,
                None,
                None,
            ],
            "land_use": [
                "100101",
                "100101",
                "100101",
                "100101",
                "M0",
                "1101",
                "10010201",
                "m1",
                "M2",
                "0701",
                None,
                100102.0,
            ],
            "supply_date": [
                "2020-01-01",
                "2025-08-28",
                "2025-08-29",
                None,
                "2026-01-01",
                "2026-01-01",
                "2025年9月1日",
                "2019-05-01",
                "2026-03-01",
                "2026-01-01",
                "2026-01-01",
                "2026-01-01",
            ],
            "standard_factory": [
                False,
                False,
                False,
                False,
                True,
                False,
                False,
                True,
                None,
                True,
                True,
                False,
            ],
        }
    )
    out = categorise(parcels, explain=True)
    assert list(out.columns) == ["category", "category_source"]
    assert out["category"].tolist() == [
        "logistics",  # P1: explicit column wins over land_use 100101
        "industrial",  # P2: supplied 2025-08-28, the day before the policy date
        "new_industrial",  # P3: supplied on the policy date 2025-08-29 -> new
        "industrial",  # P4: no supply date -> existing industrial
        "new_type_industrial",  # P5: M0 stays, standard_factory flag ignored
        "logistics",  # P6: 1101 logistics
        "new_industrial",  # P7: 10010201 -> longest prefix 100102; 2025-09-01 -> new
        "standard_factory",  # P8: m1 (case-insensitive) + 高标准厂房 flag
        "new_industrial",  # P9: empty category -> M2 + 2026 supply
        "other",  # P10: 0701 (residential) not in the map; flag ignored
        "other",  # P11: no land use
        "new_industrial",  # P12: 100102.0 read from a spreadsheet -> 100102
    ]
    assert out["category_source"].tolist() == [
        "column",
        "land_use+supply_date",
        "land_use+supply_date",
        "land_use",
        "land_use",
        "land_use",
        "land_use+supply_date",
        "land_use",
        "land_use+supply_date",
        "none",
        "none",
        "land_use+supply_date",
    ]
    series = categorise(parcels)
    assert series.name == "category"
    assert series.tolist() == out["category"].tolist()


def test_categorise_policy_date_and_map_from_policy():
    parcels = pd.DataFrame(
        {"parcel_id": ["A"], "land_use": ["X9"], "supply_date": [pd.Timestamp("2024-06-01")]}
    )
    policy = DEFAULT_POLICY.replace(
        policy_date=dt.date(2024, 1, 1), category_map={"X": "industrial"}
    )
    assert categorise(parcels, policy=policy).tolist() == ["new_industrial"]
    # X9 is no code of either standard: with every parcel unknown the land use cannot be
    # judged (issue 18): a named error that shows the value and the table that maps it
    with pytest.raises(DataError, match=r"'X9' × 1.*\[policy.category_map\]"):
        categorise(parcels)


def test_categorise_without_columns_is_other():
    out = categorise(pd.DataFrame({"parcel_id": ["A", "B"]}, index=[5, 7]), explain=True)
    assert out["category"].tolist() == ["other", "other"]
    assert out["category_source"].tolist() == ["none", "none"]
    assert list(out.index) == [5, 7]


def test_categorise_reads_each_written_category_once_for_all_its_rows():
    # repeated spellings in any order, missing and empty cells: each row its own answer
    written = [" Logistics", "industrial", None, " Logistics", "", "LOGISTICS", "industrial"]
    for dtype in (object, "str"):
        parcels = pd.DataFrame(
            {"parcel_id": list("ABCDEFG"), "category": pd.Series(written, dtype=dtype)}
        )
        out = categorise(parcels, explain=True)
        assert out["category"].tolist() == [
            "logistics",
            "industrial",
            "other",
            "logistics",
            "other",
            "logistics",
            "industrial",
        ]
        assert out["category_source"].tolist() == [
            "column",
            "column",
            "none",
            "column",
            "none",
            "column",
            "column",
        ]
    # a value that is no category, written twice: both rows named, as written
    bad = pd.DataFrame({"parcel_id": ["A", "B", "C"], "category": ["Shop ", "industrial", "Shop "]})
    with pytest.raises(DataError, match=r"rows: A='Shop ', C='Shop '"):
        categorise(bad)


def test_categorise_rejects_unknown_categories():
    parcels = pd.DataFrame(
        {"parcel_id": ["A", "B", "C"], "category": ["industrial", "工业", "factory"]}
    )
    with pytest.raises(DataError, match=r"column 'category'.*B='工业', C='factory'.*Fix: use"):
        categorise(parcels)
    with pytest.raises(DataError, match=r"supply_date.*rows: A"):
        categorise(pd.DataFrame({"parcel_id": ["A"], "land_use": ["M1"], "supply_date": ["soon"]}))


# ---------------------------------------------------------------------------
# against geopandas.overlay on random data
# ---------------------------------------------------------------------------


def _random_layers(seed: int = 7, n_parcels: int = 500, n_buildings: int = 1000):
    rng = np.random.default_rng(seed)
    extent = shapely.box(X0, Y0, X0 + 2000, Y0 + 2000)
    seeds = shapely.multipoints(rng.uniform([X0, Y0], [X0 + 2000, Y0 + 2000], (n_parcels, 2)))
    cells = shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=extent))
    cells = shapely.intersection(cells, extent)
    parcels = gpd.GeoDataFrame(
        {"parcel_id": [f"P{i}" for i in range(len(cells))]}, geometry=cells, crs=CRS
    )
    # rotated rectangles: centre c, half sides (w, h), angle t; corners c ± u ± v
    centre = rng.uniform([X0, Y0], [X0 + 2000, Y0 + 2000], (n_buildings, 2))
    w, h = rng.uniform(4, 40, (2, n_buildings))
    t = rng.uniform(0, np.pi / 2, n_buildings)
    u = np.stack([w * np.cos(t), w * np.sin(t)], axis=1)
    v = np.stack([-h * np.sin(t), h * np.cos(t)], axis=1)
    corners = np.stack([centre - u - v, centre + u - v, centre + u + v, centre - u + v], axis=1)
    rects = shapely.polygons(corners)
    floors = rng.integers(1, 8, n_buildings).astype(float)
    floors[rng.random(n_buildings) < 0.2] = np.nan
    height = rng.uniform(4, 30, n_buildings)
    height[rng.random(n_buildings) < 0.3] = np.nan
    storey = np.where(rng.random(n_buildings) < 0.2, rng.uniform(3, 12, n_buildings), np.nan)
    own = np.where(rng.random(n_buildings) < 0.1, rng.uniform(100, 9000, n_buildings), np.nan)
    use = rng.choice(np.array(["industrial", "office", "仓库", None], dtype=object), n_buildings)
    b = gpd.GeoDataFrame(
        {
            "building_id": [f"B{i}" for i in range(n_buildings)],
            "floors": floors,
            "height": height,
            "storey_height": storey,
            "floor_area": own,
            "use": use,
        },
        geometry=rects,
        crs=CRS,
    )
    return parcels, b


def test_matches_geopandas_overlay_on_random_data():
    parcels, b = _random_layers()
    r = plot_ratio(parcels, b)
    # reference: overlay pieces, floor area by piece, summed per parcel
    b_ref = b.assign(counted=counted_floors(b), b_area=b.geometry.area)
    pieces = gpd.overlay(b_ref, parcels, how="intersection", keep_geom_type=True)
    pieces["piece"] = pieces.geometry.area
    pieces["fa"] = np.where(
        pieces["floor_area"].notna(),
        pieces["floor_area"] * pieces["piece"] / pieces["b_area"],
        pieces["piece"] * pieces["counted"],
    )
    ref_fa = pieces.groupby("parcel_id")["fa"].sum(min_count=1)
    ref_fp = pieces.groupby("parcel_id")["piece"].sum()
    got = r.set_index(parcels["parcel_id"])
    assert len(pieces) > len(b)  # some buildings straddle parcels
    # every parcel with a known building floor area
    common = ref_fa.dropna().index
    assert (got.loc[common, "floor_area_source"] == "buildings").all()
    np.testing.assert_allclose(got.loc[common, "floor_area"], ref_fa[common], rtol=1e-6)
    np.testing.assert_allclose(got.loc[ref_fp.index, "footprint_m2"], ref_fp, rtol=1e-6)
    vacant = got.index.difference(ref_fp.index)
    assert len(vacant) > 0 and (got.loc[vacant, "floor_area"] == 0).all()
    # areas: the Voronoi cells tile the 2 km square
    assert r["area_m2"].sum() == pytest.approx(4_000_000.0)


# ---------------------------------------------------------------------------
# recorded figures that the geometry contradicts (issue 18, item 5)
# ---------------------------------------------------------------------------


def _checks(r) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for row in r.attrs["quality"]:
        out.setdefault(row["check"], []).append(row["id"])
    return out


def test_zero_floor_area_where_buildings_stand_is_replaced_and_listed():
    # P1: 0 on record, building 40 × 20 × 3 floors = 2400 m² -> 2400 (FAR 0.24), listed;
    # P2: 0 on record and nothing built -> 0 stays (vacant land is consistent)
    # P3: 500 on record, building 40 × 20 = 800 m² footprint -> below its own footprint:
    #     contradicted, the buildings' 800 × 2 = 1600 m² are used
    parcels = two_parcels(floor_area=[0.0, 0.0])
    parcels = pd.concat(
        [
            parcels,
            gpd.GeoDataFrame(
                {"parcel_id": ["P3"], "floor_area": [500.0]},
                geometry=[box(0, 200, 100, 300)],
                crs=CRS,
            ),
        ],
        ignore_index=True,
    )
    b = buildings([box(10, 10, 50, 30), box(10, 210, 50, 230)], floors=[3, 2])
    r = plot_ratio(parcels, b)
    assert r["floor_area"].tolist() == pytest.approx([2400.0, 0.0, 1600.0])
    assert r["floor_area_source"].tolist() == ["buildings", "parcel", "buildings"]
    assert r.loc[0, "far"] == pytest.approx(0.24)
    assert _checks(r) == {"floor_area_contradicted": ["P1", "P3"]}
    detail = r.attrs["quality"][0]["detail"]
    assert "0 m² on record" in detail and "800 m²" in detail and "2,400 m²" in detail


def test_zero_on_record_with_buildings_of_unknown_floors_becomes_unknown():
    b = buildings([box(10, 10, 50, 30)], floors=[None])
    r = plot_ratio(two_parcels(floor_area=[0.0, 10.0]), b)
    # P1: 0 contradicts an 800 m² footprint whose floors are unknown: NaN, not FAR 0
    assert np.isnan(r.loc[0, "floor_area"]) and r.loc[0, "floor_area_source"] == "none"
    assert _checks(r)["floor_area_contradicted"] == ["P1"]


def test_zeros_on_record_where_buildings_stand_are_replaced():
    b = buildings([box(10, 10, 50, 30), box(110, 10, 150, 30)], floors=[3, 1])
    r = plot_ratio(two_parcels(floor_area=[0.0, 0.0]), b)
    assert r["floor_area"].tolist() == pytest.approx([2400.0, 800.0])
    assert r["floor_area_source"].tolist() == ["buildings", "buildings"]
    assert _checks(r) == {"floor_area_contradicted": ["P1", "P2"]}
    # a building floor_area of 0 with floors known: the floors count
    b2 = buildings([box(10, 10, 50, 30)], floors=[3], floor_area=[0.0])
    assert plot_ratio(two_parcels(), b2).loc[0, "floor_area"] == pytest.approx(2400.0)


def test_a_footprint_delivered_twice_counts_once():
    # B2 is B1 again; B3 is B1 shifted by 0.5 m (IoU = 39.5 × 20 / (40.5 × 20) = 0.975)
    # B4 overlaps B1 by half (IoU 1/3): a different building
    geoms = [box(10, 10, 50, 30), box(10, 10, 50, 30), box(10.5, 10, 50.5, 30)]
    geoms.append(box(30, 10, 70, 30))
    b = buildings(geoms, floors=[3, 3, 3, 1])
    r = plot_ratio(two_parcels(), b)
    # P1: B1 (800 × 3) + B4 (800 × 1) = 3200 m², footprint 1600 m²
    assert r.loc[0, "floor_area"] == pytest.approx(3200.0)
    assert r.loc[0, "footprint_m2"] == pytest.approx(1600.0)
    assert _checks(r) == {"duplicate_building": ["B2", "B3"]}
    assert "same footprint as B1" in r.attrs["quality"][0]["detail"]


def test_a_bad_figure_on_a_duplicate_only_is_not_read_and_on_a_building_counted_raises():
    # B2 is B1 again (not counted) with floors "three": B1's 800 m² × 3 = 2400 m² on P1
    # (FAR 2400 / 10 000 = 0.24); the duplicate's figure is never read, so no error
    b = buildings([box(10, 10, 50, 30), box(10, 10, 50, 30)], floors=["3", "three"])
    r = plot_ratio(two_parcels(), b)
    assert r["floor_area"].tolist() == [2400.0, 0.0]
    assert r["far"].tolist() == [0.24, 0.0]
    assert _checks(r) == {"duplicate_building": ["B2"]}
    # the same text on B1, which is counted: the error names it
    bad = buildings([box(10, 10, 50, 30), box(10, 10, 50, 30)], floors=["three", "3"])
    with pytest.raises(DataError, match="'floors'.*B1"):
        plot_ratio(two_parcels(), bad)


def test_buildings_without_floors_are_named_after_duplicates_are_dropped():
    # B2 is B1 again (dropped); B3 has no floors: listed as B3, or without IDs as #1, its
    # position among the buildings counted (B1 #0, B3 #1), as the rows its figures are of
    geoms = [box(10, 10, 50, 30), box(10, 10, 50, 30), box(60, 60, 80, 80)]
    b = buildings(geoms, floors=[3, 3, np.nan])
    for frame, expected in ((b, "B3"), (b.drop(columns="building_id"), "#1")):
        records = plot_ratio(two_parcels(), frame).attrs["quality"]
        assert [(q["check"], q["id"]) for q in records if q["check"] == "missing_floors"] == [
            ("missing_floors", expected)
        ]


def test_duplicates_are_named_by_id_or_by_row_in_the_layer():
    # B1 far away; B3 is B2 again and B4 is B2 again: B3 and B4 named, both after B2 (row
    # 1); without IDs they are rows #2 and #3 of the layer, after #1
    geoms = [box(500, 500, 520, 520), box(10, 10, 50, 30), box(10, 10, 50, 30)]
    b = buildings([*geoms, box(10, 10, 50, 30)], floors=[1, 3, 3, 3])
    for frame, named, first in (
        (b, ["B3", "B4"], "B2"),
        (b.drop(columns="building_id"), ["#2", "#3"], "#1"),
    ):
        records = [
            q
            for q in plot_ratio(two_parcels(), frame).attrs["quality"]
            if q["check"] == "duplicate_building"
        ]
        assert [q["id"] for q in records] == named
        assert all(q["detail"].startswith(f"same footprint as {first} (") for q in records)


def test_floor_areas_are_the_same_bits_whatever_order_the_buildings_come_in():
    # 40 buildings of uneven sizes on P1 (0–100) and P2 (100–200), some across the line:
    # added in input order their pieces round differently from added in reverse; each
    # parcel's pieces are added in one order, so any order of the layer (a partition reads
    # the buildings near it) gives the same sums to the last bit
    rng = np.random.default_rng(11)
    x, y = rng.uniform(0, 180, 40), rng.uniform(0, 90, 40)
    w, h = rng.uniform(0.3, 19.7, 40), rng.uniform(0.3, 9.9, 40)
    parcels = gpd.GeoDataFrame(
        {"parcel_id": ["P1", "P2"]}, geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100)], crs=4549
    )
    buildings = gpd.GeoDataFrame(
        {"building_id": [f"B{i}" for i in range(40)], "floors": rng.integers(1, 9, 40)},
        geometry=[box(a, b, a + c, b + d) for a, b, c, d in zip(x, y, w, h, strict=True)],
        crs=4549,
    )
    one = plot_ratio(parcels, buildings)
    for seed in range(5):
        order = np.random.default_rng(seed).permutation(40)
        other = plot_ratio(parcels, buildings.iloc[order])
        for col in ("footprint_m2", "floor_area", "far", "coverage"):
            np.testing.assert_array_equal(other[col].to_numpy(), one[col].to_numpy(), col)
    # and they are the sums of the pieces: P1's footprint is its share of every building
    pieces = buildings.geometry.intersection(parcels.geometry.iloc[0]).area
    assert one["footprint_m2"].iloc[0] == pytest.approx(pieces.sum(), rel=1e-12)


def test_meets_tells_which_buildings_meet_a_parcel_duplicates_and_touching_too():
    # P1 0–100, P2 100–200 (y 0–100). B1 inside P1; B2 touches P2's east edge x = 200
    # from outside (an edge in common: it meets, area 0); B3 far outside; B4 is B3
    # again (a duplicate, not counted) and B5 is B2 again; B6 touches only the corner
    # (200, 100); B7 straddles P1/P2.
    geoms = [
        box(10, 10, 50, 30),
        box(200, 40, 220, 60),
        box(500, 500, 520, 520),
        box(500, 500, 520, 520),
        box(200, 40, 220, 60),
        box(200, 100, 210, 110),
        box(90, 40, 110, 60),
    ]
    b = buildings(geoms, floors=[1, 1, 1, 1, 1, 1, 1])
    meets: list = []
    r = plot_ratio(two_parcels(), b, meets=meets)
    assert len(meets) == 1
    assert meets[0].tolist() == [True, True, False, False, True, True, True]
    # the negation of the quality check's own query, on the same layers
    from xsland.measure.quality import buildings_outside

    outside = buildings_outside(b.geometry.to_numpy(), two_parcels().geometry.to_numpy())
    assert (~meets[0]).tolist() == outside.tolist()
    # and the measure is the one without meets: P1 800 + 200 (half of B7), P2 200
    assert r["footprint_m2"].tolist() == [1000.0, 200.0]
    assert r.equals(plot_ratio(two_parcels(), b))
    assert _checks(r) == {"duplicate_building": ["B5", "B4"]}  # by the first: B2, B3


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([-20.0, -10.0, 0.0, 40.0, 90.0, 100.0, 190.0, 200.0, 210.0]),
            st.sampled_from([-10.0, 0.0, 50.0, 100.0, 130.0]),
            st.sampled_from([10.0, 20.0]),
        ),
        max_size=25,
    )
)
def test_meets_is_the_negation_of_buildings_outside(specs):
    # squares on edges, corners, across and outside the two parcels, repeated at will
    # (repeats are duplicates): meets is exactly "intersects some parcel"
    from xsland.measure.quality import buildings_outside

    geoms = [box(x, y, x + s, y + s) for x, y, s in specs]
    b = buildings(geoms, floors=[2] * len(geoms))
    meets: list = []
    r = plot_ratio(two_parcels(), b, meets=meets)
    outside = buildings_outside(b.geometry.to_numpy(), two_parcels().geometry.to_numpy())
    assert meets[0].tolist() == (~outside).tolist()
    pd.testing.assert_frame_equal(r, plot_ratio(two_parcels(), b), check_exact=True)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 7),  # parcel
            st.sampled_from([1.0, 2.0, 2.5]),  # piece area: ties are common
            st.sampled_from([1.0, 3.0, float("nan")]),  # its floor area, maybe unknown
        ),
        max_size=30,
    )
)
def test_piece_order_on_threads_is_the_order_of_one_lexsort(pieces):
    # the order the parcels' sums are added in: by parcel, then piece, then floor area
    # (NaN last), ties in the order given; cut into parts of parcels 0-2, 3-5 and 6-7
    # (8 parcels, 3 threads) it must be np.lexsort's, element for element
    pi = np.array([p for p, _, _ in pieces], dtype=np.int64)
    piece = np.array([a for _, a, _ in pieces], dtype=float)
    piece_fa = np.array([f for _, _, f in pieces], dtype=float)
    with patch.object(far, "cpus", lambda: 3), patch.object(far, "MIN_CHUNK", 1):
        got = far._piece_order(pi, piece, piece_fa, 8)
    np.testing.assert_array_equal(got, np.lexsort((piece_fa, piece, pi)))
