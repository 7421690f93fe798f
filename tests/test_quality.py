"""Cross-layer data-quality checks on hand-made layers."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from xsland.measure.quality import intersection_areas, parcel_checks, straddle_shares
from xsland.rules.policy import DEFAULT_POLICY

X0, Y0 = 535_000.0, 3_496_000.0


def box(x, y, w, h):
    return shapely.box(X0 + x, Y0 + y, X0 + x + w, Y0 + y + h)


def _parcels():
    return gpd.GeoDataFrame(
        {
            "parcel_id": ["A", "B", "C", "S1", "S2", "M"],
            "declared_area": [10_000.0, 10_600.0, None, None, None, 200.0],
        },
        geometry=[
            box(0, 0, 100, 100),  # A: 10 000 m², declared exact
            box(95, 0, 100, 100),  # B: overlaps A by 5 × 100 = 500 m²; declared +6 %
            box(300, 0, 100, 100),  # C: half inside park K2 (see _parks)
            box(0, 200, 60, 1),  # S1: 60 m² strip, 1 m wide -> sliver
            box(100, 200, 9, 9),  # S2: 81 m² < 100 m² -> sliver (width 4.5 m)
            shapely.MultiPolygon([box(0, 400, 10, 10), box(50, 400, 10, 10)]),  # M: 2 parts
        ],
        crs="EPSG:4549",
    )


def _parks():
    return gpd.GeoDataFrame(
        {
            "park_id": ["K1", "K1", "K2"],
            "name": ["甲", "甲", "乙"],
            "zone": ["core", "expansion", "core"],
        },
        geometry=[box(-10, -10, 110, 60), box(-10, 50, 220, 60), box(350, -10, 200, 200)],
        crs="EPSG:4549",
    )


def test_intersection_areas():
    a = gpd.GeoSeries([box(0, 0, 10, 10), box(20, 0, 10, 10)])
    b = gpd.GeoSeries([box(5, 0, 10, 10), box(30, 0, 10, 10)])
    # a0∩b0 = 5 × 10 = 50 m²; a1 and b1 only touch (x = 30) -> dropped
    got = intersection_areas(a, b)
    assert got[["left", "right", "area"]].values.tolist() == [[0, 0, 50.0]]


def test_straddle_shares_dissolves_zones():
    shares = straddle_shares(_parcels(), _parks())
    # A: K1 core covers y 0..50 and expansion y 50..100 (x up to 100) -> fully in K1
    assert shares.loc[0, "park_id"] == "K1" and round(shares.loc[0, "share"], 9) == 1.0
    # C (x 300..400): K2 from x 350 -> 50 %
    assert shares.loc[2, "park_id"] == "K2" and round(shares.loc[2, "share"], 9) == 0.5
    assert round(shares.loc[2, "inside"], 9) == 0.5


def test_parcel_checks_finds_every_planted_problem():
    buildings = gpd.GeoDataFrame(
        {"building_id": ["in", "out"], "floors": [1, 1]},
        geometry=[box(10, 10, 10, 10), box(1000, 1000, 10, 10)],
        crs="EPSG:4549",
    )
    q = parcel_checks(_parcels(), parks=_parks(), buildings=buildings, policy=DEFAULT_POLICY)
    found = {(c, i) for c, i in zip(q["check"], q["id"], strict=True)}
    assert found == {
        ("sliver", "S1"),
        ("sliver", "S2"),
        ("overlap", "A"),
        ("overlap", "B"),
        ("declared_area_mismatch", "B"),  # 10 600 declared vs 10 000 measured: +6 % > 5 %
        ("multipart", "M"),  # M: declared 200 = measured 2 × 100 -> no mismatch
        ("straddles_park", "C"),  # 50 % in K2
        # B (x 95..195): K1 core 5 × 50 = 250 m² + expansion 100 × 50 = 5 000 m² -> 52.5 %
        ("straddles_park", "B"),
        ("building_outside", "out"),
    }
    detail = q.set_index(["check", "id"])["detail"]
    assert detail["overlap", "A"] == "overlaps B by 500.0 m²"
    assert detail["declared_area_mismatch", "B"] == (
        "declared 10600.0 m², measured 10000.0 m² (+6.0%)"
    )
    assert detail["straddles_park", "B"] == "52.5% in park K1, 47.5% outside every park"
    assert detail["sliver", "S1"] == "area 60.0 m², mean width 0.98 m"  # 2·60/122


def test_overlapping_pairs_skip_shared_edges():
    from xsland.measure.quality import overlapping_pairs

    g = [
        box(0, 0, 10, 10),  # 0
        box(10, 0, 10, 10),  # 1: shares an edge with 0 -> not a pair
        box(2, 2, 2, 2),  # 2: inside 0 -> 4 m²
        box(0, 0, 10, 10),  # 3: equal to 0 -> 100 m²; contains 2 -> 4 m²
        box(15, 5, 10, 10),  # 4: overlaps 1 by 5 × 5 = 25 m²
    ]
    got = overlapping_pairs(g).values.tolist()
    assert got == [[0, 2, 4.0], [0, 3, 100.0], [1, 4, 25.0], [2, 3, 4.0]]


def test_intersection_areas_fast_path_equals_plain_intersection():
    rng = np.random.default_rng(1)
    xy = rng.uniform(0, 1000, size=(300, 2))
    small = [box(x, y, 30, 20) for x, y in xy]
    big = [box(0, 0, 500, 500), box(400, 400, 600, 600)]
    got = intersection_areas(small, big).sort_values(["left", "right"])
    want = [
        (i, j, shapely.area(shapely.intersection(a, b)))
        for i, a in enumerate(small)
        for j, b in enumerate(big)
        if shapely.area(shapely.intersection(a, b)) > 0
    ]
    assert got[["left", "right"]].values.tolist() == [[i, j] for i, j, _ in want]
    assert np.allclose(got["area"], [a for *_, a in want], rtol=1e-12)
    assert not any(shapely.is_prepared(big))  # the caller's geometries are left as they were


def test_overlapping_parks_are_reported_with_shared_parcels_and_counted_once():
    import warnings

    import xsland
    from xsland.measure.quality import park_overlaps

    x, y = 535_000.0, 3_496_000.0
    parks = gpd.GeoDataFrame(
        {"park_id": ["K1", "K2"], "name": ["一园", "二园"], "town": ["东亭街道"] * 2},
        # K1 = [0, 1000]², K2 = [500, 1500] × [0, 1000]: they share 500 × 1000 = 500 000 m²
        geometry=[
            shapely.box(x, y, x + 1000, y + 1000),
            shapely.box(x + 500, y, x + 1500, y + 1000),
        ],
        crs="EPSG:4549",
    )
    parcels = gpd.GeoDataFrame(
        {"parcel_id": ["A", "B"], "category": ["industrial"] * 2},
        # A lies in the shared land, B in K1 only
        geometry=[
            shapely.box(x + 600, y + 100, x + 700, y + 200),
            shapely.box(x + 100, y, x + 200, y + 100),
        ],
        crs="EPSG:4549",
    )
    rows = park_overlaps(parks, parcels)
    assert [(r["id"], r["detail"]) for r in rows] == [
        ("K1", "overlaps park K2 by 500,000.0 m²; parcels in the shared land: A"),
        ("K2", "overlaps park K1 by 500,000.0 m²; parcels in the shared land: A"),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = xsland.run_audit(parks, parcels)
    # the town's area is the union, 1 500 000 m², not 1 000 000 + 1 000 000
    assert result.towns["area_m2"].tolist() == pytest.approx([1_500_000.0])
    assert result.parcels["park_id"].notna().all()  # each parcel in one park
    assert (result.quality["check"] == "parks_overlap").sum() == 2
