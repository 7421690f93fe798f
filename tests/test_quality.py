"""Cross-layer data-quality checks on hand-made layers."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

from xsland.measure.quality import parcel_checks
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
