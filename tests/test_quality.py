"""Cross-layer data-quality checks on hand-made layers."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

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


def test_overlaps_are_listed_by_parcel_then_by_the_other_parcel():
    from xsland.measure.quality import parcel_checks

    parcels = gpd.GeoDataFrame(
        {"parcel_id": ["A", "B", "C"]},
        geometry=[
            box(0, 0, 100, 100),  # A
            box(90, 0, 100, 100),  # B: overlaps A by 10 × 100 = 1 000 m²
            box(50, 95, 100, 100),  # C: overlaps A by 50 × 5 = 250, B by 60 × 5 = 300 m²
        ],
        crs="EPSG:4549",
    )
    q = parcel_checks(parcels)
    assert q[["id", "detail"]].to_numpy().tolist() == [
        ["A", "overlaps B by 1000.0 m²"],
        ["A", "overlaps C by 250.0 m²"],
        ["B", "overlaps A by 1000.0 m²"],
        ["B", "overlaps C by 300.0 m²"],
        ["C", "overlaps A by 250.0 m²"],
        ["C", "overlaps B by 300.0 m²"],
    ]


def test_a_partition_reports_the_overlaps_whose_lower_row_it_owns():
    from xsland.measure.quality import findings_frame, overlap_findings

    # rows 3, 7, 9 of a layer: P overlaps Q by 5 × 100 = 500 m², Q overlaps R by
    # 2 × 100 = 200 m²; this partition owns Q and R, P is its halo
    geoms = [box(0, 0, 100, 100), box(95, 0, 100, 100), box(193, 0, 100, 100)]
    found = overlap_findings(geoms, ["P", "Q", "R"], rows=[3, 7, 9], report=[False, True, True])
    assert [key for key, _ in found] == [(2, 7, 9), (2, 9, 7)]  # check 2 = overlap
    q = findings_frame(found)
    assert q[["id", "detail"]].to_numpy().tolist() == [
        ["Q", "overlaps R by 200.0 m²"],
        ["R", "overlaps Q by 200.0 m²"],
    ]
    # the partition owning P reports P–Q (its lower row), not Q–R
    other = overlap_findings(geoms, ["P", "Q", "R"], rows=[3, 7, 9], report=[True, False, False])
    assert [key for key, _ in other] == [(2, 3, 7), (2, 7, 3)]


def test_buildings_are_named_by_id_or_by_their_row():
    from xsland.measure.quality import building_findings, building_ids, buildings_outside

    buildings = gpd.GeoDataFrame(
        {"floors": [1, 1, 1]},
        geometry=[box(10, 10, 5, 5), box(500, 500, 5, 5), box(100, 50, 5, 5)],
        crs="EPSG:4549",
    )
    parcels = [box(0, 0, 100, 100)]  # the third building touches its east edge
    outside = buildings_outside(buildings.geometry.to_numpy(), parcels)
    assert outside.tolist() == [False, True, False]
    assert building_ids(buildings).tolist() == ["row 1", "row 2", "row 3"]
    assert building_ids(buildings, rows=[4, 0, 2]).tolist() == ["row 5", "row 1", "row 3"]
    named = buildings.assign(building_id=["b1", "b2", "b3"])
    found = building_findings(building_ids(named), outside, rows=[4, 0, 2])
    assert [(key, r["id"]) for key, r in found] == [((6, 0, 0), "b2")]


@st.composite
def _cadastre(draw):
    """Up to 12 boxes on a 10 m grid (overlaps, slivers, declared areas) and a split."""
    n = draw(st.integers(2, 12))
    cells = st.integers(0, 30)
    boxes, declared = [], []
    for _ in range(n):
        x, y = draw(cells) * 10.0, draw(cells) * 10.0
        w = draw(st.sampled_from([0.5, 10.0, 40.0, 100.0]))
        h = draw(st.sampled_from([10.0, 40.0, 100.0]))
        boxes.append(box(x, y, w, h))
        declared.append(draw(st.sampled_from([None, w * h, w * h * 1.2])))
    part = draw(st.lists(st.integers(0, 2), min_size=n, max_size=n))
    parcels = gpd.GeoDataFrame(
        {"parcel_id": [f"P{i}" for i in range(n)], "declared_area": declared},
        geometry=boxes,
        crs="EPSG:4549",
    )
    return parcels, np.array(part)


@settings(max_examples=40, deadline=None)
@given(_cadastre())
def test_checks_on_any_split_of_the_parcels_give_the_whole_layers_table(case):
    """Each part checks its parcels on their own and the overlaps of its parcels with all
    the others (its halo): put together, the table of parcel_checks, row for row."""
    from xsland.measure.quality import (
        findings_frame,
        overlap_findings,
        parcel_checks,
        parcel_findings,
    )

    parcels, part = case
    crs = parcels.crs
    rows = np.arange(len(parcels))
    found = []
    for k in range(3):
        own = part == k
        found += parcel_findings(parcels[own], crs=crs, rows=rows[own])
        found += overlap_findings(
            parcels.geometry.to_numpy(), parcels["parcel_id"], rows=rows, report=own
        )
    want = parcel_checks(parcels, crs=crs)
    pd.testing.assert_frame_equal(findings_frame(found), want)


def test_buildings_meeting_from_the_measure_give_the_same_table():
    # "in" inside A; "edge" touches A's west edge x = 0 from outside (an edge in common:
    # it meets A, area 0, so it is not outside); "out" and "out2" (its duplicate) far away
    from xsland.measure.far import plot_ratio

    buildings = gpd.GeoDataFrame(
        {"building_id": ["in", "edge", "out", "out2"], "floors": [1, 1, 1, 1]},
        geometry=[
            box(10, 10, 10, 10),
            box(-10, 10, 10, 10),
            box(1000, 1000, 10, 10),
            box(1000, 1000, 10, 10),
        ],
        crs="EPSG:4549",
    )
    meets: list = []
    plot_ratio(_parcels(), buildings, meets=meets)
    assert meets[0].tolist() == [True, True, False, False]
    given_ = parcel_checks(
        _parcels(), parks=_parks(), buildings=buildings, buildings_meeting=meets[0]
    )
    queried = parcel_checks(_parcels(), parks=_parks(), buildings=buildings)
    pd.testing.assert_frame_equal(given_, queried, check_exact=True)
    outside = given_.loc[given_["check"] == "building_outside", "id"].tolist()
    assert outside == ["out", "out2"]
